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
        if (!length || !rule.armed_in.has(c.status) || !rule.channels.has(c.channel)) {
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
    }
    step.events.push_back(std::move(e));
}

void append_message(Step &step, Role role, std::string text, TimeMs at) {
    Conversation &c = step.next;
    FeedEvent e = feed_event(c, FeedType::message, at);
    e.data = Json{{"role", role_name(role)}, {"text", text}};
    if (role == Role::user) ++c.user_turn_count;
    ++c.message_count;
    step.messages.push_back(Message{role, std::move(text), at});
    step.events.push_back(std::move(e));
}

void annotate(Step &step, const Event &e, TimeMs at) {
    Conversation &c = step.next;
    FeedEvent fe = feed_event(c, FeedType::annotated, at);
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
        default: return std::string(event_name(e.type));  // no_answer, busy
    }
}

}  // namespace

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
    }
    return std::nullopt;
}

Step start(Conversation c, const std::optional<std::string> &greeting, const Policy &policy) {
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
    if (greeting) append_message(step, Role::agent, *greeting, step.next.created_at);
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
    Step step;
    step.next = c;
    step.next.updated_at = at;
    if (row->to && *row->to != c.status) {
        std::string reason = is_terminal(*row->to) ? end_reason_of(e)
                                                   : std::string(event_name(e.type));
        enter(step, *row->to, at, reason, Json{{"event", event_name(e.type)}});
        if (e.type == EventType::transfer) step.next.transferred_to = e.to;
    }
    if (e.type == EventType::message) append_message(step, e.role, e.text, at);
    if (e.type == EventType::annotate) annotate(step, e, at);
    update_timers(step.next, e.type, at, policy);
    *out = std::move(step);
    return Outcome::ok();
}

Step fire(const Conversation &c, Timer t, const Policy &policy) {
    const TimerRule &rule = timer_rule(t);
    TimeMs at = c.deadlines[static_cast<int>(t)].value_or(c.updated_at);
    Step step;
    step.next = c;
    step.next.updated_at = std::max(at, c.updated_at);
    for (const std::optional<TimerFire> &f : rule.fires) {
        if (f && f->from.has(c.status)) {
            enter(step, f->to, step.next.updated_at, std::string(rule.end_reason),
                  Json{{"timer", timer_name(t)}});
            break;
        }
    }
    step.next.deadlines[static_cast<int>(t)].reset();
    update_timers(step.next, std::nullopt, step.next.updated_at, policy);
    return step;
}

}  // namespace convo
