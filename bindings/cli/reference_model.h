// The simulation's reference model of the conversation lifecycle: a second, deliberately
// independent statement of the contract in docs/c-api.md and the core-engine issue's tables,
// written without convo_describe() or the engine's sources. `convo simulate` predicts every
// operation with it and stops at the first call where the engine answers differently.
//
// It is plain data and arithmetic: no engine, no clock, no I/O. Times are Unix ms.
#pragma once

#include <convo/convo.h>

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace convo_cli::sim {

using nlohmann::json;

enum class Channel { telephone, webrtc, email, text };
enum class Status {
    triggered,
    ringing,
    token_created,
    in_progress,
    completed,
    failed,
    cancelled,
    transferred,
    unanswered
};
// In the documented tie order: when two deadlines of a conversation fall on the same
// millisecond, the lower one fires.
enum class Timer { idle, max_open, ring, dial, join };
constexpr std::size_t kTimers = 5;

const char *name(Channel c);
const char *name(Status s);
const char *name(Timer t);
bool terminal(Status s);

// The engine options the model's timers are timed against.
struct ModelOptions {
    int64_t ring_ms = 60'000;
    int64_t dial_ms = 300'000;
    int64_t token_ms = 600'000;
    int64_t platform_max_open_minutes = 1440;
};

// What the model knows of an organization's agents (from the agent_put requests).
struct AgentVersion {
    int version = 1;
    bool published = false;
    std::optional<std::string> greeting;
    bool speaks_first = true;
    std::string id;  // the agent_version_id the engine gave it
};
struct Agent {
    std::string id;
    std::optional<std::string> phone_number;
    std::vector<AgentVersion> versions;
};

// One conversation as the model believes it stands.
struct Conversation {
    uint64_t key = 0;  // the simulation's handle: creation order
    std::string id;
    int org = 0;
    std::string organization_id;
    Channel channel = Channel::text;
    bool inbound = false;
    Status status = Status::triggered;
    std::optional<std::string> end_reason;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    std::optional<int64_t> started_at;
    std::optional<int64_t> ended_at;
    std::optional<int64_t> idle_minutes;
    int64_t max_open_minutes = 0;
    std::array<std::optional<int64_t>, kTimers> deadline{};
    int64_t user_turns = 0;
    int64_t messages = 0;
    json last_message;  // {"role","text","at"} or null
    json transferred_to;
    json summary, topic, recording_details;
    json tags = json::array(), actions_needed = json::array();
    std::unordered_set<std::string> event_ids;  // of accepted events
    std::optional<std::string> client_id;
    std::string create_response;  // returned again for a repeated client id
    int http_status = 0;

    // The earliest pending deadline and its timer (ties: the table order).
    std::optional<std::pair<int64_t, Timer>> next_deadline() const;
};

// What an operation should do: its code, the detail when that is predictable, and the feed
// events it appends (without "seq", which the checker numbers), in order.
struct Prediction {
    convo_code code = CONVO_OK;
    std::optional<std::string> detail;
    std::vector<json> events;
};

// A create the model accepts: everything but the id, which the engine draws (seeded).
struct CreatePlan {
    Prediction prediction;
    int org = 0;
    Channel channel = Channel::text;
    bool inbound = false;
    Status initial = Status::in_progress;
    std::optional<std::string> client_id;
    std::optional<std::string> starting_message;  // text: the greeting when the agent speaks first
    std::optional<int64_t> idle_minutes;
    int64_t max_open_minutes = 0;
    bool repeat = false;  // a repeated client id: the stored response, nothing else
    uint64_t repeat_of = 0;
};

// A timer the model fires in a tick.
struct Fired {
    uint64_t key = 0;
    json event;
};

// Which parts of the lifecycle a run exercised (the model's side; the engine agreed).
struct Coverage {
    std::set<std::tuple<std::string, int, int>> accepted;  // (event, status, channel)
    std::set<std::pair<std::string, int>> refused;         // (event, status): ECONFLICT
    std::set<std::pair<int, int>> timers;                  // (timer, status it fired in)
    uint64_t event_on_deadline = 0;  // an event at the very millisecond of a deadline
    uint64_t timer_ties = 0;         // two deadlines of a conversation on one millisecond

    // What there is to exercise: allowed rows for the (status, channel) pairs that occur,
    // forbidden (event, status) cells, and (timer, status) pairs.
    static std::size_t accepted_total();
    static std::size_t refused_total();
    static std::size_t timers_total();
};

class ReferenceModel {
public:
    explicit ReferenceModel(ModelOptions options) : options_(options) {}

    void put_agent(int org, Agent agent);

    // Create: plan (code, initial state) then, if the engine agreed, commit with its id.
    CreatePlan plan_create(int org, const std::string &organization_id, const json &request,
                           int64_t now) const;
    const Conversation &commit_create(const CreatePlan &plan, uint64_t key, const std::string &id,
                                      const std::string &organization_id,
                                      const std::string &response, int http_status, int64_t now,
                                      std::vector<json> &events);

    // Dispatch `event` as organization `org` to conversation `key` (nullopt: an id the engine
    // has never seen). Applies the predicted effects to the model.
    Prediction dispatch(int org, std::optional<uint64_t> key, const json &event, int64_t now);

    // Every timer due at `now`, in deadline order, each at its own deadline.
    std::vector<Fired> tick(int64_t now);

    std::optional<int64_t> next_deadline() const;
    const Conversation *find(uint64_t key) const;
    std::optional<uint64_t> key_of(const std::string &id) const;
    std::size_t live() const { return conversations_.size(); }
    const std::unordered_map<uint64_t, Conversation> &conversations() const {
        return conversations_;
    }
    // Forgets a conversation (it has been verified and will see no more operations).
    void retire(uint64_t key);

    const Coverage &coverage() const { return coverage_; }

    // The conversation as convo_get should show it at `now`: the fields the model tracks.
    static json view(const Conversation &c, int64_t now);

private:
    // Fires c's deadlines that are due at `time` (at most one: every timer closes).
    void fire_due(Conversation &c, int64_t time, std::vector<json> &events);
    void fire(Conversation &c, Timer t, int64_t at, std::vector<json> &events);
    void change_status(Conversation &c, Status to, int64_t at, const std::string &reason,
                       const json &data, std::vector<json> &events);
    void set_deadline(Conversation &c, Timer t, std::optional<int64_t> at);
    void arm_for_status(Conversation &c, Status before, int64_t at);
    json feed_event(const Conversation &c, const char *type, json from, json to, json reason,
                    int64_t at, json data) const;

    ModelOptions options_;
    Coverage coverage_;
    std::map<int, std::vector<Agent>> agents_;
    std::unordered_map<uint64_t, Conversation> conversations_;
    std::unordered_map<std::string, uint64_t> by_id_;
    std::unordered_map<std::string, uint64_t> by_client_id_;  // across organizations
    // Every pending deadline: (time, timer, key). Timer order breaks ties within a
    // conversation; across conversations the engine's order is not specified.
    std::set<std::tuple<int64_t, int, uint64_t>> timers_;
};

// Validates an event against the docs' events table: nullopt if valid, else the reason.
std::optional<std::string> invalid_event(const json &event);

}  // namespace convo_cli::sim
