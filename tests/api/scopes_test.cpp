// Scopes (each function's required scope), redaction of the sensitive fields, and
// organization isolation (docs/c-api.md; issue section 2 "a session is one organization's view").
#include "harness.h"

#include <set>
#include <string>

using namespace convo_test;

namespace {

const char *const kSensitive[] = {"agent",           "summary",      "initial_context",
                                  "custom_metadata", "conversation", "recording_details"};

const char *kSomeUuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

char *sentinel() { return reinterpret_cast<char *>(static_cast<uintptr_t>(0x1)); }

struct Snapshot {
    json items;
    json feed;
};

class ScopesSpec : public ApiTest {
protected:
    void SetUp() override {
        ApiTest::SetUp();
        if (HasFatalFailure()) return;
        id_ = make("text", "outbound",
                   {{"custom_metadata", {{"tier", "gold"}}},
                    {"initial_context", "VIP customer"}});
        ASSERT_FALSE(id_.empty());
        Call a = dispatch(s_, id_,
                          {{"type", "annotate"},
                           {"summary", "Asked about billing"},
                           {"topic", "billing"},
                           {"recording_details", {{"recording_url", "https://rec.example/1"}}}});
        ASSERT_TRUE(a.ok()) << a.error;
        ASSERT_TRUE(dispatch(s_, id_, {{"type", "message"}, {"role", "user"}, {"text", "my bill"}})
                        .ok());
        engine_->advance(1000);
    }
    Snapshot snapshot() {
        Call l = list(s_, {{"limit", 100}});
        Call e = events(s_, 0, 1000);
        EXPECT_TRUE(l.ok()) << l.error;
        EXPECT_TRUE(e.ok()) << e.error;
        return {l.body, e.body};
    }
    void expect_unchanged(const Snapshot &before) {
        Snapshot now = snapshot();
        EXPECT_EQ(now.items, before.items) << "conversations changed";
        EXPECT_EQ(now.feed, before.feed) << "feed changed";
    }
    void expect_forbidden(const Call &c, const char *what) {
        EXPECT_EQ(c.code, CONVO_EFORBIDDEN) << what << ": " << c.error;
        EXPECT_FALSE(c.error.empty()) << what;
        EXPECT_TRUE(c.body.is_null()) << what;
    }
    // `json` without the sensitive keys.
    static json redacted(json j) {
        for (const char *k : kSensitive) j.erase(k);
        return j;
    }
    static void expect_no_sensitive_keys(const json &cv, const std::string &where) {
        ASSERT_TRUE(cv.is_object()) << where;
        for (const char *k : kSensitive) EXPECT_FALSE(cv.contains(k)) << where << " has " << k;
        EXPECT_TRUE(cv.contains("status")) << where;
        EXPECT_TRUE(cv.contains("id")) << where;
    }
    static void expect_all_sensitive_keys(const json &cv, const std::string &where) {
        ASSERT_TRUE(cv.is_object()) << where;
        for (const char *k : kSensitive) EXPECT_TRUE(cv.contains(k)) << where << " lacks " << k;
    }
    std::string id_;
};

// ---------------------------------------------------------------------------------------
// Required scopes

TEST_F(ScopesSpec, CreateNeedsWrite) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_WRITE);
    Snapshot before = snapshot();
    for (const char *ch : {"text", "email", "webrtc", "telephone"}) {
        char *out = sentinel();
        int http = 0;
        convo_code code = convo_create(s, request_for(ch).dump().c_str(), &out, &http);
        EXPECT_EQ(code, CONVO_EFORBIDDEN) << ch << ": " << convo_last_error();
        EXPECT_STRNE(convo_last_error(), "");
        EXPECT_EQ(out, nullptr);
        if (out != nullptr && out != sentinel()) convo_free(out);
    }
    expect_unchanged(before);
}

TEST_F(ScopesSpec, DispatchNeedsWrite) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_WRITE);
    Snapshot before = snapshot();
    json conv_before = conv(id_);
    expect_forbidden(dispatch(s, id_, {{"type", "message"}, {"role", "user"}, {"text", "hi"}}),
                     "message");
    expect_forbidden(dispatch(s, id_, {{"type", "end"}}), "end");
    expect_forbidden(dispatch(s, id_, {{"type", "annotate"}, {"topic", "x"}}), "annotate");
    EXPECT_EQ(conv(id_), conv_before);
    expect_unchanged(before);
}

TEST_F(ScopesSpec, GetNeedsRead) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_READ);
    expect_forbidden(get(s, id_), "get");
}

