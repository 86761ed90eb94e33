// Shared by the fuzz targets: the contract every C API call keeps (a valid code, out_json NULL on
// failure and a JSON object on success, convo_last_error() "" after success and a message after
// failure), a report-and-abort for broken invariants, the lifecycle table read from
// convo_describe(), and the fixtures the targets set up. Only the public C API is used.
#pragma once

#include <convo/convo.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace convo_fuzz {

using json = nlohmann::json;

constexpr unsigned kAllScopes =
    CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;
constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00.000Z
constexpr const char *kStart = "2026-01-01T00:00:00.000Z";
// The last time the engine accepts or computes (docs/c-api.md): deadlines beyond it are held here.
constexpr int64_t kLastMs = 253402300799999;
constexpr const char *kLast = "9999-12-31T23:59:59.999Z";
constexpr const char *kSensitiveKeys[] = {"agent",          "summary",      "initial_context",
                                          "custom_metadata", "conversation", "recording_details"};

// The engine reads a C string: it sees the input up to its first NUL.
inline std::string c_string_of(const uint8_t *data, size_t size) {
    const void *nul = std::memchr(data, 0, size);
    size_t n = nul ? static_cast<size_t>(static_cast<const uint8_t *>(nul) - data) : size;
    return std::string(reinterpret_cast<const char *>(data), n);
}

// What the current input is, printed when an invariant breaks.
inline std::string &input_context() {
    static std::string s;
    return s;
}

