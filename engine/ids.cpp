#include "ids.h"

#include <array>
#include <cctype>

namespace convo {

namespace {

// SplitMix64's finalizer: spreads the history count over all 64 bits.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

IdSource::IdSource(std::optional<uint64_t> seed, uint64_t history) : seeded_(seed.has_value()) {
    if (seed) {
        rng_.seed(history == 0 ? *seed : *seed ^ mix(history));
        return;
    }
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    rng_.seed(seq);
}

static void put_hex(std::string &out, const uint8_t *bytes, size_t n) {
    static const char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; ++i) {
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 15];
    }
}

std::string IdSource::uuid_v7(TimeMs now) {
    std::array<uint8_t, 16> b{};
    uint64_t ms = static_cast<uint64_t>(now < 0 ? 0 : now);
    for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
    uint64_t r1 = rng_(), r2 = rng_();
    for (int i = 6; i < 16; ++i) {
        b[i] = static_cast<uint8_t>((i < 14 ? r1 >> (8 * (i - 6)) : r2 >> (8 * (i - 14))));
    }
    b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0f));  // version 7
    b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));  // RFC 4122 variant
    std::string out;
    out.reserve(36);
    put_hex(out, b.data(), 4);
    out += '-';
    put_hex(out, b.data() + 4, 2);
    out += '-';
    put_hex(out, b.data() + 6, 2);
    out += '-';
    put_hex(out, b.data() + 8, 2);
    out += '-';
    put_hex(out, b.data() + 10, 6);
    return out;
}

std::string IdSource::join_token() {
    static const char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device rd;  // the OS's CSPRNG on Linux
    std::string out;
    out.reserve(43);
    uint64_t acc = 0;
    int bits = 0;
    for (int produced = 0; produced < 43;) {
        if (bits < 6) {
            acc = (acc << 32) | (seeded_ ? static_cast<uint32_t>(rng_()) : rd());
            bits += 32;
        }
        bits -= 6;
        out += kAlphabet[(acc >> bits) & 63];
        ++produced;
    }
    return out;
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

bool is_e164(std::string_view s) {
    if (s.size() < 3 || s.size() > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
    for (size_t i = 2; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
}

bool is_email(std::string_view s) {
    if (s.size() > 254) return false;
    size_t at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    std::string_view domain = s.substr(at + 1);
    size_t dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size()) return false;
    for (char c : s) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',') return false;
    }
    return domain.find("..") == std::string_view::npos;
}

bool is_simple_id(std::string_view s) {
    if (s.empty() || s.size() > 128) return false;
    for (char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != ':' &&
            c != '-') {
            return false;
        }
    }
    return true;
}

}  // namespace convo
