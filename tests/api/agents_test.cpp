// convo_agent_put / convo_agent_get: the round trip, stable version ids, versions added and
// published later, replacing an agent, phone_number uniqueness (issue section 3, docs/c-api.md).
#include "harness.h"

#include <regex>
#include <set>
#include <string>

using namespace convo_test;

namespace {

const std::regex kUuidRe(
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");

// Version `n` of an agent output (null if absent).
json version_of(const json &agent, int n) {
    for (const json &v : agent.at("versions"))
        if (v.at("version") == n) return v;
    return nullptr;
}
std::string vid(const json &agent, int n) {
    json v = version_of(agent, n);
    return v.is_object() && v.contains("id") && v["id"].is_string() ? v["id"].get<std::string>()
                                                                    : std::string();
}

json one_version_agent(const std::string &id, bool published, const std::string &greeting) {
    return json{{"id", id},
                {"name", "Agent " + id},
                {"versions", json::array({json{{"version", 1},
                                               {"published", published},
                                               {"greeting", greeting}}})}};
}

class AgentsSpec : public ApiTest {
protected:
    Call put(const json &agent) {
        Call c = agent_put(s_, agent);
        EXPECT_TRUE(c.ok()) << c.error << "\nagent: " << agent.dump();
        return c;
    }
    // Creates a text conversation with `extra`; returns the call.
    Call text_with(const json &extra) {
        json r = request_for("text");
        r.erase("agent_id");
        r.update(extra);
        return create(s_, r);
    }
};

TEST_F(AgentsSpec, PutEchoesTheAgentAndGivesEveryVersionAnId) {
    engine_->advance(2500);
    Call c = put(standard_agent("agent_new", "+18885550005"));
    ASSERT_TRUE(c.ok());
    const json &a = c.body;
    for (const char *k : {"id", "name", "phone_number", "versions", "created_at", "updated_at"})
        EXPECT_TRUE(a.contains(k)) << "missing " << k;
    EXPECT_EQ(a["id"], "agent_new");
    EXPECT_EQ(a["name"], "Support");
    EXPECT_EQ(a["phone_number"], "+18885550005");
    EXPECT_EQ(a["created_at"], "2026-01-01T00:00:02.500Z");
    EXPECT_EQ(a["updated_at"], "2026-01-01T00:00:02.500Z");
    ASSERT_TRUE(a["versions"].is_array());
    ASSERT_EQ(a["versions"].size(), 2u);

    json v1 = version_of(a, 1);
    ASSERT_TRUE(v1.is_object());
    EXPECT_EQ(v1["published"], true);
    EXPECT_EQ(v1["greeting"], "Hi! How can I help?");
    EXPECT_EQ(v1["speaks_first"], true);
    EXPECT_EQ(v1["default_subject"], "Hello from Support");
    EXPECT_EQ(v1["capabilities"],
              (json{{"supportsVideoInput", false}, {"supportsScreenShare", true}}));

    json v2 = version_of(a, 2);
    ASSERT_TRUE(v2.is_object());
    EXPECT_EQ(v2["published"], false);
    EXPECT_EQ(v2["greeting"], "Draft greeting");
    EXPECT_TRUE(v2["default_subject"].is_null());
    EXPECT_EQ(v2["capabilities"],
              (json{{"supportsVideoInput", false}, {"supportsScreenShare", false}}));

    for (const json &v : a["versions"]) {
        for (const char *k : {"id", "version", "published", "greeting", "speaks_first",
                              "default_subject", "capabilities"})
            EXPECT_TRUE(v.contains(k)) << "version lacks " << k;
        ASSERT_TRUE(v["id"].is_string());
        EXPECT_TRUE(std::regex_match(v["id"].get<std::string>(), kUuidRe)) << v["id"];
    }
    EXPECT_NE(vid(a, 1), vid(a, 2));
}

TEST_F(AgentsSpec, VersionFieldsHaveTheirDefaults) {
    json minimal{{"id", "agent_min"},
                 {"name", "Min"},
                 {"versions", json::array({json{{"version", 1}}})}};
    Call c = put(minimal);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c.body["phone_number"].is_null());
    json v = version_of(c.body, 1);
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(v["published"], false);
    EXPECT_TRUE(v["greeting"].is_null());
    EXPECT_EQ(v["speaks_first"], true);
    EXPECT_TRUE(v["default_subject"].is_null());
    EXPECT_EQ(v["capabilities"],
              (json{{"supportsVideoInput", false}, {"supportsScreenShare", false}}));
}

TEST_F(AgentsSpec, GetReturnsWhatPutReturned) {
    Call p = put(standard_agent("agent_new", "+18885550005"));
    ASSERT_TRUE(p.ok());
    engine_->advance(1000);
    Call g = agent_get(s_, "agent_new");
    ASSERT_TRUE(g.ok()) << g.error;
    EXPECT_EQ(g.body, p.body);
}

TEST_F(AgentsSpec, GetOfAnUnknownAgentIsNotFound) {
    char *out = reinterpret_cast<char *>(static_cast<uintptr_t>(0x1));
    EXPECT_EQ(convo_agent_get(s_, "agent_nope", &out), CONVO_ENOTFOUND);
    EXPECT_STRNE(convo_last_error(), "");
    EXPECT_EQ(out, nullptr);
}

TEST_F(AgentsSpec, VersionIdsAreStableAcrossPuts) {
    Call first = put(standard_agent("agent_new", "+18885550005"));
    ASSERT_TRUE(first.ok());
    const std::string id1 = vid(first.body, 1), id2 = vid(first.body, 2);
    ASSERT_FALSE(id1.empty());
    ASSERT_FALSE(id2.empty());

    // The same agent again.
    Call again = put(standard_agent("agent_new", "+18885550005"));
    EXPECT_EQ(vid(again.body, 1), id1);
    EXPECT_EQ(vid(again.body, 2), id2);

    // Versions listed in another order, with changed content.
    json reordered = standard_agent("agent_new", "+18885550005");
    std::swap(reordered["versions"][0], reordered["versions"][1]);
    reordered["versions"][0]["greeting"] = "Changed draft";
    Call r = put(reordered);
    EXPECT_EQ(vid(r.body, 1), id1);
    EXPECT_EQ(vid(r.body, 2), id2);

    // A new version gets a new id; the old ones keep theirs.
    json more = standard_agent("agent_new", "+18885550005");
    more["versions"].push_back({{"version", 3}, {"published", true}, {"greeting", "v3"}});
    Call m = put(more);
    EXPECT_EQ(vid(m.body, 1), id1);
    EXPECT_EQ(vid(m.body, 2), id2);
    const std::string id3 = vid(m.body, 3);
    EXPECT_TRUE(std::regex_match(id3, kUuidRe)) << id3;
    EXPECT_NE(id3, id1);
    EXPECT_NE(id3, id2);

    // Giving the ids they already have is accepted.
    json with_ids = more;
    with_ids["versions"][0]["id"] = id1;
    with_ids["versions"][1]["id"] = id2;
    with_ids["versions"][2]["id"] = id3;
    Call w = put(with_ids);
    EXPECT_EQ(vid(w.body, 1), id1);
    EXPECT_EQ(vid(w.body, 3), id3);

    Call g = agent_get(s_, "agent_new");
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(vid(g.body, 1), id1);
    EXPECT_EQ(vid(g.body, 2), id2);
    EXPECT_EQ(vid(g.body, 3), id3);
}

TEST_F(AgentsSpec, VersionIdSurvivesRemovalAndReAdding) {
    Call first = put(standard_agent("agent_new", "+18885550005"));
    ASSERT_TRUE(first.ok());
    const std::string id2 = vid(first.body, 2);
    json only_v1 = standard_agent("agent_new", "+18885550005");
    only_v1["versions"].erase(1);
    Call p = put(only_v1);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.body["versions"].size(), 1u);
    Call back = put(standard_agent("agent_new", "+18885550005"));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(vid(back.body, 2), id2);
}

