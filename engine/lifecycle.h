// The pure lifecycle core: given a conversation and what happened, compute the next state and
// the effects to record (feed events, transcript messages). No SQL, no clock reads, no logging:
// time comes in as an argument and effects go out as data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conversation.h"
#include "outcome.h"

namespace convo {

// The engine settings the lifecycle needs.
struct Policy {
    int platform_max_open_minutes = 1440;
    int ring_timeout_seconds = 60;
    int dial_timeout_seconds = 300;
    int token_ttl_seconds = 600;
    int wrap_up_timeout_seconds = 300;
};

// A host event, already validated (requests.cpp parses it from JSON).
struct Event {
    EventType type = EventType::annotate;
    std::optional<std::string> event_id;
    std::optional<TimeMs> at;
    Role role = Role::user;                // message
    std::string text;                      // message (empty for a template)
    Json template_ = nullptr;              // message: a WhatsApp template, role agent
    int minutes = 10;                      // takeover
    std::optional<bool> skip_notifications;  // close
    std::optional<std::string> reason;     // end, fail
    std::optional<std::string> to;         // transfer
    std::optional<std::string> summary;    // annotate, finalize
    std::optional<std::string> topic;      // annotate, finalize
    std::optional<Json> actions_needed;    // annotate, finalize: array of strings
    std::optional<Json> tags;              // annotate, finalize: array of strings
    std::optional<Json> recording_details; // annotate: object
};

// One step's result: the state after it and what to append.
struct Step {
    Conversation next;
    std::vector<FeedEvent> events;
    std::vector<Message> messages;
};

// A new conversation: `c` carries its creation fields and created_at. Sets the initial status,
// arms the timers, and records `created`, then `opening` in order (seed messages, then the
// greeting or template), each at created_at.
Step start(Conversation c, const std::vector<Message> &opening, const Policy &policy);

// The time an event takes effect: its `at` when that lies between the conversation's last
// change and now, else now.
TimeMs event_time(const Conversation &c, const Event &e, TimeMs now);

// Applies a host event at event_time(c, e, now). CONVO_ECONFLICT, and `out` untouched, when the
// table does not allow it, or when an agent speaks while a human has taken over;
// CONVO_EPRECONDITION for a free-form agent message outside the WhatsApp 24-hour window.
// An allowed event that has nothing to do (a second close, a handback with no takeover) leaves
// the conversation exactly as it was and records nothing.
Outcome apply(const Conversation &c, const Event &e, const Policy &policy, TimeMs now, Step *out);

// Fires `t` (which must be armed) at its own deadline.
Step fire(const Conversation &c, Timer t, const Policy &policy);

// Whether the conversation meets a timer's `when` (besides its status and channel).
bool holds(TimerWhen when, const Conversation &c);

// The timer's length for this conversation in ms, or nullopt when it does not apply.
std::optional<TimeMs> timer_length(const TimerRule &rule, const Conversation &c,
                                   const Policy &policy);

}  // namespace convo
