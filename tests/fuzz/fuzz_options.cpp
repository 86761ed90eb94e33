// Fuzzes convo_engine_open's options JSON. The input may name a "path": it is always replaced
// (":memory:", or a fresh file inside this process's temporary directory), so fuzzing never
// writes outside it; the engine can only fall back to its default "convo.db" by accepting text
// that is not a JSON object, which is itself reported as a broken invariant. An engine that opens then runs a small workload through the
// options it was given: timers armed with the configured lengths, the webrtc URL echoed, the
// manual clock where asked for, every output time well-formed.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_support.h"

using namespace convo_fuzz;

namespace {

const char *const kKnownKeys[] = {"path",
                                  "clock",
                                  "start",
                                  "synchronous",
                                  "platform_max_open_minutes",
                                  "ring_timeout_seconds",
                                  "dial_timeout_seconds",
                                  "token_ttl_seconds",
                                  "wrap_up_timeout_seconds",
                                  "webrtc_url",
                                  "max_open_per_organization",
                                  "timer_thread",
                                  "log_level",
                                  "max_request_bytes",
                                  "max_message_bytes",
                                  "max_metadata_bytes"};

std::string &temp_dir() {
    static std::string dir = [] {
        char templ[] = "/tmp/convo-fuzz-options-XXXXXX";
        char *made = mkdtemp(templ);
        check(made != nullptr, "harness: mkdtemp failed");
        std::atexit([] { rmdir(temp_dir().c_str()); });
        return std::string(made);
    }();
    return dir;
}

void remove_db(const std::string &path) {
    for (const char *suffix : {"", "-wal", "-shm", "-journal"}) unlink((path + suffix).c_str());
}

void quiet(void *, int, const char *) {}

// What the documented rules say about one accepted key (null counts as absent).
void check_accepted_key(const std::string &key, const json &v) {
    if (v.is_null()) return;
    const std::string where = "convo_engine_open accepted " + key + "=" + excerpt(v.dump(), 80);
    auto positive_int = [&] {
        check(v.is_number_integer() && (v.is_number_unsigned() || v.get<int64_t>() >= 1),
              where + " (documented: integer >= 1)");
    };
    if (key == "path" || key == "webrtc_url" || key == "start") {
        check(v.is_string() && !v.get_ref<const std::string &>().empty(), where);
    } else if (key == "clock") {
        check(v == "system" || v == "manual", where);
    } else if (key == "synchronous") {
        check(v == "full" || v == "normal", where);
    } else if (key == "log_level") {
        check(v == "trace" || v == "debug" || v == "info" || v == "warn" || v == "error" ||
                  v == "critical" || v == "off",
              where);
    } else if (key == "timer_thread") {
        check(v.is_boolean(), where);
    } else if (key.rfind("max_", 0) == 0 && key.size() > 6 &&
               key.compare(key.size() - 6, 6, "_bytes") == 0) {
        check(v.is_number_integer(), where);
    } else {
        positive_int();
    }
}

// The options text the engine gets: the input with "path" forced. Keys are appended before the
// closing brace so that the input's own bytes are still what the parser reads (a repeated key:
// the last one wins). A "path" that is not a non-empty string is left alone: the engine must
// refuse it, and then nothing is opened.
std::string with_safe_path(const std::string &text, const json &j, std::string *forced) {
    auto it = j.find("path");
    const bool keep = it != j.end() && !it->is_null() &&
                      (!it->is_string() || it->get_ref<const std::string &>().empty());
    if (keep) {
        *forced = "";
        return text;
    }
    *forced = (it != j.end() && it->is_string()) ? temp_dir() + "/fuzz.db" : ":memory:";
    std::string added = "\"path\":" + json(*forced).dump();
    std::string out;
    if (j.empty()) {
        out = "{" + added + "}";
    } else {
        size_t close = text.rfind('}');
        out = text.substr(0, close) + "," + added + text.substr(close);
    }
    // Belt and braces: if the splice did not give the path we meant, use the re-serialized form.
    auto check_j = parse_object(out);
    if (!check_j || check_j->value("path", json()) != *forced) {
        json copy = j;
        copy["path"] = *forced;
        out = copy.dump();
    }
    return out;
}

std::string create_id(convo_session *s, const json &request, json *body, bool may_hit_limit) {
    char *out = nullptr;
    int http = 0;
    Result r = checked("convo_create", convo_create(s, request.dump().c_str(), &out, &http), &out,
                       may_hit_limit ? bit(CONVO_EPRECONDITION) : 0);
    if (!r.ok()) return "";
    *body = r.body;
    return created_id(r.body);
}

int64_t next_deadline(convo_engine *e) {
    int64_t ms = 0;
    convo_code code = convo_next_deadline(e, &ms);
    checked_plain("convo_next_deadline", code, bit(CONVO_ENOTFOUND));
    return code == CONVO_OK ? ms : -1;
}

// Past every closing deadline a tick ended the conversations `ids`; each one's wrap-up fell
// due wrap_up_timeout_seconds after it ended (held at the end of the range): done if that was
// by `now`, else pending, and the earliest pending one is the next deadline. A tick past those
// leaves every wrap-up done and nothing pending.
void check_wrap_ups(convo_engine *e, convo_session *s, const std::vector<std::string> &ids, int64_t wrap_up_ms,
                    int64_t now) {
    int64_t earliest = -1, latest = now;
    for (const std::string &id : ids) {
        const json c = get(s, id).body;
        const int64_t due = std::min(parse_utc(c.at("ended_at").get<std::string>()).value_or(0) + wrap_up_ms, kLastMs);
        check(c.at("wrap_up") == (due <= now ? "done" : "pending"),
              "wrap_up " + c["wrap_up"].dump() + " with its deadline " + format_ms(due) + " and the clock at " +
                  format_ms(now));
        if (due > now && (earliest < 0 || due < earliest)) earliest = due;
        latest = std::max(latest, due);
    }
    check(next_deadline(e) == earliest, "after a tick past every closing deadline the next deadline is " +
                                            std::to_string(next_deadline(e)) + ", the earliest pending wrap-up " +
                                            std::to_string(earliest));
    checked_plain("convo_clock_set", convo_clock_set(e, latest), 0);
    checked_plain("convo_tick", convo_tick(e, nullptr), 0);
    check(next_deadline(e) == -1, "after a tick past every deadline a timer is still pending");
    for (const std::string &id : ids) {
        check(get(s, id).body.at("wrap_up") == "done", "a wrap-up still pending after its deadline passed");
    }
}

// A few calls through an engine opened with `options`, checking what the options promise.
void workload(convo_engine *e, const json &options) {
    checked_plain("convo_engine_set_log_handler", convo_engine_set_log_handler(e, quiet, nullptr), 0);
    const bool manual = options.value("clock", json()) == "manual";
    const int64_t now = now_of(e);
    convo_code set = convo_clock_set(e, now);
    checked_plain("convo_clock_set", set, manual ? 0u : bit(CONVO_EMISUSE));
    check(manual || set == CONVO_EMISUSE, "convo_clock_set succeeded on a system clock");
    if (manual) {
        if (auto start = str(options, "start")) {
            if (auto ms = parse_utc(*start)) {
                check(now == *ms, "manual clock starts at " + std::to_string(now) + ", not at " +
                                      *start + " (" + std::to_string(*ms) + ")");
            }
        }
    }
    convo_session *s = open_session(e, "org_a", kAllScopes);
    const bool limited = has_non_null(options, "max_open_per_organization");
    auto int_option = [&](const char *key, int64_t fallback) {
        json v = options.value(key, json());
        return v.is_number_integer() ? v.get<int64_t>() : fallback;
    };
    // Small text and object limits refuse the standard agent's greeting and capabilities.
    const int64_t max_text = int_option("max_message_bytes", 65536);
    json agent = standard_agent();
    if (max_text < 100 || int_option("max_metadata_bytes", 65536) < 100) {
        agent["versions"] = json::array({json{{"version", 1}, {"published", true}}});
    }
    must_put_agent(s, agent);
    const int64_t platform_ms = int_option("platform_max_open_minutes", 1440) * 60000;

    // A telephone call arms the dial and max-open timers: the earlier is the next deadline.
    json body;
    std::string phone = create_id(s, request_for("telephone"), &body, limited);
    if (manual && !phone.empty()) {
        int64_t expect = std::min(now + std::min(int_option("dial_timeout_seconds", 300) * 1000, platform_ms),
                                  kLastMs);
        check(next_deadline(e) == expect,
              "telephone: next deadline " + std::to_string(next_deadline(e)) + ", expected " +
                  std::to_string(expect) + " from the dial/max-open options");
    }
    // webrtc echoes the configured URL.
    std::string rtc = create_id(s, request_for("webrtc"), &body, limited);
    if (!rtc.empty()) {
        json url = options.value("webrtc_url", json());
        std::string expect = url.is_string() ? url.get<std::string>() : "wss://localhost/rtc";
        check(body.at("connection_details").at("url") == expect, "webrtc: connection url " +
                                                                     body["connection_details"]["url"].dump() +
                                                                     " is not the option's");
        check_conversation(body.at("conversation"), "webrtc create");
    }
    // A text conversation with an idle timeout; past every deadline a tick closes everything.
    json text = request_for("text");
    text["idle_timeout_minutes"] = 1;
    std::string chat = create_id(s, text, &body, limited);
    // At the last millisecond of the range every deadline is held at now, so it has passed.
    if (!chat.empty() && max_text >= 2 && now < kLastMs) {
        must_dispatch(s, chat, json{{"type", "message"}, {"role", "user"}, {"text", "hi"}});
    }
    if (manual) {
        int64_t later = std::min(now + std::max<int64_t>(platform_ms, 86400000) + 1000, kLastMs);
        checked_plain("convo_clock_set", convo_clock_set(e, later), 0);
        unsigned fired = 0;
        checked_plain("convo_tick", convo_tick(e, &fired), 0);
        std::vector<std::string> ids;
        for (const std::string &id : {phone, rtc, chat}) {
            if (id.empty()) continue;
            ids.push_back(id);
            Result g = get(s, id);
            check_conversation(g.body, "get after tick");
            check(g.body["expires_at"].is_null(), "a closed conversation still expires");
            std::string status = g.body["status"].get<std::string>();
            check(status != "in_progress" && status != "triggered" && status != "ringing" &&
                      status != "token_created",
                  "conversation still open (" + status + ") after every deadline passed");
        }
        check_wrap_ups(e, s, ids, int_option("wrap_up_timeout_seconds", 300) * 1000, later);
    } else if (!chat.empty()) {
        check_conversation(get(s, chat).body, "get");
    }
    events_after(s, 0, true);
    convo_session_close(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text = c_string_of(data, size);
    input_context() = text;
    temp_dir();
    try {
        std::optional<json> j = parse_object(text);
        std::string forced;
        std::string given = j ? with_safe_path(text, *j, &forced) : text;
        if (forced.size() > 1 && forced[0] == '/') remove_db(forced);

        convo_engine *e = nullptr;
        convo_code code = convo_engine_open(given.c_str(), &e);
        checked_plain("convo_engine_open", code, bit(CONVO_EINVALID));
        check((code == CONVO_OK) == (e != nullptr), "convo_engine_open: *out_engine does not match the code");
        if (code == CONVO_OK) {
            check(j.has_value(), "convo_engine_open accepted options that are not a JSON object");
            json applied = *parse_object(given);
            for (auto it = applied.begin(); it != applied.end(); ++it) {
                bool known = false;
                for (const char *k : kKnownKeys) known = known || it.key() == k;
                check(known, "convo_engine_open accepted the unknown key '" + it.key() + "'");
                check_accepted_key(it.key(), it.value());
            }
            workload(e, applied);
            convo_engine_close(e);
        }
        if (forced.size() > 1 && forced[0] == '/') remove_db(forced);
    } catch (const std::exception &ex) {
        fail(std::string("harness: unexpected exception: ") + ex.what());
    }
    return 0;
}
