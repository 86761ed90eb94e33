#include "time_format.h"

#include <date/date.h>

#include <chrono>

namespace convo {

using std::chrono::milliseconds;

const char *const kTimeRange = "1970-01-01T00:00:00Z..9999-12-31T23:59:59.999Z";

// The digits written by hand: date::format goes through iostreams and was 5% of a dispatch.
// date's civil calendar does the arithmetic; times are within years 1970..9999 (time_format.h).
std::string format_time(TimeMs ms) {
    const date::sys_time<milliseconds> tp{milliseconds{ms}};
    const auto day = date::floor<date::days>(tp);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<milliseconds> hms{tp - day};
    std::string out = "0000-00-00T00:00:00.000Z";
    auto put = [&out](size_t pos, size_t width, long long v) {
        for (size_t i = pos + width; i-- > pos; v /= 10) out[i] = static_cast<char>('0' + v % 10);
    };
    put(0, 4, static_cast<int>(ymd.year()));
    put(5, 2, static_cast<unsigned>(ymd.month()));
    put(8, 2, static_cast<unsigned>(ymd.day()));
    put(11, 2, hms.hours().count());
    put(14, 2, hms.minutes().count());
    put(17, 2, hms.seconds().count());
    put(20, 3, hms.subseconds().count());
    return out;
}

namespace {

// Reads exactly `n` decimal digits at `pos` into `out`.
bool digits(std::string_view s, size_t pos, size_t n, int *out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

}  // namespace

// date-time = YYYY-MM-DD ("T" / "t") hh:mm:ss [ "." 1*DIGIT ] ( "Z" / "z" / ("+" / "-") hh:mm ),
// read by hand: every field's digits and range are checked before any arithmetic.
std::optional<TimeMs> parse_time(std::string_view s) {
    int year, month, day, hour, minute, second;
    if (!digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, &month) ||
        s[7] != '-' || !digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s, 11, 2, &hour) || s[13] != ':' || !digits(s, 14, 2, &minute) || s[16] != ':' ||
        !digits(s, 17, 2, &second)) {
        return std::nullopt;
    }
    size_t pos = 19;
    int millis = 0;
    if (s[pos] == '.') {
        size_t first = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - first < 3) millis = millis * 10 + (s[pos] - '0');
            ++pos;
        }
        if (pos == first || pos - first > 9) return std::nullopt;
        for (size_t n = pos - first; n < 3; ++n) millis *= 10;
    }
    int offset_minutes = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size() || hour > 23 || minute > 59 || second > 59) return std::nullopt;

    const date::year_month_day ymd{date::year{year}, date::month{unsigned(month)},
                                   date::day{unsigned(day)}};
    if (!ymd.ok()) return std::nullopt;
    const int64_t days = date::sys_days{ymd}.time_since_epoch().count();
    const TimeMs ms = ((days * 24 + hour) * 60 + minute - offset_minutes) * 60000 +
                      int64_t(second) * 1000 + millis;
    if (!in_time_range(ms)) return std::nullopt;
    return ms;
}

}  // namespace convo