TEST_F(ScopesSpec, ListNeedsRead) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_READ);
    expect_forbidden(list(s), "list");
}

TEST_F(ScopesSpec, EventsNeedsRead) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_READ);
    expect_forbidden(events(s), "events");
}

TEST_F(ScopesSpec, AgentGetNeedsRead) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_READ);
    expect_forbidden(agent_get(s, "agent_abc"), "agent get");
}

TEST_F(ScopesSpec, AgentPutNeedsAdmin) {
    convo_session *s = engine_->session("org_a", kAllScopes & ~CONVO_SCOPE_ADMIN);
    Call before = agent_get(s_, "agent_abc");
    ASSERT_TRUE(before.ok());
    json changed = standard_agent();
    changed["name"] = "Changed";
    expect_forbidden(agent_put(s, changed), "agent put (replace)");
    expect_forbidden(agent_put(s, standard_agent("agent_new", "+18885550007")), "agent put (new)");
    EXPECT_EQ(agent_get(s_, "agent_abc").body, before.body);
    EXPECT_EQ(agent_get(s_, "agent_new").code, CONVO_ENOTFOUND);
}

TEST_F(ScopesSpec, NoScopesAllowsNothing) {
    convo_session *s = engine_->session("org_a", 0);
    Snapshot before = snapshot();
    expect_forbidden(create(s, request_for("text")), "create");
    expect_forbidden(dispatch(s, id_, {{"type", "end"}}), "dispatch");
    expect_forbidden(get(s, id_), "get");
    expect_forbidden(list(s), "list");
    expect_forbidden(events(s), "events");
    expect_forbidden(agent_get(s, "agent_abc"), "agent get");
    expect_forbidden(agent_put(s, standard_agent("agent_new", "+18885550007")), "agent put");
    expect_unchanged(before);
}

TEST_F(ScopesSpec, SensitiveAloneAllowsNothing) {
    convo_session *s = engine_->session("org_a", CONVO_SCOPE_SENSITIVE);
    expect_forbidden(create(s, request_for("text")), "create");
    expect_forbidden(get(s, id_), "get");
    expect_forbidden(list(s), "list");
    expect_forbidden(events(s), "events");
    expect_forbidden(agent_put(s, standard_agent("agent_new", "+18885550007")), "agent put");
}

TEST_F(ScopesSpec, EachScopeAloneIsEnoughForItsFunctions) {
    convo_session *w = engine_->session("org_a", CONVO_SCOPE_WRITE);
    Call c = create(w, request_for("text"));
    ASSERT_TRUE(c.ok()) << c.error;
    std::string id = c.body["conversation"]["id"];
    EXPECT_TRUE(dispatch(w, id, {{"type", "message"}, {"role", "user"}, {"text", "hi"}}).ok());

    convo_session *r = engine_->session("org_a", CONVO_SCOPE_READ);
    EXPECT_TRUE(get(r, id).ok());
    EXPECT_TRUE(list(r).ok());
    EXPECT_TRUE(events(r).ok());
    EXPECT_TRUE(agent_get(r, "agent_abc").ok());

    convo_session *a = engine_->session("org_a", CONVO_SCOPE_ADMIN);
    Call p = agent_put(a, standard_agent("agent_new", "+18885550007"));
    EXPECT_TRUE(p.ok()) << p.error;
    EXPECT_TRUE(agent_get(s_, "agent_new").ok());
    // ADMIN alone does not read or write conversations.
    expect_forbidden(get(a, id), "admin get");
    expect_forbidden(create(a, request_for("text")), "admin create");
}

// ---------------------------------------------------------------------------------------
// Redaction

TEST_F(ScopesSpec, GetOmitsSensitiveKeysWithoutTheScope) {
    convo_session *s = engine_->session("org_a", CONVO_SCOPE_READ);
    Call c = get(s, id_);
    ASSERT_TRUE(c.ok()) << c.error;
    expect_no_sensitive_keys(c.body, "get");
    // Everything else is the same as the full view.
    EXPECT_EQ(c.body, redacted(conv(id_)));
    EXPECT_EQ(c.body["topic"], "billing");  // topic is not sensitive
}

