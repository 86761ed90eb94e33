// Fault trials: the workload once without faults (the golden run), then once per fault point
// with the k-th call of one kind failing, checked step by step against the golden run.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fault_vfs.h"
#include "workload.h"

namespace faults {

// What the shim does at the fault point.
struct FaultKind {
    const char *name;  // "write", "full", ...
    fault_op op;
    int sqlite_code;  // what the failing call returns
};

// read, write, full (a write that returns SQLITE_FULL after writing half), sync, truncate,
// filesize, lock, unlock, open, delete, access.
const std::vector<FaultKind> &fault_kinds();
const FaultKind *find_fault_kind(const std::string &name);

using OpCounts = std::array<uint64_t, FAULT_OP_COUNT>;
OpCounts current_counts();

// The fault-free run: what each step returned and the state after it.
struct Golden {
    std::vector<StepResult> results;
    json before;               // the state before step 0: an empty database
    std::vector<json> states;  // states[i]: after step i (a closed engine keeps the last state)
    OpCounts counts{};         // I/O calls of the whole workload, by kind
    std::array<std::array<uint64_t, FAULT_FILE_COUNT>, FAULT_OP_COUNT> by_file{};  // ...and file
    std::vector<OpCounts> counts_after;  // cumulative counts after each step
    std::vector<std::string> problems;   // anything wrong with the golden run itself
    const json &state_before(size_t step) const { return step == 0 ? before : states[step - 1]; }
};
Golden record_golden();

struct TrialOptions {
    bool persistent = false;           // every call of the kind fails from the k-th on
    bool reopen_before_retry = false;  // close and reopen after the failure, then retry
    // With persistent: the disk stays broken through the engine's close (whose checkpoint
    // then fails too) and is fixed before the reopen; implies reopen_before_retry.
    bool close_while_failing = false;
    bool crash_image = true;  // also open a copy of the files taken right after the failure
    // Runs right after the failing call returns (before any check): lets a test play an engine
    // that changed something despite failing, to show the checks notice.
    std::function<void(Runner &)> after_failure;
    // Runs right after the reopen that follows a failure whose message says to reopen, before
    // the reopened state is checked: lets a test play an engine that reopens half-applied.
    std::function<void(Runner &)> after_reopen;
};

struct Trial {
    std::string kind;
    uint64_t k = 0;
    std::string mode;       // "transient", "persistent", "reopen", "broken_close"
    bool injected = false;  // the fault fired
    int step = -1;          // the step during which it fired
    std::string step_label;
    fault_file file = FAULT_FILE_MAIN_DB;
    convo_code code = CONVO_OK;  // what that step returned
    std::string error;           // and convo_last_error()
    std::string outcome;         // the class of what happened (see run_trial)
    // The failed call said to close and reopen the engine (its COMMIT failed): the trial then
    // checks that every later call is refused, reopens, and finds the state before the call
    // ("old") or the fault-free state after it ("new").
    bool reopen_path = false;
    std::string reopened_to;            // "old", "new", or "" (neither, or not the reopen path)
    std::string crash_image_to;         // likewise for the copy of the files taken at the failure
    std::vector<std::string> failures;  // broken rules: findings
    std::vector<std::string> crash_image_failures;  // the copy taken at the failure differs
    bool ok() const { return failures.empty() && crash_image_failures.empty(); }
};

Trial run_trial(const Golden &golden, const FaultKind &kind, uint64_t k,
                const TrialOptions &options);

// Totals over many trials, for the summary.
struct Tally {
    uint64_t trials = 0, injected = 0, failed = 0, crash_image_failed = 0;
    uint64_t reopen_path = 0, reopened_old = 0, reopened_new = 0;  // see Trial::reopen_path
    uint64_t image_old = 0, image_new = 0;
    std::map<std::string, uint64_t> outcomes;                  // outcome → trials
    std::map<std::string, std::vector<std::string>> findings;  // rule broken → example points
    void add(const Trial &t);
    std::string summary() const;
};

}  // namespace faults
