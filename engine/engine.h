// The engine: the thin shell around the pure lifecycle core. Each call parses its input, takes
// the engine lock, loads what it needs from the store, lets the core compute the step, writes
// the step into the open group commit (group_commit.cpp), returns once the group's transaction
// is durable, and after releasing the lock delivers the new feed events.
#pragma once

#include <convo/convo.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "clock.h"
#include "formats.h"
#include "ids.h"
#include "json_out.h"
#include "log_sink.h"
#include "requests.h"
#include "store.h"
#include "subscribers.h"

namespace convo {

class Engine;

// One organization's view, with the scopes of its token.
struct Session {
    Engine *engine = nullptr;
    std::string organization_id;
    unsigned scopes = 0;
    Format format = Format::anyreach;  // the API shape its requests and results take
    bool can(unsigned scope) const { return (scopes & scope) == scope; }
};

class Engine {
public:
    static Outcome open(const char *options_json, std::unique_ptr<Engine> *out);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    Outcome open_session(const char *organization_id, unsigned scopes, Session *out);

    Outcome agent_put(const Session &s, std::string_view json, std::string *out);
    Outcome agent_get(const Session &s, const std::string &id, std::string *out);
    Outcome create(const Session &s, std::string_view json, std::string *out, int *http_status);
    Outcome get(const Session &s, const std::string &id, std::string *out);
    Outcome list(const Session &s, const char *query, std::string *out);
    Outcome dispatch(const Session &s, const std::string &id, std::string_view json,
                     std::string *out);
    Outcome events(const Session &s, uint64_t after, unsigned limit, std::string *out);

    Outcome subscribe(convo_event_fn fn, void *user_data, uint64_t *out);
    Outcome unsubscribe(uint64_t id);
    Outcome tick(unsigned *fired);
    Outcome next_deadline(std::optional<TimeMs> *out);
    TimeMs now() const { return clock_->now(); }
    Outcome set_clock(TimeMs ms);
    std::string describe() const;
    void set_log_handler(convo_log_fn fn, void *user_data) { log_sink_->set_handler(fn, user_data); }

private:
    Engine(Options options, std::unique_ptr<Clock> clock, std::unique_ptr<Store> store,
           std::shared_ptr<LogSink> log_sink);

    Outcome resolve_agent(const Session &s, const CreateRequest &r, std::optional<Agent> *agent,
                          AgentVersion *version);
    // A conversation as a result shows it: read under the engine lock (the transcript only
    // for a session with the SENSITIVE scope), rendered as JSON after the lock is released.
    struct Shown {
        Conversation conversation;
        std::vector<Message> transcript;
        bool sensitive = false;
        TimeMs now = 0;
        void render(JsonOut &w) const;
        std::string render() const;
    };
    Outcome show(const Session &s, Conversation c, Shown *out);
    // Group commit (group_commit.cpp). write_op runs `body` under the engine lock inside the
    // open group's transaction and returns once that transaction committed (or failed); body
    // writes its changes with stage(). *ticket is the delivery ticket of the group's events.
    struct Group;
    Outcome write_op(const std::function<Outcome()> &body, uint64_t *ticket);
    Outcome stage(std::vector<Change> &batch);
    // Takes the engine lock once no group is open, so what is read under it is committed.
    std::unique_lock<std::mutex> settled();
    // Fires the due timers of one batch (inside write_op); *fired counts them, *more says
    // whether more are due.
    Outcome fire_due(TimeMs now, unsigned *fired, bool *more);
    void timer_loop();
    void wake_timer_thread();

    const Options options_;
    std::unique_ptr<Clock> clock_;
    std::shared_ptr<LogSink> log_sink_;
    std::shared_ptr<spdlog::logger> log_;

    std::mutex mu_;  // guards store_, ids_ and group_
    std::unique_ptr<Store> store_;
    IdSource ids_;
    std::shared_ptr<Group> group_;  // the group whose transaction is open (null: none)
    std::condition_variable group_cv_;
    std::atomic<int> arriving_{0};  // writers announced, not yet in a group
    size_t last_group_size_ = 1;     // how many writers the last group committed
    std::chrono::microseconds last_commit_{0};  // how long its commit took

    Subscribers subscribers_;

    std::thread timer_thread_;
    std::mutex timer_mu_;
    std::condition_variable timer_cv_;
    bool stopping_ = false;
    bool timer_dirty_ = false;
};

}  // namespace convo
