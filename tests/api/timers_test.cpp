// Timers (issue 2, section 6): idle, max-open, ring, dial and join fire at their deadlines through
// convo_clock_set + convo_tick, with the deadline as the event time; expires_at,
// convo_next_deadline, ordering within one tick, and the same after closing and reopening a
// database file. Each ended conversation then waits for its wrap-up (issue 3), whose deadline
// convo_next_deadline and convo_tick see but expires_at does not.
#include "lifecycle_support.h"

#include <unistd.h>

#include <cstdio>
#include <optional>

namespace convo_test {
namespace {

using lc::at;
using lc::iso;
using lc::kMin;
using lc::kSec;

std::string timer_key(std::string name) {
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

convo_code next_deadline(convo_engine *e, int64_t *out) {
    *out = 0;
    return convo_next_deadline(e, out);
}

// Checks the status_changed event a timer appended.
void expect_timer_event(const json &e, const std::string &id, const std::string &from,
                        const std::string &to, const std::string &reason, const std::string &timer,
                        int64_t deadline_ms) {
    EXPECT_EQ(e.value("type", ""), "status_changed") << e.dump();
    EXPECT_EQ(e.value("conversation_id", ""), id) << e.dump();
    EXPECT_EQ(e["from"], from) << e.dump();
    EXPECT_EQ(e["to"], to) << e.dump();
    EXPECT_EQ(e["reason"], reason) << e.dump();
    EXPECT_EQ(e["at"], iso(deadline_ms)) << "the deadline is the event time: " << e.dump();
    ASSERT_TRUE(e.contains("data") && e["data"].contains("timer")) << e.dump();
    EXPECT_EQ(timer_key(e["data"]["timer"].get<std::string>()), timer) << e.dump();
}

// One feed event a tick appends: a closing timer's status_changed, or a wrap-up's finalized.
struct Fired {
    std::string id, from, to, reason, timer;
    int64_t at;  // the deadline, Unix ms
};
// The closing timers of the tick tests' conversations, one of each kind: ring (inbound call
// created at 2 s), idle, dial (outbound call created at 1 s), max-open, join (created at 0 s).
struct Closings {
    Fired ring, idle, dial, max_open, join;
};
Closings closings_of(const std::string &in, const std::string &idle, const std::string &out,
                     const std::string &mail, const std::string &rtc, int64_t idle_at,
                     int64_t max_open_at) {
    return {{in, "ringing", "unanswered", "ring_timeout", "ring", kStartMs + 62 * kSec},
            {idle, "in_progress", "completed", "idle_timeout", "idle", idle_at},
            {out, "triggered", "failed", "dial_timeout", "dial", kStartMs + 301 * kSec},
            {mail, "triggered", "unanswered", "max_open_timeout", "max_open", max_open_at},
            {rtc, "token_created", "unanswered", "token_expired", "join", kStartMs + 600 * kSec}};
}
// The wrap-up of a conversation that a closing timer ended.
Fired wrap_up_of(const Fired &ended) {
    return Fired{ended.id, "", "", "", "wrap_up", ended.at + lc::kWrapUp};
}

// The feed `f` is exactly `want`, in this order: first as one line per event (timer, time,
// conversation), then field by field.
void expect_fired_in_order(const json &f, const std::vector<Fired> &want) {
    std::vector<std::string> got_lines, want_lines;
    for (const json &e : f)
        got_lines.push_back(e.value("type", "") + " " + e["data"].value("timer", "") + " at " +
                            e.value("at", "") + " of " + e.value("conversation_id", ""));
    for (const Fired &w : want) {
        const std::string type = w.timer == "wrap_up" ? "finalized" : "status_changed";
        want_lines.push_back(type + " " + w.timer + " at " + iso(w.at) + " of " + w.id);
    }
    ASSERT_EQ(got_lines, want_lines) << "in deadline order";
    for (size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("event " + std::to_string(i) + " of the tick");
        const Fired &w = want[i];
        if (w.timer == "wrap_up") {
            lc::expect_wrap_up_event(f[i], w.id, w.at);
        } else {
            expect_timer_event(f[i], w.id, w.from, w.to, w.reason, w.timer, w.at);
        }
    }
}

// ---- every timer, one conversation at a time ---------------------------------------------

struct TimerCase {
    std::string name;
    json options;  // engine options
    std::string channel, direction;
    json extra;                                   // create fields
    std::vector<std::pair<int64_t, json>> steps;  // (offset from start, event) before the deadline
    std::string timer;
    int64_t deadline;  // offset from start
    std::string from, to, end_reason;
    std::optional<int64_t> started;  // offset of started_at, if it started
};

void PrintTo(const TimerCase &c, std::ostream *os) { *os << c.name; }

std::vector<TimerCase> timer_cases() {
    const json none = json::object();
    const json slow{{"ring_timeout_seconds", 3600}, {"dial_timeout_seconds", 3600}, {"token_ttl_seconds", 3600}};
    auto ev = [](const char *t) { return json{{"type", t}}; };
    return {
        {"Dial", none, "telephone", "outbound", {}, {}, "dial", 300 * kSec, "triggered", "failed", "dial_timeout", {}},
        {"RingAfterRingingEvent", none, "telephone", "outbound", {}, {{10 * kSec, ev("ringing")}}, "ring",
         70 * kSec, "ringing", "unanswered", "ring_timeout", {}},
        {"RingInbound", none, "telephone", "inbound", {}, {}, "ring", 60 * kSec, "ringing", "unanswered",
         "ring_timeout", {}},
        {"Join", none, "webrtc", "outbound", {}, {}, "join", 600 * kSec, "token_created", "unanswered",
         "token_expired", {}},
        {"IdleText", none, "text", "outbound", {{"idle_timeout_minutes", 5}}, {}, "idle", 5 * kMin,
         "in_progress", "completed", "idle_timeout", 0},
        {"IdleSmsWithA45SecondWrapUp", {{"wrap_up_timeout_seconds", 45}}, "sms", "outbound",
         {{"idle_timeout_minutes", 4}}, {}, "idle", 4 * kMin, "in_progress", "completed", "idle_timeout", 0},
        {"MaxOpenWhatsapp", none, "whatsapp", "inbound", {{"max_open_minutes", 6}}, {}, "max_open", 6 * kMin,
         "in_progress", "completed", "max_open_timeout", 0},
        {"IdleTelephoneFromAnswer", none, "telephone", "outbound", {{"idle_timeout_minutes", 2}},
         {{10 * kSec, ev("answered")}}, "idle", 10 * kSec + 2 * kMin, "in_progress", "completed", "idle_timeout",
         10 * kSec},
        {"IdleEmailFromDelivery", none, "email", "outbound", {{"idle_timeout_minutes", 1}},
         {{20 * kSec, ev("delivered")}}, "idle", 20 * kSec + kMin, "in_progress", "completed", "idle_timeout",
         20 * kSec},
        {"IdleWebrtcFromJoin", none, "webrtc", "outbound", {{"idle_timeout_minutes", 3}},
         {{5 * kSec, ev("joined")}}, "idle", 5 * kSec + 3 * kMin, "in_progress", "completed", "idle_timeout",
         5 * kSec},
        {"MaxOpenInProgressText", none, "text", "outbound", {{"max_open_minutes", 3}}, {}, "max_open", 3 * kMin,
         "in_progress", "completed", "max_open_timeout", 0},
        {"MaxOpenDefaultIs1440Minutes", none, "text", "outbound", {}, {}, "max_open", 1440 * kMin, "in_progress",
         "completed", "max_open_timeout", 0},
        {"MaxOpenInProgressTelephoneCountsFromCreation", none, "telephone", "outbound", {{"max_open_minutes", 1}},
         {{20 * kSec, ev("answered")}}, "max_open", kMin, "in_progress", "completed", "max_open_timeout", 20 * kSec},
        {"MaxOpenInProgressWebrtcCountsFromCreation", none, "webrtc", "outbound", {{"max_open_minutes", 2}},
         {{30 * kSec, ev("joined")}}, "max_open", 2 * kMin, "in_progress", "completed", "max_open_timeout", 30 * kSec},
        {"MaxOpenInProgressEmailCountsFromCreation", none, "email", "outbound", {{"max_open_minutes", 1}},
         {{5 * kSec, ev("delivered")}}, "max_open", kMin, "in_progress", "completed", "max_open_timeout", 5 * kSec},
        {"MaxOpenTriggeredEmail", none, "email", "outbound", {{"max_open_minutes", 2}}, {}, "max_open", 2 * kMin,
         "triggered", "unanswered", "max_open_timeout", {}},
        {"MaxOpenTriggeredTelephone", none, "telephone", "outbound", {{"max_open_minutes", 1}}, {}, "max_open", kMin,
         "triggered", "unanswered", "max_open_timeout", {}},
        {"MaxOpenRinging", slow, "telephone", "inbound", {{"max_open_minutes", 1}}, {}, "max_open", kMin, "ringing",
         "unanswered", "max_open_timeout", {}},
        {"MaxOpenRingingAfterRingingEvent", slow, "telephone", "outbound", {{"max_open_minutes", 2}},
         {{30 * kSec, ev("ringing")}}, "max_open", 2 * kMin, "ringing", "unanswered", "max_open_timeout", {}},
        {"MaxOpenTokenCreated", slow, "webrtc", "outbound", {{"max_open_minutes", 1}}, {}, "max_open", kMin,
         "token_created", "unanswered", "max_open_timeout", {}},
        {"RingCustomSeconds", {{"ring_timeout_seconds", 5}}, "telephone", "inbound", {}, {}, "ring", 5 * kSec,
         "ringing", "unanswered", "ring_timeout", {}},
        {"DialCustomSeconds", {{"dial_timeout_seconds", 7}}, "telephone", "outbound", {}, {}, "dial", 7 * kSec,
         "triggered", "failed", "dial_timeout", {}},
        {"JoinCustomSeconds", {{"token_ttl_seconds", 9}}, "webrtc", "outbound", {}, {}, "join", 9 * kSec,
         "token_created", "unanswered", "token_expired", {}},
    };
}

class TimersCaseTest : public ApiTest, public ::testing::WithParamInterface<TimerCase> {
protected:
    json options() const override {
        return GetParam().options.is_null() ? json::object() : GetParam().options;
    }

    // Creates the conversation and applies the steps; leaves the clock at the last step.
    std::string setup() {
        const TimerCase &p = GetParam();
        std::string id = make(p.channel, p.direction, p.extra.is_null() ? json::object() : p.extra);
        for (const auto &st : p.steps) {
            engine_->set_clock(kStartMs + st.first);
            Call c = dispatch(s_, id, st.second);
            EXPECT_TRUE(c.ok()) << st.second.dump() << ": " << c.error;
        }
        EXPECT_EQ(status(id), p.from);
        return id;
    }

    void expect_fired(const std::string &id, uint64_t seq) {
        const TimerCase &p = GetParam();
        const int64_t deadline = kStartMs + p.deadline;
        json c = conv(id);
        EXPECT_EQ(c["status"], p.to);
        EXPECT_EQ(c["end_reason"], p.end_reason);
        EXPECT_EQ(c["updated_at"], iso(deadline));
        lc::expect_wrap_up_pending(c, deadline);
        if (p.started) {
            EXPECT_EQ(c["started_at"], at(*p.started));
            EXPECT_EQ(c["duration"], (p.deadline - *p.started) / kSec);
        } else {
            EXPECT_TRUE(c["started_at"].is_null());
            EXPECT_TRUE(c["duration"].is_null());
        }
        json f = lc::feed(s_, seq);
        ASSERT_EQ(f.size(), 1u) << f.dump();
        expect_timer_event(f[0], id, p.from, p.to, p.end_reason, p.timer, deadline);
        EXPECT_EQ(engine_->tick(), 0u) << "fires once";
        EXPECT_EQ(lc::feed(s_, seq).size(), 1u);
        // Nothing is pending but the wrap-up, wrap_up_timeout_seconds after the end.
        const json &o = p.options;
        const int64_t wrap_up = o.is_object() && o.contains("wrap_up_timeout_seconds")
                                    ? o["wrap_up_timeout_seconds"].get<int64_t>() * kSec
                                    : lc::kWrapUp;
        lc::expect_wraps_up_once(*engine_, s_, id, deadline, wrap_up);
    }
};

INSTANTIATE_TEST_SUITE_P(Timers, TimersCaseTest, ::testing::ValuesIn(timer_cases()),
                         [](const ::testing::TestParamInfo<TimerCase> &i) { return i.param.name; });

TEST_P(TimersCaseTest, FiresAtItsDeadlineAndNotOneMsEarly) {
    const TimerCase &p = GetParam();
    const int64_t deadline = kStartMs + p.deadline;
    std::string id = setup();
    json before = conv(id);
    EXPECT_EQ(before["expires_at"], iso(deadline));
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, deadline);
    uint64_t seq = lc::feed_end(s_);

    engine_->set_clock(deadline - 1);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), p.from);
    EXPECT_EQ(lc::feed(s_, seq).size(), 0u);