inline std::string excerpt(const std::string &s, size_t max = 600) {
    std::string out;
    for (size_t i = 0; i < s.size() && out.size() < max; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (out.size() >= max) out += "...";
    return out;
}

[[noreturn]] inline void fail(const std::string &what) {
    std::fprintf(stderr, "\n==convo-fuzz== INVARIANT BROKEN: %s\n==convo-fuzz== input: %s\n",
                 what.c_str(), excerpt(input_context()).c_str());
    std::fflush(stderr);
    std::abort();
}

inline void check(bool ok, const std::string &what) {
    if (!ok) fail(what);
}

// Codes a call may fail with, as a bit set of (1 << code).
constexpr unsigned bit(convo_code c) { return 1u << static_cast<unsigned>(c); }
constexpr unsigned kRequestErrors = bit(CONVO_EINVALID) | bit(CONVO_EPRECONDITION) |
                                    bit(CONVO_ENOTFOUND) | bit(CONVO_ECONFLICT);

inline std::string describe_code(convo_code c) {
    return std::string(convo_code_name(c)) + " (" + std::to_string(static_cast<int>(c)) + ")";
}

// The outcome of one call, after checking the contract every call keeps.
struct Result {
    convo_code code = CONVO_EINTERNAL;
    std::string error;
    json body;  // null after a failure

    bool ok() const { return code == CONVO_OK; }
};

// CONVO_FUZZ_TRACE=1 prints every checked call and its code (to see what an input does).
inline bool tracing() {
    static const bool on = std::getenv("CONVO_FUZZ_TRACE") != nullptr;
    return on;
}
inline void trace(const char *call, convo_code code, const std::string &error) {
    if (tracing()) std::fprintf(stderr, "  %s -> %s %s\n", call, convo_code_name(code), error.c_str());
}

// Takes *out (freed here). `out` is the address the call wrote to, read only here: as an argument
// next to the call, a plain `char *` could be evaluated before the call runs (GCC evaluates
// arguments right to left). `allowed`: the failure codes this call may return for this input;
// anything else (EINTERNAL, ESTORAGE on an in-memory database, EMISUSE with valid handles) is
// a finding.
inline Result checked(const char *call, convo_code code, char **out_json, unsigned allowed) {
    char *out = *out_json;
    *out_json = nullptr;
    Result r;
    r.code = code;
    r.error = convo_last_error() ? convo_last_error() : "(NULL)";
    const std::string name = std::string(call) + ": ";
    trace(call, code, r.error);
    check(convo_last_error() != nullptr, name + "convo_last_error() returned NULL");
    check(static_cast<int>(code) >= CONVO_OK && static_cast<int>(code) <= CONVO_EMISUSE,
          name + "returned a value outside convo_code: " + std::to_string(static_cast<int>(code)));
    if (code == CONVO_OK) {
        check(out != nullptr, name + "CONVO_OK but *out_json is NULL");
        check(r.error.empty(), name + "CONVO_OK but convo_last_error() is \"" + r.error + "\"");
        std::string text(out);
        convo_free(out);
        r.body = json::parse(text, nullptr, false);
        check(!r.body.is_discarded(), name + "CONVO_OK but *out_json is not valid JSON: " + excerpt(text));
        check(r.body.is_object(), name + "CONVO_OK but *out_json is not an object: " + excerpt(text));
    } else {
        check(out == nullptr, name + describe_code(code) + " but *out_json is not NULL");
        check(!r.error.empty(), name + describe_code(code) + " but convo_last_error() is empty");
        check((allowed & bit(code)) != 0,
              name + "unexpected " + describe_code(code) + ": " + r.error);
    }
    return r;
}

// A call with no JSON result (tick, clock, next_deadline, session open).
inline void checked_plain(const char *call, convo_code code, unsigned allowed) {
    std::string error = convo_last_error();
    const std::string name = std::string(call) + ": ";
    trace(call, code, error);
    check(static_cast<int>(code) >= CONVO_OK && static_cast<int>(code) <= CONVO_EMISUSE,
          name + "returned a value outside convo_code");
    if (code == CONVO_OK) {
        check(error.empty(), name + "CONVO_OK but convo_last_error() is \"" + error + "\"");
    } else {
        check(!error.empty(), name + describe_code(code) + " but convo_last_error() is empty");
        check((allowed & bit(code)) != 0, name + "unexpected " + describe_code(code) + ": " + error);
    }
}

// Parses what the engine was given, as a host would: nullopt unless it is a JSON object.
inline std::optional<json> parse_object(const std::string &text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

// j[key] as a string when it is one.
inline std::optional<std::string> str(const json &j, const char *key) {
    if (!j.is_object()) return std::nullopt;
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

inline bool has_non_null(const json &j, const char *key) {
    auto it = j.find(key);
    return it != j.end() && !it->is_null();
}

// The id a create response names.
inline std::string created_id(const json &body) {
    if (body.contains("contact_id")) return body["contact_id"].get<std::string>();
    return body.at("conversation").at("id").get<std::string>();
}

inline bool is_uuid(const std::string &s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                   (s[i] >= 'A' && s[i] <= 'F');
        if (dash ? s[i] != '-' : !hex) return false;
    }
    return true;
}

inline json without_sensitive(json conversation) {
    for (const char *k : kSensitiveKeys) conversation.erase(k);
    return conversation;
}

inline void check_no_sensitive(const json &conversation, const std::string &where) {
    for (const char *k : kSensitiveKeys) {
        check(!conversation.contains(k), where + ": sensitive key '" + k +
                                             "' present without CONVO_SCOPE_SENSITIVE");
    }
}

// Replaces every `from` in `s` with `to` (seeds name agent version ids as placeholders, since
// the engine draws them at random).
inline void replace_all(std::string &s, const std::string &from, const std::string &to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
}

// ---- Times -------------------------------------------------------------------------------

inline int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {  // Howard Hinnant's
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

inline bool digits(const std::string &s, size_t from, size_t n) {
    if (from + n > s.size()) return false;
    for (size_t i = from; i < from + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
}
inline int64_t number_at(const std::string &s, size_t from, size_t n) {
    int64_t v = 0;
    for (size_t i = from; i < from + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
}

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (a valid date) -> Unix ms, floored; nullopt for any other
// form (offsets included: the oracle only judges what it can read without doubt).
inline std::optional<int64_t> parse_utc(const std::string &s) {
    if (s.size() < 20 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
        !digits(s, 8, 2) || s[10] != 'T' || !digits(s, 11, 2) || s[13] != ':' ||
        !digits(s, 14, 2) || s[16] != ':' || !digits(s, 17, 2)) {
        return std::nullopt;
    }
    size_t i = 19;
    int64_t ms = 0;
    if (s[i] == '.') {
        size_t n = 0;
        while (i + 1 + n < s.size() && s[i + 1 + n] >= '0' && s[i + 1 + n] <= '9') ++n;
        if (n == 0 || n > 9) return std::nullopt;
        std::string frac = s.substr(i + 1, n) + "000000000";
        ms = number_at(frac, 0, 3);
        i += 1 + n;
    }
    if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
    int64_t y = number_at(s, 0, 4), mo = number_at(s, 5, 2), d = number_at(s, 8, 2);
    int64_t h = number_at(s, 11, 2), mi = number_at(s, 14, 2), se = number_at(s, 17, 2);
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1) return std::nullopt;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0)) return std::nullopt;
    if (h > 23 || mi > 59 || se > 59) return std::nullopt;
    return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + se * 1000 + ms;
}

// Unix ms -> "YYYY-MM-DDTHH:MM:SS.mmmZ" (the engine's form), for years 0-9999.
inline std::string format_ms(int64_t ms) {
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = static_cast<int>(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(y),
                  static_cast<int>(m), static_cast<int>(d), static_cast<int>(sod / 3600),
                  static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60), millis);
    return buf;
}

// The engine writes every time as "YYYY-MM-DDTHH:MM:SS.mmmZ".
inline bool is_engine_time(const json &j) {
    if (!j.is_string()) return false;
    const std::string &s = j.get_ref<const std::string &>();
    return s.size() == 24 && s[19] == '.' && digits(s, 20, 3) && parse_utc(s).has_value();
}

// A conversation as get/list/dispatch render it: its times in the engine's format, a status and
// channel the table knows, a terminal conversation with no pending deadline.
inline void check_conversation(const json &c, const std::string &where) {
    check(c.is_object(), where + ": conversation is not an object");
    for (const char *k : {"id", "status", "channel", "direction", "user_id"}) {
        check(c.contains(k) && c[k].is_string(), where + ": '" + k + "' missing or not a string");
    }
    for (const char *k : {"created_at", "updated_at"}) {
        check(is_engine_time(c.value(k, json())),
              where + ": '" + k + "' is not an RFC 3339 UTC time: " + c.value(k, json()).dump());
    }
    for (const char *k : {"started_at", "ended_at", "expires_at", "human_takeover_until",
                          "chat_window_expires_at"}) {
        json v = c.value(k, json());
        check(v.is_null() || is_engine_time(v),
              where + ": '" + k + "' is neither null nor an RFC 3339 UTC time: " + v.dump());
    }
    check(c["updated_at"].get<std::string>() >= c["created_at"].get<std::string>(),
          where + ": updated_at before created_at");
    if (c.contains("conversation") && c["conversation"].is_object()) {
        for (const json &m : c["conversation"].value("messages", json::array())) {
            check(is_engine_time(m.value("at", json())), where + ": a message's 'at' is malformed");
        }
    }
}

// ---- The lifecycle table, read from convo_describe() -----------------------------------

struct Table {
    std::set<std::string> statuses, terminal, channels, events;
    // (event, from, channel) -> to
    std::map<std::tuple<std::string, std::string, std::string>, std::string> moves;
    // (timer, from) -> to, and the channels each timer runs on
    std::map<std::pair<std::string, std::string>, std::string> timer_moves;
    std::map<std::string, std::set<std::string>> timer_channels;
    std::map<std::string, std::string> timer_end_reason;

    std::optional<std::string> target(const std::string &event, const std::string &from,
                                      const std::string &channel) const {
        auto it = moves.find({event, from, channel});
        if (it == moves.end()) return std::nullopt;
        return it->second;
    }
    bool is_terminal(const std::string &status) const { return terminal.count(status) != 0; }
};

inline Table read_table(convo_engine *e) {
    char *out = nullptr;
    Result d = checked("convo_describe", convo_describe(e, &out), &out, 0);
    Table t;
    for (const json &s : d.body.at("statuses")) {
        t.statuses.insert(s.at("name").get<std::string>());
        if (s.at("terminal").get<bool>()) t.terminal.insert(s.at("name").get<std::string>());
    }
    for (const json &c : d.body.at("channels")) t.channels.insert(c.get<std::string>());
    for (const json &ev : d.body.at("events")) {
        std::string name = ev.at("name").get<std::string>();
        t.events.insert(name);
        for (const json &tr : ev.at("transitions")) {
            for (const json &ch : tr.at("channels")) {
                t.moves[{name, tr.at("from").get<std::string>(), ch.get<std::string>()}] =
                    tr.at("to").get<std::string>();
            }
        }
    }
    for (const json &tm : d.body.at("timers")) {
        std::string name = tm.at("name").get<std::string>();
        for (const json &ch : tm.at("channels")) t.timer_channels[name].insert(ch.get<std::string>());
        for (const json &f : tm.at("fires")) {
            t.timer_moves[{name, f.at("from").get<std::string>()}] = f.at("to").get<std::string>();
        }
        t.timer_end_reason[name] = tm.at("end_reason").get<std::string>();
    }
    return t;
}

// A valid body for each event type, so that a refusal can only be about the status.
inline json event_body(const std::string &type) {
    json e{{"type", type}};
    if (type == "message") {
        e["role"] = "user";
        e["text"] = "hello there";
    } else if (type == "fail") {
        e["reason"] = "carrier_error";
    } else if (type == "transfer") {
        e["to"] = "+14155550199";
    } else if (type == "annotate") {
        e["summary"] = "a note";
    }
    return e;
}

// The code the lifecycle rules give a well-formed `event` of a known type: the table's verdict
// in `status` on `channel`, then a message's rules: a template only on WhatsApp (EINVALID), no
// agent while a human has taken over (ECONFLICT), no free-form business message on WhatsApp
// while the contact's window is closed at the event's time (EPRECONDITION).
inline convo_code rule_code(const Table &t, const json &event, const std::string &status,
                            const std::string &channel, bool human_takeover, bool window_open) {
    const std::string type = event.at("type").get<std::string>();
    if (!t.target(type, status, channel)) return CONVO_ECONFLICT;
    if (type != "message") return CONVO_OK;
    const bool with_template = event.contains("template");
    const std::string role = str(event, "role").value_or("");
    if (with_template && channel != "whatsapp") return CONVO_EINVALID;
    if (role == "agent" && human_takeover) return CONVO_ECONFLICT;
    if (channel == "whatsapp" && role != "user" && !with_template && !window_open) return CONVO_EPRECONDITION;
    return CONVO_OK;
}

// Whether `event` (a JSON object), allowed by the table, has nothing to do for `conversation`
// (as convo_get renders it): a close of an ended conversation, a handback with no takeover, a
// finalize without fields of a wrap-up already done. Such an event changes nothing at all.
inline bool is_noop(const Table &t, const json &event, const json &conversation) {
    const std::string type = str(event, "type").value_or("");
    const bool ended = t.is_terminal(conversation.at("status").get<std::string>());
    if (type == "close") return ended;
    if (type == "handback") return conversation.at("human_takeover") == false;
    if (type != "finalize" || !ended || conversation.at("wrap_up") != "done") return false;
    for (const char *k : {"summary", "topic", "actions_needed", "tags"}) {
        if (event.contains(k)) return false;
    }
    return true;
}

// ---- Fixture helpers ---------------------------------------------------------------------

// The standard agent of the API tests: published version 1 that speaks first, unpublished 2.
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
                                    {{"supportsVideoInput", false}, {"supportsScreenShare", true}}}},
                              json{{"version", 2},
                                   {"published", false},
                                   {"greeting", "Draft greeting"},
                                   {"speaks_first", true}}})}};
}

