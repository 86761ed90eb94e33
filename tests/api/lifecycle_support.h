// Helpers shared by the lifecycle, timer, idempotency and feed tests: RFC 3339 formatting,
// convo_describe() parsing, routes into every reachable (channel, status), event bodies, a feed
// subscriber that records what it is given, and the wrap-up every ended conversation waits for.
// Only the public C API is used.
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
    std::string when = "always";    // always | human_takeover | wrap_up_pending
    std::string effect = "status";  // status | handback | finalize
    std::string length;             // the option or event field that sets its length
    std::set<std::string> reset_by;
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
        r.when = tm.at("when").get<std::string>();
        r.effect = tm.at("effect").get<std::string>();
        r.length = tm.at("length").get<std::string>();
        r.reset_by = string_set(tm.at("reset_by"));
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
            {"text", "outbound", "in_progress"},
            {"sms", "outbound", "in_progress"},
            {"whatsapp", "inbound", "in_progress"}};
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

// The minutes event_body gives a takeover (not the default 10, so that it is seen to count).
constexpr int64_t kTakeoverMinutes = 7;

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
    } else if (type == "takeover") {
        e["minutes"] = kTakeoverMinutes;
    } else if (type == "finalize") {
        e["summary"] = "wrapped up";
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

// ---- What a call left as it was -------------------------------------------------------------

// The conversation, the feed and the engine's next deadline: what a refused event, or an
// allowed one with nothing to do, must leave exactly as they were.
struct State {
    json conversation, feed;
    convo_code next_code = CONVO_EINTERNAL;
    int64_t next_deadline = 0;
};
inline State state_of(Engine &engine, convo_session *s, const std::string &id) {
    State st;
    Call g = get(s, id);
    EXPECT_TRUE(g.ok()) << g.error;
    st.conversation = g.body;
    st.feed = feed(s);
    st.next_code = convo_next_deadline(engine.get(), &st.next_deadline);
    return st;
}
inline void expect_same_state(const State &before, Engine &engine, convo_session *s,
                              const std::string &id) {
    State now = state_of(engine, s, id);
    EXPECT_EQ(now.conversation, before.conversation);
    EXPECT_EQ(now.feed, before.feed);
    EXPECT_EQ(now.next_code, before.next_code);
    EXPECT_EQ(now.next_deadline, before.next_deadline);
}

// ---- Wrap-up (issue 3) ---------------------------------------------------------------------
// Every conversation that ends gets wrap_up "pending" and a wrap-up deadline
// wrap_up_timeout_seconds after it ended. That timer closes nothing (expires_at stays null),
// but convo_next_deadline and convo_tick see it; it fires feed event finalized.

constexpr int64_t kWrapUp = 300 * kSec;  // wrap_up_timeout_seconds' default

// No human has `c` (as convo_get shows it), and no takeover timer runs.
inline void expect_not_taken_over(const json &c) {
    EXPECT_EQ(c["human_takeover"], false) << c.dump();
    EXPECT_TRUE(c["human_takeover_until"].is_null()) << c.dump();
}

// `c` (as convo_get shows it) ended at `ended_ms` and waits for its wrap-up.
inline void expect_wrap_up_pending(const json &c, int64_t ended_ms) {
    EXPECT_EQ(c["ended_at"], iso(ended_ms)) << c.dump();
    EXPECT_EQ(c["wrap_up"], "pending") << c.dump();
    expect_not_taken_over(c);
    EXPECT_TRUE(c["expires_at"].is_null()) << "the wrap-up deadline closes nothing: " << c.dump();
}

// The finalized event the wrap-up timer of conversation `id` appended at its deadline.
inline void expect_wrap_up_event(const json &e, const std::string &id, int64_t deadline_ms) {
    EXPECT_EQ(e.value("type", ""), "finalized") << e.dump();
    EXPECT_EQ(e.value("conversation_id", ""), id) << e.dump();
    EXPECT_TRUE(e["from"].is_null() && e["to"].is_null() && e["reason"].is_null()) << e.dump();
    EXPECT_EQ(e["at"], iso(deadline_ms)) << "the deadline is the event time: " << e.dump();
    EXPECT_EQ(e["data"], (json{{"timer", "wrap_up"}})) << e.dump();
}

// `deadline` is the engine's next deadline, and exactly one timer is due at it: a tick a
// millisecond before fires nothing, a tick at it fires one. Leaves the clock at `deadline`.
inline void expect_fires_at(Engine &engine, int64_t deadline) {
    int64_t nd = 0;
    ASSERT_EQ(convo_next_deadline(engine.get(), &nd), CONVO_OK) << "nothing pending";
    EXPECT_EQ(iso(nd), iso(deadline)) << "the next deadline";
    ASSERT_LT(engine.now(), deadline);
    engine.set_clock(deadline - 1);
    EXPECT_EQ(engine.tick(), 0u) << "not one ms early";
    engine.set_clock(deadline);
    EXPECT_EQ(engine.tick(), 1u);
}

// Conversation `id` ended at `ended_ms`, and its wrap-up, `wrap_up_ms` later, is the engine's
// only pending deadline: nothing fires a millisecond before it; at it the wrap-up alone fires
// (wrap_up "done", the end kept, one finalized event); then nothing is pending and another
// tick fires nothing. Leaves the clock at the wrap-up deadline.
inline void expect_wraps_up_once(Engine &engine, convo_session *s, const std::string &id,
                                 int64_t ended_ms, int64_t wrap_up_ms = kWrapUp) {
    const int64_t deadline = ended_ms + wrap_up_ms;
    Call before = get(s, id);
    ASSERT_TRUE(before.ok()) << before.error;
    expect_wrap_up_pending(before.body, ended_ms);
    const uint64_t seq = feed_end(s);
    expect_fires_at(engine, deadline);
    Call after = get(s, id);
    ASSERT_TRUE(after.ok()) << after.error;
    EXPECT_EQ(after.body["wrap_up"], "done");
    for (const char *k :
         {"status", "end_reason", "ended_at", "started_at", "duration", "expires_at"})
        EXPECT_EQ(after.body[k], before.body[k]) << k;
    json f = feed(s, seq);
    ASSERT_EQ(f.size(), 1u) << f.dump();
    expect_wrap_up_event(f[0], id, deadline);
    int64_t nd = 0;
    EXPECT_EQ(convo_next_deadline(engine.get(), &nd), CONVO_ENOTFOUND)
        << "still pending: " << iso(nd);
    EXPECT_EQ(engine.tick(), 0u) << "fires once";
    EXPECT_EQ(feed(s, seq).size(), 1u);
}

}  // namespace lc
}  // namespace convo_test