    engine_->set_clock(deadline);
    EXPECT_EQ(engine_->tick(), 1u);
    expect_fired(id, seq);
}

TEST_P(TimersCaseTest, FiredLateItStillUsesTheDeadlineAsTheEventTime) {
    const TimerCase &p = GetParam();
    std::string id = setup();
    uint64_t seq = lc::feed_end(s_);
    engine_->set_clock(kStartMs + p.deadline + 12345);
    EXPECT_EQ(engine_->tick(), 1u);
    expect_fired(id, seq);
}

// ---- arming and disarming ----------------------------------------------------------------

class TimersTest : public ApiTest {
protected:
    void clock(int64_t offset) { engine_->set_clock(kStartMs + offset); }
    json apply(const std::string &id, const json &ev) {
        Call c = dispatch(s_, id, ev);
        EXPECT_TRUE(c.ok()) << ev.dump() << ": " << c.error;
        return c.body;
    }
    json msg(const char *role) { return {{"type", "message"}, {"role", role}, {"text", "..."}}; }
};

TEST_F(TimersTest, RingingDisarmsTheDialTimer) {
    std::string id = make("telephone");
    clock(250 * kSec);
    apply(id, {{"type", "ringing"}});
    clock(300 * kSec);  // the dial deadline had it still been armed
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), "ringing");
    clock(310 * kSec - 1);
    EXPECT_EQ(engine_->tick(), 0u);
    clock(310 * kSec);
    EXPECT_EQ(engine_->tick(), 1u);
    json c = conv(id);
    EXPECT_EQ(c["status"], "unanswered");
    EXPECT_EQ(c["end_reason"], "ring_timeout");
}

