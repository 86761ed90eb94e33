// Test harness for the public C API: a manual-clock in-memory engine, sessions, and calls that
// return parsed JSON. Every test under tests/api/ talks to libconvo.so only through convo.h.
#pragma once

#include <convo/convo.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace convo_test {

using json = nlohmann::json;

constexpr unsigned kAllScopes =
    CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;

// 2026-01-01T00:00:00.000Z: the manual clock's start in every test.
constexpr int64_t kStartMs = 1767225600000;
constexpr const char *kStart = "2026-01-01T00:00:00.000Z";

// The outcome of one C API call.
struct Call {
    convo_code code = CONVO_EINTERNAL;
    json body;          // parsed *out_json (null when the call failed)
    std::string error;  // convo_last_error() right after the call
    int http = 0;       // *out_http_status (create only)

    bool ok() const { return code == CONVO_OK; }
};

inline Call finish(convo_code code, char *out, int http = 0) {
    Call c;
    c.code = code;
    c.error = convo_last_error();
    c.http = http;
    if (out != nullptr) {
        c.body = json::parse(out);
        convo_free(out);
    }
    return c;
}

inline std::string dump(const json &j) { return j.dump(); }

inline Call create_raw(convo_session *s, const char *request) {
    char *out = nullptr;
    int http = 0;
    convo_code code = convo_create(s, request, &out, &http);
    return finish(code, out, http);
}
inline Call create(convo_session *s, const json &request) { return create_raw(s, dump(request).c_str()); }
inline Call get(convo_session *s, const std::string &id) {
    char *out = nullptr;
    convo_code code = convo_get(s, id.c_str(), &out);
    return finish(code, out);
}
inline Call list(convo_session *s, const json &query = json::object()) {
    char *out = nullptr;
    convo_code code = convo_list(s, dump(query).c_str(), &out);
    return finish(code, out);
}
inline Call dispatch_raw(convo_session *s, const std::string &id, const char *event) {
    char *out = nullptr;
    convo_code code = convo_dispatch(s, id.c_str(), event, &out);
    return finish(code, out);
}
inline Call dispatch(convo_session *s, const std::string &id, const json &event) {
    return dispatch_raw(s, id, dump(event).c_str());
}
inline Call events(convo_session *s, uint64_t after = 0, unsigned limit = 1000) {
    char *out = nullptr;
    convo_code code = convo_events(s, after, limit, &out);
    return finish(code, out);
}
inline Call agent_put(convo_session *s, const json &agent) {
    char *out = nullptr;
    convo_code code = convo_agent_put(s, dump(agent).c_str(), &out);
    return finish(code, out);
}
inline Call agent_get(convo_session *s, const std::string &id) {
    char *out = nullptr;
    convo_code code = convo_agent_get(s, id.c_str(), &out);
    return finish(code, out);
}

// The standard agent: published version 1 that speaks first, an unpublished version 2.
inline json standard_agent(const std::string &id = "agent_abc",
                           const std::string &phone = "+18885550000") {
    return json{{"id", id},
                {"name", "Support"},
                {"phone_number", phone},
                {"versions",
                 json::array({json{{"version", 1},
                                   {"published", true},
                                   {"greeting", "Hi! How can I help?"},
                                   {"speaks_first", true},
                                   {"default_subject", "Hello from Support"},
                                   {"capabilities",
                                    {{"supportsVideoInput", false},
                                     {"supportsScreenShare", true}}}},
                              json{{"version", 2},
                                   {"published", false},
                                   {"greeting", "Draft greeting"},
                                   {"speaks_first", true}}})}};
}

