// The lifecycle through convo_dispatch: every allowed row of the table (issue 2, section 6, and
// issue 3's channels and events) with its effects on the conversation and the feed, then every
// forbidden (channel, status, event) cell, driven from convo_describe() (whose correctness
// lifecycle_table_test.cpp pins down).
#include "lifecycle_support.h"

#include <map>
#include <stdexcept>
#include <tuple>

namespace convo_test {
namespace {

using lc::at;
using lc::kMin;
using lc::kSec;

const std::vector<std::string> kChannels = {"telephone", "webrtc", "email",
                                            "text",      "sms",    "whatsapp"};

class LifecycleTest : public ApiTest {
protected:
    // Dispatches `ev` and expects success; returns the conversation it answers with.
    json apply(const std::string &id, const json &ev) {
        Call c = dispatch(s_, id, ev);
        EXPECT_EQ(c.code, CONVO_OK) << ev.dump() << ": " << c.error;
        EXPECT_EQ(c.error, "");
        return c.body;
    }
    // Moves the clock to kStart + offset.
    void clock(int64_t offset) { engine_->set_clock(kStartMs + offset); }

    // Checks one status_changed feed event.
    void expect_change(const json &e, const std::string &id, const std::string &from,
                       const std::string &to, const std::string &reason, const std::string &event,
                       int64_t offset) {
        EXPECT_EQ(e.value("type", ""), "status_changed") << e.dump();
        EXPECT_EQ(e.value("conversation_id", ""), id);
        EXPECT_EQ(e.value("organization_id", ""), "org_a");
        EXPECT_EQ(e["from"], from) << e.dump();
        EXPECT_EQ(e["to"], to) << e.dump();
        EXPECT_EQ(e["reason"], reason) << e.dump();
        EXPECT_EQ(e["at"], at(offset)) << e.dump();
        ASSERT_TRUE(e.contains("data")) << e.dump();
        EXPECT_EQ(e["data"].value("event", ""), event) << e.dump();
    }

    // A conversation of `channel` that entered in_progress at kStart + *started.
    std::string open_in_progress(const std::string &channel, int64_t *started) {
        if (channel == "text" || channel == "sms" || channel == "whatsapp") {
            *started = 0;
            return make("text");
        }
        std::string id = make(channel);
        clock(10 * kSec);
        *started = 10 * kSec;
        const char *ev = channel == "telephone" ? "answered" : channel == "webrtc" ? "joined" : "delivered";
        json c = apply(id, {{"type", ev}});
        EXPECT_EQ(c.value("status", ""), "in_progress");
        return id;
    }
};

// ---- telephone, webrtc, email: getting started --------------------------------------------

TEST_F(LifecycleTest, RingingFromTriggeredTelephone) {
    std::string id = make("telephone");
    EXPECT_EQ(status(id), "triggered");
    uint64_t seq = lc::feed_end(s_);
    clock(5 * kSec);
    json c = apply(id, {{"type", "ringing"}});
    EXPECT_EQ(c, conv(id));
    EXPECT_EQ(c["status"], "ringing");
    EXPECT_TRUE(c["end_reason"].is_null());
    EXPECT_TRUE(c["started_at"].is_null());
    EXPECT_TRUE(c["ended_at"].is_null());
    EXPECT_TRUE(c["duration"].is_null());
    EXPECT_EQ(c["updated_at"], at(5 * kSec));
    EXPECT_EQ(c["expires_at"], at(65 * kSec)) << "the ring timer (60 s) is the earliest deadline";
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, "triggered", "ringing", "ringing", "ringing", 5 * kSec);
}

TEST_F(LifecycleTest, AnsweredFromTriggeredTelephoneWhenRingingWasLost) {
    std::string id = make("telephone");
    uint64_t seq = lc::feed_end(s_);
    clock(7 * kSec);
    json c = apply(id, {{"type", "answered"}});
    EXPECT_EQ(c["status"], "in_progress");
    EXPECT_EQ(c["started_at"], at(7 * kSec));
    EXPECT_TRUE(c["ended_at"].is_null());
    EXPECT_TRUE(c["end_reason"].is_null());
    EXPECT_EQ(c["duration"], 0);
    EXPECT_EQ(c["user_turn_count"], 0);
    EXPECT_EQ(c["expires_at"], at(1440 * kMin)) << "only max-open (from creation) is left";
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, "triggered", "in_progress", "answered", "answered", 7 * kSec);
    // duration runs with the clock while open
    clock(7 * kSec + 42 * kSec);
    EXPECT_EQ(conv(id)["duration"], 42);
}