TEST_F(ScopesSpec, GetHasSensitiveKeysWithTheScope) {
    convo_session *s = engine_->session("org_a", CONVO_SCOPE_READ | CONVO_SCOPE_SENSITIVE);
    Call c = get(s, id_);
    ASSERT_TRUE(c.ok()) << c.error;
    expect_all_sensitive_keys(c.body, "get");
    EXPECT_EQ(c.body["agent"], (json{{"id", "agent_abc"}, {"name", "Support"}}));
    EXPECT_EQ(c.body["summary"], "Asked about billing");
    EXPECT_EQ(c.body["initial_context"], "VIP customer");
    EXPECT_EQ(c.body["custom_metadata"], (json{{"tier", "gold"}}));
    EXPECT_EQ(c.body["recording_details"], (json{{"recording_url", "https://rec.example/1"}}));
    ASSERT_EQ(c.body["conversation"]["messages"].size(), 2u);
    EXPECT_EQ(c.body["conversation"]["messages"][1]["text"], "my bill");
}

TEST_F(ScopesSpec, SensitiveKeysArePresentEvenWhenNull) {
    std::string plain = make("telephone");
    Call c = get(s_, plain);
    ASSERT_TRUE(c.ok());
    expect_all_sensitive_keys(c.body, "get");
}

TEST_F(ScopesSpec, ListOmitsSensitiveKeysWithoutTheScope) {
    make("email");
    make("webrtc");
    convo_session *s = engine_->session("org_a", CONVO_SCOPE_READ);
    Call l = list(s);
    ASSERT_TRUE(l.ok()) << l.error;
    ASSERT_EQ(l.body["items"].size(), 3u);
    for (const json &item : l.body["items"]) expect_no_sensitive_keys(item, "list item");

    convo_session *full = engine_->session("org_a", CONVO_SCOPE_READ | CONVO_SCOPE_SENSITIVE);
    Call lf = list(full);
    ASSERT_TRUE(lf.ok()) << lf.error;
    ASSERT_EQ(lf.body["items"].size(), 3u);
    for (const json &item : lf.body["items"]) expect_all_sensitive_keys(item, "list item");
}

TEST_F(ScopesSpec, CreateOmitsSensitiveKeysWithoutTheScope) {
    convo_session *w = engine_->session("org_a", CONVO_SCOPE_WRITE);
    for (const char *ch : {"text", "email", "webrtc"}) {
        json r = request_for(ch);
        r["custom_metadata"] = {{"k", "v"}};
        r["initial_context"] = "ctx";
        Call c = create(w, r);
        ASSERT_TRUE(c.ok()) << ch << ": " << c.error;
        expect_no_sensitive_keys(c.body["conversation"], std::string("create ") + ch);
    }
    // The webrtc join details are not sensitive.
    Call rtc = create(w, request_for("webrtc"));
    ASSERT_TRUE(rtc.ok());
    EXPECT_TRUE(rtc.body["connection_details"]["token"].is_string());
    EXPECT_TRUE(rtc.body["capabilities"].is_object());

    convo_session *ws = engine_->session("org_a", CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE);
    for (const char *ch : {"text", "email", "webrtc"}) {
        json r = request_for(ch);
        r["custom_metadata"] = {{"k", "v"}};
        Call c = create(ws, r);
        ASSERT_TRUE(c.ok()) << ch << ": " << c.error;
        expect_all_sensitive_keys(c.body["conversation"], std::string("create ") + ch);
        EXPECT_EQ(c.body["conversation"]["custom_metadata"], (json{{"k", "v"}}));
    }
}

TEST_F(ScopesSpec, DispatchOmitsSensitiveKeysWithoutTheScope) {
    convo_session *w = engine_->session("org_a", CONVO_SCOPE_WRITE);
    Call c = dispatch(w, id_, {{"type", "message"}, {"role", "user"}, {"text", "again"}});
    ASSERT_TRUE(c.ok()) << c.error;
    expect_no_sensitive_keys(c.body, "dispatch");
    EXPECT_EQ(c.body["user_turn_count"], 2);

    convo_session *ws = engine_->session("org_a", CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE);
    Call d = dispatch(ws, id_, {{"type", "annotate"}, {"summary", "Updated"}});
    ASSERT_TRUE(d.ok()) << d.error;
    expect_all_sensitive_keys(d.body, "dispatch");
    EXPECT_EQ(d.body["summary"], "Updated");
}