// A minimal valid create request per channel, using the standard agent.
inline json request_for(const std::string &channel, const std::string &direction = "outbound") {
    json r{{"channel", channel}, {"direction", direction}, {"agent_id", "agent_abc"}};
    const bool phone = channel == "telephone" || channel == "sms" || channel == "whatsapp";
    r["user_id"] = phone ? "+14155551234" : "user_42";  // telephone, sms, whatsapp: E.164
    if (channel == "email") r["to_address"] = "customer@example.com";
    // Outbound WhatsApp opens with a template while the contact's 24-hour window is closed.
    if (channel == "whatsapp" && direction == "outbound")
        r["message"] = {{"type", "template"}, {"template", {{"name", "welcome"}}}};
    return r;
}

// Owns one engine (in-memory, manual clock at kStart unless options say otherwise) and the
// sessions opened through it.
class Engine {
public:
    explicit Engine(json options = json::object()) {
        if (!options.contains("path")) options["path"] = ":memory:";
        if (!options.contains("clock")) options["clock"] = "manual";
        if (options["clock"] == "manual" && !options.contains("start")) options["start"] = kStart;
        code_ = convo_engine_open(dump(options).c_str(), &engine_);
        error_ = convo_last_error();
    }
    ~Engine() { close(); }
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    void close() {
        for (convo_session *s : sessions_) convo_session_close(s);
        sessions_.clear();
        convo_engine_close(engine_);
        engine_ = nullptr;
    }

    convo_code open_code() const { return code_; }
    const std::string &open_error() const { return error_; }
    convo_engine *get() const { return engine_; }

    // A session owned by this Engine; fails the test if it cannot be opened.
    convo_session *session(const std::string &org = "org_a", unsigned scopes = kAllScopes) {
        convo_session *s = nullptr;
        EXPECT_EQ(convo_session_open(engine_, org.c_str(), scopes, &s), CONVO_OK)
            << convo_last_error();
        if (s != nullptr) sessions_.push_back(s);
        return s;
    }

    int64_t now() const {
        int64_t ms = 0;
        EXPECT_EQ(convo_clock_now(engine_, &ms), CONVO_OK);
        return ms;
    }
    void set_clock(int64_t ms) { EXPECT_EQ(convo_clock_set(engine_, ms), CONVO_OK) << convo_last_error(); }
    void advance(int64_t ms) { set_clock(now() + ms); }
    unsigned tick() {
        unsigned fired = 0;
        EXPECT_EQ(convo_tick(engine_, &fired), CONVO_OK) << convo_last_error();
        return fired;
    }
    // Advances the clock by `ms` and fires what fell due.
    unsigned advance_and_tick(int64_t ms) {
        advance(ms);
        return tick();
    }

private:
    convo_engine *engine_ = nullptr;
    convo_code code_ = CONVO_EINTERNAL;
    std::string error_;
    std::vector<convo_session *> sessions_;
};

// The usual fixture: an engine, an all-scopes session of org_a, and the standard agent.
class ApiTest : public ::testing::Test {
protected:
    void SetUp() override {
        engine_ = std::make_unique<Engine>(options());
        ASSERT_EQ(engine_->open_code(), CONVO_OK) << engine_->open_error();
        s_ = engine_->session("org_a");
        ASSERT_NE(s_, nullptr);
        Call a = agent_put(s_, standard_agent());
        ASSERT_TRUE(a.ok()) << a.error;
    }
    virtual json options() const { return json::object(); }

    // Creates a conversation and returns its id (fails the test on error).
    std::string make(const std::string &channel, const std::string &direction = "outbound",
                     json extra = json::object()) {
        json r = request_for(channel, direction);
        r.update(extra);
        Call c = create(s_, r);
        EXPECT_TRUE(c.ok()) << c.error;
        if (!c.ok()) return "";
        if (c.body.contains("contact_id")) return c.body["contact_id"].get<std::string>();
        return c.body["conversation"]["id"].get<std::string>();
    }
    json conv(const std::string &id) {
        Call c = get(s_, id);
        EXPECT_TRUE(c.ok()) << c.error;
        return c.body;
    }
    std::string status(const std::string &id) { return conv(id).value("status", std::string()); }

    std::unique_ptr<Engine> engine_;
    convo_session *s_ = nullptr;
};

}  // namespace convo_test