TEST_F(LifecycleTest, AnsweredFromRingingOutbound) {
    std::string id = make("telephone");
    clock(3 * kSec);
    apply(id, {{"type", "ringing"}});
    uint64_t seq = lc::feed_end(s_);
    clock(12 * kSec);
    json c = apply(id, {{"type", "answered"}});
    EXPECT_EQ(c["status"], "in_progress");
    EXPECT_EQ(c["started_at"], at(12 * kSec));
    EXPECT_EQ(c["updated_at"], at(12 * kSec));
    EXPECT_EQ(c["duration"], 0);
    EXPECT_EQ(c["expires_at"], at(1440 * kMin));
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, "ringing", "in_progress", "answered", "answered", 12 * kSec);
}

TEST_F(LifecycleTest, AnsweredFromRingingInbound) {
    std::string id = make("telephone", "inbound");
    json c0 = conv(id);
    EXPECT_EQ(c0["status"], "ringing");
    EXPECT_EQ(c0["direction"], "inbound");
    EXPECT_EQ(c0["expires_at"], at(60 * kSec));
    clock(20 * kSec);
    json c = apply(id, {{"type", "answered"}});
    EXPECT_EQ(c["status"], "in_progress");
    EXPECT_EQ(c["started_at"], at(20 * kSec));
    clock(80 * kSec);
    EXPECT_EQ(conv(id)["duration"], 60);
}

TEST_F(LifecycleTest, JoinedFromTokenCreatedWebrtc) {
    std::string id = make("webrtc");
    json c0 = conv(id);
    EXPECT_EQ(c0["status"], "token_created");
    EXPECT_EQ(c0["expires_at"], at(600 * kSec)) << "join timer (600 s)";
    uint64_t seq = lc::feed_end(s_);
    clock(30 * kSec);
    json c = apply(id, {{"type", "joined"}});
    EXPECT_EQ(c["status"], "in_progress");
    EXPECT_EQ(c["started_at"], at(30 * kSec));
    EXPECT_EQ(c["duration"], 0);
    EXPECT_EQ(c["expires_at"], at(1440 * kMin));
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, "token_created", "in_progress", "joined", "joined", 30 * kSec);
}

TEST_F(LifecycleTest, DeliveredFromTriggeredEmail) {
    std::string id = make("email");
    EXPECT_EQ(status(id), "triggered");
    uint64_t seq = lc::feed_end(s_);
    clock(2 * kSec);
    json c = apply(id, {{"type", "delivered"}});
    EXPECT_EQ(c["status"], "in_progress");
    EXPECT_EQ(c["started_at"], at(2 * kSec));
    EXPECT_EQ(c["user_turn_count"], 0);
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, "triggered", "in_progress", "delivered", "delivered", 2 * kSec);
}

TEST_F(LifecycleTest, MessageFromTriggeredEmailOpensTheConversation) {
    std::string id = make("email");
    uint64_t seq = lc::feed_end(s_);
    clock(30 * kSec);
    json c = apply(id, {{"type", "message"}, {"role", "user"}, {"text", "Re: your offer"}});
    EXPECT_EQ(c["status"], "in_progress");
    EXPECT_EQ(c["started_at"], at(30 * kSec));
    EXPECT_EQ(c["user_turn_count"], 1);
    EXPECT_EQ(c["updated_at"], at(30 * kSec));
    json msgs = c["conversation"]["messages"];
    ASSERT_FALSE(msgs.empty()) << c.dump();
    EXPECT_EQ(msgs.back(), (json{{"role", "user"}, {"text", "Re: your offer"}, {"at", at(30 * kSec)}}));
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 2u) << f.dump();
    expect_change(f[0], id, "triggered", "in_progress", "message", "message", 30 * kSec);
    EXPECT_EQ(f[1]["type"], "message");
    EXPECT_EQ(f[1]["seq"].get<uint64_t>(), f[0]["seq"].get<uint64_t>() + 1);
    EXPECT_EQ(f[1]["data"], (json{{"role", "user"}, {"text", "Re: your offer"}}));
}

