// The event feed (issue 2, section 7; docs/c-api.md "The feed"): convo_events shape, gapless seq,
// paging, organization filtering, redaction, event order within one change, and subscribers.
#include "lifecycle_support.h"

#include <thread>

namespace convo_test {
namespace {

using lc::at;
using lc::kSec;

const char *const kGreeting = "Hi! How can I help?";

class FeedTest : public ApiTest {
protected:
    void clock(int64_t offset) { engine_->set_clock(kStartMs + offset); }
    json apply(convo_session *s, const std::string &id, const json &ev) {
        Call c = dispatch(s, id, ev);
        EXPECT_EQ(c.code, CONVO_OK) << ev.dump() << ": " << c.error;
        return c.body;
    }
    json apply(const std::string &id, const json &ev) { return apply(s_, id, ev); }
    static json msg(const std::string &role, const std::string &text) {
        return {{"type", "message"}, {"role", role}, {"text", text}};
    }
    // A second organization with the standard agent.
    convo_session *org_b(unsigned scopes = kAllScopes) {
        convo_session *b = engine_->session("org_b", scopes);
        EXPECT_TRUE(agent_put(b, standard_agent()).ok());
        return b;
    }
    std::string make_in(convo_session *s, const std::string &channel) {
        Call c = create(s, request_for(channel));
        EXPECT_TRUE(c.ok()) << c.error;
        if (!c.ok()) return "";
        return c.body.contains("contact_id") ? c.body["contact_id"].get<std::string>()
                                             : c.body["conversation"]["id"].get<std::string>();
    }
    static std::vector<uint64_t> seqs(const json &evs) {
        std::vector<uint64_t> v;
        for (const json &e : evs) v.push_back(e["seq"].get<uint64_t>());
        return v;
    }
};

void expect_shape(const json &e) {
    for (const char *k : {"seq", "conversation_id", "organization_id", "type", "from", "to", "reason", "at", "data"})
        EXPECT_TRUE(e.contains(k)) << "missing " << k << " in " << e.dump();
    EXPECT_TRUE(e["seq"].is_number_unsigned() || e["seq"].is_number_integer()) << e.dump();
    EXPECT_TRUE(e["conversation_id"].is_string()) << e.dump();
    EXPECT_TRUE(e["organization_id"].is_string()) << e.dump();
    EXPECT_TRUE(e["at"].is_string()) << e.dump();
    EXPECT_TRUE(e["data"].is_object()) << e.dump();
}

// ---- shape ---------------------------------------------------------------------------------

TEST_F(FeedTest, EventsHaveTheDocumentedShape) {
    std::string id = make("text");
    clock(4 * kSec);
    apply(id, msg("user", "hello"));
    clock(5 * kSec);
    apply(id, {{"type", "annotate"}, {"topic", "greeting"}});
    clock(6 * kSec);
    apply(id, {{"type", "end"}});

    Call c = events(s_, 0, 100);
    ASSERT_TRUE(c.ok()) << c.error;
    ASSERT_TRUE(c.body.contains("events") && c.body.contains("next_seq")) << c.body.dump();
    json f = c.body["events"];
    ASSERT_EQ(f.size(), 5u) << f.dump();
    for (const json &e : f) {
        expect_shape(e);
        EXPECT_EQ(e["conversation_id"], id);
        EXPECT_EQ(e["organization_id"], "org_a");
    }
    EXPECT_EQ(c.body["next_seq"], f.back()["seq"]);

    EXPECT_EQ(f[0]["type"], "created");
    EXPECT_TRUE(f[0]["from"].is_null());
    EXPECT_EQ(f[0]["to"], "in_progress");
    EXPECT_TRUE(f[0]["reason"].is_null());
    EXPECT_EQ(f[0]["at"], at(0));
    EXPECT_EQ(f[0]["data"]["channel"], "text");
    EXPECT_EQ(f[0]["data"]["direction"], "outbound");

    EXPECT_EQ(f[1]["type"], "message");  // the greeting
    EXPECT_TRUE(f[1]["from"].is_null());
    EXPECT_TRUE(f[1]["to"].is_null());
    EXPECT_TRUE(f[1]["reason"].is_null());
    EXPECT_EQ(f[1]["data"], (json{{"role", "agent"}, {"text", kGreeting}}));
    EXPECT_EQ(f[1]["at"], at(0));

    EXPECT_EQ(f[2]["type"], "message");
    EXPECT_EQ(f[2]["data"], (json{{"role", "user"}, {"text", "hello"}}));
    EXPECT_EQ(f[2]["at"], at(4 * kSec));

    EXPECT_EQ(f[3]["type"], "annotated");
    EXPECT_TRUE(f[3]["from"].is_null());
    EXPECT_TRUE(f[3]["to"].is_null());
    EXPECT_TRUE(f[3]["reason"].is_null());
    EXPECT_EQ(f[3]["data"]["topic"], "greeting");
    EXPECT_EQ(f[3]["at"], at(5 * kSec));

    EXPECT_EQ(f[4]["type"], "status_changed");
    EXPECT_EQ(f[4]["from"], "in_progress");
    EXPECT_EQ(f[4]["to"], "completed");
    EXPECT_EQ(f[4]["reason"], "ended");
    EXPECT_EQ(f[4]["data"]["event"], "end");
    EXPECT_EQ(f[4]["at"], at(6 * kSec));
}

TEST_F(FeedTest, CreatedEventPerChannel) {
    struct C {
        const char *channel, *direction, *status;
    };
    for (const C &c : {C{"telephone", "outbound", "triggered"}, C{"telephone", "inbound", "ringing"},
                       C{"email", "outbound", "triggered"}, C{"webrtc", "outbound", "token_created"}}) {
        SCOPED_TRACE(std::string(c.channel) + "/" + c.direction);
        uint64_t seq = lc::feed_end(s_);
        std::string id = make(c.channel, c.direction);
        json f = lc::feed(s_, seq);
        ASSERT_EQ(f.size(), 1u) << f.dump();
        EXPECT_EQ(f[0]["type"], "created");
        EXPECT_EQ(f[0]["conversation_id"], id);
        EXPECT_TRUE(f[0]["from"].is_null());
        EXPECT_EQ(f[0]["to"], c.status);
        EXPECT_EQ(f[0]["data"]["channel"], c.channel);
        EXPECT_EQ(f[0]["data"]["direction"], c.direction);
    }
}

TEST_F(FeedTest, StatusChangedReasonIsTheEventTypeUnlessTerminal) {
    std::string id = make("telephone");
    uint64_t seq = lc::feed_end(s_);
    apply(id, {{"type", "ringing"}});
    apply(id, {{"type", "answered"}});
    apply(id, {{"type", "transfer"}, {"to", "+14155550100"}});
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 3u);
    EXPECT_EQ(f[0]["reason"], "ringing");
    EXPECT_EQ(f[0]["data"], (json{{"event", "ringing"}}));
    EXPECT_EQ(f[1]["reason"], "answered");
    EXPECT_EQ(f[1]["data"], (json{{"event", "answered"}}));
    EXPECT_EQ(f[2]["reason"], "transferred");
    EXPECT_EQ(f[2]["data"], (json{{"event", "transfer"}}));
}

// ---- seq and paging ------------------------------------------------------------------------

TEST_F(FeedTest, SeqIsGaplessAndIncreasingAcrossTheEngine) {
    convo_session *b = org_b();
    std::string a1 = make("text");           // 2 events
    std::string b1 = make_in(b, "telephone"); // 1
    apply(a1, msg("user", "x"));             // 1
    apply(b, b1, {{"type", "ringing"}});     // 1
    std::string b2 = make_in(b, "text");     // 2
    apply(a1, {{"type", "end"}});            // 1
    apply(b, b2, msg("agent", "y"));         // 1
    json fa = lc::feed(s_), fb = lc::feed(b);
    EXPECT_EQ(fa.size(), 4u);
    EXPECT_EQ(fb.size(), 5u);
    std::vector<uint64_t> all = seqs(fa);
    for (uint64_t s : seqs(fb)) all.push_back(s);
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), 9u);
    EXPECT_GE(all[0], 1u);
    for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i], all[i - 1] + 1) << "gapless";
    for (size_t i = 1; i < fa.size(); ++i) EXPECT_LT(fa[i - 1]["seq"], fa[i]["seq"]) << "oldest first";
    for (size_t i = 1; i < fb.size(); ++i) EXPECT_LT(fb[i - 1]["seq"], fb[i]["seq"]) << "oldest first";
}

