// Parsing and validating what hosts send: engine options, agents, create requests, events and
// list queries. Every rule lives here; a failure is CONVO_EINVALID naming the field and the rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent.h"
#include "lifecycle.h"
#include "outcome.h"

namespace convo {

// Bounds on what hosts send, so hostile input gets a clear EINVALID and memory stays bounded.
struct Limits {
    int64_t max_request_bytes = 1 << 20;    // a whole JSON request, event, agent or query
    int64_t max_message_bytes = 64 << 10;   // free text: message text, contexts, summaries
    int64_t max_metadata_bytes = 64 << 10;  // a JSON object field, serialized
};
// Identifiers (user_id, agent ids, numbers, addresses, tags, event ids): at most this many bytes.
constexpr size_t kMaxIdentifierBytes = 256;
// The database path option: at most this many bytes.
constexpr size_t kMaxPathBytes = 4096;
// Arrays of strings (tags, actions_needed): at most this many items.
constexpr size_t kMaxArrayItems = 1000;

struct Options {
    std::string path = "convo.db";
    bool manual_clock = false;
    std::optional<TimeMs> start;
    bool synchronous_full = true;
    Policy policy;
    std::string webrtc_url = "wss://localhost/rtc";
    std::optional<int64_t> max_open_per_organization;
    bool timer_thread = false;
    std::string log_level = "warn";
    std::optional<uint64_t> seed;  // reproducible ids and tokens (simulations, tests)
    Limits limits;
};
Outcome parse_options(const char *text, Options *out);

// Agent input. Version ids given by the host are kept in AgentVersion::id for the engine to
// check against the stored ones.
Outcome parse_agent(std::string_view text, const Limits &limits, Agent *out);

// The AnyReach create request.
struct CreateRequest {
    Channel channel = Channel::text;
    Direction direction = Direction::outbound;
    std::string user_id;
    std::optional<std::string> agent_id, agent_version_id, agent_number;
    std::optional<int> version;  // with agent_id; nullopt = latest
    std::optional<AgentVersion> agent_config;
    std::optional<std::string> agent_config_name;
    std::optional<std::string> to_address, from_address, subject, initial_context, web_widget_id;
    std::optional<std::string> from_number;  // sms, whatsapp
    std::vector<Message> seed_messages;      // role and text; stored before the greeting
    Json tags = Json::array();
    Json template_ = nullptr;                // whatsapp: message {type: template, template}
    Json custom_metadata = nullptr;
    std::optional<std::string> id;
    std::optional<int> idle_timeout_minutes, max_open_minutes;
};
Outcome parse_create(std::string_view text, const Limits &limits, CreateRequest *out);

Outcome parse_event(std::string_view text, const Limits &limits, Event *out);

struct ListQuery {
    std::vector<Status> statuses;  // empty: any
    std::optional<Channel> channel;
    std::optional<Direction> direction;
    std::optional<std::string> agent_id, agent_version_id, user_id, agent_number;
    std::vector<std::pair<std::string, std::string>> metadata;  // key, canonical JSON value
    std::optional<TimeMs> created_after, created_before;
    int limit = 20;
    std::optional<std::pair<TimeMs, int64_t>> cursor;  // (created_at, rowid) of the last item seen
};
Outcome parse_list_query(const char *text, const Limits &limits, ListQuery *out);
std::string encode_cursor(TimeMs created_at, int64_t rowid);

// Parses `text` (at most `max_bytes`) as a JSON object; `what` names it in errors ("request", ...).
Outcome parse_object(std::string_view text, const char *what, int64_t max_bytes, Json *out);

// Canonical JSON text of a value (object keys sorted), for equality on stored metadata.
std::string canonical_json(const Json &j);

}  // namespace convo