TEST_F(TimersTest, AnsweredDisarmsRingAndDial) {
    std::string id = make("telephone");
    clock(10 * kSec);
    apply(id, {{"type", "ringing"}});
    clock(20 * kSec);
    apply(id, {{"type", "answered"}});
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 1440 * kMin) << "only max-open is left";
    clock(1000 * kSec);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), "in_progress");
}

TEST_F(TimersTest, JoinedDisarmsTheJoinTimer) {
    std::string id = make("webrtc");
    clock(10 * kSec);
    apply(id, {{"type", "joined"}});
    clock(700 * kSec);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), "in_progress");
}

TEST_F(TimersTest, IdleIsArmedOnlyInProgress) {
    std::string id = make("email", "outbound", {{"idle_timeout_minutes", 1}});
    EXPECT_EQ(conv(id)["expires_at"], at(1440 * kMin));
    clock(2 * kMin);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), "triggered");
    apply(id, {{"type", "delivered"}});
    EXPECT_EQ(conv(id)["expires_at"], at(3 * kMin));
    clock(3 * kMin);
    EXPECT_EQ(engine_->tick(), 1u);
    json c = conv(id);
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "idle_timeout");
    EXPECT_EQ(c["ended_at"], at(3 * kMin));
    EXPECT_EQ(c["duration"], 60);
}