TEST_F(AgentsSpec, VersionIdsDifferBetweenAgents) {
    Call a = put(standard_agent("agent_one", "+18885550011"));
    Call b = put(standard_agent("agent_two", "+18885550012"));
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    std::set<std::string> ids{vid(a.body, 1), vid(a.body, 2), vid(b.body, 1), vid(b.body, 2)};
    EXPECT_EQ(ids.size(), 4u);
}

TEST_F(AgentsSpec, ReplacingKeepsCreatedAtAndMovesUpdatedAt) {
    Call first = put(standard_agent("agent_new", "+18885550005"));
    ASSERT_TRUE(first.ok());
    engine_->advance(60000);
    json changed = standard_agent("agent_new", "+18885550005");
    changed["name"] = "Renamed";
    Call second = put(changed);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second.body["created_at"], kStart);
    EXPECT_EQ(second.body["updated_at"], "2026-01-01T00:01:00.000Z");
    EXPECT_EQ(second.body["name"], "Renamed");
    EXPECT_EQ(agent_get(s_, "agent_new").body, second.body);
}

TEST_F(AgentsSpec, AVersionAddedAndPublishedLaterBecomesUsable) {
    Call draft = put(one_version_agent("agent_late", false, "late v1"));
    ASSERT_TRUE(draft.ok());
    const std::string v1 = vid(draft.body, 1);
    EXPECT_EQ(text_with({{"agent_id", "agent_late"}}).code, CONVO_EPRECONDITION);
    EXPECT_EQ(text_with({{"agent_version_id", v1}}).code, CONVO_EPRECONDITION);

    // Publish version 1.
    Call pub = put(one_version_agent("agent_late", true, "late v1"));
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(vid(pub.body, 1), v1);
    Call c1 = text_with({{"agent_id", "agent_late"}});
    ASSERT_TRUE(c1.ok()) << c1.error;
    EXPECT_EQ(c1.body["starting_message"], "late v1");
    EXPECT_EQ(c1.body["conversation"]["agent_version_id"], v1);
    EXPECT_TRUE(text_with({{"agent_version_id", v1}}).ok());

    // Add version 2 unpublished: latest is still version 1.
    json two = one_version_agent("agent_late", true, "late v1");
    two["versions"].push_back({{"version", 2}, {"published", false}, {"greeting", "late v2"}});
    Call added = put(two);
    ASSERT_TRUE(added.ok());
    const std::string v2 = vid(added.body, 2);
    EXPECT_EQ(text_with({{"agent_id", "agent_late"}}).body["starting_message"], "late v1");
    EXPECT_EQ(text_with({{"agent_id", "agent_late"}, {"version", 2}}).code, CONVO_EPRECONDITION);
    EXPECT_EQ(text_with({{"agent_version_id", v2}}).code, CONVO_EPRECONDITION);

    // Publish version 2: it becomes the latest; version 1 stays usable by number.
    two["versions"][1]["published"] = true;
    Call published = put(two);
    ASSERT_TRUE(published.ok());
    EXPECT_EQ(vid(published.body, 2), v2);
    Call latest = text_with({{"agent_id", "agent_late"}});
    ASSERT_TRUE(latest.ok()) << latest.error;
    EXPECT_EQ(latest.body["starting_message"], "late v2");
    EXPECT_EQ(latest.body["conversation"]["agent_version_id"], v2);
    Call by_number = text_with({{"agent_id", "agent_late"}, {"version", 1}});
    ASSERT_TRUE(by_number.ok()) << by_number.error;
    EXPECT_EQ(by_number.body["starting_message"], "late v1");
    Call by_id = text_with({{"agent_version_id", v2}});
    ASSERT_TRUE(by_id.ok()) << by_id.error;
    EXPECT_EQ(by_id.body["starting_message"], "late v2");
}