TEST_F(FeedTest, PagingWithAfterSeqLimitAndNextSeq) {
    std::string t = make("text");
    std::string p = make("telephone");
    apply(p, {{"type", "ringing"}});
    apply(p, {{"type", "answered"}});
    apply(t, msg("user", "a"));
    apply(p, {{"type", "end"}});
    json full = lc::feed(s_);
    ASSERT_EQ(full.size(), 7u) << full.dump();

    json collected = json::array();
    uint64_t after = 0;
    std::vector<size_t> sizes;
    for (int guard = 0; guard < 10; ++guard) {
        Call c = events(s_, after, 3);
        ASSERT_TRUE(c.ok()) << c.error;
        json page = c.body["events"];
        sizes.push_back(page.size());
        if (page.empty()) {
            EXPECT_EQ(c.body["next_seq"], after) << "no events: next_seq is after_seq";
            break;
        }
        EXPECT_EQ(c.body["next_seq"], page.back()["seq"]);
        for (const json &e : page) {
            EXPECT_GT(e["seq"].get<uint64_t>(), after);
            collected.push_back(e);
        }
        after = c.body["next_seq"].get<uint64_t>();
    }
    EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1, 0}));
    EXPECT_EQ(collected, full);

    // Starting from the middle.
    uint64_t mid = full[3]["seq"].get<uint64_t>();
    Call c = events(s_, mid, 2);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c.body["events"].size(), 2u);
    EXPECT_EQ(c.body["events"][0], full[4]);
    EXPECT_EQ(c.body["events"][1], full[5]);
    EXPECT_EQ(c.body["next_seq"], full[5]["seq"]);

    // Past the end.
    uint64_t far = full[6]["seq"].get<uint64_t>() + 100;
    c = events(s_, far, 10);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["events"], json::array());
    EXPECT_EQ(c.body["next_seq"], far);
}