TEST_F(TimersTest, NoIdleTimeoutWhenNotSet) {
    std::string id = make("text");
    json c = conv(id);
    EXPECT_TRUE(c["idle_timeout_minutes"].is_null());
    EXPECT_EQ(c["max_open_minutes"], 1440);
    EXPECT_EQ(c["expires_at"], at(1440 * kMin));
    clock(1440 * kMin - 1);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), "in_progress");
}

TEST_F(TimersTest, TerminalStatusDisarmsEveryTimerButTheWrapUp) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 1}});
    clock(10 * kSec);
    apply(id, {{"type", "end"}});
    // Idle (70 s) and max-open (1440 min) are gone: the wrap-up (310 s) is all that fires.
    lc::expect_wraps_up_once(*engine_, s_, id, kStartMs + 10 * kSec);
    clock(2000 * kMin);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(conv(id)["end_reason"], "ended");
}

class TimersIdleResetTest : public TimersTest, public ::testing::WithParamInterface<std::string> {};
INSTANTIATE_TEST_SUITE_P(Roles, TimersIdleResetTest, ::testing::Values("user", "agent", "human"));

TEST_P(TimersIdleResetTest, EveryMessageRoleResetsIdle) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 5}});
    EXPECT_EQ(conv(id)["expires_at"], at(5 * kMin));
    clock(4 * kMin);
    json c = apply(id, msg(GetParam().c_str()));
    EXPECT_EQ(c["expires_at"], at(9 * kMin));
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 9 * kMin);
    clock(5 * kMin);  // the old deadline
    EXPECT_EQ(engine_->tick(), 0u);
    clock(9 * kMin - 1);
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(status(id), "in_progress");
    uint64_t seq = lc::feed_end(s_);
    clock(9 * kMin);
    EXPECT_EQ(engine_->tick(), 1u);
    c = conv(id);
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "idle_timeout");
    EXPECT_EQ(c["ended_at"], at(9 * kMin));
    EXPECT_EQ(c["duration"], 9 * 60);
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u);
    expect_timer_event(f[0], id, "in_progress", "completed", "idle_timeout", "idle", kStartMs + 9 * kMin);
}

