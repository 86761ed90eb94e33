// The simulation's reference model of the conversation lifecycle: a second, deliberately
// independent statement of the contract in docs/c-api.md and the core-engine and seeds
// issues' tables (channels sms and whatsapp, the WhatsApp window, takeover, close, wrap-up),
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

enum class Channel { telephone, webrtc, email, text, sms, whatsapp };
constexpr std::size_t kChannels = 6;
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
// millisecond, the lower one fires. The first five close the conversation; takeover and
// wrap_up end a phase (a human's takeover, the host's wrap-up) and leave the status alone.
enum class Timer { idle, max_open, ring, dial, join, takeover, wrap_up };
constexpr std::size_t kTimers = 7;
constexpr std::size_t kClosingTimers = 5;
// The host's wrap-up of an ended conversation: none while open.
enum class WrapUp { none, pending, done };

const char *name(Channel c);
const char *name(Status s);
const char *name(Timer t);
bool terminal(Status s);
std::optional<Channel> channel_named(const std::string &s);
std::optional<Status> status_named(const std::string &s);
std::optional<Timer> timer_named(const std::string &s);
// Whether a conversation on `channel` can ever be in `status` (text, sms and whatsapp start
// in_progress; inbound calls start ringing; only webrtc has a token).
bool reachable(Status status, Channel channel);

// The engine options the model's timers are timed against.
struct ModelOptions {
    int64_t ring_ms = 60'000;
    int64_t dial_ms = 300'000;
    int64_t token_ms = 600'000;
    int64_t platform_max_open_minutes = 1440;
    int64_t wrap_up_ms = 300'000;
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

// A WhatsApp contact: organization, business number ("" when none), user number.
using Contact = std::tuple<std::string, std::string, std::string>;

// One conversation as the model believes it stands.
struct Conversation {
    uint64_t key = 0;  // the simulation's handle: creation order
    std::string id;
    int org = 0;
    std::string organization_id;
    Channel channel = Channel::text;
    bool inbound = false;
    std::string user_id;
    std::optional<std::string> from_number;  // sms, whatsapp: the business number
    Status status = Status::triggered;
    std::optional<std::string> end_reason;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    std::optional<int64_t> started_at;
    std::optional<int64_t> ended_at;
    std::optional<int64_t> idle_minutes;
    int64_t max_open_minutes = 0;
    std::array<std::optional<int64_t>, kTimers> deadline{};
    bool human_takeover = false;
    int64_t takeover_minutes = 0;  // of the last takeover
    WrapUp wrap_up = WrapUp::none;
    int64_t user_turns = 0;
    int64_t messages = 0;
    json last_message;  // {"role","text","at"[,"template"]} or null
    json transferred_to;
    json summary, topic, recording_details;
    json tags = json::array(), actions_needed = json::array();
    std::unordered_set<std::string> event_ids;  // of accepted events
    std::optional<std::string> client_id;
    std::string create_response;  // returned again for a repeated client id
    int http_status = 0;

    // The earliest pending deadline and its timer (ties: the table order); `closing`: only
    // the timers that close (what expires_at shows).
    std::optional<std::pair<int64_t, Timer>> next_deadline(bool closing = false) const;
    Contact contact() const { return {organization_id, from_number.value_or(""), user_id}; }
};

// What an operation should do: its code, the detail when that is predictable (exactly, or
// only the field it names), and the feed events it appends (without "seq"), in order.
struct Prediction {
    convo_code code = CONVO_OK;
    std::optional<std::string> detail;
    std::optional<std::string> detail_field;  // the detail starts with "<field>: "
    std::vector<json> events;
};

// A create the model accepts: everything but the id, which the engine draws (seeded).
struct CreatePlan {
    Prediction prediction;
    int org = 0;
    Channel channel = Channel::text;
    bool inbound = false;
    std::string user_id;
    std::optional<std::string> from_number;
    Status initial = Status::in_progress;
    std::optional<std::string> client_id;
    std::vector<json>
        opening;            // seed messages, then the template or greeting: {role, text|template}
    std::size_t seeds = 0;  // how many of them are seed messages
    std::optional<std::string> starting_message;  // chat channels: the greeting, if it speaks first
    json tags = json::array();
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

// Which parts of the lifecycle a run exercised (the model's side; the engine agreed). The
// totals to compare with come from convo_describe() (simulate.cpp).
struct Coverage {
    std::set<std::tuple<std::string, int, int>> accepted;  // (event, status, channel)
    std::set<std::pair<std::string, int>> refused;         // (event, status): ECONFLICT
    std::set<std::pair<int, int>> timers;                  // (timer, status it fired in)
    uint64_t event_on_deadline = 0;         // an event at the very millisecond of a deadline
    uint64_t timer_ties = 0;                // two deadlines of a conversation on one millisecond
    std::map<std::string, uint64_t> rules;  // the rules besides the table, by outcome
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
    // The WhatsApp contacts the model remembers (bounded: see retire()).
    std::size_t contacts() const { return windows_.size(); }

    const Coverage &coverage() const { return coverage_; }

    // The conversation as convo_get should show it at `now`: the fields the model tracks.
    json view(const Conversation &c, int64_t now) const;

private:
    // Fires c's deadlines that are due at `time`, each at its own time, in order.
    void fire_due(Conversation &c, int64_t time, std::vector<json> &events);
    void fire(Conversation &c, Timer t, int64_t at, std::vector<json> &events);
    void change_status(Conversation &c, Status to, int64_t at, const std::string &reason,
                       const json &data, std::vector<json> &events);
    void set_deadline(Conversation &c, Timer t, std::optional<int64_t> at);
    void arm_for_status(Conversation &c, int64_t at);
    int64_t length(const Conversation &c, Timer t) const;
    // The rules besides the table (takeover, the WhatsApp window, templates): true if they
    // refuse the event (p says how).
    bool refused_by_rules(const Conversation &c, const json &event, int64_t time, Prediction &p);
    // The event's own effects once allowed (status, transcript, fields, phases).
    void apply(Conversation &c, const json &event, std::optional<Status> to, int64_t time,
               std::vector<json> &events);
    void append_message(Conversation &c, const json &message, int64_t at,
                        std::vector<json> &events);
    std::optional<int64_t> window(const Conversation &c) const;
    void prune_windows();
    void count(const std::string &rule) const { ++coverage_.rules[rule]; }
    json feed_event(const Conversation &c, const char *type, json from, json to, json reason,
                    int64_t at, json data) const;

    ModelOptions options_;
    mutable Coverage coverage_;  // statistics: plan_create counts its refusals too
    std::map<int, std::vector<Agent>> agents_;
    std::unordered_map<uint64_t, Conversation> conversations_;
    std::unordered_map<std::string, uint64_t> by_id_;
    std::unordered_map<std::string, uint64_t> by_client_id_;  // across organizations
    // Every pending deadline: (time, timer, key). Timer order breaks ties within a
    // conversation; across conversations the engine's order is not specified.
    std::set<std::tuple<int64_t, int, uint64_t>> timers_;
    // WhatsApp windows: when each contact's closes (they outlive conversations).
    std::map<Contact, int64_t> windows_;
    uint64_t retired_ = 0;
};

// Validates an event against the docs' events table: nullopt if valid, else the reason.
std::optional<std::string> invalid_event(const json &event);

}  // namespace convo_cli::sim