TEST_F(FeedTest, LimitZeroMeansOneHundred) {
    for (int i = 0; i < 51; ++i) make("text");  // 102 events
    Call c = events(s_, 0, 0);
    ASSERT_TRUE(c.ok()) << c.error;
    ASSERT_EQ(c.body["events"].size(), 100u);
    EXPECT_EQ(c.body["next_seq"], c.body["events"][99]["seq"]);
    Call rest = events(s_, c.body["next_seq"].get<uint64_t>(), 0);
    ASSERT_TRUE(rest.ok());
    EXPECT_EQ(rest.body["events"].size(), 2u);
}

TEST_F(FeedTest, EmptyFeed) {
    Call c = events(s_, 0, 10);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["events"], json::array());
    EXPECT_EQ(c.body["next_seq"], 0);
}

// ---- organizations -------------------------------------------------------------------------

TEST_F(FeedTest, AnOrganizationSeesOnlyItsOwnEventsAndSeqSkipsTheOthers) {
    convo_session *b = org_b();
    std::string a1 = make("text");  // a: 2 events
    std::string b1 = make_in(b, "webrtc");
    std::string a2 = make("email");
    apply(b, b1, {{"type", "joined"}});
    apply(a1, msg("user", "a only"));
    json fa = lc::feed(s_), fb = lc::feed(b);
    ASSERT_EQ(fa.size(), 4u);
    ASSERT_EQ(fb.size(), 2u);
    for (const json &e : fa) {
        EXPECT_EQ(e["organization_id"], "org_a");
        EXPECT_NE(e["conversation_id"], b1);
    }
    for (const json &e : fb) {
        EXPECT_EQ(e["organization_id"], "org_b");
        EXPECT_EQ(e["conversation_id"], b1);
    }
    // org_b's seqs skip the numbers of org_a's events in between
    EXPECT_EQ(fb[0]["seq"].get<uint64_t>(), fa[1]["seq"].get<uint64_t>() + 1);
    EXPECT_EQ(fb[1]["seq"].get<uint64_t>(), fa[2]["seq"].get<uint64_t>() + 1);

    // paging in org_b's view steps over org_a's events
    Call c = events(b, fb[0]["seq"].get<uint64_t>(), 1);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c.body["events"].size(), 1u);
    EXPECT_EQ(c.body["events"][0], fb[1]);
    c = events(b, fb[1]["seq"].get<uint64_t>(), 10);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["events"], json::array()) << "org_a's later message is not org_b's";
    EXPECT_EQ(c.body["next_seq"], fb[1]["seq"]);

    // an organization with no conversations sees nothing
    convo_session *z = engine_->session("org_z");
    c = events(z, 0, 10);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["events"], json::array());
    EXPECT_EQ(c.body["next_seq"], 0);
}

// ---- redaction -----------------------------------------------------------------------------

