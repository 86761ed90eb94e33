#include "crash_common.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

namespace crash {

void Failures::finish(const std::vector<std::string> &harness_failures, const std::string &dir,
                      bool keep) {
    failures.insert(failures.begin(), harness_failures.begin(), harness_failures.end());
    if (failures.empty() && !keep) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
}
namespace {

Call finish(convo_code code, char *out, int http = 0) {
    Call c;
    c.code = code;
    c.error = convo_last_error();
    c.http = http;
    if (out != nullptr) {
        c.body = json::parse(out, nullptr, false);
        convo_free(out);
    }
    return c;
}

}  // namespace

std::string engine_options(const std::string &path, const std::string &start) {
    return json{{"path", path},
                {"synchronous", "full"},
                {"clock", "manual"},
                {"start", start},
                {"platform_max_open_minutes", 120},
                {"ring_timeout_seconds", 30},
                {"dial_timeout_seconds", 90},
                {"token_ttl_seconds", 120},
                {"wrap_up_timeout_seconds", kWrapUpMs / 1000},
                {"log_level", "error"}}
        .dump();
}

bool is_timer_event(const json &e) {
    return e.at("data").contains("timer");
}

std::string contact_key(const std::string &organization_id, const json &from_number,
                        const std::string &user_id) {
    return organization_id + " " + (from_number.is_string() ? from_number.get<std::string>() : "") +
           " " + user_id;
}

bool is_noop(const json &req, const json &state, bool terminal) {
    const std::string type = req.value("type", "");
    if (type == "close") return terminal;
    if (type == "handback") return state.at("status") == "in_progress" && state.at("human_takeover") == false;
    if (type != "finalize" || !terminal || state.at("wrap_up") != "done") return false;
    for (const char *field : {"summary", "topic", "actions_needed", "tags"}) {
        if (req.contains(field)) return false;
    }
    return true;
}

Call create(convo_session *s, const json &request) {
    char *out = nullptr;
    int http = 0;
    convo_code code = convo_create(s, request.dump().c_str(), &out, &http);
    return finish(code, out, http);
}

Call get(convo_session *s, const std::string &id) {
    char *out = nullptr;
    convo_code code = convo_get(s, id.c_str(), &out);
    return finish(code, out);
}

Call dispatch(convo_session *s, const std::string &id, const json &event) {
    char *out = nullptr;
    convo_code code = convo_dispatch(s, id.c_str(), event.dump().c_str(), &out);
    return finish(code, out);
}

Call list(convo_session *s, const json &query) {
    char *out = nullptr;
    convo_code code = convo_list(s, query.dump().c_str(), &out);
    return finish(code, out);
}

Call events(convo_session *s, uint64_t after, unsigned limit) {
    char *out = nullptr;
    convo_code code = convo_events(s, after, limit, &out);
    return finish(code, out);
}

Call agent_put(convo_session *s, const json &agent) {
    char *out = nullptr;
    convo_code code = convo_agent_put(s, agent.dump().c_str(), &out);
    return finish(code, out);
}

Call agent_get(convo_session *s, const std::string &id) {
    char *out = nullptr;
    convo_code code = convo_agent_get(s, id.c_str(), &out);
    return finish(code, out);
}

bool read_feed(convo_session *s, uint64_t after, std::vector<json> *out, std::string *error) {
    for (;;) {
        Call c = events(s, after, 1000);
        if (!c.ok()) {
            *error = std::string("convo_events: ") + convo_code_name(c.code) + ": " + c.error;
            return false;
        }
        const json &page = c.body.at("events");
        for (const json &e : page) out->push_back(e);
        if (page.empty()) return true;
        after = c.body.at("next_seq").get<uint64_t>();
    }
}

bool read_all_conversations(convo_session *s, std::vector<json> *out, std::string *error) {
    json query{{"limit", 100}};
    for (;;) {
        Call c = list(s, query);
        if (!c.ok()) {
            *error = std::string("convo_list: ") + convo_code_name(c.code) + ": " + c.error;
            return false;
        }
        for (const json &item : c.body.at("items")) out->push_back(item);
        if (c.body.at("next_cursor").is_null()) return true;
        query["cursor"] = c.body.at("next_cursor");
    }
}

std::string seeded_uuid(uint64_t seed, uint64_t counter) {
    auto mix = [](uint64_t z) {
        z += 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    uint64_t hi = mix(seed ^ (counter << 1));
    uint64_t lo = mix(hi ^ counter);
    hi = (hi & ~0xF000ull) | 0x4000ull;                         // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                  static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                  static_cast<unsigned long long>(hi & 0xFFFF),
                  static_cast<unsigned long long>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
    return buf;
}

std::string fingerprint_text(const std::string &text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : text) {
        h ^= ch;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string conversation_fingerprint(json conversation) {
    for (const char *moving : {"duration", "chat_window_expires_at", "chat_window_remaining_seconds"}) {
        conversation.erase(moving);
    }
    return fingerprint_text(conversation.dump());
}

json conversation_state(const json &c) {
    size_t messages = 0;
    if (c.contains("conversation") && c["conversation"].is_object()) {
        messages = c["conversation"].value("messages", json::array()).size();
    }
    json state{{"fp", conversation_fingerprint(c)}, {"messages", messages}};
    for (const char *key : {"status", "end_reason", "updated_at", "user_turn_count", "expires_at",
                            "started_at", "ended_at", "tags", "topic", "transferred_to",
                            "human_takeover", "human_takeover_until", "wrap_up", "from_number"}) {
        state[key] = c.at(key);
    }
    return state;
}

int64_t parse_time(const std::string &text) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string format_time(int64_t unix_ms) {
    std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];  // room for any int the compiler can imagine
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(unix_ms % 1000));
    return buf;
}

bool Lifecycle::load(convo_engine *engine, std::string *error) {
    char *out = nullptr;
    convo_code code = convo_describe(engine, &out);
    if (code != CONVO_OK) {
        *error =
            std::string("convo_describe: ") + convo_code_name(code) + ": " + convo_last_error();
        return false;
    }
    json d = json::parse(out);
    convo_free(out);
    for (const json &s : d.at("statuses")) {
        statuses.insert(s.at("name").get<std::string>());
        if (s.at("terminal").get<bool>()) terminal.insert(s.at("name").get<std::string>());
    }
    for (const json &c : d.at("channels")) channels.insert(c.get<std::string>());
    for (const json &e : d.at("events")) {
        const std::string name = e.at("name").get<std::string>();
        event_types.insert(name);
        for (const json &t : e.at("transitions")) {
            for (const json &ch : t.at("channels")) {
                moves[{name, t.at("from").get<std::string>(), ch.get<std::string>()}] =
                    t.at("to").get<std::string>();
            }
        }
    }
    for (const json &t : d.at("timers")) {
        TimerInfo info;
        info.end_reason = t.at("end_reason").get<std::string>();
        info.effect = t.at("effect").get<std::string>();
        for (const json &f : t.at("fires")) {
            info.fires[f.at("from").get<std::string>()] = f.at("to").get<std::string>();
        }
        if (info.effect == "status") timer_end_reasons.insert(info.end_reason);
        timers[t.at("name").get<std::string>()] = std::move(info);
    }
    initial = d.at("initial");
    return true;
}

std::string Lifecycle::initial_status(const json &channel, const json &direction) const {
    for (const json &row : initial) {
        if (row.at("channel") == channel &&
            (row.at("direction").is_null() || row.at("direction") == direction)) {
            return row.at("status").get<std::string>();
        }
    }
    return "?";
}

bool open_for_checks(const std::string &db_path, const std::string &start, convo_engine **engine,
                     Lifecycle *table, convo_session *sessions[2], std::string *error) {
    convo_code rc = convo_engine_open(engine_options(db_path, start).c_str(), engine);
    if (rc != CONVO_OK) {
        *error = std::string("reopening the database: ") + convo_code_name(rc) + ": " +
                 convo_last_error();
        *engine = nullptr;
        return false;
    }
    Lifecycle fresh;
    if (!fresh.load(*engine, error)) return false;
    *table = std::move(fresh);
    if (convo_session_open(*engine, kOrgA, kAllScopes, &sessions[0]) != CONVO_OK ||
        convo_session_open(*engine, kOrgB, kAllScopes, &sessions[1]) != CONVO_OK) {
        *error = std::string("convo_session_open: ") + convo_last_error();
        return false;
    }
    return true;
}

std::vector<std::string> Lifecycle::allowed(const std::string &status,
                                            const std::string &channel) const {
    std::vector<std::string> out;
    for (const std::string &e : event_types) {
        if (moves.count({e, status, channel}) != 0) out.push_back(e);
    }
    return out;
}

}  // namespace crash
