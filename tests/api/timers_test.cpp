// Timers (issue 2, section 6): idle, max-open, ring, dial and join fire at their deadlines through
// convo_clock_set + convo_tick, with the deadline as the event time; expires_at,
// convo_next_deadline, ordering within one tick, and the same after closing and reopening a
// database file.
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
        EXPECT_EQ(c["ended_at"], iso(deadline));
        EXPECT_EQ(c["updated_at"], iso(deadline));
        EXPECT_TRUE(c["expires_at"].is_null());
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
        int64_t nd = 0;
        EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND) << "nothing pending, got " << nd;
        EXPECT_EQ(engine_->tick(), 0u) << "fires once";
        EXPECT_EQ(lc::feed(s_, seq).size(), 1u);
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

TEST_F(TimersTest, TerminalStatusDisarmsEveryTimer) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 1}});
    clock(10 * kSec);
    apply(id, {{"type", "end"}});
    int64_t nd = 0;
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND);
    EXPECT_TRUE(conv(id)["expires_at"].is_null());
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
    EXPECT_EQ(nd, kStartMs + 10 * kMin);
    apply(text, {{"type", "end"}});
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND);
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

    clock(3600 * kSec);
    EXPECT_EQ(engine_->tick(), 5u);
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 5u) << f.dump();
    expect_timer_event(f[0], in, "ringing", "unanswered", "ring_timeout", "ring", kStartMs + 62 * kSec);
    expect_timer_event(f[1], idle, "in_progress", "completed", "idle_timeout", "idle", kStartMs + 122 * kSec);
    expect_timer_event(f[2], out, "triggered", "failed", "dial_timeout", "dial", kStartMs + 301 * kSec);
    expect_timer_event(f[3], mail, "triggered", "unanswered", "max_open_timeout", "max_open",
                       kStartMs + 302 * kSec);
    expect_timer_event(f[4], rtc, "token_created", "unanswered", "token_expired", "join", kStartMs + 600 * kSec);
    for (size_t i = 1; i < f.size(); ++i)
        EXPECT_EQ(f[i]["seq"].get<uint64_t>(), f[i - 1]["seq"].get<uint64_t>() + 1);
    std::vector<json> got = rec.take();
    ASSERT_EQ(got.size(), seen + 5);
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(got[seen + i], f[i]) << "subscriber sees the same order";
    EXPECT_EQ(status(open), "in_progress");
    EXPECT_EQ(engine_->tick(), 0u);
    EXPECT_EQ(lc::feed(s_, seq).size(), 5u);
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
    EXPECT_EQ(next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND) << "it fired";
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
    EXPECT_EQ(e2.tick(), 5u);
    json f = lc::feed(s, seq);
    ASSERT_EQ(f.size(), 5u) << f.dump();
    expect_timer_event(f[0], in, "ringing", "unanswered", "ring_timeout", "ring", kStartMs + 62 * kSec);
    expect_timer_event(f[1], out, "triggered", "failed", "dial_timeout", "dial", kStartMs + 301 * kSec);
    expect_timer_event(f[2], rtc, "token_created", "unanswered", "token_expired", "join", kStartMs + 600 * kSec);
    expect_timer_event(f[3], idle, "in_progress", "completed", "idle_timeout", "idle", kStartMs + 903 * kSec);
    expect_timer_event(f[4], mail, "triggered", "unanswered", "max_open_timeout", "max_open",
                       kStartMs + 1803 * kSec);
    for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ(f[i]["seq"].get<uint64_t>(), seq + 1 + i) << "gapless";
    std::vector<json> got = rec.take();
    ASSERT_EQ(got.size(), 5u);
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(got[i], f[i]);

    json c = get(s, idle).body;
    EXPECT_EQ(c["ended_at"], at(903 * kSec));
    EXPECT_EQ(c["duration"], 901);
    EXPECT_EQ(get(s, in).body["ended_at"], at(62 * kSec));
    EXPECT_EQ(get(s, open).body["status"], "in_progress");

    // A second tick fires nothing.
    EXPECT_EQ(e2.tick(), 0u);
    EXPECT_EQ(lc::feed(s, seq).size(), 5u);
    EXPECT_EQ(rec.take().size(), 5u);

    // The deadline that had not passed is still pending and fires at its time.
    EXPECT_EQ(next_deadline(e2.get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + 3 * kSec + 1440 * kMin);
    e2.set_clock(kStartMs + 3 * kSec + 1440 * kMin);
    EXPECT_EQ(e2.tick(), 1u);
    c = get(s, open).body;
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "max_open_timeout");
    EXPECT_EQ(c["ended_at"], at(3 * kSec + 1440 * kMin));
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
