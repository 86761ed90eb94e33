// The parent's side of a crash trial: reopen the killed child's database and check it against
// what the child acknowledged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crash_common.h"

namespace crash {

// What the parent knows after the kill.
struct TrialRecord {
    std::string db_path;
    std::vector<json> acks;     // every complete line the child wrote, in order
    json in_flight;             // the operation begun after the last acknowledged one, or null
    bool mid_call = false;      // killed after an operation began and before its calls returned
    bool in_main_call = false;  // ...and inside its main call (not the reads after it)
};

struct Verdict : Failures {
    uint64_t acked_ops = 0;                 // acknowledged operations whose effects were checked
    bool killed_in_write = false;           // killed inside a call that writes (a transaction)
    bool committed_unacknowledged = false;  // ...and that call's change had committed
    uint64_t conversations = 0, feed_events = 0, timers_fired = 0, idempotent_replays = 0;
};

Verdict verify(const TrialRecord &record);

}  // namespace crash