// ---- in_progress on every channel --------------------------------------------------------

class LifecycleInProgressTest : public LifecycleTest,
                                public ::testing::WithParamInterface<std::string> {};

INSTANTIATE_TEST_SUITE_P(Channels, LifecycleInProgressTest, ::testing::ValuesIn(kChannels));

TEST_P(LifecycleInProgressTest, MessagesKeepTheStatusAndCountOnlyUserTurns) {
    int64_t started = 0;
    std::string id = open_in_progress(GetParam(), &started);
    json before = conv(id);
    size_t base = before["conversation"]["messages"].size();
    uint64_t seq = lc::feed_end(s_);
    struct M {
        const char *role, *text;
        int turns;
    };
    const M ms[] = {{"user", "I need help", 1}, {"agent", "Sure", 1}, {"human", "Taking over", 1},
                    {"user", "Thanks", 2}};
    int64_t t = started;
    for (const M &m : ms) {
        t += 5 * kSec;
        clock(t);
        json c = apply(id, {{"type", "message"}, {"role", m.role}, {"text", m.text}});
        EXPECT_EQ(c["status"], "in_progress");
        EXPECT_EQ(c["user_turn_count"], m.turns) << m.role;
        EXPECT_EQ(c["updated_at"], at(t));
        EXPECT_EQ(c["started_at"], at(started));
        EXPECT_TRUE(c["end_reason"].is_null());
        ASSERT_EQ(c["conversation"]["messages"].size(), base + (&m - ms) + 1);
        EXPECT_EQ(c["conversation"]["messages"].back(),
                  (json{{"role", m.role}, {"text", m.text}, {"at", at(t)}}));
    }
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 4u) << "one message event each, no status_changed: " << f.dump();
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(f[i]["type"], "message");
        EXPECT_EQ(f[i]["conversation_id"], id);
        EXPECT_EQ(f[i]["data"], (json{{"role", ms[i].role}, {"text", ms[i].text}}));
        EXPECT_EQ(f[i]["at"], at(started + 5 * kSec * static_cast<int64_t>(i + 1)));
    }
}

TEST_P(LifecycleInProgressTest, EndWithoutReasonCompletesWithEnded) {
    int64_t started = 0;
    std::string id = open_in_progress(GetParam(), &started);
    apply(id, {{"type", "message"}, {"role", "user"}, {"text", "bye"}});
    uint64_t seq = lc::feed_end(s_);
    clock(started + 95 * kSec);
    json c = apply(id, {{"type", "end"}});
    EXPECT_EQ(c, conv(id));
    EXPECT_EQ(c["status"], "completed");
    EXPECT_EQ(c["end_reason"], "ended");
    EXPECT_EQ(c["ended_at"], at(started + 95 * kSec));
    EXPECT_EQ(c["started_at"], at(started));
    EXPECT_EQ(c["duration"], 95);
    EXPECT_EQ(c["user_turn_count"], 1);
    lc::expect_wrap_up_pending(c, kStartMs + started + 95 * kSec);
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, "in_progress", "completed", "ended", "end", started + 95 * kSec);
    // duration is frozen once ended
    clock(started + 500 * kSec);
    EXPECT_EQ(conv(id)["duration"], 95);
}

// An event that closes an in_progress conversation after `secs` seconds.
struct Closing {
    const char *name;
    json event;
    const char *status;
    const char *end_reason;
    int secs;
};
const Closing kClosing[] = {
    {"end", {{"type", "end"}, {"reason", "user_hung_up"}}, "completed", "user_hung_up", 3},
    {"fail", {{"type", "fail"}, {"reason", "media_error"}}, "failed", "media_error", 14},
    {"transfer", {{"type", "transfer"}, {"to", "+14155550100"}}, "transferred", "transferred", 61},
    {"close", {{"type", "close"}, {"skip_notifications", true}}, "completed", "closed", 42},
};

class LifecycleClosingTest : public LifecycleTest,
                             public ::testing::WithParamInterface<std::tuple<std::string, int>> {};
