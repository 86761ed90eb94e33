// Path tests driven by the lifecycle table itself: every row is reached by a path of allowed
// events from a fresh conversation and then taken (also one phase on: taken over, or wrapped
// up); every (status, event, channel) the table does not allow is refused without effect; every
// timer fires where it is armed, with its effect.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

#include "lifecycle.h"

namespace convo {
namespace {

constexpr TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

Policy policy() { return Policy{}; }
TimeMs wrap_up_ms() { return TimeMs(policy().wrap_up_timeout_seconds) * 1000; }
constexpr TimeMs kTakeoverMs = 10 * 60000;  // a takeover event's default 10 minutes

Conversation fresh(Channel ch, Direction dir) {
    Conversation c;
    c.id = "c1";
    c.organization_id = "org";
    c.channel = ch;
    c.direction = dir;
    c.user_id = "+14155551234";
    c.idle_timeout_minutes = 5;
    c.max_open_minutes = 60;
    c.created_at = kT0;
    return start(c, {}, policy()).next;
}

Event event_of(EventType t) {
    Event e;
    e.type = t;
    e.role = Role::user;
    e.text = "hello";
    e.reason = "because";
    e.to = "+18885550001";
    e.summary = "a summary";
    return e;
}

struct Start {
    Channel channel;
    Direction direction;
};
std::vector<Start> starts() {
    std::vector<Start> out;
    for (int c = 0; c < kChannelCount; ++c) {
        for (Direction d : {Direction::outbound, Direction::inbound}) out.push_back({Channel(c), d});
    }
    return out;
}

// Shortest sequence of table events leading from a fresh conversation to `target`, found by
// breadth-first search over the table (nullopt when unreachable for that start).
std::optional<std::vector<EventType>> path_to(const Start &s, Status target) {
    Conversation c0 = fresh(s.channel, s.direction);
    std::map<Status, std::vector<EventType>> seen{{c0.status, {}}};
    std::deque<Status> queue{c0.status};
    const LifecycleTable &table = lifecycle_table();
    while (!queue.empty()) {
        Status at = queue.front();
        queue.pop_front();
        if (at == target) return seen[at];
        for (size_t i = 0; i < table.transition_count; ++i) {
            const Transition &t = table.transitions[i];
            Status to = t.to.value_or(at);
            if (!t.from.has(at) || !t.channels.has(s.channel) || seen.count(to)) continue;
            seen[to] = seen[at];
            seen[to].push_back(t.event);
            queue.push_back(to);
        }
    }
    return std::nullopt;
}

// Drives a fresh conversation along `path`, a second apart.
Conversation drive(const Start &s, const std::vector<EventType> &path) {
    Conversation c = fresh(s.channel, s.direction);
    TimeMs now = kT0;
    for (EventType e : path) {
        Step step;
        now += 1000;
        EXPECT_TRUE(apply(c, event_of(e), policy(), now, &step).is_ok()) << event_name(e);
        c = step.next;
    }
    return c;
}

std::string label(const Start &s, Status st, EventType e) {
    return std::string(channel_name(s.channel)) + "/" + std::string(direction_name(s.direction)) +
           " " + std::string(status_name(st)) + " + " + std::string(event_name(e));
}

// `c`, and the same conversation one phase on (issue 3): taken over when in progress, wrapped
// up (finalized) when ended.
std::vector<Conversation> phases(const Conversation &c) {
    std::vector<Conversation> out{c};
    std::optional<EventType> next;
    if (c.status == Status::in_progress) next = EventType::takeover;
    if (is_terminal(c.status)) next = EventType::finalize;
    if (next) {
        Step step;
        EXPECT_TRUE(apply(c, event_of(*next), policy(), c.updated_at + 500, &step).is_ok());
        out.push_back(step.next);
    }
    return out;
}

std::string phase_label(const Conversation &c) {
    return c.human_takeover ? " (taken over)" : c.wrap_up == WrapUp::done ? " (wrapped up)" : "";
}

// An allowed event with nothing to do: close once ended, handback with no takeover.
bool is_no_op(EventType e, const Conversation &c) {
    return (e == EventType::close && is_terminal(c.status)) ||
           (e == EventType::handback && !c.human_takeover);
}

// What `e`, applied to `c` at `at`, did besides the status: a no-op leaves everything as it was
// and records nothing; an ending leaves only the wrap-up armed; takeover, handback and
// finalize move their phase and record their feed event.
void expect_effect(EventType e, const Conversation &c, const Step &step, TimeMs at) {
    const Conversation &n = step.next;
    if (is_no_op(e, c)) {
        EXPECT_TRUE(step.events.empty());
        EXPECT_EQ(n.status, c.status);
        EXPECT_EQ(n.updated_at, c.updated_at) << "not even updated_at moves";
        EXPECT_EQ(n.deadlines, c.deadlines);
        EXPECT_EQ(n.human_takeover, c.human_takeover);
        EXPECT_EQ(n.wrap_up, c.wrap_up);
        return;
    }
    ASSERT_FALSE(step.events.empty());
    EXPECT_EQ(n.updated_at, at);
    if (is_terminal(n.status) && !is_terminal(c.status)) {
        EXPECT_EQ(n.ended_at, at);
        EXPECT_TRUE(n.end_reason.has_value());
        EXPECT_EQ(n.wrap_up, WrapUp::pending);
        EXPECT_FALSE(n.human_takeover) << "ending ends the takeover";
        for (int t = 0; t < kTimerCount; ++t) {
            const bool wrap_up = Timer(t) == Timer::wrap_up;
            const std::optional<TimeMs> want = wrap_up ? std::optional<TimeMs>(at + wrap_up_ms())
                                                       : std::nullopt;
            EXPECT_EQ(n.deadlines[t], want) << timer_name(Timer(t));
        }
    }
    switch (e) {
        case EventType::takeover:
            EXPECT_TRUE(n.human_takeover);
            EXPECT_EQ(n.deadlines[int(Timer::takeover)], at + kTakeoverMs);
            EXPECT_EQ(step.events.back().type, FeedType::takeover);
            break;
        case EventType::handback:
            EXPECT_FALSE(n.human_takeover);
            EXPECT_FALSE(n.deadlines[int(Timer::takeover)].has_value());
            EXPECT_EQ(step.events.back().type, FeedType::handback);
            break;
        case EventType::finalize:
            EXPECT_EQ(n.wrap_up, WrapUp::done);
            EXPECT_FALSE(n.deadlines[int(Timer::wrap_up)].has_value());
            // Once done, a finalize's fields are still recorded, as an annotation.
            EXPECT_EQ(step.events.back().type,
                      c.wrap_up == WrapUp::pending ? FeedType::finalized : FeedType::annotated);
            break;
        default: break;
    }
}

TEST(LifecyclePaths, EveryRowIsReachableAndTakesItsTransition) {
    const LifecycleTable &table = lifecycle_table();
    std::set<size_t> rows_taken;
    for (const Start &s : starts()) {
        for (size_t i = 0; i < table.transition_count; ++i) {
            const Transition &row = table.transitions[i];
            if (!row.channels.has(s.channel)) continue;
            for (int st = 0; st < kStatusCount; ++st) {
                Status from = Status(st);
                if (!row.from.has(from)) continue;
                auto path = path_to(s, from);
                if (!path) continue;
                Conversation reached = drive(s, *path);
                ASSERT_EQ(reached.status, from) << label(s, from, row.event);
                for (const Conversation &c : phases(reached)) {
                    SCOPED_TRACE(label(s, from, row.event) + phase_label(c));
                    Step step;
                    Outcome o = apply(c, event_of(row.event), policy(), c.updated_at + 1000, &step);
                    ASSERT_TRUE(o.is_ok()) << o.message();
                    Status want = row.to.value_or(from);
                    EXPECT_EQ(step.next.status, want);
                    expect_effect(row.event, c, step, c.updated_at + 1000);
                    if (want == Status::in_progress) EXPECT_TRUE(step.next.started_at.has_value());
                }
                rows_taken.insert(i);
            }
        }
    }
    EXPECT_EQ(rows_taken.size(), table.transition_count) << "a table row no path reaches";
}

TEST(LifecyclePaths, EveryStatusIsReachable) {
    for (int st = 0; st < kStatusCount; ++st) {
        bool reached = false;
        for (const Start &s : starts()) reached = reached || path_to(s, Status(st)).has_value();
        EXPECT_TRUE(reached) << status_name(Status(st));
    }
}

TEST(LifecyclePaths, EveryForbiddenEventIsRefusedWithoutEffect) {
    int refused = 0;
    for (const Start &s : starts()) {
        for (int st = 0; st < kStatusCount; ++st) {
            auto path = path_to(s, Status(st));
            if (!path) continue;
            Conversation c = drive(s, *path);
            for (int e = 0; e < kEventTypeCount; ++e) {
                if (find_transition(EventType(e), c.status, c.channel) != nullptr) continue;
                SCOPED_TRACE(label(s, c.status, EventType(e)));
                Step step;
                step.next.id = "untouched";
                Outcome o = apply(c, event_of(EventType(e)), policy(), c.updated_at + 1000, &step);
                EXPECT_EQ(o.code(), CONVO_ECONFLICT);
                EXPECT_NE(o.message().find("is not allowed in status '" +
                                           std::string(status_name(c.status)) + "'"),
                          std::string::npos)
                    << o.message();
                EXPECT_EQ(step.next.id, "untouched");
                EXPECT_TRUE(step.events.empty());
                ++refused;
            }
        }
    }
    EXPECT_GT(refused, 100);
}

TEST(LifecyclePaths, TerminalStatusesAbsorbEverythingButAnnotateCloseAndFinalize) {
    for (const Start &s : starts()) {
        for (int st = 0; st < kStatusCount; ++st) {
            if (!is_terminal(Status(st))) continue;
            auto path = path_to(s, Status(st));
            if (!path) continue;
            Conversation c = drive(s, *path);
            for (int e = 0; e < kEventTypeCount; ++e) {
                const EventType ev = EventType(e);
                Step step;
                Outcome o = apply(c, event_of(ev), policy(), c.updated_at + 1, &step);
                const bool allowed = ev == EventType::annotate || ev == EventType::close ||
                                     ev == EventType::finalize;
                EXPECT_EQ(o.is_ok(), allowed) << label(s, c.status, ev);
                if (o.is_ok()) EXPECT_EQ(step.next.status, c.status);
            }
            // The one timer left is the wrap-up, wrap_up_timeout_seconds after the end; it
            // closes nothing.
            auto next = c.next_timer();
            ASSERT_TRUE(next.has_value()) << label(s, c.status, EventType::annotate);
            EXPECT_EQ(next->second, Timer::wrap_up);
            ASSERT_TRUE(c.ended_at.has_value());
            EXPECT_EQ(next->first, *c.ended_at + wrap_up_ms());
            EXPECT_EQ(c.wrap_up, WrapUp::pending);
            EXPECT_EQ(c.expires_at(), std::nullopt);
        }
    }
}


// `step` is timer `t` of `rule` firing on `c`: a status timer moves the status by `fires`; a
// phase timer keeps it and ends its phase, with its feed event.
void expect_fired(const TimerRule &rule, Timer t, const Conversation &c, const Step &step) {
    const TimeMs deadline = *c.deadlines[int(t)];
    const Conversation &n = step.next;
    EXPECT_EQ(n.updated_at, deadline);
    ASSERT_FALSE(step.events.empty());
    EXPECT_EQ(step.events.back().at, deadline);
    EXPECT_FALSE(n.deadlines[int(t)].has_value()) << "fires once";
    if (rule.effect != TimerEffect::move_status) {
        // A phase timer keeps the status and records one event, naming itself.
        EXPECT_EQ(n.status, c.status);
        ASSERT_EQ(step.events.size(), 1u);
        const bool hand_back = rule.effect == TimerEffect::hand_back;
        EXPECT_EQ(step.events[0].type, hand_back ? FeedType::handback : FeedType::finalized);
        EXPECT_EQ(step.events[0].data, (Json{{"timer", timer_name(t)}}));
    }
    switch (rule.effect) {
        case TimerEffect::move_status: {
            const TimerFire *rule_fire = nullptr;
            for (const auto &f : rule.fires) {
                if (f && f->from.has(c.status) && rule_fire == nullptr) rule_fire = &*f;
            }
            ASSERT_NE(rule_fire, nullptr) << "armed in a status it cannot fire from";
            EXPECT_EQ(n.status, rule_fire->to);
            EXPECT_EQ(n.end_reason, std::string(rule.end_reason));
            EXPECT_EQ(n.ended_at, deadline);
            EXPECT_EQ(n.wrap_up, WrapUp::pending);
            EXPECT_EQ(n.deadlines[int(Timer::wrap_up)], deadline + wrap_up_ms());
            break;
        }
        case TimerEffect::hand_back: EXPECT_FALSE(n.human_takeover); break;
        case TimerEffect::finish_wrap_up:
            EXPECT_EQ(n.wrap_up, WrapUp::done);
            EXPECT_EQ(n.next_timer(), std::nullopt) << "nothing left to fire";
            break;
    }
}

TEST(LifecyclePaths, EveryTimerFiresWhereverItIsArmed) {
    const LifecycleTable &table = lifecycle_table();
    std::set<int> fired_timers;
    for (const Start &s : starts()) {
        for (int st = 0; st < kStatusCount; ++st) {
            auto path = path_to(s, Status(st));
            if (!path) continue;
            for (const Conversation &c : phases(drive(s, *path))) {
                for (int t = 0; t < kTimerCount; ++t) {
                    const TimerRule &rule = table.timers[t];
                    SCOPED_TRACE(label(s, c.status, EventType::annotate) + phase_label(c) +
                                 " timer " + std::string(timer_name(Timer(t))));
                    bool armed = rule.armed_in.has(c.status) && rule.channels.has(c.channel) &&
                                 holds(rule.when, c);
                    ASSERT_EQ(c.deadlines[t].has_value(), armed);
                    if (!armed) continue;
                    expect_fired(rule, Timer(t), c, fire(c, Timer(t), policy()));
                    fired_timers.insert(t);
                }
            }
        }
    }
    EXPECT_EQ(fired_timers.size(), size_t(kTimerCount));
}

TEST(LifecycleTimers, IdleIsResetByEveryMessageAndMaxOpenIsNot) {
    Conversation c = fresh(Channel::text, Direction::outbound);
    ASSERT_EQ(c.deadlines[int(Timer::idle)], kT0 + 5 * 60000);
    ASSERT_EQ(c.deadlines[int(Timer::max_open)], kT0 + 60 * 60000);
    for (Role r : {Role::user, Role::agent, Role::human}) {
        Event e = event_of(EventType::message);
        e.role = r;
        Step step;
        TimeMs now = c.updated_at + 120000;
        ASSERT_TRUE(apply(c, e, policy(), now, &step).is_ok());
        c = step.next;
        EXPECT_EQ(c.deadlines[int(Timer::idle)], now + 5 * 60000);
        EXPECT_EQ(c.deadlines[int(Timer::max_open)], kT0 + 60 * 60000);
    }
    EXPECT_EQ(c.user_turn_count, 1);
    EXPECT_EQ(c.message_count, 3);
}

TEST(LifecycleTimers, MaxOpenCountsFromCreationAcrossStatuses) {
    Conversation c = fresh(Channel::telephone, Direction::outbound);
    TimeMs deadline = kT0 + 60 * 60000;
    for (EventType e : {EventType::ringing, EventType::answered}) {
        Step step;
        ASSERT_TRUE(apply(c, event_of(e), policy(), c.updated_at + 30000, &step).is_ok());
        c = step.next;
        EXPECT_EQ(c.deadlines[int(Timer::max_open)], deadline);
    }
    EXPECT_EQ(c.deadlines[int(Timer::ring)], std::nullopt);
    EXPECT_EQ(c.deadlines[int(Timer::dial)], std::nullopt);
    EXPECT_EQ(c.deadlines[int(Timer::idle)], c.updated_at + 5 * 60000);
}

TEST(LifecycleTimers, TheWrapUpDefaultsTo300Seconds) { EXPECT_EQ(wrap_up_ms(), 300 * 1000); }

TEST(LifecycleTimers, NoIdleTimerWithoutIdleMinutes) {
    Conversation c;
    c.channel = Channel::text;
    c.max_open_minutes = 10;
    c.created_at = kT0;
    Conversation s = start(c, {}, policy()).next;
    EXPECT_FALSE(s.deadlines[int(Timer::idle)].has_value());
    EXPECT_EQ(s.expires_at(), kT0 + 10 * 60000);
}

TEST(LifecycleEvents, AtIsUsedOnlyBetweenLastChangeAndNow) {
    Conversation c = fresh(Channel::text, Direction::outbound);
    Event e = event_of(EventType::message);
    TimeMs now = kT0 + 10000;
    e.at = kT0 + 4000;
    EXPECT_EQ(event_time(c, e, now), kT0 + 4000);
    e.at = kT0 - 1;
    EXPECT_EQ(event_time(c, e, now), now);
    e.at = now + 1;
    EXPECT_EQ(event_time(c, e, now), now);
    e.at = kT0;
    EXPECT_EQ(event_time(c, e, now), kT0);
    e.at = now;
    EXPECT_EQ(event_time(c, e, now), now);
}

TEST(LifecycleEvents, StartRecordsCreatedThenGreeting) {
    Conversation c;
    c.id = "c";
    c.channel = Channel::text;
    c.max_open_minutes = 10;
    c.created_at = kT0;
    Step s = start(c, {Message{Role::agent, "Hi", 0}}, policy());
    ASSERT_EQ(s.events.size(), 2u);
    EXPECT_EQ(s.events[0].type, FeedType::created);
    EXPECT_EQ(s.events[0].to, Status::in_progress);
    EXPECT_EQ(s.events[1].type, FeedType::message);
    ASSERT_EQ(s.messages.size(), 1u);
    EXPECT_EQ(s.messages[0].role, Role::agent);
    EXPECT_EQ(s.next.started_at, kT0);
    EXPECT_EQ(s.next.user_turn_count, 0);
}

TEST(LifecycleEvents, EmailReplyOpensThenRecordsTheMessage) {
    Conversation c = fresh(Channel::email, Direction::outbound);
    Step step;
    ASSERT_TRUE(apply(c, event_of(EventType::message), policy(), kT0 + 1000, &step).is_ok());
    ASSERT_EQ(step.events.size(), 2u);
    EXPECT_EQ(step.events[0].type, FeedType::status_changed);
    EXPECT_EQ(step.events[0].to, Status::in_progress);
    EXPECT_EQ(step.events[1].type, FeedType::message);
    EXPECT_EQ(step.next.user_turn_count, 1);
}

TEST(LifecycleEvents, EndReasons) {
    struct Case {
        Channel ch;
        std::vector<EventType> path;
        EventType last;
        std::optional<std::string> reason;
        std::string want;
    };
    std::vector<Case> cases = {
        {Channel::text, {}, EventType::end, std::nullopt, "ended"},
        {Channel::text, {}, EventType::end, std::string("resolved"), "resolved"},
        {Channel::telephone, {}, EventType::no_answer, std::nullopt, "no_answer"},
        {Channel::telephone, {}, EventType::busy, std::nullopt, "busy"},
        {Channel::telephone, {}, EventType::cancel, std::nullopt, "cancelled"},
        {Channel::telephone, {EventType::ringing}, EventType::transfer, std::nullopt, "transferred"},
        {Channel::webrtc, {}, EventType::fail, std::string("sdp error"), "sdp error"},
    };
    for (const Case &k : cases) {
        Conversation c = drive(Start{k.ch, Direction::outbound}, k.path);
        Event e = event_of(k.last);
        e.reason = k.reason;
        Step step;
        ASSERT_TRUE(apply(c, e, policy(), c.updated_at + 1, &step).is_ok());
        EXPECT_EQ(step.next.end_reason, k.want) << event_name(k.last);
    }
}

}  // namespace
}  // namespace convo
