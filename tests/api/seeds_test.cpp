// Issue 3's rules through the C API: channels sms and whatsapp, seed messages and tags, the
// WhatsApp 24-hour window, human takeover, two-phase close and wrap-up.
#include <cstdio>
#include <string>

#include "assertions.h"
#include "harness.h"
#include "lifecycle_support.h"

namespace convo_test {
namespace {

using lc::at;
using lc::feed;
using lc::feed_end;
using lc::kMin;
using lc::kSec;

constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kWindow = 24 * kHour;
const char *const kUser = "+14155550123";
const char *const kBusiness = "+18885550000";  // the standard agent's number

json whatsapp(const std::string &direction = "inbound", const std::string &user = kUser) {
    return json{{"channel", "whatsapp"}, {"direction", direction}, {"user_id", user},
                {"agent_id", "agent_abc"}};
}
json tmpl(const std::string &name = "order_update") {
    return json{{"name", name},
                {"variables",
                 {{"body", {"Ada", "#42"}},
                  {"header", "Your order"},
                  {"buttons", {"Track"}},
                  {"cards", {{{"body", {"x"}}, {"header", "h"}, {"buttons", {"b"}}}}}}}};
}
json message(const std::string &role, const std::string &text) {
    return json{{"type", "message"}, {"role", role}, {"text", text}};
}

class SeedsTest : public ApiTest {
protected:
    // Creates `request` and returns the conversation id (fails the test on error).
    std::string made(const json &request) {
        Call c = create(s_, request);
        EXPECT_TRUE(c.ok()) << c.error;
        return c.ok() ? c.body["conversation"]["id"].get<std::string>() : "";
    }
    // The call was refused with `code`, named `field`, and appended nothing to the feed.
    void expect_refused(const Call &c, convo_code code, const std::string &field, uint64_t feed_before) {
        EXPECT_EQ(c.code, code) << c.error;
        EXPECT_TRUE(NamesField(c.error, field)) << c.error;
        EXPECT_EQ(feed_end(s_), feed_before);
    }
    json transcript(const std::string &id) { return conv(id)["conversation"]["messages"]; }
};

// ---- 1. channels sms and whatsapp, seed messages, tags --------------------------------------

TEST_F(SeedsTest, SmsAndWhatsappStartInProgressWithTheGreetingLikeText) {
    for (const char *channel : {"sms", "whatsapp"}) {
        SCOPED_TRACE(channel);
        json r{{"channel", channel}, {"direction", "inbound"}, {"user_id", kUser}, {"agent_id", "agent_abc"}};
        Call c = create(s_, r);
        ASSERT_TRUE(c.ok()) << c.error;
        EXPECT_EQ(c.http, 200);
        EXPECT_EQ(c.body["starting_message"], "Hi! How can I help?");
        const json &cv = c.body["conversation"];
        EXPECT_EQ(cv["channel"], channel);
        EXPECT_EQ(cv["status"], "in_progress");
        EXPECT_EQ(cv["started_at"], at(0));
        EXPECT_EQ(cv["from_number"], kBusiness) << "defaults to the agent's number";
        EXPECT_EQ(cv["human_takeover"], false);
        EXPECT_TRUE(cv["wrap_up"].is_null());
        ASSERT_EQ(cv["conversation"]["messages"].size(), 1u);
        EXPECT_EQ(cv["conversation"]["messages"][0]["text"], "Hi! How can I help?");
    }
}

TEST_F(SeedsTest, PhoneNumbersMustBeE164AndFromNumberIsForMessagingChannels) {
    const uint64_t before = feed_end(s_);
    json r = whatsapp();
    r["user_id"] = "user_42";
    expect_refused(create(s_, r), CONVO_EINVALID, "user_id", before);
    r = whatsapp();
    r["channel"] = "sms";
    r["from_number"] = "18885550000";
    expect_refused(create(s_, r), CONVO_EINVALID, "from_number", before);
    json text = request_for("text");
    text["from_number"] = kBusiness;
    expect_refused(create(s_, text), CONVO_EINVALID, "from_number", before);
    r["from_number"] = "+18885550001";
    EXPECT_EQ(conv(made(r))["from_number"], "+18885550001");
}

TEST_F(SeedsTest, SeedMessagesComeFirstInOrderAndUserSeedsAreUserTurns) {
    const uint64_t before = feed_end(s_);
    json r = whatsapp();
    r["channel"] = "sms";
    r["messages"] = {{{"role", "user"}, {"text", "a"}}, {{"role", "agent"}, {"text", "b"}},
                     {{"role", "user"}, {"text", "c"}}};
    r["tags"] = {"vip", "returning"};
    std::string id = made(r);
    json c = conv(id);
    EXPECT_EQ(c["user_turn_count"], 2);
    EXPECT_EQ(c["tags"], json({"vip", "returning"}));
    const json &m = c["conversation"]["messages"];
    ASSERT_EQ(m.size(), 4u) << m.dump();
    const char *want[][2] = {{"user", "a"}, {"agent", "b"}, {"user", "c"}, {"agent", "Hi! How can I help?"}};
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(m[i]["role"], want[i][0]);
        EXPECT_EQ(m[i]["text"], want[i][1]);
        EXPECT_EQ(m[i]["at"], at(0));
    }
    json f = feed(s_, before);
    ASSERT_EQ(f.size(), 5u) << f.dump();
    EXPECT_EQ(f[0]["type"], "created");
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(f[i + 1]["data"]["text"], want[i][1]);
}

TEST_F(SeedsTest, SeedMessagesAndTagsAreValidated) {
    const uint64_t before = feed_end(s_);
    auto with = [](const char *key, json value) {
        json r = request_for("text");
        r[key] = std::move(value);
        return r;
    };
    expect_refused(create(s_, with("messages", "hi")), CONVO_EINVALID, "messages", before);
    expect_refused(create(s_, with("messages", {{{"role", "human"}, {"text", "x"}}})), CONVO_EINVALID,
                   "messages[0].role", before);
    expect_refused(create(s_, with("messages", {{{"role", "user"}, {"text", "x"}}, {{"role", "user"}}})),
                   CONVO_EINVALID, "messages[1].text", before);
    expect_refused(create(s_, with("messages", {{{"role", "user"}, {"text", "x"}, {"at", "now"}}})),
                   CONVO_EINVALID, "messages[0].at", before);
    expect_refused(create(s_, with("tags", {"ok", 3})), CONVO_EINVALID, "tags", before);
    expect_refused(create(s_, with("message", {{"type", "template"}, {"template", tmpl()}})),
                   CONVO_EINVALID, "message", before);
}

// ---- 2. the WhatsApp 24-hour window ---------------------------------------------------------

TEST_F(SeedsTest, OutboundWhatsappWithTheWindowClosedMustStartWithATemplate) {
    const uint64_t before = feed_end(s_);
    Call refused = create(s_, whatsapp("outbound"));
    expect_refused(refused, CONVO_EPRECONDITION, "message", before);
    EXPECT_TRUE(Mentions(refused.error, "template")) << refused.error;
    EXPECT_EQ(list(s_).body["items"].size(), 0u);

    json r = whatsapp("outbound");
    r["message"] = {{"type", "template"}, {"template", tmpl()}};
    Call c = create(s_, r);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_TRUE(c.body["starting_message"].is_null()) << "the template opens it, not the greeting";
    const json &m = c.body["conversation"]["conversation"]["messages"];
    ASSERT_EQ(m.size(), 1u) << m.dump();
    EXPECT_EQ(m[0]["role"], "agent");
    EXPECT_TRUE(m[0]["text"].is_null());
    EXPECT_EQ(m[0]["template"], tmpl());
    EXPECT_TRUE(c.body["conversation"]["chat_window_expires_at"].is_null());
    EXPECT_EQ(c.body["conversation"]["chat_window_remaining_seconds"], 0);

    for (json bad : {json{{"type", "text"}, {"template", tmpl()}}, json{{"type", "template"}},
                     json{{"type", "template"}, {"template", {{"variables", json::object()}}}},
                     json{{"type", "template"}, {"template", {{"name", "n"}, {"variables", {{"body", "x"}}}}}},
                     json{{"type", "template"}, {"template", {{"name", "n"}, {"lang", "en"}}}}}) {
        r["message"] = bad;
        Call b = create(s_, r);
        EXPECT_EQ(b.code, CONVO_EINVALID) << bad.dump();
        EXPECT_TRUE(Mentions(b.error, "message")) << b.error;
    }
}

TEST_F(SeedsTest, EachUserMessageOpensTheWindowFor24HoursAndOnlyTemplatesGoOutsideIt) {
    std::string id = made(whatsapp());
    uint64_t before = feed_end(s_);
    Call refused = dispatch(s_, id, message("agent", "hello?"));
    expect_refused(refused, CONVO_EPRECONDITION, "text", before);
    EXPECT_TRUE(Mentions(refused.error, "24-hour")) << refused.error;
    EXPECT_EQ(dispatch(s_, id, message("human", "hello?")).code, CONVO_EPRECONDITION);
    EXPECT_TRUE(dispatch(s_, id, {{"type", "message"}, {"role", "agent"}, {"template", tmpl()}}).ok());

    engine_->set_clock(kStartMs + 10 * kMin);
    Call user = dispatch(s_, id, message("user", "hi"));
    ASSERT_TRUE(user.ok()) << user.error;
    EXPECT_EQ(user.body["chat_window_expires_at"], at(10 * kMin + kWindow));
    EXPECT_EQ(user.body["chat_window_remaining_seconds"], kWindow / kSec);
    EXPECT_TRUE(dispatch(s_, id, message("agent", "how can I help?")).ok());

    engine_->set_clock(kStartMs + 10 * kMin + kHour + 500);
    EXPECT_EQ(conv(id)["chat_window_remaining_seconds"], (kWindow - kHour - 500) / kSec);
}

TEST_F(SeedsTest, TheWindowBelongsToTheContactAndClosesExactlyAfter24Hours) {
    std::string first = made(whatsapp());
    ASSERT_TRUE(dispatch(s_, first, message("user", "hi")).ok());
    ASSERT_TRUE(dispatch(s_, first, {{"type", "end"}}).ok());

    // Another conversation with the same contact sees the window; another business number,
    // user or organization does not.
    engine_->set_clock(kStartMs + kWindow - 1);
    std::string again = made(whatsapp("outbound"));
    EXPECT_EQ(conv(again)["chat_window_expires_at"], at(kWindow));
    EXPECT_EQ(conv(again)["chat_window_remaining_seconds"], 0) << "less than a second left";
    EXPECT_TRUE(dispatch(s_, again, message("agent", "still open")).ok());
    json other_business = whatsapp("outbound");
    other_business["from_number"] = "+18885550001";
    EXPECT_EQ(create(s_, other_business).code, CONVO_EPRECONDITION);
    EXPECT_EQ(create(s_, whatsapp("outbound", "+14155550124")).code, CONVO_EPRECONDITION);
    convo_session *b = engine_->session("org_b");
    ASSERT_TRUE(agent_put(b, standard_agent()).ok());
    EXPECT_EQ(create(b, whatsapp("outbound")).code, CONVO_EPRECONDITION);

    engine_->set_clock(kStartMs + kWindow);
    uint64_t before = feed_end(s_);
    expect_refused(dispatch(s_, again, message("agent", "closed now")), CONVO_EPRECONDITION, "text", before);
    EXPECT_TRUE(conv(again)["chat_window_expires_at"].is_null());
    EXPECT_EQ(create(s_, whatsapp("outbound")).code, CONVO_EPRECONDITION);
}

TEST_F(SeedsTest, TemplatesAreForWhatsappAgentsOnly) {
    std::string text = make("text");
    std::string wa = made(whatsapp());
    uint64_t before = feed_end(s_);
    expect_refused(dispatch(s_, text, {{"type", "message"}, {"role", "agent"}, {"template", tmpl()}}),
                   CONVO_EINVALID, "template", before);
    expect_refused(dispatch(s_, wa, {{"type", "message"}, {"role", "user"}, {"template", tmpl()}}),
                   CONVO_EINVALID, "template", before);
    expect_refused(dispatch(s_, wa, {{"type", "message"}, {"role", "agent"}, {"text", "x"}, {"template", tmpl()}}),
                   CONVO_EINVALID, "text, template", before);
}

TEST(SeedsRestart, TheWindowPersistsAcrossARestart) {
    const std::string path = ::testing::TempDir() + "convo_seeds_window.db";
    for (const char *suffix : {"", "-wal", "-journal"}) std::remove((path + suffix).c_str());
    {
        Engine e(json{{"path", path}});
        ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
        convo_session *s = e.session();
        ASSERT_TRUE(agent_put(s, standard_agent()).ok());
        Call c = create(s, whatsapp());
        ASSERT_TRUE(c.ok()) << c.error;
        ASSERT_TRUE(dispatch(s, c.body["conversation"]["id"], message("user", "hi")).ok());
    }
    Engine e(json{{"path", path}, {"start", lc::iso(kStartMs + kHour)}});
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    Call c = create(e.session(), whatsapp("outbound"));
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["conversation"]["chat_window_expires_at"], at(kWindow));
    e.close();
    for (const char *suffix : {"", "-wal", "-journal"}) std::remove((path + suffix).c_str());
}

