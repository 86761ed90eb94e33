// RFC 3339 at the JSON edge; inside the engine time is Unix milliseconds (TimeMs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convo {

using TimeMs = int64_t;

// Every time the engine accepts or computes lies in [kMinTime, kMaxTime]:
// 1970-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z, so each one prints as RFC 3339.
constexpr TimeMs kMinTime = 0;
constexpr TimeMs kMaxTime = 253402300799999;
extern const char *const kTimeRange;  // the range above, for error messages

constexpr bool in_time_range(TimeMs ms) { return ms >= kMinTime && ms <= kMaxTime; }

// `at + length`, held at kMaxTime: a deadline past year 9999 never falls due.
constexpr TimeMs time_after(TimeMs at, int64_t length) {
    return length > kMaxTime - at ? kMaxTime : at + length;
}

// "2026-01-02T03:04:05.678Z".
std::string format_time(TimeMs ms);

// An RFC 3339 date-time ("…Z" or "…+hh:mm", optional fraction) inside the range above;
// nullopt otherwise. Sub-millisecond digits are truncated.
std::optional<TimeMs> parse_time(std::string_view text);

}  // namespace convo