TEST_F(FeedTest, MessageTextAndSensitiveAnnotationsOnlyWithSensitiveScope) {
    convo_session *plain = engine_->session("org_a", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
    std::string id = make("text");
    apply(id, msg("user", "my card is 4111"));
    json ann{{"type", "annotate"},
             {"summary", "secret summary"},
             {"topic", "billing"},
             {"tags", {"t1"}},
             {"actions_needed", {"refund"}},
             {"recording_details", {{"url", "https://rec.example/2"}}}};
    apply(id, ann);

    json full = lc::feed(s_);
    json red = lc::feed(plain);
    ASSERT_EQ(full.size(), 4u);
    ASSERT_EQ(red.size(), 4u);
    auto hidden = [](const json &data, const char *k) { return !data.contains(k) || data[k].is_null(); };

    EXPECT_EQ(full[1]["data"]["text"], kGreeting);
    EXPECT_EQ(full[2]["data"]["text"], "my card is 4111");
    for (int i : {1, 2}) {
        EXPECT_EQ(red[i]["type"], "message");
        EXPECT_EQ(red[i]["data"]["role"], full[i]["data"]["role"]);
        EXPECT_TRUE(hidden(red[i]["data"], "text")) << red[i].dump();
        EXPECT_EQ(red[i]["seq"], full[i]["seq"]);
    }
    EXPECT_EQ(full[3]["data"]["summary"], "secret summary");
    EXPECT_EQ(full[3]["data"]["recording_details"], ann["recording_details"]);
    EXPECT_TRUE(hidden(red[3]["data"], "summary")) << red[3].dump();
    EXPECT_TRUE(hidden(red[3]["data"], "recording_details")) << red[3].dump();
    EXPECT_EQ(red[3]["data"]["topic"], "billing");
    EXPECT_EQ(red[3]["data"]["tags"], json({"t1"}));
    EXPECT_EQ(red[3]["data"]["actions_needed"], json({"refund"}));
    EXPECT_EQ(red[0], full[0]) << "created events carry nothing sensitive";
}

// ---- several events from one change --------------------------------------------------------

TEST_F(FeedTest, TextGreetingIsCreatedThenMessage) {
    uint64_t seq = lc::feed_end(s_);
    std::string id = make("text");
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 2u) << f.dump();
    EXPECT_EQ(f[0]["type"], "created");
    EXPECT_EQ(f[1]["type"], "message");
    EXPECT_EQ(f[1]["seq"].get<uint64_t>(), f[0]["seq"].get<uint64_t>() + 1);
    EXPECT_EQ(f[1]["conversation_id"], id);
    EXPECT_EQ(f[1]["data"]["role"], "agent");
}

TEST_F(FeedTest, TextWithoutAGreetingIsOnlyCreated) {
    ASSERT_TRUE(agent_put(s_, json{{"id", "agent_quiet"},
                                   {"name", "Quiet"},
                                   {"versions", {{{"version", 1}, {"published", true},
                                                  {"greeting", "unused"}, {"speaks_first", false}}}}})
                    .ok());
    uint64_t seq = lc::feed_end(s_);
    json r = request_for("text");
    r["agent_id"] = "agent_quiet";
    Call c = create(s_, r);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_TRUE(c.body["starting_message"].is_null());
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    EXPECT_EQ(f[0]["type"], "created");
}

TEST_F(FeedTest, EmailReplyIsStatusChangedThenMessage) {
    std::string id = make("email");
    uint64_t seq = lc::feed_end(s_);
    clock(8 * kSec);
    apply(id, msg("user", "reply"));
    json f = lc::feed(s_, seq);
    ASSERT_EQ(f.size(), 2u) << f.dump();
    EXPECT_EQ(f[0]["type"], "status_changed");
    EXPECT_EQ(f[0]["from"], "triggered");
    EXPECT_EQ(f[0]["to"], "in_progress");
    EXPECT_EQ(f[1]["type"], "message");
    EXPECT_EQ(f[1]["data"], (json{{"role", "user"}, {"text", "reply"}}));
    EXPECT_EQ(f[1]["seq"].get<uint64_t>(), f[0]["seq"].get<uint64_t>() + 1);
    EXPECT_EQ(f[0]["at"], at(8 * kSec));
    EXPECT_EQ(f[1]["at"], at(8 * kSec));
}

// ---- what is not in the feed ---------------------------------------------------------------