// ---- 3. human takeover ----------------------------------------------------------------------

TEST_F(SeedsTest, TakeoverRefusesTheAgentAcceptsTheHumanAndHandbackEndsIt) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 5}});
    engine_->set_clock(kStartMs + kMin);
    uint64_t before = feed_end(s_);
    Call t = dispatch(s_, id, {{"type", "takeover"}, {"minutes", 30}});
    ASSERT_TRUE(t.ok()) << t.error;
    EXPECT_EQ(t.body["human_takeover"], true);
    EXPECT_EQ(t.body["human_takeover_until"], at(31 * kMin));
    json f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    EXPECT_EQ(f[0]["type"], "takeover");
    EXPECT_EQ(f[0]["data"], json({{"minutes", 30}, {"until", at(31 * kMin)}}));

    before = feed_end(s_);
    Call agent = dispatch(s_, id, message("agent", "I can help"));
    expect_refused(agent, CONVO_ECONFLICT, "role", before);
    EXPECT_TRUE(Mentions(agent.error, "taken over")) << agent.error;
    engine_->set_clock(kStartMs + 4 * kMin);
    Call human = dispatch(s_, id, message("human", "Hi, I'm Sam"));
    ASSERT_TRUE(human.ok()) << human.error;
    EXPECT_EQ(human.body["expires_at"], at(9 * kMin)) << "a human message is activity";

    before = feed_end(s_);
    Call h = dispatch(s_, id, {{"type", "handback"}});
    ASSERT_TRUE(h.ok()) << h.error;
    EXPECT_EQ(h.body["human_takeover"], false);
    EXPECT_TRUE(h.body["human_takeover_until"].is_null());
    f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0]["type"], "handback");
    EXPECT_EQ(f[0]["data"], json({{"by", "handback"}}));
    EXPECT_TRUE(dispatch(s_, id, message("agent", "back to me")).ok());

    // A handback with no takeover changes nothing at all.
    engine_->set_clock(kStartMs + 5 * kMin);
    json was = conv(id);
    before = feed_end(s_);
    Call again = dispatch(s_, id, {{"type", "handback"}});
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_EQ(conv(id), was);
    EXPECT_EQ(feed_end(s_), before);
}

