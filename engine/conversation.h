// The conversation model the lifecycle core works on, and the feed events it produces.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lifecycle_table.h"
#include "time_format.h"

namespace convo {

using Json = nlohmann::ordered_json;

enum class Role : uint8_t { user, agent, human };
std::string_view role_name(Role r);
std::optional<Role> role_from_name(std::string_view s);

struct Message {
    Role role = Role::user;
    std::string text;
    TimeMs at = 0;
    Json template_ = nullptr;  // a WhatsApp template message (then text is empty): {name, variables?}
};

// After a conversation ends, the host's wrap-up (summary, topic, ...) is pending until it
// sends finalize or the wrap-up timer fires.
enum class WrapUp : uint8_t { none, pending, done };
std::string_view wrap_up_name(WrapUp w);
std::optional<WrapUp> wrap_up_from_name(std::string_view s);

// How long an inbound user message keeps the WhatsApp customer-service window open.
constexpr TimeMs kChatWindowMs = 24 * 60 * 60 * 1000;

struct Conversation {
    int64_t rowid = 0;  // the store's row number (0 until inserted); orders and pages lists
    std::string id;
    std::string organization_id;
    Channel channel = Channel::text;
    Direction direction = Direction::outbound;
    Status status = Status::triggered;
    std::string user_id;
    std::optional<std::string> agent_id, agent_version_id, agent_name, agent_number, web_widget_id;
    std::optional<std::string> to_address, from_address, subject, initial_context;
    std::optional<std::string> from_number;  // sms, whatsapp: the business number
    std::optional<std::string> summary, topic, end_reason, transferred_to;
    Json custom_metadata = nullptr;    // null or object
    Json recording_details = nullptr;  // null or object
    Json tags = Json::array();
    Json actions_needed = Json::array();
    TimeMs created_at = 0, updated_at = 0;
    std::optional<TimeMs> started_at, ended_at;
    std::optional<int> idle_timeout_minutes;
    int max_open_minutes = 0;
    int64_t user_turn_count = 0;
    int64_t message_count = 0;
    std::array<std::optional<TimeMs>, kTimerCount> deadlines{};
    bool human_takeover = false;
    int takeover_minutes = 0;  // of the last takeover event
    WrapUp wrap_up = WrapUp::none;
    // whatsapp: when the contact's 24-hour window closes (it belongs to the contact, organization
    // + business number + user number; the store reads and writes it with the conversation).
    std::optional<TimeMs> chat_window_expires_at;

    // The earliest armed deadline and its timer (what convo_tick fires next).
    std::optional<std::pair<TimeMs, Timer>> next_timer() const;
    // The earliest deadline of a timer that closes the conversation (expires_at).
    std::optional<TimeMs> expires_at() const;
};

enum class FeedType : uint8_t { created, status_changed, message, annotated, takeover, handback, finalized };
constexpr int kFeedTypeCount = 7;
std::string_view feed_type_name(FeedType t);
std::optional<FeedType> feed_type_from_name(std::string_view s);

struct FeedEvent {
    uint64_t seq = 0;  // assigned by the store at commit
    std::string conversation_id;
    std::string organization_id;
    FeedType type = FeedType::created;
    std::optional<Status> from, to;
    std::optional<std::string> reason;
    TimeMs at = 0;
    Json data = Json::object();
};

}  // namespace convo
