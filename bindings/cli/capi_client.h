// RAII wrappers over the public C API, the only way the CLI reaches the engine: the tool is a
// host like any other and sees nothing but <convo/convo.h>.
#pragma once

#include <convo/convo.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace convo_cli {

// A failed C API call: its code and convo_last_error() taken right after it.
class Failure : public std::runtime_error {
public:
    Failure(convo_code code, const std::string &detail) : std::runtime_error(detail), code_(code) {}
    convo_code code() const { return code_; }

private:
    convo_code code_;
};

// Throws Failure unless `code` is CONVO_OK.
void check(convo_code code);

// Copies a library-owned result and releases it with convo_free().
std::string take(char *out_json);

// Every scope: the CLI acts for the person at the keyboard.
constexpr unsigned kAllScopes =
    CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;

class Engine {
public:
    explicit Engine(const std::string &options_json);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    convo_engine *get() const { return engine_; }

    std::string describe() const;
    unsigned tick() const;
    int64_t now() const;
    void set_clock(int64_t unix_ms) const;
    std::optional<int64_t> next_deadline() const;

private:
    convo_engine *engine_ = nullptr;
};

// One organization's view with every scope.
class Session {
public:
    Session(const Engine &engine, const std::string &organization_id, unsigned scopes = kAllScopes);
    ~Session();
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    struct Created {
        std::string json;
        int http_status = 0;
    };

    std::string agent_put(const std::string &agent_json) const;
    std::string agent_get(const std::string &agent_id) const;
    Created create(const std::string &request_json) const;
    std::string get(const std::string &conversation_id) const;
    std::string list(const std::string &query_json) const;
    std::string dispatch(const std::string &conversation_id, const std::string &event_json) const;
    std::string events(uint64_t after_seq, unsigned limit) const;

    // Like dispatch and create, but hands back the code and detail instead of throwing.
    struct Attempt {
        convo_code code = CONVO_OK;
        std::string detail;   // convo_last_error() when code is not CONVO_OK
        std::string json;     // the result when code is CONVO_OK
        int http_status = 0;  // try_create only
    };
    Attempt try_dispatch(const std::string &conversation_id, const std::string &event_json) const;
    Attempt try_create(const std::string &request_json) const;

private:
    convo_session *session_ = nullptr;
};

// A feed subscriber for as long as this object lives.
class Subscription {
public:
    Subscription(const Engine &engine, convo_event_fn fn, void *user_data);
    ~Subscription();
    Subscription(const Subscription &) = delete;
    Subscription &operator=(const Subscription &) = delete;

private:
    convo_engine *engine_;
    uint64_t id_ = 0;
};

// Options for a CLI command on a database file: the system clock, everything else default.
std::string file_engine_options(const std::string &path);

}  // namespace convo_cli