TEST_F(FeedTest, AgentChangesAndFailedCallsAppendNothing) {
    std::string id = make("telephone");
    uint64_t seq = lc::feed_end(s_);
    ASSERT_TRUE(agent_put(s_, standard_agent("agent_other", "+18885550001")).ok());
    EXPECT_EQ(dispatch(s_, id, {{"type", "end"}}).code, CONVO_ECONFLICT);
    EXPECT_EQ(dispatch(s_, id, {{"type", "bogus"}}).code, CONVO_EINVALID);
    EXPECT_EQ(create(s_, {{"channel", "fax"}, {"user_id", "u"}, {"agent_id", "agent_abc"}}).code, CONVO_EINVALID);
    EXPECT_EQ(lc::feed_end(s_), seq);
}

// ---- subscribers ---------------------------------------------------------------------------

class FeedSubscriberTest : public FeedTest {
protected:
    void TearDown() override {
        for (uint64_t id : subs_) convo_unsubscribe(engine_->get(), id);
    }
    uint64_t subscribe(convo_event_fn fn, void *user) {
        uint64_t id = 0;
        EXPECT_EQ(convo_subscribe(engine_->get(), fn, user, &id), CONVO_OK) << convo_last_error();
        subs_.push_back(id);
        return id;
    }
    std::vector<uint64_t> subs_;
};