INSTANTIATE_TEST_SUITE_P(Channels, LifecycleClosingTest,
                         ::testing::Combine(::testing::ValuesIn(kChannels),
                                            ::testing::Range(0, int(std::size(kClosing)))),
                         [](const auto &info) {
                             return std::get<0>(info.param) + "_" + kClosing[std::get<1>(info.param)].name;
                         });

TEST_P(LifecycleClosingTest, EndsWithItsReason) {
    const Closing &k = kClosing[std::get<1>(GetParam())];
    int64_t started = 0;
    std::string id = open_in_progress(std::get<0>(GetParam()), &started);
    uint64_t seq = lc::feed_end(s_);
    clock(started + k.secs * kSec);
    json c = apply(id, k.event);
    EXPECT_EQ(c["status"], k.status);
    EXPECT_EQ(c["end_reason"], k.end_reason);
    EXPECT_EQ(c["ended_at"], at(started + k.secs * kSec));
    EXPECT_EQ(c["duration"], k.secs);
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u);
    expect_change(f[0], id, "in_progress", k.status, k.end_reason,
                  k.event["type"].get<std::string>(), started + k.secs * kSec);
    if (k.event["type"] == "transfer") EXPECT_EQ(c["transferred_to"], "+14155550100");
    if (k.event["type"] == "close") {
        EXPECT_EQ(f[0]["data"]["skip_notifications"], true);
    }
    lc::expect_wraps_up_once(*engine_, s_, id, kStartMs + started + k.secs * kSec);
}

// ---- closing before the conversation started ---------------------------------------------

struct EarlyClose {
    std::string name;
    std::string channel, direction;
    std::vector<std::string> via;  // events that lead to `from`
    std::string from;
    json event;
    std::string status, end_reason;
};

void PrintTo(const EarlyClose &c, std::ostream *os) { *os << c.name; }

std::vector<EarlyClose> early_closes() {
    std::vector<EarlyClose> v;
    struct Origin {
        std::string tag, channel, direction;
        std::vector<std::string> via;
        std::string from;
    };
    const Origin tel_triggered{"TelephoneTriggered", "telephone", "outbound", {}, "triggered"};
    const Origin tel_ringing{"TelephoneRinging", "telephone", "outbound", {"ringing"}, "ringing"};
    const Origin tel_inbound{"TelephoneInboundRinging", "telephone", "inbound", {}, "ringing"};
    const Origin email_triggered{"EmailTriggered", "email", "outbound", {}, "triggered"};
    const Origin webrtc_token{"WebrtcTokenCreated", "webrtc", "outbound", {}, "token_created"};
    auto add = [&v](const Origin &o, const std::string &what, const json &ev, const std::string &st,
                    const std::string &reason) {
        v.push_back({what + "From" + o.tag, o.channel, o.direction, o.via, o.from, ev, st, reason});
    };
    for (const Origin &o : {tel_triggered, tel_ringing, tel_inbound, email_triggered, webrtc_token})
        add(o, "Cancel", {{"type", "cancel"}}, "cancelled", "cancelled");
    for (const Origin &o : {tel_triggered, tel_ringing, tel_inbound, email_triggered}) {
        add(o, "NoAnswer", {{"type", "no_answer"}}, "unanswered", "no_answer");
        add(o, "Busy", {{"type", "busy"}}, "unanswered", "busy");
    }
    for (const Origin &o : {tel_triggered, tel_ringing, tel_inbound, email_triggered, webrtc_token})
        add(o, "Fail", {{"type", "fail"}, {"reason", "sip_503"}}, "failed", "sip_503");
    for (const Origin &o : {tel_ringing, tel_inbound})
        add(o, "Transfer", {{"type", "transfer"}, {"to", "+14155550100"}}, "transferred", "transferred");
    for (const Origin &o : {tel_triggered, tel_ringing, tel_inbound, email_triggered, webrtc_token})
        add(o, "Close", {{"type", "close"}}, "cancelled", "closed");
    return v;
}

class LifecycleEarlyCloseTest : public LifecycleTest,
                                public ::testing::WithParamInterface<EarlyClose> {};

INSTANTIATE_TEST_SUITE_P(Rows, LifecycleEarlyCloseTest, ::testing::ValuesIn(early_closes()),
                         [](const ::testing::TestParamInfo<EarlyClose> &i) { return i.param.name; });