TEST_F(ScopesSpec, FeedRedactsMessageTextAndSensitiveAnnotations) {
    convo_session *r = engine_->session("org_a", CONVO_SCOPE_READ);
    convo_session *rs = engine_->session("org_a", CONVO_SCOPE_READ | CONVO_SCOPE_SENSITIVE);
    Call plain = events(r);
    Call full = events(rs);
    ASSERT_TRUE(plain.ok()) << plain.error;
    ASSERT_TRUE(full.ok()) << full.error;
    ASSERT_EQ(plain.body["events"].size(), full.body["events"].size());
    bool saw_user_message = false;
    bool saw_annotation = false;
    for (size_t i = 0; i < plain.body["events"].size(); ++i) {
        const json &p = plain.body["events"][i];
        const json &f = full.body["events"][i];
        EXPECT_EQ(p["seq"], f["seq"]);
        if (f["type"] == "message" && f["data"]["role"] == "user") {
            saw_user_message = true;
            EXPECT_EQ(f["data"]["text"], "my bill");
            EXPECT_EQ(p["data"]["role"], "user");
            EXPECT_FALSE(p["data"].contains("text")) << p.dump();
        }
        if (f["type"] == "annotated") {
            saw_annotation = true;
            EXPECT_EQ(f["data"]["summary"], "Asked about billing");
            EXPECT_TRUE(f["data"].contains("recording_details"));
            EXPECT_FALSE(p["data"].contains("summary")) << p.dump();
            EXPECT_FALSE(p["data"].contains("recording_details")) << p.dump();
            EXPECT_EQ(p["data"]["topic"], "billing");
        }
    }
    EXPECT_TRUE(saw_user_message);
    EXPECT_TRUE(saw_annotation);
}

// ---------------------------------------------------------------------------------------
// Organization isolation

class ScopesSpecIsolation : public ScopesSpec {
protected:
    void SetUp() override {
        ScopesSpec::SetUp();
        if (HasFatalFailure()) return;
        b_ = engine_->session("org_b");
        ASSERT_NE(b_, nullptr);
    }
    convo_session *b_ = nullptr;
};

TEST_F(ScopesSpecIsolation, OtherOrganizationCannotGetAConversation) {
    Call c = get(b_, id_);
    EXPECT_EQ(c.code, CONVO_ENOTFOUND) << c.error;
    EXPECT_TRUE(c.body.is_null());
    // Indistinguishable from an id that does not exist at all.
    EXPECT_EQ(get(b_, kSomeUuid).code, CONVO_ENOTFOUND);
}

TEST_F(ScopesSpecIsolation, OtherOrganizationListsNothingOfIt) {
    Call l = list(b_);
    ASSERT_TRUE(l.ok()) << l.error;
    EXPECT_EQ(l.body["items"], json::array());
    EXPECT_TRUE(l.body["next_cursor"].is_null());
    Call f = list(b_, {{"user_id", "user_42"}});
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f.body["items"], json::array());
}

TEST_F(ScopesSpecIsolation, OtherOrganizationCannotDispatch) {
    Snapshot before = snapshot();
    json conv_before = conv(id_);
    for (const json &e : json::array({json{{"type", "end"}},
                                      json{{"type", "annotate"}, {"topic", "stolen"}},
                                      json{{"type", "message"}, {"role", "user"}, {"text", "x"}}})) {
        Call c = dispatch(b_, id_, e);
        EXPECT_EQ(c.code, CONVO_ENOTFOUND) << e.dump() << ": " << c.error;
    }
    EXPECT_EQ(conv(id_), conv_before);
    expect_unchanged(before);
    Call eb = events(b_);
    ASSERT_TRUE(eb.ok());
    EXPECT_EQ(eb.body["events"], json::array());
}

TEST_F(ScopesSpecIsolation, OtherOrganizationSeesNoneOfItsEvents) {
    ASSERT_TRUE(agent_put(b_, standard_agent()).ok());
    Call cb = create(b_, request_for("text"));
    ASSERT_TRUE(cb.ok()) << cb.error;
    std::string bid = cb.body["conversation"]["id"];
    make("email");  // more org_a events after org_b's

    Call eb = events(b_);
    ASSERT_TRUE(eb.ok()) << eb.error;
    ASSERT_FALSE(eb.body["events"].empty());
    for (const json &ev : eb.body["events"]) {
        EXPECT_EQ(ev["organization_id"], "org_b") << ev.dump();
        EXPECT_EQ(ev["conversation_id"], bid) << ev.dump();
    }
    Call ea = events(s_);
    ASSERT_TRUE(ea.ok());
    for (const json &ev : ea.body["events"]) {
        EXPECT_EQ(ev["organization_id"], "org_a") << ev.dump();
        EXPECT_NE(ev["conversation_id"], bid) << ev.dump();
    }
}

TEST_F(ScopesSpecIsolation, OtherOrganizationCannotSeeItsAgents) {
    Call g = agent_get(b_, "agent_abc");
    EXPECT_EQ(g.code, CONVO_ENOTFOUND) << g.error;
    EXPECT_TRUE(g.body.is_null());
}

