#include "bench_ids.h"

#include <array>

namespace convo_cli::bench {

namespace {

// Multiplication by an odd constant is a bijection on 64 bits, so distinct inputs stay
// distinct; the xor-shift spreads the high bits back down so consecutive inputs differ in
// every hex digit, as random ids would.
uint64_t scramble(uint64_t x) {
    x *= 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29);
}

}  // namespace

std::string uuid_v7(int64_t unix_ms, uint64_t unique) {
    std::array<uint8_t, 16> b{};
    const auto ms = static_cast<uint64_t>(unix_ms < 0 ? 0 : unix_ms);
    for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
    // 74 bits follow the timestamp. All 64 bits of `unique` scrambled are among them (a
    // bijection, so distinct values stay distinct); the other 10 are more of the same mixing.
    const uint64_t low = scramble(unique);
    const uint64_t high = scramble(low + 1);
    b[6] = static_cast<uint8_t>(0x70 | (high & 0x0f));  // version 7
    b[7] = static_cast<uint8_t>((high & 0xfc) | (low >> 62));
    b[8] = static_cast<uint8_t>(0x80 | ((low >> 56) & 0x3f));  // RFC variant
    for (int i = 9; i < 16; ++i) b[i] = static_cast<uint8_t>(low >> (8 * (15 - i)));
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += kHex[b[i] >> 4];
        out += kHex[b[i] & 15];
    }
    return out;
}

}  // namespace convo_cli::bench
