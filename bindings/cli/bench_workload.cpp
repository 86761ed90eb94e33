#include "bench_workload.h"

#include <nlohmann/json.hpp>

#include "time_text.h"

namespace convo_cli::bench::workload {

using json = nlohmann::json;

std::string engine_options(const std::string &path, Sync sync, int64_t start_ms) {
    return json{{"path", path},
                {"clock", "manual"},
                {"start", format_rfc3339(start_ms)},
                {"synchronous", sync_name(sync)}}
        .dump();
}

std::string user_id(int64_t k) {
    return "user-" + std::to_string(k);
}

std::string account(int64_t k) {
    // k / 10, not k: a population's conversation kinds repeat every ten (bench_population.h), and
    // each account should hold all kinds.
    return "acct-" + std::to_string((k / 10) % kAccounts);
}

std::string stored_account(int64_t k) {
    return json(account(k)).dump();
}

std::string create_request(int64_t k) {
    return json{{"channel", "text"},
                {"user_id", user_id(k)},
                {"agent_config",
                 {{"name", "Bench support agent"},
                  {"greeting", "Hello! I am the support assistant. How can I help you today?"},
                  {"speaks_first", true}}},
                {"custom_metadata", {{kMetadataKey, account(k)}}},
                {"tags", {"bench"}},
                {"idle_timeout_minutes", 1440}}
        .dump();
}

std::string message_event(const std::string &event_id) {
    return json{{"type", "message"},
                {"role", "user"},
                {"text", "Hi, I would like to change the delivery address of my last order."},
                {"event_id", event_id}}
        .dump();
}

std::string close_event() {
    return json{{"type", "close"}}.dump();
}

std::string finalize_event() {
    return json{{"type", "finalize"},
                {"summary", "The customer changed the delivery address of an order."},
                {"topic", "delivery"}}
        .dump();
}

std::string status_query() {
    return json{{"status", kEndedStatus}, {"limit", kListLimit}}.dump();
}

std::string metadata_query(int64_t k) {
    return json{{"custom_metadata", {{kMetadataKey, account(k)}}}, {"limit", kListLimit}}.dump();
}

std::string created_id(const std::string &response_json) {
    return json::parse(response_json).at("conversation").at("id").get<std::string>();
}

}  // namespace convo_cli::bench::workload