TEST_F(ScopesSpecIsolation, OtherOrganizationCannotUseItsAgents) {
    Call a = agent_get(s_, "agent_abc");
    ASSERT_TRUE(a.ok());
    std::string v1 = a.body["versions"][0]["version"] == 1 ? a.body["versions"][0]["id"]
                                                           : a.body["versions"][1]["id"];
    Snapshot before_a = snapshot();

    for (const char *ch : {"text", "email", "webrtc", "telephone"}) {
        Call c = create(b_, request_for(ch));  // agent_id agent_abc belongs to org_a
        EXPECT_EQ(c.code, CONVO_EPRECONDITION) << ch << ": " << c.error;
    }
    json by_version = request_for("text");
    by_version.erase("agent_id");
    by_version["agent_version_id"] = v1;
    EXPECT_EQ(create(b_, by_version).code, CONVO_EPRECONDITION);
    json by_number{{"channel", "telephone"}, {"user_id", "+14155551234"},
                   {"agent_number", "+18885550000"}};
    EXPECT_EQ(create(b_, by_number).code, CONVO_EPRECONDITION);

    Call lb = list(b_);
    ASSERT_TRUE(lb.ok());
    EXPECT_EQ(lb.body["items"], json::array());
    Call eb = events(b_);
    ASSERT_TRUE(eb.ok());
    EXPECT_EQ(eb.body["events"], json::array());
    expect_unchanged(before_a);
}

TEST_F(ScopesSpecIsolation, SameAgentIdExistsIndependentlyInEachOrganization) {
    Call a_before = agent_get(s_, "agent_abc");
    ASSERT_TRUE(a_before.ok());

    json theirs = standard_agent();  // same id and same phone number, other organization
    theirs["name"] = "Org B Support";
    theirs["versions"][0]["greeting"] = "Welcome to B";
    Call put = agent_put(b_, theirs);
    ASSERT_TRUE(put.ok()) << put.error;

    EXPECT_EQ(agent_get(s_, "agent_abc").body, a_before.body) << "org_a's agent changed";
    Call b_get = agent_get(b_, "agent_abc");
    ASSERT_TRUE(b_get.ok());
    EXPECT_EQ(b_get.body["name"], "Org B Support");

    Call ca = create(s_, request_for("text"));
    Call cb = create(b_, request_for("text"));
    ASSERT_TRUE(ca.ok()) << ca.error;
    ASSERT_TRUE(cb.ok()) << cb.error;
    EXPECT_EQ(ca.body["starting_message"], "Hi! How can I help?");
    EXPECT_EQ(cb.body["starting_message"], "Welcome to B");
    EXPECT_EQ(cb.body["conversation"]["organization_id"], "org_b");
    EXPECT_EQ(cb.body["conversation"]["agent"]["name"], "Org B Support");

    // The same phone number resolves to each organization's own agent.
    json by_number{{"channel", "telephone"}, {"user_id", "+14155551234"},
                   {"agent_number", "+18885550000"}};
    Call ta = create(s_, by_number);
    Call tb = create(b_, by_number);
    ASSERT_TRUE(ta.ok()) << ta.error;
    ASSERT_TRUE(tb.ok()) << tb.error;
    EXPECT_EQ(get(b_, tb.body["contact_id"].get<std::string>()).body["agent"]["name"],
              "Org B Support");
    EXPECT_EQ(get(s_, ta.body["contact_id"].get<std::string>()).body["agent"]["name"], "Support");

    // Replacing org_b's agent leaves org_a's alone.
    theirs["name"] = "Org B Support 2";
    ASSERT_TRUE(agent_put(b_, theirs).ok());
    EXPECT_EQ(agent_get(s_, "agent_abc").body, a_before.body);
}

TEST_F(ScopesSpecIsolation, ClientIdOwnedByAnotherOrganizationConflicts) {
    const std::string cid = "0190b8c2-7d4e-7abc-8def-0123456789ab";
    json r = request_for("text");
    r["id"] = cid;
    Call ca = create(s_, r);
    ASSERT_TRUE(ca.ok()) << ca.error;
    Snapshot before_a = snapshot();

    ASSERT_TRUE(agent_put(b_, standard_agent()).ok());
    Call cb = create(b_, r);
    EXPECT_EQ(cb.code, CONVO_ECONFLICT) << cb.error;
    EXPECT_TRUE(cb.body.is_null());
    EXPECT_EQ(list(b_).body["items"], json::array());
    EXPECT_EQ(events(b_).body["events"], json::array());
    EXPECT_EQ(get(b_, cid).code, CONVO_ENOTFOUND);
    expect_unchanged(before_a);
}

}  // namespace
