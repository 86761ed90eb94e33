#include "json_out.h"

#include <stdexcept>

namespace convo {
namespace {

// The length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not).
size_t utf8_sequence(std::string_view s, size_t i) {
    auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
        unsigned b = at(k);
        return b >= lo && b <= hi;
    };
    const unsigned b = at(0);
    if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        const unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
        return cont(1, lo, hi) && cont(2) ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        const unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
        return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

// Bytes a string cannot hold as they are: control characters, '"', '\\', and the bytes of
// UTF-8 sequences (checked, then copied).
struct Special {
    bool byte[256] = {};
    constexpr Special() {
        for (int b = 0; b < 0x20; ++b) byte[b] = true;
        for (int b = 0x80; b < 0x100; ++b) byte[b] = true;
        byte[static_cast<unsigned char>('"')] = byte[static_cast<unsigned char>('\\')] = true;
    }
};
constexpr Special kSpecial;

}  // namespace

void append_json_string(std::string &out, std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    size_t run = 0;  // start of the bytes not yet copied
    for (size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (!kSpecial.byte[b]) {
            ++i;
            continue;
        }
        if (b >= 0x80) {
            const size_t n = utf8_sequence(s, i);
            if (n == 0) {
                throw std::invalid_argument("invalid UTF-8 byte at index " + std::to_string(i) +
                                            " of a string being written as JSON");
            }
            i += n;
            continue;
        }
        out.append(s.data() + run, i - run);
        switch (b) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += kHex[b >> 4];
                out += kHex[b & 0xF];
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

JsonOut &JsonOut::key(std::string_view k) {
    separate();
    append_json_string(out_, k);
    out_ += ':';
    comma_ = false;
    return *this;
}

JsonOut &JsonOut::str(std::string_view s) {
    separate();
    append_json_string(out_, s);
    return *this;
}

JsonOut &JsonOut::num(int64_t v) {
    separate();
    out_ += std::to_string(v);
    return *this;
}

JsonOut &JsonOut::unsigned_num(uint64_t v) {
    separate();
    out_ += std::to_string(v);
    return *this;
}

JsonOut &JsonOut::boolean(bool v) {
    separate();
    out_ += v ? "true" : "false";
    return *this;
}

JsonOut &JsonOut::null() {
    separate();
    out_ += "null";
    return *this;
}

JsonOut &JsonOut::time(TimeMs ms) { return str(format_time(ms)); }

JsonOut &JsonOut::json(const Json &j) {
    separate();
    out_ += j.dump();
    return *this;
}

JsonOut &JsonOut::open(char c) {
    separate();
    out_ += c;
    comma_ = false;
    return *this;
}

JsonOut &JsonOut::close(char c) {
    out_ += c;
    comma_ = true;
    return *this;
}

}  // namespace convo