TEST_F(SeedsTest, TheTakeoverTimerHandsBackAtItsDeadlineAndNotOneMsEarly) {
    std::string id = make("text");
    ASSERT_TRUE(dispatch(s_, id, {{"type", "takeover"}}).ok());  // 10 minutes by default
    ASSERT_TRUE(dispatch(s_, id, {{"type", "takeover"}, {"minutes", 3}}).ok()) << "re-arms";
    EXPECT_EQ(conv(id)["human_takeover_until"], at(3 * kMin));
    uint64_t before = feed_end(s_);
    EXPECT_EQ(engine_->advance_and_tick(3 * kMin - 1), 0u);
    EXPECT_EQ(engine_->advance_and_tick(1 + 5 * kSec), 1u);
    json c = conv(id);
    EXPECT_EQ(c["human_takeover"], false);
    EXPECT_EQ(c["status"], "in_progress");
    json f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    EXPECT_EQ(f[0]["type"], "handback");
    EXPECT_EQ(f[0]["at"], at(3 * kMin));
    EXPECT_EQ(f[0]["data"], json({{"timer", "takeover"}}));
    EXPECT_TRUE(dispatch(s_, id, message("agent", "hello again")).ok());
}

TEST_F(SeedsTest, TakeoverIsValidatedAndOnlyWhileInProgress) {
    std::string text = make("text");
    uint64_t before = feed_end(s_);
    for (json minutes : {json(0), json(-1), json(1.5), json("10")}) {
        expect_refused(dispatch(s_, text, {{"type", "takeover"}, {"minutes", minutes}}), CONVO_EINVALID,
                       "minutes", before);
    }
    std::string call = make("telephone");  // triggered
    EXPECT_EQ(dispatch(s_, call, {{"type", "takeover"}}).code, CONVO_ECONFLICT);
    EXPECT_EQ(dispatch(s_, call, {{"type", "handback"}}).code, CONVO_ECONFLICT);
    // Ending the conversation ends the takeover and its timer.
    ASSERT_TRUE(dispatch(s_, text, {{"type", "takeover"}}).ok());
    Call end = dispatch(s_, text, {{"type", "end"}});
    ASSERT_TRUE(end.ok()) << end.error;
    EXPECT_EQ(end.body["human_takeover"], false);
    EXPECT_TRUE(end.body["human_takeover_until"].is_null());
}