TEST_F(FeedSubscriberTest, GetsEveryEventOfEveryOrganizationInSeqOrderUnredacted) {
    lc::Recorder rec;
    subscribe(&lc::Recorder::fn, &rec);
    convo_session *b = org_b();
    convo_session *plain = engine_->session("org_a", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
    Call c = create(plain, request_for("text"));
    ASSERT_TRUE(c.ok()) << c.error;
    std::string a1 = c.body["conversation"]["id"];
    apply(plain, a1, msg("user", "private text"));
    std::string b1 = make_in(b, "email");
    apply(b, b1, msg("user", "b reply"));
    apply(plain, a1, {{"type", "annotate"}, {"summary", "s"}});

    json expected = lc::feed(s_);
    for (const json &e : lc::feed(b)) expected.push_back(e);
    std::sort(expected.begin(), expected.end(),
              [](const json &x, const json &y) { return x["seq"].get<uint64_t>() < y["seq"].get<uint64_t>(); });
    std::vector<json> got = rec.take();
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << i;
    EXPECT_EQ(got[2]["data"]["text"], "private text") << "subscribers see everything";
}

struct CommitProbe {
    convo_session *s = nullptr;
    std::thread::id thread;
    int calls = 0, seen_in_feed = 0, status_matches = 0, other_thread = 0;
    static void fn(void *user, const char *event_json) {
        auto *p = static_cast<CommitProbe *>(user);
        ++p->calls;
        if (std::this_thread::get_id() != p->thread) ++p->other_thread;
        json e = json::parse(event_json);
        uint64_t seq = e["seq"].get<uint64_t>();
        Call c = events(p->s, seq - 1, 1);
        if (c.ok() && c.body["events"].size() == 1 && c.body["events"][0] == e) ++p->seen_in_feed;
        if (e["type"] == "status_changed") {
            Call g = get(p->s, e["conversation_id"].get<std::string>());
            if (g.ok() && g.body["status"] == e["to"]) ++p->status_matches;
        } else {
            ++p->status_matches;
        }
    }
};

TEST_F(FeedSubscriberTest, RunsAfterCommitOnTheCallingThread) {
    CommitProbe probe;
    probe.s = s_;
    probe.thread = std::this_thread::get_id();
    subscribe(&CommitProbe::fn, &probe);
    std::string id = make("telephone");
    apply(id, {{"type", "ringing"}});
    apply(id, {{"type", "answered"}});
    apply(id, msg("user", "x"));
    apply(id, {{"type", "end"}});
    EXPECT_EQ(probe.calls, 5);
    EXPECT_EQ(probe.seen_in_feed, 5) << "each event is readable from inside its callback";
    EXPECT_EQ(probe.status_matches, 5) << "the conversation already shows the change";
    EXPECT_EQ(probe.other_thread, 0);
}

TEST_F(FeedSubscriberTest, UnsubscribeStopsDelivery) {
    lc::Recorder one, two;
    uint64_t s1 = subscribe(&lc::Recorder::fn, &one);
    subscribe(&lc::Recorder::fn, &two);
    EXPECT_NE(s1, subs_.back());
    std::string id = make("webrtc");
    EXPECT_EQ(one.take().size(), 1u);
    EXPECT_EQ(two.take().size(), 1u);
    EXPECT_EQ(convo_unsubscribe(engine_->get(), s1), CONVO_OK);
    apply(id, {{"type", "joined"}});
    EXPECT_EQ(one.take().size(), 1u) << "no delivery after unsubscribe";
    EXPECT_EQ(two.take().size(), 2u) << "the other subscriber still gets events";
    EXPECT_EQ(convo_unsubscribe(engine_->get(), s1), CONVO_ENOTFOUND);
}

TEST_F(FeedSubscriberTest, UnknownSubscriptionIsNotFoundAndNullIsMisuse) {
    EXPECT_EQ(convo_unsubscribe(engine_->get(), 987654321u), CONVO_ENOTFOUND);
    EXPECT_NE(std::string(convo_last_error()), "");
    uint64_t id = 0;
    EXPECT_EQ(convo_subscribe(engine_->get(), nullptr, nullptr, &id), CONVO_EMISUSE);
    lc::Recorder rec;
    EXPECT_EQ(convo_subscribe(nullptr, &lc::Recorder::fn, &rec, &id), CONVO_EMISUSE);
    EXPECT_EQ(convo_unsubscribe(nullptr, 1), CONVO_EMISUSE);
}

struct Reentrant {
    convo_session *s = nullptr;
    std::vector<json> got;
    int depth = 0;
    bool recursed = false;
    bool acted = false;
    convo_code inner = CONVO_EINTERNAL;
    size_t delivered_when_inner_returned = 0;
    static void fn(void *user, const char *event_json) {
        auto *r = static_cast<Reentrant *>(user);
        if (r->depth > 0) r->recursed = true;
        ++r->depth;
        json e = json::parse(event_json);
        r->got.push_back(e);
        if (!r->acted && e["type"] == "created") {
            r->acted = true;
            char *out = nullptr;
            r->inner = convo_dispatch(r->s, e["conversation_id"].get<std::string>().c_str(),
                                      R"({"type":"message","role":"user","text":"from callback"})", &out);
            convo_free(out);
            r->delivered_when_inner_returned = r->got.size();
        }
        --r->depth;
    }
};

TEST_F(FeedSubscriberTest, ACallbackMayChangeTheEngineItsEventsFollowInOrder) {
    Reentrant r;
    r.s = s_;
    subscribe(&Reentrant::fn, &r);
    std::string id = make("text");  // created + greeting; the callback adds a message
    EXPECT_EQ(r.inner, CONVO_OK);
    EXPECT_FALSE(r.recursed) << "never delivered recursively";
    EXPECT_EQ(r.delivered_when_inner_returned, 1u);
    ASSERT_EQ(r.got.size(), 3u);
    EXPECT_EQ(r.got[0]["type"], "created");
    EXPECT_EQ(r.got[1]["type"], "message");
    EXPECT_EQ(r.got[1]["data"]["text"], kGreeting);
    EXPECT_EQ(r.got[2]["type"], "message");
    EXPECT_EQ(r.got[2]["data"]["text"], "from callback");
    for (size_t i = 1; i < r.got.size(); ++i)
        EXPECT_EQ(r.got[i]["seq"].get<uint64_t>(), r.got[i - 1]["seq"].get<uint64_t>() + 1);
    json f = lc::feed(s_);
    ASSERT_EQ(f.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(f[i], r.got[i]);
    EXPECT_EQ(conv(id)["user_turn_count"], 1);
}

TEST_F(FeedSubscriberTest, TimersFiredByTickAreDelivered) {
    lc::Recorder rec;
    std::string ring = make("telephone", "inbound");  // ring at 60 s
    clock(10 * kSec);
    std::string idle = make("text", "outbound", {{"idle_timeout_minutes", 1}});  // idle at 70 s
    uint64_t seq = lc::feed_end(s_);
    subscribe(&lc::Recorder::fn, &rec);
    clock(90 * kSec);
    EXPECT_EQ(engine_->tick(), 2u);
    std::vector<json> got = rec.take();
    json f = lc::feed(s_, seq);
    ASSERT_EQ(got.size(), 2u);
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(got[0]["conversation_id"], ring);
    EXPECT_EQ(got[0]["data"]["timer"], "ring");
    EXPECT_EQ(got[0]["reason"], "ring_timeout");
    EXPECT_EQ(got[0]["at"], at(60 * kSec));
    EXPECT_EQ(got[1]["conversation_id"], idle);
    EXPECT_EQ(got[1]["data"]["timer"], "idle");
    EXPECT_EQ(got[1]["reason"], "idle_timeout");
    EXPECT_EQ(got[1]["at"], at(70 * kSec));
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(got[i], f[i]);
        EXPECT_EQ(got[i]["type"], "status_changed");
    }
}

}  // namespace
}  // namespace convo_test