TEST_F(AgentsSpec, ReplacingAnAgentChangesWhatNewConversationsUse) {
    Call before = agent_get(s_, "agent_abc");
    ASSERT_TRUE(before.ok());
    const std::string v1 = vid(before.body, 1);
    Call old = create(s_, request_for("text"));
    ASSERT_TRUE(old.ok()) << old.error;
    const std::string old_id = old.body["conversation"]["id"];

    json replaced = standard_agent("agent_abc", "+18885550099");
    replaced["name"] = "Support 2";
    replaced["versions"][0]["greeting"] = "New greeting";
    Call r = put(replaced);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(vid(r.body, 1), v1);

    Call fresh = create(s_, request_for("text"));
    ASSERT_TRUE(fresh.ok()) << fresh.error;
    EXPECT_EQ(fresh.body["starting_message"], "New greeting");
    EXPECT_EQ(fresh.body["conversation"]["agent"], (json{{"id", "agent_abc"}, {"name", "Support 2"}}));
    EXPECT_EQ(fresh.body["conversation"]["agent_version_id"], v1);

    // The conversation created before keeps its version and transcript.
    json kept = conv(old_id);
    EXPECT_EQ(kept["agent_version_id"], v1);
    EXPECT_EQ(kept["conversation"]["messages"][0]["text"], "Hi! How can I help?");

    // The phone number moved: the old one no longer selects the agent, the new one does.
    json by_old{{"channel", "telephone"}, {"user_id", "+14155551234"}, {"agent_number", "+18885550000"}};
    EXPECT_EQ(create(s_, by_old).code, CONVO_EPRECONDITION);
    json by_new{{"channel", "telephone"}, {"user_id", "+14155551234"}, {"agent_number", "+18885550099"}};
    Call t = create(s_, by_new);
    ASSERT_TRUE(t.ok()) << t.error;
    EXPECT_EQ(conv(t.body["contact_id"].get<std::string>())["agent_id"], "agent_abc");
    // agent_id without agent_number takes the current number.
    Call t2 = create(s_, request_for("telephone"));
    ASSERT_TRUE(t2.ok()) << t2.error;
    EXPECT_EQ(conv(t2.body["contact_id"].get<std::string>())["agent_number"], "+18885550099");
}