// ---- 4. two-phase close and wrap-up --------------------------------------------------------

TEST_F(SeedsTest, CloseEndsAnyOpenConversationAndASecondCloseChangesNothing) {
    std::string chat = make("text");
    std::string call = make("telephone");
    engine_->set_clock(kStartMs + kMin);
    uint64_t before = feed_end(s_);
    Call c = dispatch(s_, chat, {{"type", "close"}, {"skip_notifications", true}});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["status"], "completed");
    EXPECT_EQ(c.body["end_reason"], "closed");
    EXPECT_EQ(c.body["wrap_up"], "pending");
    json f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0]["data"], json({{"event", "close"}, {"skip_notifications", true}}));
    Call k = dispatch(s_, call, {{"type", "close"}});
    ASSERT_TRUE(k.ok()) << k.error;
    EXPECT_EQ(k.body["status"], "cancelled");
    EXPECT_EQ(k.body["end_reason"], "closed");

    engine_->set_clock(kStartMs + 2 * kMin);
    before = feed_end(s_);
    json was = conv(chat);
    Call again = dispatch(s_, chat, {{"type", "close"}});
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_EQ(again.body, was);
    EXPECT_EQ(feed_end(s_), before);
    EXPECT_EQ(dispatch(s_, chat, {{"type", "close"}, {"skip_notifications", "yes"}}).code, CONVO_EINVALID);
}

