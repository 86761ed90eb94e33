// What the crash-trial child and parent share: engine options, C API calls that return parsed
// JSON, conversation fingerprints, RFC 3339 times, and the lifecycle table read from
// convo_describe(). Everything here talks to the engine only through <convo/convo.h>.
#pragma once

#include <convo/convo.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace crash {

using json = nlohmann::json;

constexpr unsigned kAllScopes =
    CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;

// What a trial found wrong: the first kMaxFailures say what went wrong.
struct Failures {
    static constexpr size_t kMaxFailures = 25;
    std::vector<std::string> failures;  // empty: the trial passed

    void fail(const std::string &what) {
        if (failures.size() < kMaxFailures) failures.push_back(what);
    }
    // Moves every problem in `problems` into the failures, each prefixed with `where`.
    void fail_all(std::vector<std::string> *problems, const std::string &where) {
        for (const std::string &p : *problems) fail(where + p);
        problems->clear();
    }
    // The end of a trial: the harness's own failures go first; a passing trial's directory is
    // removed unless it is to be kept.
    void finish(const std::vector<std::string> &harness_failures, const std::string &dir, bool keep);
};

// The manual clock's start in every trial.
constexpr const char *kStart = "2026-03-01T09:00:00.000Z";

// The two organizations the workload writes to ("a" and "b" in the pipe protocol).
constexpr const char *kOrgA = "org_a";
constexpr const char *kOrgB = "org_b";
inline const char *org_name(const std::string &short_name) {
    return short_name == "a" ? kOrgA : kOrgB;
}

// Engine options for a trial database: durable commits, manual clock, short timers so that
// deadlines pass within a workload.
std::string engine_options(const std::string &path, const std::string &start);
// The wrap-up timeout engine_options() sets: an ended conversation's wrap-up is finalized by the
// engine this long after it ended, unless the host finalizes it first.
constexpr int64_t kWrapUpMs = 240 * 1000;
// How long an inbound WhatsApp message keeps the contact's 24-hour window open.
constexpr int64_t kChatWindowMs = 24 * 3600 * 1000;

// A feed event a timer appended (a status change, a takeover's handback, a wrap-up's
// finalization): its data names the timer.
bool is_timer_event(const json &e);
// A WhatsApp contact, whose window every conversation with it shares: organization, business
// number ("" when none) and user number.
std::string contact_key(const std::string &organization_id, const json &from_number,
                        const std::string &user_id);
// Whether the host event `req`, met by a conversation in `state` (conversation_state() or the
// conversation itself), is allowed but has nothing to do: a close of an ended conversation, a
// handback with no takeover, a finalize without fields of a wrap-up already done.
bool is_noop(const json &req, const json &state, bool terminal);

// The outcome of one C API call.
struct Call {
    convo_code code = CONVO_EINTERNAL;
    json body;          // parsed *out_json (null when there was none)
    std::string error;  // convo_last_error() right after the call
    int http = 0;

    bool ok() const { return code == CONVO_OK; }
};

Call create(convo_session *s, const json &request);
Call get(convo_session *s, const std::string &id);
Call dispatch(convo_session *s, const std::string &id, const json &event);
Call list(convo_session *s, const json &query);
Call events(convo_session *s, uint64_t after, unsigned limit);
Call agent_put(convo_session *s, const json &agent);
Call agent_get(convo_session *s, const std::string &id);

// Every feed event of one organization, oldest first (pages through convo_events).
bool read_feed(convo_session *s, uint64_t after, std::vector<json> *out, std::string *error);
// Every conversation of one organization (pages through convo_list).
bool read_all_conversations(convo_session *s, std::vector<json> *out, std::string *error);

// A client conversation id: a version 4 UUID derived from a seed and a counter.
std::string seeded_uuid(uint64_t seed, uint64_t counter);

// 64-bit FNV-1a of a text, as 16 hex digits.
std::string fingerprint_text(const std::string &text);
// A conversation's fingerprint: every field but those that move with the clock (`duration`, and
// the WhatsApp window, which also moves with the contact's other conversations).
std::string conversation_fingerprint(json conversation);
// What a pipe line reports about a conversation: the fingerprint plus readable fields.
json conversation_state(const json &conversation);

// RFC 3339 "2026-01-02T03:04:05.678Z" <-> Unix milliseconds.
int64_t parse_time(const std::string &text);
std::string format_time(int64_t unix_ms);

// The lifecycle table, read from convo_describe() (never restated here).
struct Lifecycle {
    std::set<std::string> statuses, terminal, channels, event_types;
    // (event, from, channel) -> to
    std::map<std::tuple<std::string, std::string, std::string>, std::string> moves;
    struct TimerInfo {
        std::string end_reason;
        std::string effect;                        // "status" | "handback" | "finalize"
        std::map<std::string, std::string> fires;  // from -> to (effect "status")
    };
    std::map<std::string, TimerInfo> timers;
    std::set<std::string> timer_end_reasons;  // of the timers that move the status
    json initial = json::array();             // rows {channel, direction (null: any), status}

    bool load(convo_engine *engine, std::string *error);
    // Where a new conversation on `channel` in `direction` starts ("?" when no row says).
    std::string initial_status(const json &channel, const json &direction) const;
    bool is_terminal(const std::string &status) const { return terminal.count(status) != 0; }
    // Event types the table allows in `status` on `channel`.
    std::vector<std::string> allowed(const std::string &status, const std::string &channel) const;
};

// Opens the trial database `db_path` as a checker does, the manual clock at `start`: the engine,
// its lifecycle table and a session with every scope in each organization (kOrgA, kOrgB). On
// failure returns false with `error`; *engine is then null or must still be closed.
bool open_for_checks(const std::string &db_path, const std::string &start, convo_engine **engine,
                     Lifecycle *table, convo_session *sessions[2], std::string *error);

}  // namespace crash
