// The engine from several threads at once, subscribers that call back into it, and the timer
// thread firing deadlines on the system clock without convo_tick.
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "harness.h"

namespace convo_test {
namespace {

struct Recorder {
    std::mutex mu;
    std::vector<uint64_t> seqs;
    std::atomic<int> calls{0};
};

void record(void *user_data, const char *event_json) {
    auto *r = static_cast<Recorder *>(user_data);
    json e = json::parse(event_json);
    std::lock_guard<std::mutex> lk(r->mu);
    r->seqs.push_back(e["seq"].get<uint64_t>());
    ++r->calls;
}

TEST_F(ApiTest, ConcurrentDispatchKeepsTheFeedGaplessAndDeliversInOrder) {
    Recorder rec;
    uint64_t sub = 0;
    ASSERT_EQ(convo_subscribe(engine_->get(), record, &rec, &sub), CONVO_OK);
    constexpr int kThreads = 4, kPerThread = 25;
    std::vector<std::string> ids;
    for (int i = 0; i < kThreads; ++i) ids.push_back(make("text"));
    std::string shared = make("text");
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const std::string &id = i % 2 ? shared : ids[t];
                Call c = dispatch(s_, id, {{"type", "message"}, {"role", "user"}, {"text", "hi"}});
                if (!c.ok()) ++failures;
            }
        });
    }
    for (auto &th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);

    Call feed = events(s_, 0, 1000);
    ASSERT_TRUE(feed.ok());
    const json &list = feed.body["events"];
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i]["seq"].get<uint64_t>(), i + 1);
    const int shared_per_thread = kPerThread / 2;  // the odd i
    EXPECT_EQ(conv(shared)["user_turn_count"], kThreads * shared_per_thread);
    EXPECT_EQ(conv(ids[0])["user_turn_count"], kPerThread - shared_per_thread);
    // Every event committed after subscribing (created + greeting for each of the 5 chats, then
    // one per message) was delivered exactly once, in seq order.
    std::lock_guard<std::mutex> lk(rec.mu);
    ASSERT_EQ(rec.seqs.size(), size_t(2 * (kThreads + 1) + kThreads * kPerThread));
    EXPECT_EQ(rec.seqs.size(), list.size());
    for (size_t i = 1; i < rec.seqs.size(); ++i) EXPECT_EQ(rec.seqs[i], rec.seqs[i - 1] + 1);
}

struct Echo {
    convo_session *session;
    std::string id;
    int replies = 0;
    std::vector<std::string> order;
};

// Answers every user message with an agent message, from inside the callback.
void echo(void *user_data, const char *event_json) {
    auto *e = static_cast<Echo *>(user_data);
    json ev = json::parse(event_json);
    e->order.push_back(ev["type"].get<std::string>() + ":" + ev["data"].value("role", ""));
    if (ev["type"] == "message" && ev["data"]["role"] == "user") {
        ++e->replies;
        Call c = dispatch(e->session, e->id, {{"type", "message"}, {"role", "agent"}, {"text", "echo"}});
        EXPECT_TRUE(c.ok()) << c.error;
    }
}

TEST_F(ApiTest, SubscriberMayCallBackIntoTheEngine) {
    Echo ctx{s_, make("text"), 0, {}};
    uint64_t sub = 0;
    ASSERT_EQ(convo_subscribe(engine_->get(), echo, &ctx, &sub), CONVO_OK);
    Call c = dispatch(s_, ctx.id, {{"type", "message"}, {"role", "user"}, {"text", "ping"}});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(ctx.replies, 1);
    // The reply was delivered after the message that caused it, not inside it.
    ASSERT_EQ(ctx.order.size(), 2u);
    EXPECT_EQ(ctx.order[0], "message:user");
    EXPECT_EQ(ctx.order[1], "message:agent");
    EXPECT_EQ(conv(ctx.id)["conversation"]["messages"].size(), 3u);  // greeting, ping, echo
    EXPECT_EQ(convo_unsubscribe(engine_->get(), sub), CONVO_OK);
}

TEST(TimerThread, FiresDeadlinesOnTheSystemClockWithoutTick) {
    Engine engine(json{{"clock", "system"}, {"timer_thread", true}, {"ring_timeout_seconds", 1}});
    ASSERT_EQ(engine.open_code(), CONVO_OK) << engine.open_error();
    convo_session *s = engine.session("org_a");
    ASSERT_TRUE(agent_put(s, standard_agent()).ok());
    Call c = create(s, request_for("telephone", "inbound"));
    ASSERT_TRUE(c.ok()) << c.error;
    std::string id = c.body["contact_id"];
    std::string status;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
        status = get(s, id).body["status"];
        if (status != "ringing") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, "unanswered");
    EXPECT_EQ(get(s, id).body["end_reason"], "ring_timeout");
}

}  // namespace
}  // namespace convo_test

namespace convo_test {
namespace {

struct Pair {
    convo_engine *engine = nullptr;
    uint64_t b = 0;
    int a_calls = 0, b_calls = 0;
    bool b_removed = false;
};

void first_removes_second(void *user_data, const char *) {
    auto *p = static_cast<Pair *>(user_data);
    ++p->a_calls;
    if (!p->b_removed) {
        EXPECT_EQ(convo_unsubscribe(p->engine, p->b), CONVO_OK);
        p->b_removed = true;
    }
}
void second(void *user_data, const char *) {
    auto *p = static_cast<Pair *>(user_data);
    EXPECT_FALSE(p->b_removed) << "called after its unsubscribe returned";
    ++p->b_calls;
}

TEST_F(ApiTest, UnsubscribedFromInsideADeliveryIsNotCalledAgain) {
    Pair p;
    p.engine = engine_->get();
    uint64_t a = 0;
    ASSERT_EQ(convo_subscribe(p.engine, first_removes_second, &p, &a), CONVO_OK);
    ASSERT_EQ(convo_subscribe(p.engine, second, &p, &p.b), CONVO_OK);
    make("text");  // created + greeting: two events
    EXPECT_EQ(p.a_calls, 2);
    EXPECT_EQ(p.b_calls, 0);  // removed before its turn on the first event
    EXPECT_EQ(convo_unsubscribe(p.engine, p.b), CONVO_ENOTFOUND);
}

}  // namespace
}  // namespace convo_test