TEST_F(TimersTest, MaxOpenCountsFromCreationWhateverTheActivity) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 1}, {"max_open_minutes", 2}});
    clock(50 * kSec);
    apply(id, msg("user"));
    clock(100 * kSec);
    apply(id, msg("agent"));  // idle now due at 160 s; max-open at 120 s
    EXPECT_EQ(conv(id)["expires_at"], at(120 * kSec));
    clock(119 * kSec);
    EXPECT_EQ(engine_->tick(), 0u);
    clock(150 * kSec);
    EXPECT_EQ(engine_->tick(), 1u);
    json c = conv(id);
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "max_open_timeout");
    EXPECT_EQ(c["ended_at"], at(120 * kSec));
    EXPECT_EQ(c["duration"], 120);
}

TEST_F(TimersTest, ExpiresAtIsTheEarliestPendingClosingDeadline) {
    std::string text = make("text", "outbound", {{"idle_timeout_minutes", 5}, {"max_open_minutes", 7}});
    EXPECT_EQ(conv(text)["expires_at"], at(5 * kMin));
    std::string tel = make("telephone");
    EXPECT_EQ(conv(tel)["expires_at"], at(300 * kSec));
    std::string rtc = make("webrtc");
    EXPECT_EQ(conv(rtc)["expires_at"], at(600 * kSec));
    std::string mail = make("email");
    EXPECT_EQ(conv(mail)["expires_at"], at(1440 * kMin));

    clock(60 * kSec);
    EXPECT_EQ(apply(text, msg("user"))["expires_at"], at(6 * kMin));
    clock(3 * kMin);
    EXPECT_EQ(apply(text, msg("human"))["expires_at"], at(7 * kMin)) << "max-open is now earlier";
    EXPECT_EQ(apply(tel, {{"type", "ringing"}})["expires_at"], at(3 * kMin + 60 * kSec));
    EXPECT_EQ(apply(tel, {{"type", "answered"}})["expires_at"], at(1440 * kMin));
    EXPECT_TRUE(apply(tel, {{"type", "end"}})["expires_at"].is_null());
}

