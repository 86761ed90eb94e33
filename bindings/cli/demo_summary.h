// What the demo prints when the day is over: outcomes of the conversations this run created.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "lifecycle_graph.h"

namespace convo_cli {

// One conversation's final state, read back with convo_get.
struct Outcome {
    std::string channel;
    std::string status;
    std::string end_reason;          // "" while open
    std::optional<double> duration;  // seconds; none if it never started
};

struct DemoRun {
    std::size_t conversations = 0;
    uint64_t seed = 0;
    std::string database;  // absolute path
    std::string organization;
    std::string first_at;          // virtual time span: the day's start ..
    std::string last_at;           // .. the last feed event of this run
    uint64_t events_this_run = 0;  // feed events of this run's conversations
    uint64_t feed_last_seq = 0;    // the feed's length (seq is gapless)
    uint64_t retries_ignored = 0;  // repeated event_ids the engine absorbed
    uint64_t timers_fired = 0;
    double wall_seconds = 0;
};

void print_summary(std::ostream &os, const LifecycleGraph &lifecycle, const DemoRun &run,
                   const std::vector<Outcome> &outcomes);

}  // namespace convo_cli
