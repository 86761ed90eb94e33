#include "render.h"

namespace convo {
namespace {

const char *const kSensitiveKeys[] = {"agent",          "summary",        "initial_context",
                                      "custom_metadata", "conversation", "recording_details"};

Json opt(const std::optional<std::string> &s) { return s ? Json(*s) : Json(nullptr); }
Json opt_time(const std::optional<TimeMs> &t) { return t ? Json(format_time(*t)) : Json(nullptr); }

// The contact's WhatsApp window as of `now`: (expires_at, remaining seconds), both null for
// other channels, (null, 0) when closed.
std::pair<Json, Json> chat_window(const Conversation &c, TimeMs now) {
    if (c.channel != Channel::whatsapp) return {nullptr, nullptr};
    if (!c.chat_window_expires_at || *c.chat_window_expires_at <= now) return {nullptr, 0};
    return {format_time(*c.chat_window_expires_at), (*c.chat_window_expires_at - now) / 1000};
}

Json message_json(const Message &m) {
    Json j{{"role", role_name(m.role)},
           {"text", m.template_.is_null() ? Json(m.text) : Json(nullptr)},
           {"at", format_time(m.at)}};
    if (!m.template_.is_null()) j["template"] = m.template_;
    return j;
}

}  // namespace

Json conversation_json(const Conversation &c, const std::vector<Message> &transcript,
                       bool sensitive, TimeMs now) {
    Json duration = nullptr;
    if (c.started_at) {
        TimeMs end = c.ended_at.value_or(std::max(now, *c.started_at));
        duration = (end - *c.started_at) / 1000;
    }
    Json j{{"id", c.id},
           {"organization_id", c.organization_id},
           {"direction", direction_name(c.direction)},
           {"channel", channel_name(c.channel)},
           {"status", status_name(c.status)},
           {"user_id", c.user_id},
           {"agent_id", opt(c.agent_id)},
           {"agent_version_id", opt(c.agent_version_id)},
           {"agent_number", opt(c.agent_number)},
           {"web_widget_id", opt(c.web_widget_id)},
           {"duration", duration},
           {"user_turn_count", c.user_turn_count},
           {"created_at", format_time(c.created_at)},
           {"updated_at", format_time(c.updated_at)},
           {"started_at", opt_time(c.started_at)},
           {"ended_at", opt_time(c.ended_at)},
           {"end_reason", opt(c.end_reason)},
           {"idle_timeout_minutes", c.idle_timeout_minutes ? Json(*c.idle_timeout_minutes) : Json(nullptr)},
           {"max_open_minutes", c.max_open_minutes},
           {"expires_at", opt_time(c.expires_at())},
           {"to_address", opt(c.to_address)},
           {"from_address", opt(c.from_address)},
           {"subject", opt(c.subject)},
           {"tags", c.tags},
           {"topic", opt(c.topic)},
           {"actions_needed", c.actions_needed},
           {"transferred_to", opt(c.transferred_to)},
           {"from_number", opt(c.from_number)},
           {"human_takeover", c.human_takeover},
           {"human_takeover_until", opt_time(c.deadlines[static_cast<int>(Timer::takeover)])},
           {"wrap_up", c.wrap_up == WrapUp::none ? Json(nullptr) : Json(wrap_up_name(c.wrap_up))}};
    auto [window_expires, window_remaining] = chat_window(c, now);
    j["chat_window_expires_at"] = std::move(window_expires);
    j["chat_window_remaining_seconds"] = std::move(window_remaining);
    if (sensitive) {
        Json messages = Json::array();
        for (const Message &m : transcript) messages.push_back(message_json(m));
        j["agent"] = c.agent_id || c.agent_name
                         ? Json{{"id", opt(c.agent_id)}, {"name", opt(c.agent_name)}}
                         : Json(nullptr);
        j["summary"] = opt(c.summary);
        j["initial_context"] = opt(c.initial_context);
        j["custom_metadata"] = c.custom_metadata;
        j["conversation"] = Json{{"messages", std::move(messages)}};
        j["recording_details"] = c.recording_details;
    }
    return j;
}

Json event_json(const FeedEvent &e, bool sensitive) {
    Json data = e.data;
    if (!sensitive) {
        if (e.type == FeedType::message) {
            data.erase("text");
            data.erase("template");
        }
        if (e.type == FeedType::annotated || e.type == FeedType::finalized) {
            data.erase("summary");
            data.erase("recording_details");
        }
    }
    return Json{{"seq", e.seq},
                {"conversation_id", e.conversation_id},
                {"organization_id", e.organization_id},
                {"type", feed_type_name(e.type)},
                {"from", e.from ? Json(status_name(*e.from)) : Json(nullptr)},
                {"to", e.to ? Json(status_name(*e.to)) : Json(nullptr)},
                {"reason", opt(e.reason)},
                {"at", format_time(e.at)},
                {"data", std::move(data)}};
}

Json redact_response(Json body, bool sensitive) {
    if (!sensitive && body.contains("conversation")) {
        for (const char *key : kSensitiveKeys) body["conversation"].erase(key);
    }
    return body;
}

}  // namespace convo
