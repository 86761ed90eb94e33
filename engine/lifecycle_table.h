// The lifecycle as data: statuses, channels, events, the transitions between them and the timers
// each status arms. The step function (lifecycle.cpp), convo_describe(), the CLI's diagram and
// the path tests all read this table; nothing else restates it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "time_format.h"

namespace convo {

enum class Status : uint8_t {
    token_created, triggered, ringing, in_progress,
    completed, failed, cancelled, transferred, unanswered,
};
constexpr int kStatusCount = 9;

enum class Channel : uint8_t { telephone, webrtc, email, text, sms, whatsapp };
constexpr int kChannelCount = 6;

enum class Direction : uint8_t { outbound, inbound };

enum class EventType : uint8_t {
    ringing, answered, joined, delivered, message, end,
    cancel, no_answer, busy, fail, transfer, annotate,
    takeover, handback, close, finalize,
};
constexpr int kEventTypeCount = 16;

enum class Timer : uint8_t { idle, max_open, ring, dial, join, takeover, wrap_up };
constexpr int kTimerCount = 7;

// Small bit sets over the enums above.
template <typename E>
struct Set {
    uint32_t bits = 0;
    constexpr Set() = default;
    constexpr Set(std::initializer_list<E> items) {
        for (E e : items) bits |= 1u << static_cast<unsigned>(e);
    }
    static constexpr Set all(int count) {
        Set s;
        s.bits = (1u << count) - 1;
        return s;
    }
    constexpr bool has(E e) const { return (bits >> static_cast<unsigned>(e)) & 1u; }
};
using StatusSet = Set<Status>;
using ChannelSet = Set<Channel>;
using EventSet = Set<EventType>;

// One row: `event` moves a conversation of one of `channels` from any of `from` to `to`.
// `to` empty means the status stays the same.
struct Transition {
    EventType event;
    StatusSet from;
    std::optional<Status> to;
    ChannelSet channels;
};

// Where a timer's length comes from.
enum class TimerLength : uint8_t {
    idle_minutes,      // the conversation's idle_timeout_minutes (no timer when unset)
    max_open_minutes,  // the conversation's max_open_minutes
    ring_seconds,      // engine option ring_timeout_seconds
    dial_seconds,      // engine option dial_timeout_seconds
    token_ttl_seconds, // engine option token_ttl_seconds
    takeover_minutes,  // the minutes of the conversation's last takeover event
    wrap_up_seconds,   // engine option wrap_up_timeout_seconds
};

// Besides its statuses, what a timer needs of the conversation to be armed.
enum class TimerWhen : uint8_t {
    always,
    taken_over,       // a human has taken over (human_takeover)
    wrap_up_pending,  // ended, and the host has not finalized the wrap-up yet
};

// What a timer does when it fires: move the status (by `fires`), or end a phase.
enum class TimerEffect : uint8_t {
    move_status,
    hand_back,        // human_takeover ends; feed event handback
    finish_wrap_up,   // wrap_up becomes done; feed event finalized
};

// A timer is armed when a conversation of `channels` enters a status in `armed_in` (counted
// from that moment) while `when` holds, kept while it moves between such statuses, re-armed by
// the events in `reset_by`, and cleared when it leaves them or `when` stops holding. When it
// fires it has its `effect`; for move_status, `fires` says where each status goes and the end
// reason is `end_reason`. `closes` marks deadlines that end the conversation (they make up
// expires_at).
struct TimerFire {
    StatusSet from;
    Status to;
};
struct TimerRule {
    Timer timer;
    StatusSet armed_in;
    ChannelSet channels;
    EventSet reset_by;
    TimerLength length;
    std::array<std::optional<TimerFire>, 2> fires;
    std::string_view end_reason;
    bool closes;
    TimerWhen when;
    TimerEffect effect;
};

// Where a conversation of `channel` (and `direction`, when given) starts.
struct InitialStatus {
    Channel channel;
    std::optional<Direction> direction;
    Status status;
};

struct LifecycleTable {
    const Transition *transitions;
    size_t transition_count;
    const TimerRule *timers;  // kTimerCount rules, indexed by Timer
    const InitialStatus *initial;
    size_t initial_count;
};
const LifecycleTable &lifecycle_table();

bool is_terminal(Status s);
StatusSet open_statuses();
StatusSet terminal_statuses();

// The initial status of a new conversation.
Status initial_status(Channel c, Direction d);

// The row that lets `event` happen to a conversation of `channel` in `status`, or null.
const Transition *find_transition(EventType event, Status status, Channel channel);

const TimerRule &timer_rule(Timer t);

// The enum value whose name is `s` in `names` (indexed by the enum), or nullopt.
template <typename Enum, size_t N>
std::optional<Enum> enum_from_name(const std::string_view (&names)[N], std::string_view s) {
    for (size_t i = 0; i < N; ++i) {
        if (names[i] == s) return static_cast<Enum>(i);
    }
    return std::nullopt;
}

std::string_view status_name(Status s);
std::string_view channel_name(Channel c);
std::string_view direction_name(Direction d);
std::string_view event_name(EventType e);
std::string_view timer_name(Timer t);
std::optional<Status> status_from_name(std::string_view s);
std::optional<Channel> channel_from_name(std::string_view s);
std::optional<Direction> direction_from_name(std::string_view s);
std::optional<EventType> event_from_name(std::string_view s);
std::optional<Timer> timer_from_name(std::string_view s);

}  // namespace convo
