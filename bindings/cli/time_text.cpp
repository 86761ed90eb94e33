#include "time_text.h"

#include <cctype>
#include <cstdio>

namespace convo_cli {

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian, days since 1970-01-01).
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

static void civil_from_days(int64_t z, int64_t &y, unsigned &m, unsigned &d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string format_rfc3339(int64_t unix_ms) {
    const int64_t days = floor_div(unix_ms, kMsPerDay);
    const int64_t in_day = unix_ms - days * kMsPerDay;
    int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(days, y, m, d);
    const auto ms = static_cast<unsigned>(in_day);  // [0, 86400000)
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
                  static_cast<long long>(y), m, d, ms / 3600000u, ms / 60000u % 60u,
                  ms / 1000u % 60u, ms % 1000u);
    return buf;
}

std::optional<int64_t> day_start(const std::string &rfc3339) {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    if (rfc3339.size() < 10 || rfc3339[4] != '-' || rfc3339[7] != '-') return std::nullopt;
    if (std::sscanf(rfc3339.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) return std::nullopt;
    if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
    return days_from_civil(y, m, d) * kMsPerDay;
}

// Reads `count` digits at `pos` into `out`; false if any is not a digit.
static bool read_digits(const std::string &text, std::size_t pos, std::size_t count, int &out) {
    if (pos + count > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

std::optional<int64_t> parse_rfc3339(const std::string &text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!read_digits(text, 0, 4, y) || text.size() < 19 || text[4] != '-' ||
        !read_digits(text, 5, 2, mo) || text[7] != '-' || !read_digits(text, 8, 2, d) ||
        (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, h) || text[13] != ':' ||
        !read_digits(text, 14, 2, mi) || text[16] != ':' || !read_digits(text, 17, 2, s)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
    std::size_t pos = 19;
    int64_t ms = 0;
    if (pos < text.size() && text[pos] == '.') {
        std::size_t digits = 0;
        for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0;
             ++pos, ++digits) {
            if (digits < 3) ms = ms * 10 + (text[pos] - '0');
        }
        if (digits == 0) return std::nullopt;
        for (; digits < 3; ++digits) ms *= 10;
    }
    int64_t offset_minutes = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int oh = 0, om = 0;
        if (!read_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !read_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
    const int64_t day = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return day * kMsPerDay + h * kMsPerHour + mi * kMsPerMinute + s * kMsPerSecond + ms -
           offset_minutes * kMsPerMinute;
}

}  // namespace convo_cli
