#include "render.h"

#include <algorithm>

namespace convo {
namespace {

const char *const kSensitiveKeys[] = {"agent",          "summary",        "initial_context",
                                      "custom_metadata", "conversation", "recording_details"};

// The contact's WhatsApp window as of `now`: expires_at and the seconds remaining, both null
// for other channels, (null, 0) when closed.
void chat_window(JsonOut &w, const Conversation &c, TimeMs now) {
    w.key("chat_window_expires_at");
    if (c.channel != Channel::whatsapp) {
        w.null().key("chat_window_remaining_seconds").null();
    } else if (!c.chat_window_expires_at || *c.chat_window_expires_at <= now) {
        w.null().key("chat_window_remaining_seconds").num(0);
    } else {
        w.time(*c.chat_window_expires_at)
            .key("chat_window_remaining_seconds")
            .num((*c.chat_window_expires_at - now) / 1000);
    }
}

void message_json(JsonOut &w, const Message &m) {
    w.begin_object().key("role").str(role_name(m.role)).key("text");
    if (m.template_.is_null()) w.str(m.text);
    else w.null();
    w.key("at").time(m.at);
    if (!m.template_.is_null()) w.key("template").json(m.template_);
    w.end_object();
}

}  // namespace

void conversation_json(JsonOut &w, const Conversation &c, const std::vector<Message> &transcript,
                       bool sensitive, TimeMs now) {
    w.begin_object()
        .key("id").str(c.id)
        .key("organization_id").str(c.organization_id)
        .key("direction").str(direction_name(c.direction))
        .key("channel").str(channel_name(c.channel))
        .key("status").str(status_name(c.status))
        .key("user_id").str(c.user_id)
        .key("agent_id").str(c.agent_id)
        .key("agent_version_id").str(c.agent_version_id)
        .key("agent_number").str(c.agent_number)
        .key("web_widget_id").str(c.web_widget_id)
        .key("duration");
    if (c.started_at) {
        const TimeMs end = c.ended_at.value_or(std::max(now, *c.started_at));
        w.num((end - *c.started_at) / 1000);
    } else {
        w.null();
    }
    w.key("user_turn_count").num(c.user_turn_count)
        .key("created_at").time(c.created_at)
        .key("updated_at").time(c.updated_at)
        .key("started_at").time(c.started_at)
        .key("ended_at").time(c.ended_at)
        .key("end_reason").str(c.end_reason)
        .key("idle_timeout_minutes").num(c.idle_timeout_minutes)
        .key("max_open_minutes").num(c.max_open_minutes)
        .key("expires_at").time(c.expires_at())
        .key("to_address").str(c.to_address)
        .key("from_address").str(c.from_address)
        .key("subject").str(c.subject)
        .key("tags").json(c.tags)
        .key("topic").str(c.topic)
        .key("actions_needed").json(c.actions_needed)
        .key("transferred_to").str(c.transferred_to)
        .key("from_number").str(c.from_number)
        .key("human_takeover").boolean(c.human_takeover)
        .key("human_takeover_until").time(c.deadlines[static_cast<int>(Timer::takeover)])
        .key("wrap_up");
    if (c.wrap_up == WrapUp::none) w.null();
    else w.str(wrap_up_name(c.wrap_up));
    chat_window(w, c, now);
    if (sensitive) {
        w.key("agent");
        if (c.agent_id || c.agent_name) {
            w.begin_object().key("id").str(c.agent_id).key("name").str(c.agent_name).end_object();
        } else {
            w.null();
        }
        w.key("summary").str(c.summary)
            .key("initial_context").str(c.initial_context)
            .key("custom_metadata").json(c.custom_metadata)
            .key("conversation").begin_object().key("messages").begin_array();
        for (const Message &m : transcript) message_json(w, m);
        w.end_array().end_object().key("recording_details").json(c.recording_details);
    }
    w.end_object();
}

void event_json(JsonOut &w, const FeedEvent &e, bool sensitive) {
    w.begin_object()
        .key("seq").unsigned_num(e.seq)
        .key("conversation_id").str(e.conversation_id)
        .key("organization_id").str(e.organization_id)
        .key("type").str(feed_type_name(e.type))
        .key("from");
    if (e.from) w.str(status_name(*e.from));
    else w.null();
    w.key("to");
    if (e.to) w.str(status_name(*e.to));
    else w.null();
    w.key("reason").str(e.reason).key("at").time(e.at).key("data");
    const bool hide_text = e.type == FeedType::message;
    const bool hide_notes = e.type == FeedType::annotated || e.type == FeedType::finalized;
    if (sensitive || (!hide_text && !hide_notes)) {
        w.json(e.data);
    } else {
        Json data = e.data;
        if (hide_text) {
            data.erase("text");
            data.erase("template");
        } else {
            data.erase("summary");
            data.erase("recording_details");
        }
        w.json(data);
    }
    w.end_object();
}

Json redact_response(Json body, bool sensitive) {
    if (!sensitive && body.contains("conversation")) {
        for (const char *key : kSensitiveKeys) body["conversation"].erase(key);
    }
    return body;
}

}  // namespace convo