TEST_F(TimersTest, NextDeadlineIsNotFoundWithoutTimersAndTheEarliestOtherwise) {
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND);
    std::string text = make("text", "outbound", {{"idle_timeout_minutes", 10}});
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 10 * kMin);
    clock(5 * kSec);
    std::string tel = make("telephone", "inbound");
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 65 * kSec);
    apply(tel, {{"type", "cancel"}});
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 5 * kSec + lc::kWrapUp) << "tel's wrap-up comes before text's idle";
    clock(6 * kSec);
    apply(text, {{"type", "end"}});
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 5 * kSec + lc::kWrapUp) << "text's idle is gone; its wrap-up is later";
    clock(5 * kSec + lc::kWrapUp);
    EXPECT_EQ(engine_->tick(), 1u);
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 6 * kSec + lc::kWrapUp);
    clock(6 * kSec + lc::kWrapUp);
    EXPECT_EQ(engine_->tick(), 1u);
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND) << "got " << iso(nd);
}

TEST_F(TimersTest, OneTickFiresAcrossConversationsInDeadlineOrder) {
    lc::Recorder rec;
    uint64_t sub = 0;
    ASSERT_EQ(convo_subscribe(engine_->get(), &lc::Recorder::fn, &rec, &sub), CONVO_OK);
    std::string rtc = make("webrtc");  // join at 600 s
    clock(1 * kSec);
    std::string out = make("telephone");  // dial at 301 s
    clock(2 * kSec);
    std::string in = make("telephone", "inbound");  // ring at 62 s
    std::string idle = make("text", "outbound", {{"idle_timeout_minutes", 2}});  // idle at 122 s
    std::string mail = make("email", "outbound", {{"max_open_minutes", 5}});      // max-open at 302 s
    std::string open = make("text");                                              // max-open at 1440 min
    uint64_t seq = lc::feed_end(s_);
    size_t seen = rec.take().size();

    // Each closing timer is followed, 300 s later, by its conversation's wrap-up; all ten are
    // due at 3600 s, and one tick fires them in deadline order.
    const Closings c =
        closings_of(in, idle, out, mail, rtc, kStartMs + 122 * kSec, kStartMs + 302 * kSec);
    const std::vector<Fired> want = {
        c.ring, c.idle, c.dial, c.max_open, wrap_up_of(c.ring), wrap_up_of(c.idle),
        c.join, wrap_up_of(c.dial), wrap_up_of(c.max_open), wrap_up_of(c.join)};
    clock(3600 * kSec);
    EXPECT_EQ(engine_->tick(), 10u);
    json f = lc::feed(s_, seq);
    expect_fired_in_order(f, want);
    for (size_t i = 1; i < f.size(); ++i)
        EXPECT_EQ(f[i]["seq"].get<uint64_t>(), f[i - 1]["seq"].get<uint64_t>() + 1);
    std::vector<json> got = rec.take();
    ASSERT_EQ(got.size(), seen + f.size());
    for (size_t i = 0; i < f.size(); ++i)
        EXPECT_EQ(got[seen + i], f[i]) << "subscriber sees the same order";
    EXPECT_EQ(status(open), "in_progress");
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(lc::feed(s_, seq).size(), 10u);
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 2 * kSec + 1440 * kMin);
    EXPECT_EQ(convo_unsubscribe(engine_->get(), sub), CONVO_OK);
}

TEST_F(TimersTest, TickOutParameterMayBeNull) {
    make("telephone", "inbound");
    clock(60 * kSec);
    EXPECT_EQ(convo_tick(engine_->get(), nullptr), CONVO_OK);
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 60 * kSec + lc::kWrapUp) << "it fired: only its wrap-up is left";
}

TEST_F(TimersTest, TheManualClockNeverGoesBackwards) {
    clock(10 * kSec);
    EXPECT_EQ(convo_clock_set(engine_->get(), kStartMs + 10 * kSec - 1), CONVO_EINVALID);
    EXPECT_EQ(engine_->now(), kStartMs + 10 * kSec);
}

// ---- clamping to platform_max_open_minutes -----------------------------------------------

class TimersClampTest : public TimersTest {
protected:
    json options() const override { return {{"platform_max_open_minutes", 30}}; }
};