TEST_P(LifecycleEarlyCloseTest, ClosesWithItsEndReason) {
    const EarlyClose &p = GetParam();
    std::string id = make(p.channel, p.direction);
    int64_t t = 0;
    for (const std::string &ev : p.via) {
        t += 2 * kSec;
        clock(t);
        apply(id, {{"type", ev}});
    }
    ASSERT_EQ(status(id), p.from);
    uint64_t seq = lc::feed_end(s_);
    t += 9 * kSec;
    clock(t);
    json c = apply(id, p.event);
    EXPECT_EQ(c, conv(id));
    EXPECT_EQ(c["status"], p.status);
    EXPECT_EQ(c["end_reason"], p.end_reason);
    EXPECT_EQ(c["ended_at"], at(t));
    EXPECT_EQ(c["updated_at"], at(t));
    EXPECT_TRUE(c["started_at"].is_null()) << "never started";
    EXPECT_TRUE(c["duration"].is_null()) << "never started";
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_change(f[0], id, p.from, p.status, p.end_reason, p.event["type"].get<std::string>(), t);
    // no closing timer is left for it: only its wrap-up, 300 s after it ended
    lc::expect_wraps_up_once(*engine_, s_, id, kStartMs + t);
}

// ---- annotate: every status, terminal included -------------------------------------------

struct AnnotateCase {
    const char *status;
    const char *channel, *direction;
    std::vector<json> via;
};

void PrintTo(const AnnotateCase &c, std::ostream *os) { *os << c.status; }

std::vector<AnnotateCase> annotate_cases() {
    json msg{{"type", "message"}, {"role", "user"}, {"text", "hi"}};
    return {
        {"triggered", "telephone", "outbound", {}},
        {"ringing", "telephone", "inbound", {}},
        {"token_created", "webrtc", "outbound", {}},
        {"in_progress", "text", "outbound", {msg}},
        {"completed", "text", "outbound", {msg, {{"type", "end"}}}},
        {"cancelled", "webrtc", "outbound", {{{"type", "cancel"}}}},
        {"unanswered", "telephone", "outbound", {{{"type", "no_answer"}}}},
        {"failed", "email", "outbound", {{{"type", "fail"}, {"reason", "bounced"}}}},
        {"transferred", "telephone", "outbound",
         {{{"type", "answered"}}, {{"type", "transfer"}, {"to", "+14155550100"}}}},
    };
}

class LifecycleAnnotateTest : public LifecycleTest,
                              public ::testing::WithParamInterface<AnnotateCase> {};

INSTANTIATE_TEST_SUITE_P(Statuses, LifecycleAnnotateTest, ::testing::ValuesIn(annotate_cases()),
                         [](const ::testing::TestParamInfo<AnnotateCase> &i) { return std::string(i.param.status); });

TEST_P(LifecycleAnnotateTest, AnnotatesWithoutChangingTheStatus) {
    const AnnotateCase &p = GetParam();
    std::string id = make(p.channel, p.direction);
    int64_t t = 0;
    for (const json &ev : p.via) {
        t += 2 * kSec;
        clock(t);
        apply(id, ev);
    }
    json before = conv(id);
    ASSERT_EQ(before["status"], p.status);
    uint64_t seq = lc::feed_end(s_);
    t += 5 * kSec;
    clock(t);
    json ann{{"type", "annotate"},
             {"summary", "Customer asked about pricing"},
             {"topic", "pricing"},
             {"actions_needed", {"send quote"}},
             {"tags", {"sales", "vip"}},
             {"recording_details", {{"url", "https://rec.example/1"}, {"seconds", 12}}}};
    json c = apply(id, ann);
    EXPECT_EQ(c, conv(id));
    EXPECT_EQ(c["status"], p.status);
    EXPECT_EQ(c["end_reason"], before["end_reason"]);
    EXPECT_EQ(c["ended_at"], before["ended_at"]);
    EXPECT_EQ(c["started_at"], before["started_at"]);
    EXPECT_EQ(c["user_turn_count"], before["user_turn_count"]);
    EXPECT_EQ(c["conversation"], before["conversation"]);
    EXPECT_EQ(c["summary"], "Customer asked about pricing");
    EXPECT_EQ(c["topic"], "pricing");
    EXPECT_EQ(c["actions_needed"], json({"send quote"}));
    EXPECT_EQ(c["tags"], json({"sales", "vip"}));
    EXPECT_EQ(c["recording_details"], ann["recording_details"]);
    EXPECT_EQ(c["updated_at"], at(t));
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << "only an annotated event: " << f.dump();
    EXPECT_EQ(f[0]["type"], "annotated");
    EXPECT_EQ(f[0]["conversation_id"], id);
    EXPECT_TRUE(f[0]["from"].is_null());
    EXPECT_TRUE(f[0]["to"].is_null());
    EXPECT_TRUE(f[0]["reason"].is_null());
    EXPECT_EQ(f[0]["at"], at(t));
    for (const char *k : {"summary", "topic", "actions_needed", "tags", "recording_details"})
        EXPECT_EQ(f[0]["data"][k], ann[k]) << k;
}

