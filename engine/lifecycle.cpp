#include "lifecycle.h"

#include <algorithm>

namespace convo {
namespace {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;


// Arms the timers the conversation's status calls for, keeps those already running, re-arms
// those `cause` resets, and clears the rest.
void update_timers(Conversation &c, std::optional<EventType> cause, TimeMs at,
                   const Policy &policy) {
    const LifecycleTable &table = lifecycle_table();
    for (int i = 0; i < kTimerCount; ++i) {
        const TimerRule &rule = table.timers[i];
        std::optional<TimeMs> length = timer_length(rule, c, policy);
        std::optional<TimeMs> &deadline = c.deadlines[i];
        if (!length || !rule.armed_in.has(c.status) || !rule.channels.has(c.channel) ||
            !holds(rule.when, c)) {
            deadline.reset();
        } else if (!deadline || (cause && rule.reset_by.has(*cause))) {
            deadline = time_after(at, *length);
        }
    }
}

FeedEvent feed_event(const Conversation &c, FeedType type, TimeMs at) {
    FeedEvent e;
    e.conversation_id = c.id;
    e.organization_id = c.organization_id;
    e.type = type;
    e.at = at;
    return e;
}

// Moves the conversation to `to` at `at`; `reason` is the end reason for a terminal status.
void enter(Step &step, Status to, TimeMs at, const std::string &reason, Json data) {
    Conversation &c = step.next;
    FeedEvent e = feed_event(c, FeedType::status_changed, at);
    e.from = c.status;
    e.to = to;
    e.reason = reason;
    e.data = std::move(data);
    c.status = to;
    if (to == Status::in_progress && !c.started_at) c.started_at = at;
    if (is_terminal(to)) {
        c.ended_at = at;
        c.end_reason = reason;
        c.human_takeover = false;
        c.wrap_up = WrapUp::pending;
    }
    step.events.push_back(std::move(e));
}

void append_message(Step &step, Message m) {
    Conversation &c = step.next;
    FeedEvent e = feed_event(c, FeedType::message, m.at);
    e.data = Json{{"role", role_name(m.role)}};
    if (m.template_.is_null()) {
        e.data["text"] = m.text;
    } else {
        e.data["template"] = m.template_;
    }
    if (m.role == Role::user) ++c.user_turn_count;
    ++c.message_count;
    step.messages.push_back(std::move(m));
    step.events.push_back(std::move(e));
}

// annotate, and finalize: the host's fields, recorded as a feed event of `type`.
void annotate(Step &step, const Event &e, TimeMs at, FeedType type) {
    Conversation &c = step.next;
    FeedEvent fe = feed_event(c, type, at);
    if (e.summary) c.summary = fe.data["summary"] = *e.summary;
    if (e.topic) c.topic = fe.data["topic"] = *e.topic;
    if (e.actions_needed) c.actions_needed = fe.data["actions_needed"] = *e.actions_needed;
    if (e.tags) c.tags = fe.data["tags"] = *e.tags;
    if (e.recording_details) c.recording_details = fe.data["recording_details"] = *e.recording_details;
    step.events.push_back(std::move(fe));
}

// The end reason an event gives when it closes a conversation.
std::string end_reason_of(const Event &e) {
    switch (e.type) {
        case EventType::end: return e.reason.value_or("ended");
        case EventType::fail: return e.reason.value_or("failed");
        case EventType::cancel: return "cancelled";
        case EventType::transfer: return "transferred";
        case EventType::close: return "closed";
        default: return std::string(event_name(e.type));  // no_answer, busy
    }
}

// The rules on messages besides the table's: who may speak while a human has taken over, and
// what the business side may send outside the WhatsApp 24-hour window.
Outcome check_message(const Conversation &c, const Event &e, TimeMs at) {
    if (e.type != EventType::message) return Outcome::ok();
    const bool business = e.role != Role::user;
    if (!e.template_.is_null() && c.channel != Channel::whatsapp) {
        return Outcome::invalid("template: template messages are for channel whatsapp only");
    }
    if (e.role == Role::agent && c.human_takeover) {
        return Outcome::conflict("role: a human has taken over; agent messages are refused until "
                                 "handback or the takeover timer ends it");
    }
    const bool window_open = c.chat_window_expires_at && *c.chat_window_expires_at > at;
    if (business && c.channel == Channel::whatsapp && e.template_.is_null() && !window_open) {
        return Outcome::precondition(
            "text: the WhatsApp 24-hour customer-service window is closed (it opens with each "
            "user message); outside it only a template message may be sent");
    }
    return Outcome::ok();
}

}  // namespace

bool holds(TimerWhen when, const Conversation &c) {
    switch (when) {
        case TimerWhen::always: return true;
        case TimerWhen::taken_over: return c.human_takeover;
        case TimerWhen::wrap_up_pending: return c.wrap_up == WrapUp::pending;
    }
    return false;
}

std::optional<TimeMs> timer_length(const TimerRule &rule, const Conversation &c,
                                   const Policy &policy) {
    switch (rule.length) {
        case TimerLength::idle_minutes:
            if (!c.idle_timeout_minutes) return std::nullopt;
            return *c.idle_timeout_minutes * kMinute;
        case TimerLength::max_open_minutes: return c.max_open_minutes * kMinute;
        case TimerLength::ring_seconds: return policy.ring_timeout_seconds * kSecond;
        case TimerLength::dial_seconds: return policy.dial_timeout_seconds * kSecond;
        case TimerLength::token_ttl_seconds: return policy.token_ttl_seconds * kSecond;
        case TimerLength::takeover_minutes:
            if (c.takeover_minutes <= 0) return std::nullopt;
            return c.takeover_minutes * kMinute;
        case TimerLength::wrap_up_seconds: return policy.wrap_up_timeout_seconds * kSecond;
    }
    return std::nullopt;
}

Step start(Conversation c, const std::vector<Message> &opening, const Policy &policy) {
    Step step;
    c.status = initial_status(c.channel, c.direction);
    c.updated_at = c.created_at;
    if (c.status == Status::in_progress) c.started_at = c.created_at;
    update_timers(c, std::nullopt, c.created_at, policy);
    step.next = std::move(c);
    FeedEvent created = feed_event(step.next, FeedType::created, step.next.created_at);
    created.to = step.next.status;
    created.data = Json{{"channel", channel_name(step.next.channel)},
                        {"direction", direction_name(step.next.direction)}};
    step.events.push_back(std::move(created));
    for (Message m : opening) {
        m.at = step.next.created_at;
        append_message(step, std::move(m));
    }
    return step;
}

TimeMs event_time(const Conversation &c, const Event &e, TimeMs now) {
    TimeMs t = (e.at && *e.at >= c.updated_at && *e.at <= now) ? *e.at : now;
    return std::max(t, c.updated_at);  // a conversation's history never runs backwards
}

Outcome apply(const Conversation &c, const Event &e, const Policy &policy, TimeMs now,
              Step *out) {
    const Transition *row = find_transition(e.type, c.status, c.channel);
    if (row == nullptr) {
        bool status_allows = false;
        const LifecycleTable &table = lifecycle_table();
        for (size_t i = 0; i < table.transition_count; ++i) {
            const Transition &t = table.transitions[i];
            status_allows = status_allows || (t.event == e.type && t.from.has(c.status));
        }
        std::string what = "event '" + std::string(event_name(e.type)) + "' is not allowed in status '" +
                           std::string(status_name(c.status)) + "'";
        if (status_allows) what += " for channel '" + std::string(channel_name(c.channel)) + "'";
        return Outcome::conflict(what);
    }

    TimeMs at = event_time(c, e, now);
    CONVO_TRY(check_message(c, e, at));
    Step step;
    step.next = c;
    step.next.updated_at = at;
    Conversation &n = step.next;
    if (row->to && *row->to != c.status) {
        std::string reason = is_terminal(*row->to) ? end_reason_of(e)
                                                   : std::string(event_name(e.type));
        Json data{{"event", event_name(e.type)}};
        if (e.skip_notifications) data["skip_notifications"] = *e.skip_notifications;
        enter(step, *row->to, at, reason, std::move(data));
        if (e.type == EventType::transfer) n.transferred_to = e.to;
    }
    switch (e.type) {
        case EventType::message:
            // Each inbound WhatsApp message opens the contact's window, or keeps it open, for 24 h.
            if (e.role == Role::user && n.channel == Channel::whatsapp) {
                n.chat_window_expires_at = std::max(n.chat_window_expires_at.value_or(at), at + kChatWindowMs);
            }
            append_message(step, Message{e.role, e.text, at, e.template_});
            break;
        case EventType::annotate: annotate(step, e, at, FeedType::annotated); break;
        case EventType::finalize:
            if (n.wrap_up == WrapUp::pending) {
                n.wrap_up = WrapUp::done;
                annotate(step, e, at, FeedType::finalized);
            } else if (e.summary || e.topic || e.actions_needed || e.tags) {
                annotate(step, e, at, FeedType::annotated);  // finalized already: keep the fields
            }
            break;
        case EventType::takeover:
            n.human_takeover = true;
            n.takeover_minutes = e.minutes;
            step.events.push_back(feed_event(n, FeedType::takeover, at));
            break;
        case EventType::handback:
            if (n.human_takeover) {
                n.human_takeover = false;
                FeedEvent fe = feed_event(n, FeedType::handback, at);
                fe.data = Json{{"by", "handback"}};
                step.events.push_back(std::move(fe));
            }
            break;
        default: break;
    }
    update_timers(n, e.type, at, policy);
    if (e.type == EventType::takeover) {
        step.events.back().data = Json{{"minutes", e.minutes},
                                       {"until", format_time(*n.deadlines[static_cast<int>(Timer::takeover)])}};
    }
    if (step.events.empty()) step.next = c;  // nothing to do: not even updated_at moves
    *out = std::move(step);
    return Outcome::ok();
}

Step fire(const Conversation &c, Timer t, const Policy &policy) {
    const TimerRule &rule = timer_rule(t);
    TimeMs at = c.deadlines[static_cast<int>(t)].value_or(c.updated_at);
    Step step;
    step.next = c;
    Conversation &n = step.next;
    n.updated_at = std::max(at, c.updated_at);
    const Json data{{"timer", timer_name(t)}};
    switch (rule.effect) {
        case TimerEffect::move_status:
            for (const std::optional<TimerFire> &f : rule.fires) {
                if (f && f->from.has(c.status)) {
                    enter(step, f->to, n.updated_at, std::string(rule.end_reason), data);
                    break;
                }
            }
            break;
        case TimerEffect::hand_back: {
            n.human_takeover = false;
            FeedEvent e = feed_event(n, FeedType::handback, n.updated_at);
            e.data = data;
            step.events.push_back(std::move(e));
            break;
        }
        case TimerEffect::finish_wrap_up: {
            n.wrap_up = WrapUp::done;
            FeedEvent e = feed_event(n, FeedType::finalized, n.updated_at);
            e.data = data;
            step.events.push_back(std::move(e));
            break;
        }
    }
    n.deadlines[static_cast<int>(t)].reset();
    update_timers(n, std::nullopt, n.updated_at, policy);
    return step;
}

}  // namespace convo