TEST_F(TimersClampTest, MaxOpenAboveThePlatformMaxIsClamped) {
    std::string id = make("text", "outbound", {{"max_open_minutes", 100}});
    json c = conv(id);
    EXPECT_EQ(c["max_open_minutes"], 30);
    EXPECT_EQ(c["expires_at"], at(30 * kMin));
    clock(30 * kMin - 1);
    EXPECT_EQ(engine_->tick(), 0u);
    clock(30 * kMin);
    EXPECT_EQ(engine_->tick(), 1u);
    c = conv(id);
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "max_open_timeout");
    EXPECT_EQ(c["ended_at"], at(30 * kMin));
}

TEST_F(TimersClampTest, MaxOpenOmittedIsThePlatformMax) {
    std::string id = make("email");
    json c = conv(id);
    EXPECT_EQ(c["max_open_minutes"], 30);
    EXPECT_EQ(c["expires_at"], at(30 * kMin));
    clock(30 * kMin);
    EXPECT_EQ(engine_->tick(), 1u);
    c = conv(id);
    EXPECT_EQ(c["status"], "unanswered");
    EXPECT_EQ(c["end_reason"], "max_open_timeout");
}

TEST_F(TimersClampTest, MaxOpenBelowThePlatformMaxIsKept) {
    std::string id = make("text", "outbound", {{"max_open_minutes", 10}});
    json c = conv(id);
    EXPECT_EQ(c["max_open_minutes"], 10);
    EXPECT_EQ(c["expires_at"], at(10 * kMin));
}

TEST_F(TimersClampTest, IdleAboveThePlatformMaxIsClamped) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 100}, {"max_open_minutes", 100}});
    json c = conv(id);
    EXPECT_EQ(c["idle_timeout_minutes"], 30);
    EXPECT_EQ(c["max_open_minutes"], 30);
    EXPECT_EQ(c["expires_at"], at(30 * kMin));
}

// ---- after closing and reopening the database ----------------------------------------------

// A database file under the test temp dir, removed before and after.
class TempDb {
public:
    explicit TempDb(const std::string &tag)
        : path_(::testing::TempDir() + "convo_timers_" + tag + "_" + std::to_string(::getpid()) + ".db") {
        remove_all();
    }
    ~TempDb() { remove_all(); }
    const std::string &path() const { return path_; }

private:
    void remove_all() {
        for (const char *suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path_ + suffix).c_str());
    }
    std::string path_;
};