// Found by the simulation: a no-op's event_id was not kept, so its retry, after a deadline
// passed, applied that deadline (or became a 409) instead of appending nothing.
TEST_F(SeedsTest, ARetriedNoOpAppendsNothingEvenAfterADeadlinePassed) {
    std::string id = make("text");
    ASSERT_TRUE(dispatch(s_, id, {{"type", "end"}}).ok());
    ASSERT_TRUE(dispatch(s_, id, {{"type", "close"}, {"event_id", "ev-close"}}).ok());
    std::string chat = make("text");
    ASSERT_TRUE(dispatch(s_, chat, {{"type", "handback"}, {"event_id", "ev-back"}}).ok());
    ASSERT_TRUE(dispatch(s_, chat, {{"type", "end"}}).ok());
    engine_->set_clock(kStartMs + 10 * kMin);  // both wrap-ups are overdue, not ticked
    const uint64_t before = feed_end(s_);
    Call close = dispatch(s_, id, {{"type", "close"}, {"event_id", "ev-close"}});
    ASSERT_TRUE(close.ok()) << close.error;
    EXPECT_EQ(close.body["wrap_up"], "pending");
    Call back = dispatch(s_, chat, {{"type", "handback"}, {"event_id", "ev-back"}});
    ASSERT_TRUE(back.ok()) << back.error << " (a retried accepted event is never a 409)";
    EXPECT_EQ(feed_end(s_), before);
}