TEST_F(LifecycleTest, AnnotateOneFieldLeavesTheOthers) {
    std::string id = make("text");
    json c = apply(id, {{"type", "annotate"}, {"topic", "billing"}});
    EXPECT_EQ(c["topic"], "billing");
    EXPECT_TRUE(c["summary"].is_null());
    EXPECT_EQ(c["tags"], json::array());
    EXPECT_EQ(c["actions_needed"], json::array());
    EXPECT_TRUE(c["recording_details"].is_null());
    EXPECT_EQ(c["status"], "in_progress");
}

// ---- terminal statuses absorb (spelled-out example from the issue) ------------------------

TEST_F(LifecycleTest, CompletedAbsorbsAnsweredWithTheIssuesMessage) {
    std::string id = make("telephone");
    apply(id, {{"type", "answered"}});
    apply(id, {{"type", "end"}});
    clock(30 * kSec);
    json before = conv(id);
    uint64_t seq = lc::feed_end(s_);
    Call c = dispatch(s_, id, {{"type", "answered"}});
    EXPECT_EQ(c.code, CONVO_ECONFLICT);
    EXPECT_NE(c.error.find("event 'answered' is not allowed in status 'completed'"), std::string::npos)
        << c.error;
    EXPECT_EQ(conv(id), before);
    EXPECT_EQ(lc::feed_end(s_), seq);
}

// ---- the matrix, driven from convo_describe() --------------------------------------------

struct Cell {
    lc::Route route;
    std::string event;
    std::string to;              // allowed cells: the status reached
    bool channel_only = false;   // forbidden here but allowed from this status on another channel
    std::string broken;          // set when describe() could not be read: the test fails
    bool ends = false;           // allowed cells: the event ends the conversation
};

void PrintTo(const Cell &c, std::ostream *os) {
    *os << (c.broken.empty() ? lc::route_text(c.route) + " + " + c.event : c.broken);
}

std::string cell_name(const ::testing::TestParamInfo<Cell> &i) {
    if (!i.param.broken.empty()) return "describe_unavailable";
    return i.param.route.channel + "_" + i.param.route.status + "_" + i.param.event;
}

// Reads the table from a throwaway engine. Throws on failure.
lc::Table table_from_engine() {
    Engine e;
    if (e.open_code() != CONVO_OK) throw std::runtime_error("convo_engine_open: " + e.open_error());
    Call d = lc::describe(e.get());
    if (!d.ok()) throw std::runtime_error("convo_describe: " + d.error);
    return lc::parse_table(d.body);
}

std::vector<Cell> cells(bool allowed) {
    std::vector<Cell> out;
    try {
        lc::Table t = table_from_engine();
        for (const auto &kv : lc::routes(t)) {
            const lc::Route &r = kv.second;
            for (const std::string &ev : t.events) {
                auto to = t.target(ev, r.status, r.channel);
                if (allowed && to) {
                    const bool ends = t.terminal.at(*to) && !t.terminal.at(r.status);
                    out.push_back(Cell{r, ev, *to, false, "", ends});
                }
                if (!allowed && !to) out.push_back(Cell{r, ev, "", t.status_allows(ev, r.status), ""});
            }
        }
        if (out.empty()) out.push_back(Cell{{}, "", "", false, "describe() gave no cells"});
    } catch (const std::exception &e) {
        out.push_back(Cell{{}, "", "", false, e.what()});
    }
    return out;
}