TEST(TimersReopen, OverdueTimersFireOnceEachAtItsDeadlineInDeadlineOrder) {
    TempDb db("reopen");
    std::string rtc, out, in, idle, mail, open;
    uint64_t seq = 0;
    {
        Engine e1(json{{"path", db.path()}});
        ASSERT_EQ(e1.open_code(), CONVO_OK) << e1.open_error();
        convo_session *s = e1.session("org_a");
        ASSERT_TRUE(agent_put(s, standard_agent()).ok());
        auto mk = [&](const std::string &ch, const std::string &dir, json extra) {
            json r = request_for(ch, dir);
            r.update(extra);
            Call c = create(s, r);
            EXPECT_TRUE(c.ok()) << c.error;
            if (!c.ok()) return std::string();
            return c.body.contains("contact_id") ? c.body["contact_id"].get<std::string>()
                                                 : c.body["conversation"]["id"].get<std::string>();
        };
        rtc = mk("webrtc", "outbound", json::object());  // join at 600 s
        e1.set_clock(kStartMs + 1 * kSec);
        out = mk("telephone", "outbound", json::object());  // dial at 301 s
        e1.set_clock(kStartMs + 2 * kSec);
        in = mk("telephone", "inbound", json::object());  // ring at 62 s
        idle = mk("text", "outbound", {{"idle_timeout_minutes", 15}});  // idle reset below
        e1.set_clock(kStartMs + 3 * kSec);
        mail = mk("email", "outbound", {{"max_open_minutes", 30}});  // max-open at 1803 s
        open = mk("text", "outbound", json::object());                // max-open at 3 s + 1440 min
        Call m = dispatch(s, idle, {{"type", "message"}, {"role", "user"}, {"text", "hi"}});
        ASSERT_TRUE(m.ok()) << m.error;  // idle at 3 s + 15 min = 903 s
        seq = lc::feed_end(s);
        int64_t nd = 0;
        EXPECT_EQ(next_deadline(e1.get(), &nd), CONVO_OK);
        EXPECT_EQ(nd, kStartMs + 62 * kSec);
    }

    Engine e2(json{{"path", db.path()}, {"start", iso(kStartMs + 3600 * kSec)}});
    ASSERT_EQ(e2.open_code(), CONVO_OK) << e2.open_error();
    convo_session *s = e2.session("org_a");
    // Nothing fires on open: the deadlines wait for the next tick.
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(e2.get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 62 * kSec);
    EXPECT_EQ(lc::feed_end(s), seq);
    Call g = get(s, in);
    ASSERT_TRUE(g.ok()) << g.error;
    EXPECT_EQ(g.body["status"], "ringing");
    EXPECT_EQ(g.body["expires_at"], at(62 * kSec));

    lc::Recorder rec;
    uint64_t sub = 0;
    ASSERT_EQ(convo_subscribe(e2.get(), &lc::Recorder::fn, &rec, &sub), CONVO_OK);
    // The five closing timers and the five wrap-ups they arm (300 s after each) are all overdue.
    const Closings k =
        closings_of(in, idle, out, mail, rtc, kStartMs + 903 * kSec, kStartMs + 1803 * kSec);
    EXPECT_EQ(e2.tick(), 10u);
    json f = lc::feed(s, seq);
    expect_fired_in_order(f, {k.ring, k.dial, wrap_up_of(k.ring), k.join, wrap_up_of(k.dial),
                              wrap_up_of(k.join), k.idle, wrap_up_of(k.idle), k.max_open,
                              wrap_up_of(k.max_open)});
    for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ(f[i]["seq"].get<uint64_t>(), seq + 1 + i) << "gapless";
    std::vector<json> got = rec.take();
    ASSERT_EQ(got.size(), f.size());
    for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ(got[i], f[i]);

    json c = get(s, idle).body;
    EXPECT_EQ(c["ended_at"], at(903 * kSec));
    EXPECT_EQ(c["duration"], 901);
    EXPECT_EQ(get(s, in).body["ended_at"], at(62 * kSec));
    EXPECT_EQ(get(s, open).body["status"], "in_progress");

    // A second tick fires nothing.
    EXPECT_EQ(e2.tick(), 0u);
    EXPECT_EQ(lc::feed(s, seq).size(), 10u);
    EXPECT_EQ(rec.take().size(), 10u);

    // The deadline that had not passed is still pending and fires at its time.
    EXPECT_EQ(next_deadline(e2.get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 3 * kSec + 1440 * kMin);
    e2.set_clock(kStartMs + 3 * kSec + 1440 * kMin);
    EXPECT_EQ(e2.tick(), 1u);
    c = get(s, open).body;
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "max_open_timeout");
    EXPECT_EQ(c["ended_at"], at(3 * kSec + 1440 * kMin));
    lc::expect_wraps_up_once(e2, s, open, kStartMs + 3 * kSec + 1440 * kMin);
    EXPECT_EQ(convo_unsubscribe(e2.get(), sub), CONVO_OK);
}

TEST(TimersReopen, ASecondEngineOnTheSameFileIsAConflict) {
    TempDb db("inuse");
    auto e1 = std::make_unique<Engine>(json{{"path", db.path()}});
    ASSERT_EQ(e1->open_code(), CONVO_OK) << e1->open_error();
    const std::string opts = json{{"path", db.path()}, {"clock", "manual"}, {"start", kStart}}.dump();
    convo_engine *e2 = nullptr;
    EXPECT_EQ(convo_engine_open(opts.c_str(), &e2), CONVO_ECONFLICT);
    EXPECT_STRNE(convo_last_error(), "");
    EXPECT_EQ(e2, nullptr);
    convo_engine_close(e2);
    e2 = nullptr;
    // The first engine is unharmed.
    convo_session *s = e1->session("org_a");
    ASSERT_TRUE(agent_put(s, standard_agent()).ok());
    EXPECT_TRUE(create(s, request_for("text")).ok());
    // Once it is closed, the file can be opened again.
    e1.reset();
    EXPECT_EQ(convo_engine_open(opts.c_str(), &e2), CONVO_OK) << convo_last_error();
    convo_engine_close(e2);
}

}  // namespace
}  // namespace convo_test
