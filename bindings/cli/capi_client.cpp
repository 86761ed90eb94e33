#include "capi_client.h"

#include <nlohmann/json.hpp>

namespace convo_cli {

void check(convo_code code) {
    if (code != CONVO_OK) throw Failure(code, convo_last_error());
}

std::string take(char *out_json) {
    if (out_json == nullptr) return {};
    std::string copy(out_json);
    convo_free(out_json);
    return copy;
}

Engine::Engine(const std::string &options_json) {
    check(convo_engine_open(options_json.c_str(), &engine_));
}

Engine::~Engine() {
    convo_engine_close(engine_);
}

std::string Engine::describe() const {
    char *out = nullptr;
    convo_code code = convo_describe(engine_, &out);
    std::string text = take(out);
    check(code);
    return text;
}

unsigned Engine::tick() const {
    unsigned fired = 0;
    check(convo_tick(engine_, &fired));
    return fired;
}

int64_t Engine::now() const {
    int64_t ms = 0;
    check(convo_clock_now(engine_, &ms));
    return ms;
}

void Engine::set_clock(int64_t unix_ms) const {
    check(convo_clock_set(engine_, unix_ms));
}

std::optional<int64_t> Engine::next_deadline() const {
    int64_t ms = 0;
    convo_code code = convo_next_deadline(engine_, &ms);
    if (code == CONVO_ENOTFOUND) return std::nullopt;
    check(code);
    return ms;
}

Session::Session(const Engine &engine, const std::string &organization_id, unsigned scopes) {
    check(convo_session_open(engine.get(), organization_id.c_str(), scopes, &session_));
}

Session::~Session() {
    convo_session_close(session_);
}

// Runs one call that yields *out_json, freeing the result on every path.
template <typename Call>
static std::string json_result(Call call) {
    char *out = nullptr;
    convo_code code = call(&out);
    std::string text = take(out);
    check(code);
    return text;
}

std::string Session::agent_put(const std::string &agent_json) const {
    return json_result(
        [&](char **out) { return convo_agent_put(session_, agent_json.c_str(), out); });
}

std::string Session::agent_get(const std::string &agent_id) const {
    return json_result(
        [&](char **out) { return convo_agent_get(session_, agent_id.c_str(), out); });
}

Session::Created Session::create(const std::string &request_json) const {
    Created created;
    created.json = json_result([&](char **out) {
        return convo_create(session_, request_json.c_str(), out, &created.http_status);
    });
    return created;
}

std::string Session::get(const std::string &conversation_id) const {
    return json_result(
        [&](char **out) { return convo_get(session_, conversation_id.c_str(), out); });
}

std::string Session::list(const std::string &query_json) const {
    return json_result([&](char **out) { return convo_list(session_, query_json.c_str(), out); });
}

std::string Session::dispatch(const std::string &conversation_id,
                              const std::string &event_json) const {
    return json_result([&](char **out) {
        return convo_dispatch(session_, conversation_id.c_str(), event_json.c_str(), out);
    });
}

std::string Session::events(uint64_t after_seq, unsigned limit) const {
    return json_result([&](char **out) { return convo_events(session_, after_seq, limit, out); });
}

Session::Attempt Session::try_dispatch(const std::string &conversation_id,
                                       const std::string &event_json) const {
    char *out = nullptr;
    Attempt attempt;
    attempt.code = convo_dispatch(session_, conversation_id.c_str(), event_json.c_str(), &out);
    if (attempt.code != CONVO_OK) attempt.detail = convo_last_error();  // before convo_free
    attempt.json = take(out);
    return attempt;
}

Session::Attempt Session::try_create(const std::string &request_json) const {
    char *out = nullptr;
    Attempt attempt;
    attempt.code = convo_create(session_, request_json.c_str(), &out, &attempt.http_status);
    if (attempt.code != CONVO_OK) attempt.detail = convo_last_error();  // before convo_free
    attempt.json = take(out);
    return attempt;
}

Subscription::Subscription(const Engine &engine, convo_event_fn fn, void *user_data)
    : engine_(engine.get()) {
    check(convo_subscribe(engine_, fn, user_data, &id_));
}

Subscription::~Subscription() {
    convo_unsubscribe(engine_, id_);
}

std::string file_engine_options(const std::string &path) {
    return nlohmann::json{{"path", path}, {"clock", "system"}}.dump();
}

}  // namespace convo_cli
