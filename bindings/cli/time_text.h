// Unix milliseconds <-> the RFC 3339 text the engine speaks, for the demo's virtual clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace convo_cli {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// "2026-03-02T08:00:00.000Z"
std::string format_rfc3339(int64_t unix_ms);

// Unix ms of midnight UTC of the date an RFC 3339 text starts with ("2026-03-02..."), or
// nullopt if it does not start with a valid date.
std::optional<int64_t> day_start(const std::string &rfc3339);

// Unix ms of a full RFC 3339 time ("2026-03-02T08:00:00.123Z", "...T10:00:00+02:00";
// fraction optional, at most millisecond precision kept), or nullopt if it is not one.
std::optional<int64_t> parse_rfc3339(const std::string &text);

}  // namespace convo_cli
