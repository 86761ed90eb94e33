#include "time_text.h"

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

}  // namespace convo_cli
