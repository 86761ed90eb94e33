// Group commit: writers on several threads share transactions, and every acknowledged change
// survives a reopen, exactly once and in order, also when two threads write to one
// conversation. (Kill -9 trials with threads: tests/crash; throughput: `convo bench`.)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "harness.h"

namespace convo_test {
namespace {

// Counts the writers of each commit from the engine's trace log.
struct Groups {
    std::mutex mu;
    std::vector<int> sizes;
    static void on_log(void *user_data, int, const char *message) {
        int writers = 0;
        if (std::sscanf(message, "group commit: %d writers", &writers) != 1) return;
        auto *g = static_cast<Groups *>(user_data);
        std::lock_guard<std::mutex> lk(g->mu);
        g->sizes.push_back(writers);
    }
};

json user_texts(const json &conversation) {
    json texts = json::array();
    for (const json &m : conversation["conversation"]["messages"]) {
        if (m["role"] == "user") texts.push_back(m["text"]);
    }
    return texts;
}

std::string text_of(int thread, int i) { return "t" + std::to_string(thread) + " m" + std::to_string(i); }
std::string event_id_of(int thread, int i) { return "t" + std::to_string(thread) + "-" + std::to_string(i); }

TEST(GroupCommit, ConcurrentWritersShareCommitsAndEveryChangeSurvivesAReopen) {
    constexpr int kThreads = 8, kEach = 40;
    const std::string path = ::testing::TempDir() + "convo_group_commit_" + std::to_string(::getpid()) + ".db";
    for (const char *suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    const json options{{"path", path}, {"synchronous", "full"}, {"log_level", "trace"}};

    // Threads 0-5 each write to their own conversation; 6 and 7 share one.
    std::vector<std::string> ids;
    Groups groups;
    {
        Engine e(options);
        ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
        convo_session *s = e.session();
        ASSERT_TRUE(agent_put(s, standard_agent()).ok());
        for (int i = 0; i < 7; ++i) {
            Call c = create(s, request_for("text"));
            ASSERT_TRUE(c.ok()) << c.error;
            ids.push_back(c.body["conversation"]["id"].get<std::string>());
        }
        ASSERT_EQ(convo_engine_set_log_handler(e.get(), Groups::on_log, &groups), CONVO_OK);
        std::atomic<int> failed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                const std::string &id = ids[std::min(t, 6)];
                for (int i = 0; i < kEach; ++i) {
                    Call c = dispatch(s, id, {{"type", "message"}, {"role", "user"},
                                              {"text", text_of(t, i)}, {"event_id", event_id_of(t, i)}});
                    if (!c.ok()) {
                        ADD_FAILURE() << c.error;
                        ++failed;
                    }
                }
            });
        }
        for (std::thread &th : threads) th.join();
        ASSERT_EQ(failed.load(), 0);
        ASSERT_EQ(convo_engine_set_log_handler(e.get(), nullptr, nullptr), CONVO_OK);
    }

    // Every dispatch was in exactly one commit, and commits were shared.
    ASSERT_FALSE(groups.sizes.empty()) << "the trace log named no group commit";
    int writers = 0;
    for (int n : groups.sizes) writers += n;
    EXPECT_EQ(writers, kThreads * kEach);
    EXPECT_GT(*std::max_element(groups.sizes.begin(), groups.sizes.end()), 1)
        << "no two of " << kThreads * kEach << " concurrent dispatches shared a commit";
    EXPECT_LT(groups.sizes.size(), static_cast<size_t>(kThreads * kEach));

    Engine e(options);
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    convo_session *s = e.session();
    for (int t = 0; t < 6; ++t) {
        json c = get(s, ids[t]).body;
        json expected = json::array();
        for (int i = 0; i < kEach; ++i) expected.push_back(text_of(t, i));
        EXPECT_EQ(user_texts(c), expected) << "conversation of thread " << t;
        EXPECT_EQ(c["user_turn_count"], kEach);
    }
    // The shared conversation holds both threads' messages, each thread's in its order.
    json shared = get(s, ids[6]).body;
    EXPECT_EQ(shared["user_turn_count"], 2 * kEach);
    for (int t : {6, 7}) {
        std::vector<std::string> mine;
        for (const json &text : user_texts(shared)) {
            if (text.get<std::string>().rfind("t" + std::to_string(t) + " ", 0) == 0) mine.push_back(text);
        }
        ASSERT_EQ(mine.size(), static_cast<size_t>(kEach)) << "thread " << t;
        for (int i = 0; i < kEach; ++i) EXPECT_EQ(mine[i], text_of(t, i));
    }
    // The feed is gapless, and every event id was recorded: a retry changes nothing.
    json feed = events(s, 0, 1000).body["events"];
    for (size_t i = 0; i < feed.size(); ++i) EXPECT_EQ(feed[i]["seq"], i + 1);
    for (int t = 0; t < kThreads; ++t) {
        Call c = dispatch(s, ids[std::min(t, 6)], {{"type", "message"}, {"role", "user"},
                                                    {"text", "again"}, {"event_id", event_id_of(t, kEach - 1)}});
        EXPECT_TRUE(c.ok()) << c.error;
    }
    EXPECT_EQ(events(s, 0, 1000).body["events"].size(), feed.size());
    e.close();
    for (const char *suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

}  // namespace
}  // namespace convo_test