TEST_F(SeedsTest, FinalizeRecordsTheWrapUpOnceEndedAndLaterFieldsStillLand) {
    std::string id = make("text");
    EXPECT_EQ(dispatch(s_, id, {{"type", "finalize"}}).code, CONVO_ECONFLICT) << "still open";
    ASSERT_TRUE(dispatch(s_, id, {{"type", "end"}}).ok());
    engine_->set_clock(kStartMs + kMin);
    uint64_t before = feed_end(s_);
    json w{{"type", "finalize"}, {"summary", "Refund issued"}, {"topic", "billing"},
           {"actions_needed", {"call back"}}, {"tags", {"refund"}}};
    Call fin = dispatch(s_, id, w);
    ASSERT_TRUE(fin.ok()) << fin.error;
    EXPECT_EQ(fin.body["wrap_up"], "done");
    EXPECT_EQ(fin.body["summary"], "Refund issued");
    EXPECT_EQ(fin.body["topic"], "billing");
    EXPECT_EQ(fin.body["actions_needed"], json({"call back"}));
    EXPECT_EQ(fin.body["tags"], json({"refund"}));
    EXPECT_EQ(fin.body["status"], "completed");
    json f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    EXPECT_EQ(f[0]["type"], "finalized");
    EXPECT_EQ(f[0]["data"]["summary"], "Refund issued");
    int64_t nd = 0;
    EXPECT_EQ(convo_next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND) << "no wrap-up timer left";

    before = feed_end(s_);
    Call later = dispatch(s_, id, {{"type", "finalize"}, {"topic", "refunds"}});
    ASSERT_TRUE(later.ok()) << later.error;
    EXPECT_EQ(later.body["topic"], "refunds");
    f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0]["type"], "annotated");
    before = feed_end(s_);
    EXPECT_TRUE(dispatch(s_, id, {{"type", "finalize"}}).ok());
    EXPECT_EQ(feed_end(s_), before) << "nothing to record";
    EXPECT_EQ(dispatch(s_, id, {{"type", "finalize"}, {"recording_details", json::object()}}).code,
              CONVO_EINVALID);
}

TEST_F(SeedsTest, TheWrapUpTimerFinalizesAtItsDeadlineAndNotOneMsEarly) {
    std::string id = make("text");
    engine_->set_clock(kStartMs + kMin);
    ASSERT_TRUE(dispatch(s_, id, {{"type", "end"}}).ok());
    int64_t nd = 0;
    ASSERT_EQ(convo_next_deadline(engine_->get(), &nd), CONVO_OK);
    EXPECT_EQ(nd, kStartMs + kMin + 300 * kSec);
    EXPECT_TRUE(conv(id)["expires_at"].is_null()) << "wrap-up does not close anything";
    uint64_t before = feed_end(s_);
    EXPECT_EQ(engine_->advance_and_tick(300 * kSec - 1), 0u);
    EXPECT_EQ(engine_->advance_and_tick(1 + kMin), 1u);
    json c = conv(id);
    EXPECT_EQ(c["wrap_up"], "done");
    EXPECT_EQ(c["status"], "completed");
    json f = feed(s_, before);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0]["type"], "finalized");
    EXPECT_EQ(f[0]["at"], at(kMin + 300 * kSec));
    EXPECT_EQ(f[0]["data"], json({{"timer", "wrap_up"}}));
    EXPECT_EQ(convo_next_deadline(engine_->get(), &nd), CONVO_ENOTFOUND);
    EXPECT_EQ(engine_->tick(), 0u);
}