TEST_F(AgentsSpec, UnpublishingAVersionMakesItUnusable) {
    Call before = agent_get(s_, "agent_abc");
    ASSERT_TRUE(before.ok());
    const std::string v1 = vid(before.body, 1);
    json unpublished = standard_agent();
    unpublished["versions"][0]["published"] = false;
    ASSERT_TRUE(put(unpublished).ok());
    EXPECT_EQ(create(s_, request_for("text")).code, CONVO_EPRECONDITION);
    json by_version = request_for("text");
    by_version["version"] = 1;
    EXPECT_EQ(create(s_, by_version).code, CONVO_EPRECONDITION);
    EXPECT_EQ(text_with({{"agent_version_id", v1}}).code, CONVO_EPRECONDITION);
    EXPECT_EQ(convo_test::list(s_).body["items"], json::array());
}

TEST_F(AgentsSpec, PhoneNumberIsUniqueWithinTheOrganization) {
    Call abc = agent_get(s_, "agent_abc");
    ASSERT_TRUE(abc.ok());

    // Another agent with agent_abc's number.
    Call dup = agent_put(s_, standard_agent("agent_xyz", "+18885550000"));
    EXPECT_EQ(dup.code, CONVO_ECONFLICT) << dup.error;
    EXPECT_FALSE(dup.error.empty());
    EXPECT_TRUE(dup.body.is_null());
    EXPECT_EQ(agent_get(s_, "agent_xyz").code, CONVO_ENOTFOUND);
    EXPECT_EQ(agent_get(s_, "agent_abc").body, abc.body);

    // An existing agent changing to a taken number: rejected and unchanged.
    Call other = put(standard_agent("agent_other", "+18885550002"));
    ASSERT_TRUE(other.ok());
    engine_->advance(1000);
    Call steal = agent_put(s_, standard_agent("agent_other", "+18885550000"));
    EXPECT_EQ(steal.code, CONVO_ECONFLICT) << steal.error;
    EXPECT_EQ(agent_get(s_, "agent_other").body, other.body);

    // An agent keeping its own number is fine.
    EXPECT_TRUE(put(standard_agent("agent_abc", "+18885550000")).ok());

    // Once agent_abc gives the number up, another agent may take it.
    ASSERT_TRUE(put(standard_agent("agent_abc", "+18885550003")).ok());
    Call taken = put(standard_agent("agent_xyz", "+18885550000"));
    ASSERT_TRUE(taken.ok());
    json r{{"channel", "telephone"}, {"user_id", "+14155551234"}, {"agent_number", "+18885550000"}};
    Call c = create(s_, r);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(conv(c.body["contact_id"].get<std::string>())["agent_id"], "agent_xyz");
}

TEST_F(AgentsSpec, AgentsWithoutPhoneNumbersDoNotConflict) {
    json a = standard_agent("agent_p1");
    a["phone_number"] = nullptr;
    json b = standard_agent("agent_p2");
    b.erase("phone_number");
    Call pa = put(a);
    Call pb = put(b);
    ASSERT_TRUE(pa.ok());
    ASSERT_TRUE(pb.ok());
    EXPECT_TRUE(pa.body["phone_number"].is_null());
    EXPECT_TRUE(pb.body["phone_number"].is_null());
}

TEST_F(AgentsSpec, TheSameNumberInAnotherOrganizationIsFine) {
    convo_session *b = engine_->session("org_b");
    Call c = agent_put(b, standard_agent("agent_xyz", "+18885550000"));
    EXPECT_TRUE(c.ok()) << c.error;
}

TEST_F(AgentsSpec, AgentChangesAreNotInTheFeed) {
    ASSERT_TRUE(put(standard_agent("agent_new", "+18885550005")).ok());
    ASSERT_TRUE(put(standard_agent("agent_new", "+18885550006")).ok());
    Call e = events(s_);
    ASSERT_TRUE(e.ok()) << e.error;
    EXPECT_EQ(e.body["events"], json::array());
}

}  // namespace
