// convo_engine_set_log_handler: the engine's own logger goes to the host's handler, at the
// engine's log_level, and back to stderr when the handler is removed.
#include <mutex>

#include "harness.h"

namespace convo_test {
namespace {

struct Log {
    std::mutex mu;
    std::vector<std::pair<int, std::string>> lines;
};

void collect(void *user_data, int level, const char *message) {
    auto *log = static_cast<Log *>(user_data);
    std::lock_guard<std::mutex> lk(log->mu);
    log->lines.emplace_back(level, message);
}

class LoggingTest : public ApiTest {
protected:
    json options() const override { return json{{"log_level", "debug"}}; }
};

TEST_F(LoggingTest, HandlerReceivesTheEnginesMessagesUntilRemoved) {
    Log log;
    ASSERT_EQ(convo_engine_set_log_handler(engine_->get(), collect, &log), CONVO_OK);
    std::string id = make("text");
    {
        std::lock_guard<std::mutex> lk(log.mu);
        ASSERT_FALSE(log.lines.empty());
        bool saw = false;
        for (const auto &[level, text] : log.lines) {
            saw = saw || (level == CONVO_LOG_DEBUG && text.find(id) != std::string::npos);
        }
        EXPECT_TRUE(saw) << "no debug line names the new conversation";
    }
    ASSERT_EQ(convo_engine_set_log_handler(engine_->get(), nullptr, nullptr), CONVO_OK);
    size_t before = log.lines.size();
    make("text");
    EXPECT_EQ(log.lines.size(), before);
}

TEST_F(ApiTest, LogLevelFiltersWhatTheHandlerSees) {
    Log log;  // the fixture's engine logs at the default level, warn
    ASSERT_EQ(convo_engine_set_log_handler(engine_->get(), collect, &log), CONVO_OK);
    make("text");
    for (const auto &line : log.lines) EXPECT_GE(line.first, CONVO_LOG_WARN) << line.second;
    EXPECT_EQ(convo_engine_set_log_handler(nullptr, collect, &log), CONVO_EMISUSE);
}

}  // namespace
}  // namespace convo_test