TEST(SeedsRestart, AnOverdueWrapUpFiresOnceAtItsOwnDeadlineAfterARestart) {
    const std::string path = ::testing::TempDir() + "convo_seeds_wrap_up.db";
    for (const char *suffix : {"", "-wal", "-journal"}) std::remove((path + suffix).c_str());
    std::string id;
    {
        Engine e(json{{"path", path}, {"wrap_up_timeout_seconds", 60}});
        ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
        convo_session *s = e.session();
        ASSERT_TRUE(agent_put(s, standard_agent()).ok());
        Call c = create(s, request_for("text"));
        ASSERT_TRUE(c.ok()) << c.error;
        id = c.body["conversation"]["id"].get<std::string>();
        ASSERT_TRUE(dispatch(s, id, {{"type", "close"}}).ok());
    }
    Engine e(json{{"path", path}, {"start", lc::iso(kStartMs + 30 * kMin)}});
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    convo_session *s = e.session();
    const uint64_t before = feed_end(s);
    EXPECT_EQ(e.tick(), 1u);
    EXPECT_EQ(e.tick(), 0u);
    json f = feed(s, before);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    EXPECT_EQ(f[0]["type"], "finalized");
    EXPECT_EQ(f[0]["at"], at(60 * kSec)) << "at its own deadline, not at the reopen";
    EXPECT_EQ(get(s, id).body["wrap_up"], "done");
    e.close();
    for (const char *suffix : {"", "-wal", "-journal"}) std::remove((path + suffix).c_str());
}

TEST(SeedsOptions, WrapUpTimeoutIsAPositiveNumberOfSeconds) {
    for (json bad : {json(0), json(-5), json("300"), json(1.5)}) {
        Engine e(json{{"wrap_up_timeout_seconds", bad}});
        EXPECT_EQ(e.open_code(), CONVO_EINVALID) << bad.dump();
        EXPECT_TRUE(NamesField(e.open_error(), "wrap_up_timeout_seconds")) << e.open_error();
    }
}

}  // namespace
}  // namespace convo_test

// ---- 5. each seed's JSON shape through the C API --------------------------------------------