// The feed event an allowed event that keeps the status records.
std::string feed_type_of(const std::string &event) {
    if (event == "annotate") return "annotated";
    if (event == "finalize") return "finalized";
    return event;  // message, takeover, handback
}

// The end reason of an event that ends the conversation, with lc::event_body's fields.
std::string end_reason_of(const std::string &event) {
    static const std::map<std::string, std::string> reasons = {
        {"end", "ended"},   {"close", "closed"},      {"cancel", "cancelled"},
        {"busy", "busy"},   {"fail", "carrier_error"}, {"transfer", "transferred"},
        {"no_answer", "no_answer"}};
    auto it = reasons.find(event);
    return it == reasons.end() ? "(not an ending event: " + event + ")" : it->second;
}

class LifecycleForbiddenTest : public ApiTest, public ::testing::WithParamInterface<Cell> {};

class LifecycleAllowedTest : public ApiTest, public ::testing::WithParamInterface<Cell> {
protected:
    // `body` is allowed and has nothing to do: CONVO_OK with the conversation as it was, and
    // nothing changes, not even updated_at.
    void expect_no_op(const std::string &id, const json &body) {
        lc::State before = lc::state_of(*engine_, s_, id);
        Call c = dispatch(s_, id, body);
        ASSERT_EQ(c.code, CONVO_OK) << body.dump() << ": " << c.error;
        EXPECT_EQ(c.body, before.conversation) << body.dump();
        lc::expect_same_state(before, *engine_, s_, id);
    }

    // A takeover at `now` (feed `f`): a human has the conversation until the takeover timer,
    // kTakeoverMinutes later, hands it back (not a ms earlier), leaving it in progress.
    void expect_taken_over_until_the_timer(const std::string &id, const json &c, const json &f,
                                           int64_t now) {
        const int64_t until = now + lc::kTakeoverMinutes * kMin;
        EXPECT_EQ(c["human_takeover"], true);
        EXPECT_EQ(c["human_takeover_until"], lc::iso(until));
        expect_one_event(f, {{"minutes", lc::kTakeoverMinutes}, {"until", lc::iso(until)}});
        const uint64_t seq = lc::feed_end(s_);
        lc::expect_fires_at(*engine_, until);
        json after = conv(id);
        EXPECT_EQ(after["status"], "in_progress");
        lc::expect_not_taken_over(after);
        json handback = lc::feed(s_, seq);
        expect_one_event(handback, {{"timer", "takeover"}});
        EXPECT_EQ(handback[0]["type"], "handback");
        EXPECT_EQ(handback[0]["at"], lc::iso(until));
    }

    // The feed `f` of a phase change is one event, with `data`.
    static void expect_one_event(const json &f, const json &data) {
        ASSERT_EQ(f.size(), 1u) << f.dump();
        EXPECT_EQ(f[0]["data"], data) << f.dump();
    }

    // What the event did besides the status (issue 3): its phase moved, and its feed event.
    void expect_effect(const Cell &p, const std::string &id, const json &c, const json &f,
                       int64_t now) {
        if (p.ends) {
            lc::expect_wraps_up_once(*engine_, s_, id, now);
        } else if (p.event == "takeover") {
            expect_taken_over_until_the_timer(id, c, f, now);
        } else if (p.event == "handback") {
            lc::expect_not_taken_over(c);
            expect_one_event(f, {{"by", "handback"}});
        } else if (p.event == "finalize") {
            EXPECT_EQ(c["wrap_up"], "done");
            EXPECT_EQ(c["summary"], "wrapped up");
            expect_one_event(f, {{"summary", "wrapped up"}});
            int64_t nd = 0;
            EXPECT_EQ(convo_next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND)
                << "the wrap-up timer is gone, got " << lc::iso(nd);
        }
    }
};

INSTANTIATE_TEST_SUITE_P(Describe, LifecycleForbiddenTest, ::testing::ValuesIn(cells(false)), cell_name);
INSTANTIATE_TEST_SUITE_P(Describe, LifecycleAllowedTest, ::testing::ValuesIn(cells(true)), cell_name);

