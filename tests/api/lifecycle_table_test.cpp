// The golden test: convo_describe() is exactly the lifecycle table of issue 2, section 6, with
// issue 3's channels (sms, whatsapp), events (takeover, handback, close, finalize) and phase
// timers (takeover, wrap_up). This is the one place the table is written in the tests; the
// lifecycle matrix tests are driven from convo_describe() and rely on this test for its
// correctness.
//
// A transition's channel list is compared as the channels on which its `from` status can occur
// (listing "text" for a transition out of `ringing` changes nothing, since a text conversation is
// never ringing); a row without a channel note in the issue is allowed on every channel.
#include "lifecycle_support.h"

#include <tuple>

namespace convo_test {
namespace {

using lc::Table;

const std::vector<std::string> kAll = {"telephone", "webrtc", "email", "text", "sms", "whatsapp"};
const std::vector<std::string> kEnded = {"completed", "cancelled", "unanswered", "failed",
                                         "transferred"};

// Issue 2, section 6, and issue 3, as data.
Table expected_table() {
    Table t;
    t.statuses = {"triggered", "ringing",    "token_created", "in_progress", "completed",
                  "cancelled", "unanswered", "failed",        "transferred"};
    for (const std::string &s : t.statuses)
        t.terminal[s] = !(s == "triggered" || s == "ringing" || s == "token_created" ||
                          s == "in_progress");
    t.channels = kAll;
    auto row = [&t](const std::string &ev, std::vector<std::string> from, const std::string &to,
                    std::vector<std::string> channels) {
        if (std::find(t.events.begin(), t.events.end(), ev) == t.events.end()) t.events.push_back(ev);
        for (const std::string &f : from)
            t.transitions[ev].push_back(
                lc::Transition{f, to.empty() ? f : to, {channels.begin(), channels.end()}});
    };
    // clang-format off
    row("ringing",   {"triggered"},                                        "ringing",     {"telephone"});
    row("answered",  {"triggered", "ringing"},                             "in_progress", {"telephone"});
    row("joined",    {"token_created"},                                    "in_progress", {"webrtc"});
    row("delivered", {"triggered"},                                        "in_progress", {"email"});
    row("message",   {"in_progress"},                                      "in_progress", kAll);
    row("message",   {"triggered"},                                        "in_progress", {"email"});
    row("end",       {"in_progress"},                                      "completed",   kAll);
    row("cancel",    {"triggered", "ringing", "token_created"},            "cancelled",   kAll);
    row("no_answer", {"triggered", "ringing"},                             "unanswered",  kAll);
    row("busy",      {"triggered", "ringing"},                             "unanswered",  kAll);
    row("fail",      {"triggered", "ringing", "token_created", "in_progress"}, "failed",  kAll);
    row("transfer",  {"ringing", "in_progress"},                           "transferred", kAll);
    row("annotate",  t.statuses,                                           "",            kAll);  // to == from
    // issue 3
    row("takeover",  {"in_progress"},                                      "",            kAll);
    row("handback",  {"in_progress"},                                      "",            kAll);
    row("close",     {"in_progress"},                                      "completed",   kAll);
    row("close",     {"triggered", "ringing", "token_created"},            "cancelled",   kAll);
    row("close",     kEnded,                                               "",            kAll);  // a no-op
    row("finalize",  kEnded,                                               "",            kAll);

    const std::set<std::string> all(kAll.begin(), kAll.end());
    const std::set<std::string> ended(kEnded.begin(), kEnded.end());
    //  name        armed in         channels      fires                          end reason       closes
    //      when               effect      length                     reset by
    t.timers = {
        {"idle",     {"in_progress"}, all,         {{"in_progress", "completed"}}, "idle_timeout",  true,
            "always",          "status",   "idle_timeout_minutes",    {"message"}},
        {"max_open", {"triggered", "ringing", "token_created", "in_progress"}, all,
                     {{"in_progress", "completed"}, {"triggered", "unanswered"},
                      {"ringing", "unanswered"}, {"token_created", "unanswered"}}, "max_open_timeout", true,
            "always",          "status",   "max_open_minutes",        {}},
        {"ring",     {"ringing"},     all,         {{"ringing", "unanswered"}},    "ring_timeout",  true,
            "always",          "status",   "ring_timeout_seconds",    {}},
        {"dial",     {"triggered"},   {"telephone"}, {{"triggered", "failed"}},    "dial_timeout",  true,
            "always",          "status",   "dial_timeout_seconds",    {}},
        {"join",     {"token_created"}, all,       {{"token_created", "unanswered"}}, "token_expired", true,
            "always",          "status",   "token_ttl_seconds",       {}},
        // issue 3: phase timers, which end a phase, not the conversation
        {"takeover", {"in_progress"}, all,         {},                             "",              false,
            "human_takeover",  "handback", "takeover.minutes",        {"takeover"}},
        {"wrap_up",  ended,           all,         {},                             "",              false,
            "wrap_up_pending", "finalize", "wrap_up_timeout_seconds", {}},
    };
    // clang-format on
    return t;
}

// The issue writes the timer "max-open"; accept max_open and max-open alike.
std::string timer_key(std::string name) {
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

using Reach = std::set<std::pair<std::string, std::string>>;  // (channel, status)

Reach reachable(const Table &t) {
    Reach r;
    for (const auto &kv : lc::routes(t)) r.insert(kv.first);
    return r;
}

std::set<std::tuple<std::string, std::string, std::string>> effective(
    const std::vector<lc::Transition> &ts, const Reach &reach) {
    std::set<std::tuple<std::string, std::string, std::string>> out;  // (from, to, channel)
    for (const lc::Transition &tr : ts)
        for (const std::string &c : tr.channels)
            if (reach.count({c, tr.from})) out.insert({tr.from, tr.to, c});
    return out;
}

struct TimerView {
    std::set<std::string> armed_in, channels;
    std::set<std::pair<std::string, std::string>> fires;
    std::string end_reason;
    bool closes;
    std::string when, effect, length;
    std::set<std::string> reset_by;
    bool operator==(const TimerView &o) const {
        return armed_in == o.armed_in && channels == o.channels && fires == o.fires &&
               end_reason == o.end_reason && closes == o.closes && when == o.when &&
               effect == o.effect && length == o.length && reset_by == o.reset_by;
    }
};

std::ostream &operator<<(std::ostream &os, const TimerView &v) {
    json j{{"armed_in", v.armed_in}, {"channels", v.channels}, {"end_reason", v.end_reason},
           {"closes", v.closes},     {"when", v.when},         {"effect", v.effect},
           {"length", v.length},     {"reset_by", v.reset_by}};
    for (const auto &f : v.fires) j["fires"].push_back({f.first, f.second});
    return os << j.dump();
}

TimerView timer_view(const lc::TimerRow &tm, const Reach &reach) {
    TimerView v;
    v.armed_in = tm.armed_in;
    for (const std::string &c : tm.channels)
        for (const std::string &s : tm.armed_in)
            if (reach.count({c, s})) v.channels.insert(c);
    for (const lc::TimerFire &f : tm.fires) v.fires.insert({f.from, f.to});
    v.end_reason = tm.end_reason;
    v.closes = tm.closes;
    v.when = tm.when;
    v.effect = tm.effect;
    v.length = tm.length;
    v.reset_by = tm.reset_by;
    return v;
}

class LifecycleTableTest : public ApiTest {
protected:
    void SetUp() override {
        ApiTest::SetUp();
        Call d = lc::describe(engine_->get());
        ASSERT_TRUE(d.ok()) << d.error;
        raw_ = d.body;
        try {
            actual_ = lc::parse_table(d.body);
        } catch (const std::exception &e) {
            FAIL() << "describe() has the wrong shape: " << e.what() << "\n" << d.body.dump(2);
        }
        expected_ = expected_table();
        reach_ = reachable(expected_);
    }
    json raw_;
    Table actual_, expected_;
    Reach reach_;
};

TEST_F(LifecycleTableTest, StatusesAndTerminalFlags) {
    EXPECT_EQ(actual_.statuses.size(), 9u);
    EXPECT_EQ(actual_.terminal, expected_.terminal);
}

TEST_F(LifecycleTableTest, Channels) {
    std::set<std::string> got(actual_.channels.begin(), actual_.channels.end());
    EXPECT_EQ(actual_.channels.size(), 6u);
    EXPECT_EQ(got, std::set<std::string>(kAll.begin(), kAll.end()));
}

TEST_F(LifecycleTableTest, EventNames) {
    std::set<std::string> got(actual_.events.begin(), actual_.events.end());
    std::set<std::string> want(expected_.events.begin(), expected_.events.end());
    EXPECT_EQ(actual_.events.size(), 16u) << "each event listed once";
    EXPECT_EQ(got, want);
}

TEST_F(LifecycleTableTest, EveryEventsTransitions) {
    for (const std::string &ev : expected_.events) {
        SCOPED_TRACE("event " + ev);
        auto want = effective(expected_.transitions[ev], reach_);
        auto it = actual_.transitions.find(ev);
        ASSERT_NE(it, actual_.transitions.end());
        auto got = effective(it->second, reach_);
        for (const auto &x : want)
            EXPECT_TRUE(got.count(x)) << "missing " << std::get<0>(x) << " -> " << std::get<1>(x)
                                      << " on " << std::get<2>(x);
        for (const auto &x : got)
            EXPECT_TRUE(want.count(x)) << "not in the table: " << std::get<0>(x) << " -> "
                                       << std::get<1>(x) << " on " << std::get<2>(x);
    }
}

TEST_F(LifecycleTableTest, TransitionsOnlyNameKnownStatusesAndChannels) {
    std::set<std::string> channels(kAll.begin(), kAll.end());
    for (const auto &kv : actual_.transitions)
        for (const lc::Transition &tr : kv.second) {
            SCOPED_TRACE(kv.first + ": " + tr.from + " -> " + tr.to);
            EXPECT_TRUE(expected_.terminal.count(tr.from));
            EXPECT_TRUE(expected_.terminal.count(tr.to));
            for (const std::string &c : tr.channels) EXPECT_TRUE(channels.count(c)) << c;
        }
}

TEST_F(LifecycleTableTest, Timers) {
    std::map<std::string, TimerView> want, got;
    for (const lc::TimerRow &tm : expected_.timers) want[tm.name] = timer_view(tm, reach_);
    for (const lc::TimerRow &tm : actual_.timers) {
        EXPECT_FALSE(got.count(timer_key(tm.name))) << "timer listed twice: " << tm.name;
        got[timer_key(tm.name)] = timer_view(tm, reach_);
    }
    EXPECT_EQ(actual_.timers.size(), 7u);
    for (const auto &kv : want) {
        SCOPED_TRACE("timer " + kv.first);
        auto it = got.find(kv.first);
        ASSERT_NE(it, got.end());
        EXPECT_EQ(it->second, kv.second);
    }
    for (const auto &kv : got) EXPECT_TRUE(want.count(kv.first)) << "unknown timer " << kv.first;
}

// Where each conversation starts (the create contract): sms and whatsapp like text.
TEST_F(LifecycleTableTest, InitialStatuses) {
    const json want = json::array({
        {{"channel", "telephone"}, {"direction", "outbound"}, {"status", "triggered"}},
        {{"channel", "telephone"}, {"direction", "inbound"}, {"status", "ringing"}},
        {{"channel", "webrtc"}, {"direction", nullptr}, {"status", "token_created"}},
        {{"channel", "email"}, {"direction", nullptr}, {"status", "triggered"}},
        {{"channel", "text"}, {"direction", nullptr}, {"status", "in_progress"}},
        {{"channel", "sms"}, {"direction", nullptr}, {"status", "in_progress"}},
        {{"channel", "whatsapp"}, {"direction", nullptr}, {"status", "in_progress"}},
    });
    ASSERT_TRUE(raw_.contains("initial")) << raw_.dump(2);
    std::set<json> got(raw_["initial"].begin(), raw_["initial"].end());
    EXPECT_EQ(got, std::set<json>(want.begin(), want.end())) << raw_["initial"].dump();
    EXPECT_EQ(raw_["initial"].size(), want.size());
}

TEST_F(LifecycleTableTest, SameAnswerEveryTimeAndNullChecks) {
    Call again = lc::describe(engine_->get());
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_EQ(again.body, raw_);
    EXPECT_EQ(again.error, "");
    char *out = reinterpret_cast<char *>(1);
    EXPECT_EQ(convo_describe(nullptr, &out), CONVO_EMISUSE);
    EXPECT_EQ(convo_describe(engine_->get(), nullptr), CONVO_EMISUSE);
}

}  // namespace
}  // namespace convo_test
