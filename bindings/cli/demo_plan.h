// The demo's busy day, planned up front: every create request and every event, each at its
// virtual time. Timers are not in the plan: the engine fires them when the clock passes
// their deadlines, which is the point of the exercise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace convo_cli {

// The engine options the plan is timed against (the demo passes them to convo_engine_open).
constexpr int kRingTimeoutSeconds = 60;
constexpr int kDialTimeoutSeconds = 300;
constexpr int kTokenTtlSeconds = 600;
constexpr int kPlatformMaxOpenMinutes = 1440;

struct PlannedStep {
    enum class Kind { create, event };
    int64_t at_ms = 0;
    std::size_t conversation = 0;  // index in creation order
    Kind kind = Kind::event;
    bool retry = false;  // a repeated delivery of the previous event (same event_id)
    std::string body;    // the create request or the event, JSON
};

struct DemoPlan {
    std::vector<std::string> agents;  // agent JSON, put before the day starts
    std::vector<PlannedStep> steps;   // in time order
    std::size_t conversations = 0;
    int64_t last_step_ms = 0;
};

// `conversations` created between 08:00 and 20:00 of the day starting at `day_start_ms`
// (UTC midnight), shaped like a working day, driven by `seed`.
DemoPlan plan_day(std::size_t conversations, uint64_t seed, int64_t day_start_ms);

}  // namespace convo_cli
