// The fixed workload the fault trials run through the C API, and a runner that executes its
// steps against one database file and reads back the whole observable state.
#pragma once

#include <convo/convo.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace faults {

using json = nlohmann::json;

// 2026-01-01T00:00:00.000Z, the manual clock's start.
constexpr int64_t kWorkloadStartMs = 1767225600000;

enum class StepKind {
    open,   // convo_engine_open (+ the sessions, which do no I/O)
    close,  // convo_engine_close: returns nothing, may checkpoint the WAL
    agent_put,
    create,
    dispatch,
    set_clock,  // moves the manual clock; never touches the database
    tick,
    list,
    events,
    next_deadline,
};

struct Step {
    std::string label;  // "create text U1": names the step in reports
    StepKind kind = StepKind::open;
    std::string org;       // the session's organization
    json body;             // agent, create request, event, list query; events: {"after","limit"}
    std::string id;        // dispatch: the conversation
    int64_t clock_ms = 0;  // set_clock: the new absolute time
};

// The workload: open, agents on two organizations, a create on every channel, messages,
// status changes and closes, idempotent repeats, a refused event, a close and reopen, ticks
// with due timers, list, events and next_deadline, close.
const std::vector<Step> &workload();

// Whether a step writes (its failure must leave the state untouched) or only reads.
bool writes(StepKind kind);

// Whether repeating the step after it took effect must be a no-op: a create with a client
// `id` or a dispatch with an `event_id`.
bool has_idempotency_key(const Step &step);

// What one step returned: its code, convo_last_error(), and its output, normalized so two runs
// compare equal (agent version ids and webrtc tokens replaced by stable names).
struct StepResult {
    convo_code code = CONVO_OK;
    std::string error;
    std::string out;
};

// Drives one database through the C API.
class Runner {
public:
    // `dir` holds the database (dir + "/convo.db"); the manual clock starts at `clock_ms`, by
    // default the workload's start, and each open starts it where the last run left it.
    explicit Runner(std::string dir, int64_t clock_ms = kWorkloadStartMs);
    ~Runner();
    Runner(const Runner &) = delete;
    Runner &operator=(const Runner &) = delete;

    StepResult run(const Step &step);
    bool is_open() const { return engine_ != nullptr; }
    int64_t clock_ms() const { return clock_ms_; }
    void close();
    const std::string &path() const { return path_; }

    // The whole observable state: per organization the feed, the list, every workload
    // conversation (transcript included) and the agents; next_deadline. Normalized as step
    // results are. Returns false with *error set when a read fails.
    bool snapshot(json *out, std::string *error);

    // Whether the subscriber registered at open received exactly the feed events committed
    // since, once each and in order: problems found in `snap` (a snapshot of this engine).
    std::vector<std::string> check_deliveries(const json &snap) const;

    // Calls a host may make next, each with what it returned: five reads (events, get, list,
    // agent get, next_deadline, on org_a) and two writes (`write` again, then a tick). Used on
    // an engine that must refuse everything.
    std::vector<std::pair<std::string, StepResult>> probe_calls(const Step &write);

private:
    std::string normalize(json j);
    void learn_agent(const json &agent);

    std::string path_;
    int64_t clock_ms_;
    convo_engine *engine_ = nullptr;
    std::map<std::string, convo_session *> sessions_;
    std::map<std::string, std::string> aliases_;  // agent version id → "<agent_abc/v1>"
    uint64_t seq_at_open_ = 0;                    // the feed's last seq when this engine opened
    std::vector<std::string> delivered_;          // events the subscriber got since, as JSON
};

// Consistency of a snapshot on its own: the feed is gapless (seq 1..n over all organizations,
// ascending within each) and every conversation's status is where its feed events leave it.
// Returns the problems found (empty: consistent).
std::vector<std::string> check_consistency(const json &snapshot);

// A short description of how two snapshots differ (the first differing paths).
std::string describe_difference(const json &expected, const json &actual);

// Copies the database files (db, -wal, -journal) as a killed process would leave them.
void copy_database_files(const std::string &from_path, const std::string &to_path);

std::string make_temp_dir(const std::string &tag);
void remove_dir(const std::string &dir);

}  // namespace faults
