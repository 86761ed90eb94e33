// One kill -9 trial's process plumbing, shared by the single-threaded mode (crash_trials.cpp)
// and the threaded one (threaded.cpp): the trial directory, the shared in-flight page, the
// child's side of the acknowledgement pipe, and the parent's loop that reads acknowledgements,
// SIGKILLs the child at the chosen moment and drains what it wrote before it died.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crash_common.h"
#include "workload.h"

namespace crash {

// The command line of crash_trials, both modes.
struct Options {
    uint64_t trials = 20;
    uint64_t seed = 1;
    bool verbose = false;
    int64_t max_delay_us = 1500000;
    int64_t kill_after_ack = -1;
    int max_ops = 3000;  // per thread in the threaded mode
    int threads = 0;     // 0: the single-threaded mode; 2..kMaxThreads: the threaded one
    std::string dir;
    bool inject_drop_commit = false;
    bool keep = false;  // keep every trial's directory, not only failing ones
    // Threaded mode: emulate a power cut at the kill (unsynced.h); --no-power-cut turns it off.
    bool power_cut = true;
    // Threaded mode: the child's engine runs with synchronous "normal", so that calls return
    // before their commits are synced (--inject acknowledge-before-sync).
    bool inject_ack_before_sync = false;
};

// ---- the child's side ------------------------------------------------------------------------

// Records operation `k`'s intent (JSON text) in `slot` and marks it begun: the text first, then
// `started`, so the parent never reads a half-written intent as in flight.
void record_intent(InFlight *slot, uint64_t k, const std::string &text);
// Writes all of `text` to `fd`; exits the process (status 3) when the parent is gone.
void write_all(int fd, const std::string &text);

// ---- the parent's side -----------------------------------------------------------------------

// A fresh directory for one trial under `parent`: "" on failure, with `error` set.
std::string make_trial_dir(const std::string &parent, std::string *error);
// `count` zeroed InFlight records in an anonymous MAP_SHARED mapping (constructed), which the
// forked child writes and the parent reads after the kill; nullptr on failure.
InFlight *map_in_flight(size_t count, std::string *error);
void unmap_in_flight(InFlight *slots, size_t count);
// The operation begun in `slot` as JSON (discarded when unreadable).
json intent_of(const InFlight &slot);
// What `slot` says was left in flight after the last acknowledged operation `last_acked`: its
// intent, or null when none was. An unreadable intent or a gap (an operation begun whose
// predecessor was never acknowledged) goes into `failures`, naming `who` ("the child",
// "thread 3").
json left_in_flight(const InFlight &slot, uint64_t last_acked, const std::string &who,
                    std::vector<std::string> *failures);

// Prints a failed trial: its seed, how the kill fell, where its files are kept, each failure.
void print_failed_trial(uint64_t seed, const std::string &kill, const std::string &dir,
                        const std::vector<std::string> &failures);

// A trial's files: a fresh directory under `parent` with the database path in it, and `slots`
// in-flight records. False (with `error`) when either cannot be made; nothing is left mapped.
struct TrialFiles {
    std::string dir, db;
    InFlight *in_flight = nullptr;
};
bool make_trial_files(const std::string &parent, size_t slots, TrialFiles *out, std::string *error);

// The kill delay for trial `seed`: uniform in [0, max_delay_us], but one trial in ten dies in
// the first 20 ms (opening, schema, the first operations).
int64_t kill_delay_us(uint64_t seed, int64_t max_delay_us);

struct ChildRun {
    std::vector<json> acks;             // every complete line the child wrote, in order
    std::vector<std::string> failures;  // of the harness: a garbled line, a hang, an early exit
};

// Forks a child that runs `child(ack_fd)` (which must never return), reads its lines until
// `delay_us` has passed (or, when kill_after_ack >= 0, until that many lines arrived), or a
// "done" or "fatal" line comes; then SIGKILLs and reaps it and reads the lines it wrote before
// it died. A partial last line was never acknowledged and is dropped.
ChildRun run_child(const std::function<void(int ack_fd)> &child, int64_t delay_us,
                   int64_t kill_after_ack);

// Copies the database files as the kill left them into <dir>/killed (for --keep), before the
// parent's reopen changes them.
void keep_killed_files(const std::string &dir, const std::string &db);

}  // namespace crash
