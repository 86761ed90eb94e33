// A randomized multi-organization workload: no session ever reads, lists, dispatches to, or
// receives feed events of another organization's conversations, and sensitive fields never
// appear without the SENSITIVE scope.
#include <map>
#include <random>
#include <set>

#include "harness.h"

namespace convo_test {
namespace {

const char *const kSensitive[] = {"agent", "summary", "initial_context", "custom_metadata",
                                  "conversation", "recording_details"};

void expect_redacted(const json &c, bool sensitive, const std::string &where) {
    for (const char *k : kSensitive) EXPECT_EQ(c.contains(k), sensitive) << where << ": " << k;
}

TEST(IsolationRandom, OrganizationsNeverSeeEachOther) {
    Engine engine;
    ASSERT_EQ(engine.open_code(), CONVO_OK);
    const std::vector<std::string> orgs = {"org_a", "org_b", "org_c"};
    std::map<std::string, convo_session *> full, plain;
    for (const std::string &o : orgs) {
        full[o] = engine.session(o);
        plain[o] = engine.session(o, CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
        ASSERT_TRUE(agent_put(full[o], standard_agent()).ok());
    }
    std::map<std::string, std::string> owner;  // conversation id -> organization
    std::mt19937 rng(7);
    const char *channels[] = {"text", "telephone", "webrtc", "email"};
    for (int step = 0; step < 400; ++step) {
        const std::string &org = orgs[rng() % orgs.size()];
        bool sensitive = rng() % 2;
        convo_session *s = sensitive ? full[org] : plain[org];
        int op = rng() % 4;
        if (op == 0 || owner.empty()) {
            json r = request_for(channels[rng() % 4]);
            r["custom_metadata"] = {{"org", org}};
            r["initial_context"] = "secret of " + org;
            Call c = create(s, r);
            ASSERT_TRUE(c.ok()) << c.error;
            std::string id = c.body.contains("contact_id") ? c.body["contact_id"].get<std::string>()
                                                           : c.body["conversation"]["id"].get<std::string>();
            owner[id] = org;
            if (c.body.contains("conversation")) expect_redacted(c.body["conversation"], sensitive, "create");
            continue;
        }
        auto it = owner.begin();
        std::advance(it, rng() % owner.size());
        const std::string &id = it->first;
        bool mine = it->second == org;
        if (op == 1) {
            Call c = get(s, id);
            EXPECT_EQ(c.code, mine ? CONVO_OK : CONVO_ENOTFOUND);
            if (c.ok()) expect_redacted(c.body, sensitive, "get");
            if (!mine) EXPECT_EQ(c.error.find(it->second), std::string::npos) << "reveals the owner";
        } else if (op == 2) {
            Call c = dispatch(s, id, {{"type", "annotate"}, {"summary", "note by " + org}});
            EXPECT_EQ(c.code, mine ? CONVO_OK : CONVO_ENOTFOUND) << c.error;
            if (c.ok()) expect_redacted(c.body, sensitive, "dispatch");
        } else {
            Call c = list(s, {{"limit", 100}});
            ASSERT_TRUE(c.ok()) << c.error;
            for (const json &item : c.body["items"]) {
                EXPECT_EQ(owner[item["id"].get<std::string>()], org);
                expect_redacted(item, sensitive, "list");
            }
        }
    }
    // Every organization's feed holds its own events only, and their text only when allowed.
    std::set<uint64_t> seen;
    for (const std::string &o : orgs) {
        for (convo_session *s : {full[o], plain[o]}) {
            Call f = events(s, 0, 1000);
            ASSERT_TRUE(f.ok()) << f.error;
            for (const json &e : f.body["events"]) {
                EXPECT_EQ(e["organization_id"], o);
                EXPECT_EQ(owner[e["conversation_id"].get<std::string>()], o);
                if (s == plain[o] && e["type"] == "message") EXPECT_FALSE(e["data"].contains("text"));
                if (s == plain[o] && e["type"] == "annotated") EXPECT_FALSE(e["data"].contains("summary"));
                seen.insert(e["seq"].get<uint64_t>());
            }
        }
    }
    // Together the organizations' feeds are the whole feed, 1..N.
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(*seen.begin(), 1u);
    EXPECT_EQ(*seen.rbegin(), seen.size());
}

}  // namespace
}  // namespace convo_test