// Phone channels (telephone, sms, whatsapp) address an E.164 number, the others a user id.
inline bool is_phone_channel(const std::string &channel) {
    return channel == "telephone" || channel == "sms" || channel == "whatsapp";
}

inline json request_for(const std::string &channel, const std::string &direction = "outbound") {
    json r{{"channel", channel}, {"direction", direction}, {"agent_id", "agent_abc"}};
    r["user_id"] = is_phone_channel(channel) ? "+14155551234" : "user_42";
    if (channel == "email") r["to_address"] = "customer@example.com";
    return r;
}

// Calls that must succeed while a fixture is set up.
inline convo_engine *open_engine(const json &options) {
    convo_engine *e = nullptr;
    convo_code code = convo_engine_open(options.dump().c_str(), &e);
    checked_plain("fixture convo_engine_open", code, 0);
    return e;
}
inline convo_session *open_session(convo_engine *e, const char *org, unsigned scopes) {
    convo_session *s = nullptr;
    checked_plain("fixture convo_session_open", convo_session_open(e, org, scopes, &s), 0);
    return s;
}
inline json must_put_agent(convo_session *s, const json &agent) {
    char *out = nullptr;
    return checked("fixture convo_agent_put", convo_agent_put(s, agent.dump().c_str(), &out), &out, 0)
        .body;
}
inline json must_create(convo_session *s, const json &request) {
    char *out = nullptr;
    int http = 0;
    return checked("fixture convo_create",
                   convo_create(s, request.dump().c_str(), &out, &http), &out, 0)
        .body;
}
inline json must_dispatch(convo_session *s, const std::string &id, const json &event) {
    char *out = nullptr;
    return checked("fixture convo_dispatch",
                   convo_dispatch(s, id.c_str(), event.dump().c_str(), &out), &out, 0)
        .body;
}
inline Result get(convo_session *s, const std::string &id, unsigned allowed = 0) {
    char *out = nullptr;
    return checked("convo_get", convo_get(s, id.c_str(), &out), &out, allowed);
}
inline int64_t now_of(convo_engine *e) {
    int64_t ms = 0;
    checked_plain("convo_clock_now", convo_clock_now(e, &ms), 0);
    return ms;
}

