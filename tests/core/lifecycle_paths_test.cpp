// Path tests driven by the lifecycle table itself: every row is reached by a path of allowed
// events from a fresh conversation and then taken; every (status, event, channel) the table
// does not allow is refused without effect; every timer fires where it is armed.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

#include "lifecycle.h"

namespace convo {
namespace {

constexpr TimeMs kT0 = 1767225600000;  // 2026-01-01T00:00:00Z

Policy policy() { return Policy{}; }

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
                SCOPED_TRACE(label(s, from, row.event));
                Conversation c = drive(s, *path);
                ASSERT_EQ(c.status, from);
                Step step;
                Outcome o = apply(c, event_of(row.event), policy(), c.updated_at + 1000, &step);
                ASSERT_TRUE(o.is_ok()) << o.message();
                Status want = row.to.value_or(from);
                EXPECT_EQ(step.next.status, want);
                EXPECT_EQ(step.next.updated_at, c.updated_at + 1000);
                if (is_terminal(want) && want != from) {
                    EXPECT_EQ(step.next.ended_at, c.updated_at + 1000);
                    EXPECT_TRUE(step.next.end_reason.has_value());
                    for (int t = 0; t < kTimerCount; ++t) EXPECT_FALSE(step.next.deadlines[t]);
                }
                if (want == Status::in_progress) EXPECT_TRUE(step.next.started_at.has_value());
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

TEST(LifecyclePaths, TerminalStatusesAbsorbEverythingButAnnotate) {
    for (const Start &s : starts()) {
        for (int st = 0; st < kStatusCount; ++st) {
            if (!is_terminal(Status(st))) continue;
            auto path = path_to(s, Status(st));
            if (!path) continue;
            Conversation c = drive(s, *path);
            for (int e = 0; e < kEventTypeCount; ++e) {
                Step step;
                Outcome o = apply(c, event_of(EventType(e)), policy(), c.updated_at + 1, &step);
                EXPECT_EQ(o.is_ok(), EventType(e) == EventType::annotate) << label(s, c.status, EventType(e));
                if (o.is_ok()) EXPECT_EQ(step.next.status, c.status);
            }
            EXPECT_FALSE(c.next_timer().has_value()) << "terminal with a timer";
        }
    }
}

TEST(LifecyclePaths, EveryTimerFiresWhereverItIsArmed) {
    const LifecycleTable &table = lifecycle_table();
    std::set<int> fired_timers;
    for (const Start &s : starts()) {
        for (int st = 0; st < kStatusCount; ++st) {
            auto path = path_to(s, Status(st));
            if (!path) continue;
            Conversation c = drive(s, *path);
            for (int t = 0; t < kTimerCount; ++t) {
                const TimerRule &rule = table.timers[t];
                bool armed = rule.armed_in.has(c.status) && rule.channels.has(c.channel);
                ASSERT_EQ(c.deadlines[t].has_value(), armed)
                    << label(s, c.status, EventType::annotate) << " timer " << timer_name(Timer(t));
                if (!armed) continue;
                Step step = fire(c, Timer(t), policy());
                const TimerFire *rule_fire = nullptr;
                for (const auto &f : rule.fires) {
                    if (f && f->from.has(c.status) && rule_fire == nullptr) rule_fire = &*f;
                }
                ASSERT_NE(rule_fire, nullptr) << "armed in a status it cannot fire from";
                EXPECT_EQ(step.next.status, rule_fire->to);
                EXPECT_EQ(step.next.end_reason, std::string(rule.end_reason));
                EXPECT_EQ(step.next.ended_at, c.deadlines[t]);
                EXPECT_EQ(step.next.updated_at, c.deadlines[t]);
                ASSERT_FALSE(step.events.empty());
                EXPECT_EQ(step.events.back().at, *c.deadlines[t]);
                fired_timers.insert(t);
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