TEST_P(LifecycleForbiddenTest, IsAConflictThatChangesNothing) {
    const Cell &p = GetParam();
    ASSERT_TRUE(p.broken.empty()) << p.broken;
    SCOPED_TRACE(lc::route_text(p.route));
    std::string id;
    ASSERT_TRUE(lc::drive(*engine_, s_, p.route, &id));
    engine_->advance(kSec);
    lc::State before = lc::state_of(*engine_, s_, id);

    Call c = dispatch(s_, id, lc::event_body(p.event));
    EXPECT_EQ(c.code, CONVO_ECONFLICT) << c.error;
    EXPECT_TRUE(c.body.is_null());
    std::string want = "event '" + p.event + "' is not allowed in status '" + p.route.status + "'";
    EXPECT_NE(c.error.find(want), std::string::npos) << "error: " << c.error;
    if (p.channel_only) {
        EXPECT_NE(c.error.find("channel '" + p.route.channel + "'"), std::string::npos)
            << "error: " << c.error;
    }
    lc::expect_same_state(before, *engine_, s_, id);
}

TEST_P(LifecycleAllowedTest, IsAcceptedAndReachesItsStatus) {
    const Cell &p = GetParam();
    ASSERT_TRUE(p.broken.empty()) << p.broken;
    SCOPED_TRACE(lc::route_text(p.route));
    std::string id;
    ASSERT_TRUE(lc::drive(*engine_, s_, p.route, &id));
    engine_->advance(kSec);
    if (p.event == "close" && p.to == p.route.status) {
        expect_no_op(id, lc::event_body(p.event));  // already ended: the conversation as it is
        return;
    }
    if (p.event == "handback") {
        expect_no_op(id, lc::event_body(p.event));  // no takeover to end
        ASSERT_TRUE(dispatch(s_, id, lc::event_body("takeover")).ok());
        engine_->advance(kSec);
    }
    const int64_t now = engine_->now();
    uint64_t seq = lc::feed_end(s_);
    Call c = dispatch(s_, id, lc::event_body(p.event));
    ASSERT_EQ(c.code, CONVO_OK) << c.error;
    EXPECT_EQ(c.body["status"], p.to);
    EXPECT_EQ(c.body, conv(id));
    EXPECT_EQ(c.body["updated_at"], lc::iso(now));
    json f = lc::feed(s_, seq);
    ASSERT_FALSE(f.empty());
    if (p.to != p.route.status) {
        EXPECT_EQ(f[0]["type"], "status_changed");
        EXPECT_EQ(f[0]["from"], p.route.status);
        EXPECT_EQ(f[0]["to"], p.to);
        EXPECT_EQ(f[0]["reason"], p.ends ? end_reason_of(p.event) : p.event);
    } else {
        EXPECT_EQ(f[0]["type"], feed_type_of(p.event)) << f.dump();
    }
    expect_effect(p, id, c.body, f, now);
}

// Every channel and status of the table is reached by some route, and every row of the table is
// an allowed cell on some channel, so the matrix covers all of them; every (route, event) is
// either an allowed or a forbidden cell.
TEST(LifecycleMatrix, CoversEveryChannelStatusRowAndCell) {
    lc::Table t;
    ASSERT_NO_THROW(t = table_from_engine());
    EXPECT_EQ(t.statuses.size(), 9u);
    EXPECT_EQ(t.channels.size(), 6u);
    EXPECT_EQ(t.events.size(), 16u);
    const auto routes = lc::routes(t);
    std::set<std::string> statuses, channels;
    for (const auto &kv : routes) {
        channels.insert(kv.first.first);
        statuses.insert(kv.first.second);
    }
    EXPECT_EQ(statuses, std::set<std::string>(t.statuses.begin(), t.statuses.end()));
    EXPECT_EQ(channels, std::set<std::string>(t.channels.begin(), t.channels.end()));

    const std::vector<Cell> allowed = cells(true), forbidden = cells(false);
    EXPECT_EQ(allowed.size() + forbidden.size(), routes.size() * t.events.size());
    std::set<std::tuple<std::string, std::string, std::string>> taken;  // (event, from, to)
    for (const Cell &c : allowed) taken.insert({c.event, c.route.status, c.to});
    for (const auto &kv : t.transitions)
        for (const lc::Transition &tr : kv.second)
            EXPECT_TRUE(taken.count({kv.first, tr.from, tr.to}))
                << "no allowed cell takes " << kv.first << ": " << tr.from << " -> " << tr.to;
}

}  // namespace
}  // namespace convo_test
