// Helpers shared by the lifecycle, timer, idempotency and feed tests: RFC 3339 formatting,
// convo_describe() parsing, routes into every reachable (channel, status), event bodies, and a
// feed subscriber that records what it is given. Only the public C API is used.
#pragma once

#include "harness.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace convo_test {
namespace lc {

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

// Unix ms → "2026-01-01T00:00:00.000Z" (the engine's output format).
inline std::string iso(int64_t ms) {
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = static_cast<int>(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    // Howard Hinnant's civil_from_days.
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
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(y),
                  static_cast<int>(m), static_cast<int>(d), static_cast<int>(sod / 3600),
                  static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60), millis);
    return buf;
}

// Time relative to the harness's start.
inline std::string at(int64_t offset_ms) { return iso(kStartMs + offset_ms); }

// ---- convo_describe() --------------------------------------------------------------------

struct Transition {
    std::string from, to;
    std::set<std::string> channels;
};
struct TimerFire {
    std::string from, to;
};
struct TimerRow {
    std::string name;
    std::set<std::string> armed_in, channels;
    std::vector<TimerFire> fires;
    std::string end_reason;
    bool closes = false;
};
struct Table {
    std::vector<std::string> statuses;  // in describe's order
    std::map<std::string, bool> terminal;
    std::vector<std::string> channels;
    std::vector<std::string> events;  // in describe's order
    std::map<std::string, std::vector<Transition>> transitions;
    std::vector<TimerRow> timers;

    // The status `event` leads to from `from` on `channel`, if allowed.
    std::optional<std::string> target(const std::string &event, const std::string &from,
                                      const std::string &channel) const {
        auto it = transitions.find(event);
        if (it == transitions.end()) return std::nullopt;
        for (const Transition &t : it->second)
            if (t.from == from && t.channels.count(channel)) return t.to;
        return std::nullopt;
    }
    // Whether `event` is allowed from `from` on any channel.
    bool status_allows(const std::string &event, const std::string &from) const {
        auto it = transitions.find(event);
        if (it == transitions.end()) return false;
        for (const Transition &t : it->second)
            if (t.from == from && !t.channels.empty()) return true;
        return false;
    }
};

inline Call describe(convo_engine *e) {
    char *out = nullptr;
    convo_code code = convo_describe(e, &out);
    return finish(code, out);
}

inline std::set<std::string> string_set(const json &a) {
    std::set<std::string> s;
    for (const json &x : a) s.insert(x.get<std::string>());
    return s;
}

// Parses describe's JSON; throws nlohmann::json exceptions on a malformed shape.
inline Table parse_table(const json &d) {
    Table t;
    for (const json &s : d.at("statuses")) {
        std::string name = s.at("name").get<std::string>();
        t.statuses.push_back(name);
        t.terminal[name] = s.at("terminal").get<bool>();
    }
    for (const json &c : d.at("channels")) t.channels.push_back(c.get<std::string>());
    for (const json &e : d.at("events")) {
        std::string name = e.at("name").get<std::string>();
        t.events.push_back(name);
        std::vector<Transition> &ts = t.transitions[name];
        for (const json &tr : e.at("transitions"))
            ts.push_back(Transition{tr.at("from").get<std::string>(), tr.at("to").get<std::string>(),
                                    string_set(tr.at("channels"))});
    }
    for (const json &tm : d.at("timers")) {
        TimerRow r;
        r.name = tm.at("name").get<std::string>();
        r.armed_in = string_set(tm.at("armed_in"));
        r.channels = string_set(tm.at("channels"));
        for (const json &f : tm.at("fires"))
            r.fires.push_back(TimerFire{f.at("from").get<std::string>(), f.at("to").get<std::string>()});
        r.end_reason = tm.at("end_reason").get<std::string>();
        r.closes = tm.at("closes").get<bool>();
        t.timers.push_back(r);
    }
    return t;
}

// ---- Routes: how a fresh conversation reaches each (channel, status) ----------------------

// Where each channel starts (issue section 4: the create contract, not the lifecycle table).
struct Start {
    std::string channel, direction, status;
};
inline std::vector<Start> start_states() {
    return {{"telephone", "outbound", "triggered"},
            {"telephone", "inbound", "ringing"},
            {"email", "outbound", "triggered"},
            {"webrtc", "outbound", "token_created"},
            {"text", "outbound", "in_progress"}};
}

struct Step {
    bool timer = false;  // true: advance to the next deadline and tick
    std::string name;    // event type or timer name
    std::string to;      // the status expected afterwards
};
struct Route {
    std::string channel, direction, start, status;  // start: the status at creation
    std::vector<Step> steps;
};

