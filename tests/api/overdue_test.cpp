// Deadlines that passed before an event are applied before it, the way convo_tick would have
// applied them; and small edges of identity and options that go with them.
#include <cstdio>
#include <set>
#include <vector>

#include "harness.h"

namespace convo_test {
namespace {

constexpr int64_t kMinute = 60 * 1000;

TEST_F(ApiTest, MessageAfterAnUntickedIdleDeadlineFindsTheConversationClosed) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 5}});
    engine_->advance(6 * kMinute);  // no tick
    Call c = dispatch(s_, id, {{"type", "message"}, {"role", "user"}, {"text", "still there?"}});
    EXPECT_EQ(c.code, CONVO_ECONFLICT) << c.error;
    EXPECT_NE(c.error.find("not allowed in status 'completed'"), std::string::npos) << c.error;
    json now = conv(id);
    EXPECT_EQ(now["status"], "completed");
    EXPECT_EQ(now["end_reason"], "idle_timeout");
    EXPECT_EQ(now["ended_at"], "2026-01-01T00:05:00.000Z");
    EXPECT_EQ(now["conversation"]["messages"].size(), 1u);  // the greeting only
    EXPECT_EQ(engine_->tick(), 0u);                         // nothing left to fire
}

TEST_F(ApiTest, EventDatedBeforeTheDeadlineStillCountsAsActivity) {
    std::string id = make("text", "outbound", {{"idle_timeout_minutes", 5}});
    engine_->advance(6 * kMinute);
    // Delivered late, but it happened at minute 4: it re-arms idle to minute 9.
    Call c = dispatch(s_, id, {{"type", "message"}, {"role", "user"}, {"text", "hi"},
                               {"at", "2026-01-01T00:04:00.000Z"}});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["status"], "in_progress");
    EXPECT_EQ(c.body["expires_at"], "2026-01-01T00:09:00.000Z");
}

TEST_F(ApiTest, UpperCaseUuidNamesTheSameConversation) {
    std::string id = make("text");
    std::string upper = id;
    for (char &ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    Call g = get(s_, upper);
    ASSERT_TRUE(g.ok()) << g.error;
    EXPECT_EQ(g.body["id"], id);
    EXPECT_TRUE(dispatch(s_, upper, {{"type", "end"}}).ok());
    EXPECT_EQ(status(id), "completed");
}

TEST(Options, TimerThreadNeedsTheSystemClock) {
    Engine e(json{{"clock", "manual"}, {"timer_thread", true}});
    EXPECT_EQ(e.open_code(), CONVO_EINVALID);
    EXPECT_NE(e.open_error().find("timer_thread"), std::string::npos) << e.open_error();
}

}  // namespace
}  // namespace convo_test

namespace convo_test {
namespace {

// The whole feed and every conversation of a seeded run, as text.
std::string seeded_run(uint64_t seed) {
    Engine engine(json{{"seed", seed}});
    EXPECT_EQ(engine.open_code(), CONVO_OK) << engine.open_error();
    convo_session *s = engine.session();
    EXPECT_TRUE(agent_put(s, standard_agent()).ok());
    std::string out;
    for (const char *ch : {"text", "telephone", "webrtc", "email"}) out += create(s, request_for(ch)).body.dump();
    engine.advance_and_tick(25LL * 60 * 60 * 1000);
    return out + events(s, 0, 1000).body.dump();
}

TEST(Options, SameSeedSameRunByteForByte) {
    std::string a = seeded_run(7), b = seeded_run(7), c = seeded_run(8);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

// Reopened with the same seed and start, an engine used to hand out its first run's ids again;
// the second agent's version ids were then dropped. The store's history now joins the seed.
TEST(Options, ASeededEngineReopenedDoesNotRepeatItsIds) {
    const std::string path = ::testing::TempDir() + "convo_seeded_reopen.db";
    for (const char *suffix : {"", "-wal", "-journal"}) std::remove((path + suffix).c_str());
    std::set<std::string> seen;
    std::vector<std::string> version_ids;
    for (int run = 0; run < 3; ++run) {
        Engine e(json{{"seed", 7}, {"path", path}});
        ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
        convo_session *s = e.session();
        json agent = standard_agent();
        agent["id"] = "agent_run" + std::to_string(run);
        agent.erase("phone_number");
        Call a = agent_put(s, agent);
        ASSERT_TRUE(a.ok()) << a.error;
        for (const json &v : a.body["versions"]) {
            EXPECT_TRUE(seen.insert(v["id"].get<std::string>()).second) << "run " << run << " " << v;
            version_ids.push_back(v["id"].get<std::string>());
        }
        json r = request_for("webrtc");
        r["agent_id"] = agent["id"];
        Call c = create(s, r);
        ASSERT_TRUE(c.ok()) << c.error;
        EXPECT_TRUE(seen.insert(c.body["conversation"]["id"].get<std::string>()).second) << "run " << run;
        EXPECT_TRUE(seen.insert(c.body["connection_details"]["token"].get<std::string>()).second) << "run " << run;
    }
    // Every published version of every run's agent is found by its version id.
    Engine e(json{{"seed", 7}, {"path", path}});
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    convo_session *s = e.session();
    for (size_t i = 0; i < version_ids.size(); i += 2) {  // v1 of each run is published
        json r = request_for("text");
        r.erase("agent_id");
        r["agent_version_id"] = version_ids[i];
        Call c = create(s, r);
        EXPECT_TRUE(c.ok()) << version_ids[i] << ": " << c.error;
    }
    e.close();
    for (const char *suffix : {"", "-wal", "-journal"}) std::remove((path + suffix).c_str());
}

}  // namespace
}  // namespace convo_test