// The feed after `after` (up to 1000 events), checked for shape and gaplessness from `after`
// when `gapless`.
inline json events_after(convo_session *s, uint64_t after, bool gapless) {
    char *out = nullptr;
    Result r = checked("convo_events", convo_events(s, after, 1000, &out), &out, 0);
    const json &list = r.body.at("events");
    check(list.is_array(), "convo_events: events is not an array");
    uint64_t expect = after + 1;
    for (const json &e : list) {
        uint64_t seq = e.at("seq").get<uint64_t>();
        check(seq > after, "convo_events: seq " + std::to_string(seq) + " not after " +
                               std::to_string(after));
        if (gapless) {
            check(seq == expect, "feed gap: expected seq " + std::to_string(expect) + ", got " +
                                     std::to_string(seq));
        }
        expect = seq + 1;
    }
    return list;
}

// A process-wide fixture, rebuilt after `budget` changes so that a long run keeps its memory
// bounded.
template <typename Fixture>
Fixture &fixture(bool changed_last_time, size_t budget = 20000) {
    static Fixture *f = nullptr;
    static size_t changes = 0;
    if (changed_last_time && ++changes >= budget && f != nullptr) {
        delete f;
        f = nullptr;
        changes = 0;
    }
    if (f == nullptr) f = new Fixture();
    return *f;
}

}  // namespace convo_fuzz
