// RFC 3339 at the JSON edge; inside the engine time is Unix milliseconds (TimeMs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convo {

using TimeMs = int64_t;

// "2026-01-02T03:04:05.678Z".
std::string format_time(TimeMs ms);

// Any RFC 3339 date-time ("…Z" or "…+hh:mm", optional fraction); nullopt if malformed.
// Sub-millisecond digits are truncated.
std::optional<TimeMs> parse_time(std::string_view text);

}  // namespace convo