namespace convo_test {
namespace {

constexpr const char *kBot = "3c90c3cc-0d44-4b50-8888-8dd25736052b";

class FormatsTest : public SeedsTest {
protected:
    void SetUp() override {
        SeedsTest::SetUp();
        json bot = standard_agent();
        bot["id"] = kBot;
        bot.erase("phone_number");
        ASSERT_TRUE(agent_put(s_, bot).ok());
    }
    void use(const char *format) { ASSERT_EQ(convo_session_set_format(s_, format), CONVO_OK) << convo_last_error(); }
};

TEST_F(FormatsTest, UnknownFormatsAreRefusedAndTheSessionKeepsItsShape) {
    EXPECT_EQ(convo_session_set_format(s_, "helloanny"), CONVO_EINVALID);
    EXPECT_TRUE(NamesField(convo_last_error(), "format")) << convo_last_error();
    EXPECT_EQ(convo_session_set_format(nullptr, "wassist"), CONVO_EMISUSE);
    EXPECT_EQ(convo_session_set_format(s_, nullptr), CONVO_EMISUSE);
    Call c = create(s_, request_for("text"));
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_TRUE(c.body.contains("conversation")) << "still anyreach";
}

TEST_F(FormatsTest, WassistCreatesWhatsappConversationsAndNamesItsOwnFields) {
    use("wassist");
    const uint64_t before = feed_end(s_);
    Call missing = create(s_, json{{"toNumber", kUser}});
    EXPECT_EQ(missing.code, CONVO_EINVALID);
    EXPECT_TRUE(NamesField(missing.error, "agentId")) << missing.error;
    Call closed = create(s_, json{{"toNumber", kUser}, {"agentId", kBot}});
    EXPECT_EQ(closed.code, CONVO_EPRECONDITION);
    EXPECT_TRUE(NamesField(closed.error, "message")) << closed.error;
    EXPECT_EQ(feed_end(s_), before);

    Call c = create(s_, json{{"phoneNumber", kUser}, {"agentId", kBot},
                             {"message", {{"type", "template"}, {"template", tmpl()}}}});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.http, 201);
    const std::string id = c.body["id"].get<std::string>();
    EXPECT_EQ(c.body, json({{"id", id}, {"contact", {{"phoneNumber", kUser}, {"name", nullptr}}},
                            {"activeAgent", kBot}, {"chatWindowRemainingTime", "0"},
                            {"lastMessage", "order_update"}, {"isHumanTakeover", "false"}, {"active", "true"}}));
    Call user = dispatch(s_, id, message("user", "yes please"));
    ASSERT_TRUE(user.ok()) << user.error;
    EXPECT_EQ(user.body["chatWindowRemainingTime"], "86400");
    Call t = dispatch(s_, id, {{"type", "takeover"}, {"durationMinutes", 15}});
    ASSERT_TRUE(t.ok()) << t.error;
    EXPECT_EQ(t.body["isHumanTakeover"], "true");
    use("anyreach");
    EXPECT_EQ(conv(id)["human_takeover_until"], at(15 * kMin)) << "the same conversation, natively";
}

TEST_F(FormatsTest, HelloAnnieConversationsGoOpenClosingClosed) {
    use("helloannie");
    Call bad = create(s_, json{{"medium", "FAX"}, {"botId", kBot}});
    EXPECT_EQ(bad.code, CONVO_EINVALID);
    EXPECT_TRUE(NamesField(bad.error, "medium")) << bad.error;
    Call half = create(s_, json{{"medium", "CHAT"}, {"botId", kBot}, {"idleTimeoutMinutes", 2.5}});
    EXPECT_TRUE(NamesField(half.error, "idleTimeoutMinutes")) << half.error;
    Call empty = create(s_, json{{"medium", "CHAT"}, {"botId", kBot}, {"messages", {{{"role", "user"}, {"input", ""}}}}});
    EXPECT_TRUE(NamesField(empty.error, "messages[0].input")) << empty.error;

    Call c = create(s_, json{{"medium", "SMS"}, {"botId", kBot}, {"toNumber", kUser},
                             {"messages", {{{"role", "user"}, {"input", "hi"}}}}, {"maxOpenMinutes", 30}});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["success"], true);
    const json &d = c.body["data"];
    EXPECT_EQ(d["status"], "OPEN");
    EXPECT_EQ(d["medium"], "SMS");
    EXPECT_EQ(d["botId"], kBot);
    EXPECT_EQ(d["toNumber"], kUser);
    const std::string id = d["conversationId"].get<std::string>();
    Call closing = dispatch(s_, id, {{"type", "close"}, {"skipNotifications", true}});
    ASSERT_TRUE(closing.ok()) << closing.error;
    EXPECT_EQ(closing.body["data"]["status"], "CLOSING");
    Call again = dispatch(s_, id, {{"type", "close"}});
    EXPECT_EQ(again.body, closing.body) << "a second close returns the current state";
    Call closed = dispatch(s_, id, {{"type", "finalize"}, {"summary", "done"}, {"actionsNeeded", {"call"}}});
    ASSERT_TRUE(closed.ok()) << closed.error;
    EXPECT_EQ(closed.body["data"]["status"], "CLOSED");
    EXPECT_EQ(closed.body["data"]["actionsNeeded"], json({"call"}));
    use("anyreach");
    json native = conv(id);
    EXPECT_EQ(native["channel"], "sms");
    EXPECT_EQ(native["max_open_minutes"], 30);
    EXPECT_EQ(native["user_turn_count"], 1);
    EXPECT_EQ(native["wrap_up"], "done");
}

}  // namespace
}  // namespace convo_test