inline std::string route_text(const Route &r) {
    std::string s = r.channel + "/" + r.direction + ": created";
    for (const Step &st : r.steps) s += std::string(" -") + (st.timer ? "timer:" : "") + st.name + "-> " + st.to;
    return s;
}

// Shortest routes into every reachable (channel, status), through events; timers only where no
// event path exists.
inline std::map<std::pair<std::string, std::string>, Route> routes(const Table &t) {
    auto bfs = [&t](bool with_timers) {
        std::map<std::pair<std::string, std::string>, Route> found;
        std::deque<Route> queue;
        for (const Start &s : start_states()) {
            Route r{s.channel, s.direction, s.status, s.status, {}};
            if (found.emplace(std::make_pair(s.channel, s.status), r).second) queue.push_back(r);
        }
        while (!queue.empty()) {
            Route r = queue.front();
            queue.pop_front();
            std::vector<Step> next;
            for (const std::string &ev : t.events) {
                auto to = t.target(ev, r.status, r.channel);
                if (to && *to != r.status) next.push_back(Step{false, ev, *to});
            }
            if (with_timers)
                for (const TimerRow &tm : t.timers) {
                    if (!tm.armed_in.count(r.status) || !tm.channels.count(r.channel)) continue;
                    for (const TimerFire &f : tm.fires)
                        if (f.from == r.status) next.push_back(Step{true, tm.name, f.to});
                }
            for (const Step &st : next) {
                Route n = r;
                n.steps.push_back(st);
                n.status = st.to;
                if (found.emplace(std::make_pair(n.channel, n.status), n).second) queue.push_back(n);
            }
        }
        return found;
    };
    auto by_events = bfs(false);
    for (auto &kv : bfs(true)) by_events.emplace(kv.first, kv.second);
    return by_events;
}

// A valid body for each event type (so that a refusal can only be about the status).
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

// Creates a conversation and walks `r`; returns its id through `out_id`.
inline ::testing::AssertionResult drive(Engine &engine, convo_session *s, const Route &r,
                                        std::string *out_id) {
    Call c = create(s, request_for(r.channel, r.direction));
    if (!c.ok()) return ::testing::AssertionFailure() << "create: " << c.error;
    std::string id = c.body.contains("contact_id") ? c.body["contact_id"].get<std::string>()
                                                   : c.body["conversation"]["id"].get<std::string>();
    auto status_of = [&]() -> std::string {
        Call g = get(s, id);
        return g.ok() ? g.body.value("status", std::string("?")) : "get failed: " + g.error;
    };
    std::string st = status_of();
    if (st != r.start)
        return ::testing::AssertionFailure() << route_text(r) << ": created in status " << st;
    for (const Step &step : r.steps) {
        engine.advance(kSec);
        if (step.timer) {
            int64_t deadline = 0;
            if (convo_next_deadline(engine.get(), &deadline) != CONVO_OK)
                return ::testing::AssertionFailure() << route_text(r) << ": no deadline for " << step.name;
            if (deadline > engine.now()) engine.set_clock(deadline);
            engine.tick();
        } else {
            Call d = dispatch(s, id, event_body(step.name));
            if (!d.ok())
                return ::testing::AssertionFailure()
                       << route_text(r) << ": " << step.name << " refused: " << d.error;
        }
        st = status_of();
        if (st != step.to)
            return ::testing::AssertionFailure()
                   << route_text(r) << ": after " << step.name << " status is " << st;
    }
    *out_id = id;
    return ::testing::AssertionSuccess();
}

// ---- Feed helpers --------------------------------------------------------------------------

inline json feed(convo_session *s, uint64_t after = 0) {
    Call c = events(s, after, 1000);
    EXPECT_TRUE(c.ok()) << c.error;
    return c.ok() ? c.body["events"] : json::array();
}
inline uint64_t feed_end(convo_session *s) {
    Call c = events(s, 0, 1000);
    EXPECT_TRUE(c.ok()) << c.error;
    if (!c.ok()) return 0;
    uint64_t last = 0;
    for (const json &e : c.body["events"]) last = e["seq"].get<uint64_t>();
    return last;
}

// Records every event it is given.
struct Recorder {
    std::mutex mu;
    std::vector<json> got;
    static void fn(void *user, const char *event_json) {
        auto *r = static_cast<Recorder *>(user);
        std::lock_guard<std::mutex> lock(r->mu);
        r->got.push_back(json::parse(event_json));
    }
    std::vector<json> take() {
        std::lock_guard<std::mutex> lock(mu);
        return got;
    }
};

}  // namespace lc
}  // namespace convo_test
