#include "verify.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

namespace crash {
namespace {

constexpr size_t kMaxFailures = 25;  // per trial; the first ones say what went wrong

bool is_timer_change(const json &e) {
    return e.at("type") == "status_changed" && e.at("data").contains("timer");
}

// Any event that is not a timer firing: the effect of a create or dispatched event itself.
bool has_effect(const std::vector<json> &events) {
    return std::any_of(events.begin(), events.end(),
                       [](const json &e) { return !is_timer_change(e); });
}

std::string short_id(const std::string &id) {
    return id.substr(0, 8);
}

std::string show_event(const json &e) {
    std::string s = "seq " + e.at("seq").dump() + " " + e.at("type").get<std::string>() + " of " +
                    short_id(e.at("conversation_id").get<std::string>());
    if (e.at("type") == "status_changed") {
        s += " " + e.at("from").get<std::string>() + "->" + e.at("to").get<std::string>() + " (" +
             e.at("data").dump() + ", reason " + e.at("reason").dump() + ")";
    }
    return s + " at " + e.at("at").get<std::string>();
}

std::string show_op(const json &op) {
    std::string s = "op " + op.value("k", json(0)).dump() + " " + op.value("op", std::string("?"));
    if (op.contains("id")) s += " " + short_id(op.at("id").get<std::string>());
    if (op.contains("req") && op.at("op") == "dispatch") s += " " + op.at("req").dump();
    if (op.contains("req") && op.at("op") == "create") {
        s += " " + op.at("req").value("channel", "") + " channel";
    }
    return s;
}

// Whether `events` are what operation `op` may have appended. "" if so, else why not.
std::string explain(const json &op, const std::vector<json> &events) {
    if (events.empty()) return "";
    const std::string kind = op.value("op", "");
    if (kind == "create") {
        const std::string id = op.at("id").get<std::string>();
        if (events[0].at("type") != "created" || events[0].at("conversation_id") != id) {
            return "a create of " + short_id(id) + " appended " + show_event(events[0]);
        }
        if (events.size() > 2) {
            return "a create appended " + std::to_string(events.size()) + " events";
        }
        if (events.size() == 2 &&
            (events[1].at("type") != "message" || events[1].at("conversation_id") != id ||
             events[1].at("data").at("role") != "agent")) {
            return "a create appended " + show_event(events[1]) + " after created";
        }
        return "";
    }
    if (kind == "dispatch") {
        const std::string id = op.at("id").get<std::string>();
        const std::string type = op.at("req").value("type", "");
        bool effect_seen = false;
        for (const json &e : events) {
            if (e.at("conversation_id") != id) {
                return "a dispatch to " + short_id(id) + " appended " + show_event(e);
            }
            if (is_timer_change(e)) {
                if (effect_seen) {
                    return "a timer fired after the event's own effect: " + show_event(e);
                }
                continue;
            }
            bool mine =
                (e.at("type") == "status_changed" && e.at("data").value("event", "") == type) ||
                (e.at("type") == "message" && type == "message") ||
                (e.at("type") == "annotated" && type == "annotate");
            if (!mine) return "a '" + type + "' event appended " + show_event(e);
            effect_seen = true;
        }
        return "";
    }
    if (kind == "tick") {
        for (const json &e : events) {
            if (!is_timer_change(e)) return "a tick appended " + show_event(e);
        }
        return "";
    }
    return "'" + kind + "' appended " + std::to_string(events.size()) + " events, first " +
           show_event(events[0]);
}

// A conversation as its feed events tell it.
struct Replayed {
    std::string org, channel, status;
    json end_reason = nullptr, started_at = nullptr, ended_at = nullptr;
    std::string updated_at;
    int64_t user_turns = 0;
    std::vector<json> messages;  // {role, text, at}
    int terminal_changes = 0;
};

// Replays the feed per conversation (created -> status_changed... -> messages), checking that
// each step follows the lifecycle table. Problems go to `problems`.
std::map<std::string, Replayed> replay(const std::vector<json> &feed, const Lifecycle &table,
                                       std::vector<std::string> *problems) {
    std::map<std::string, Replayed> out;
    for (const json &e : feed) {
        const std::string id = e.at("conversation_id").get<std::string>();
        const std::string type = e.at("type").get<std::string>();
        const std::string at = e.at("at").get<std::string>();
        auto it = out.find(id);
        if (type == "created") {
            if (it != out.end()) {
                problems->push_back("conversation " + short_id(id) +
                                    " has a second created event: " + show_event(e));
                continue;
            }
            Replayed r;
            r.org = e.at("organization_id").get<std::string>();
            r.channel = e.at("data").at("channel").get<std::string>();
            r.status = e.at("to").get<std::string>();
            r.updated_at = at;
            if (r.status == "in_progress") r.started_at = at;
            out[id] = std::move(r);
            continue;
        }
        if (it == out.end()) {
            problems->push_back("feed event before the conversation's created event: " +
                                show_event(e));
            continue;
        }
        Replayed &r = it->second;
        if (at < r.updated_at) problems->push_back("feed runs backwards in time: " + show_event(e));
        r.updated_at = at;
        if (e.at("organization_id") != r.org) {
            problems->push_back("organization changed: " + show_event(e));
        }
        if (type == "status_changed") {
            const std::string from = e.at("from").get<std::string>(),
                              to = e.at("to").get<std::string>();
            if (from != r.status) {
                problems->push_back("status_changed from " + from + " but the replayed status is " +
                                    r.status + ": " + show_event(e));
            }
            if (table.is_terminal(r.status)) {
                problems->push_back("a closed conversation changed status again (fired twice?): " +
                                    show_event(e));
            }
            const json &data = e.at("data");
            if (data.contains("timer")) {
                auto t = table.timers.find(data.at("timer").get<std::string>());
                if (t == table.timers.end() || t->second.fires.count(from) == 0 ||
                    t->second.fires.at(from) != to || e.at("reason") != t->second.end_reason) {
                    problems->push_back("timer firing not in the lifecycle table: " +
                                        show_event(e));
                }
            } else {
                auto m = table.moves.find({data.value("event", ""), from, r.channel});
                if (m == table.moves.end() || m->second != to) {
                    problems->push_back("transition not in the lifecycle table for channel " +
                                        r.channel + ": " + show_event(e));
                }
            }
            r.status = to;
            if (to == "in_progress" && r.started_at.is_null()) r.started_at = at;
            if (table.is_terminal(to)) {
                r.end_reason = e.at("reason");
                r.ended_at = at;
                ++r.terminal_changes;
            }
        } else if (type == "message") {
            if (r.status != "in_progress") {
                problems->push_back("message while " + r.status + ": " + show_event(e));
            }
            const json &data = e.at("data");
            if (data.at("role") == "user") ++r.user_turns;
            r.messages.push_back(
                json{{"role", data.at("role")}, {"text", data.value("text", json())}, {"at", at}});
        } else if (type != "annotated") {
            problems->push_back("unknown feed event type: " + show_event(e));
        }
    }
    return out;
}

// "status: acknowledged X, found Y; ..." for the fields that differ.
std::string diff_states(const json &want, const json &got) {
    std::string out;
    for (auto it = want.begin(); it != want.end(); ++it) {
        if (it.key() == "fp") continue;
        json found = got.contains(it.key()) ? got.at(it.key()) : json();
        if (found != it.value()) {
            out += (out.empty() ? "" : "; ") + it.key() + ": acknowledged " + it.value().dump() +
                   ", found " + found.dump();
        }
    }
    return out.empty() ? "fields outside the summary differ (fingerprint " + want.value("fp", "") +
                             " vs " + got.value("fp", "") + ")"
                       : out;
}

class Checker {
public:
    explicit Checker(const TrialRecord &r) : r_(r) {}

    Verdict run() {
        build_model();
        if (open()) {
            check_feed_and_conversations();
            check_agents();
            check_deadlines_and_tick();
            check_idempotent_replays();
        }
        for (convo_session *s : sessions_) convo_session_close(s);
        convo_engine_close(engine_);
        return v_;
    }

private:
    struct Expected {
        std::string org;       // "a" | "b"
        json state;            // the last acknowledged conversation_state(), null if none
        uint64_t k = 0;        // the acknowledgement it came from
        bool created = false;  // an acknowledged create made (or repeated) it
        json request;
        int http = 0;
        std::string resp_fp;
    };
    struct Applied {
        std::string org, id;
        json body;
    };
    struct Stored {
        std::string org;
        json conversation;
    };

    void fail(const std::string &what) {
        if (v_.failures.size() < kMaxFailures) v_.failures.push_back(what);
    }

    convo_session *session(const std::string &org) { return sessions_[org == "a" ? 0 : 1]; }
    static std::string short_org(const std::string &organization_id) {
        return organization_id == kOrgA ? "a" : "b";
    }

    // ---- what the child acknowledged -----------------------------------------------------------
    void build_model() {
        uint64_t expect_k = 1;
        for (const json &ack : r_.acks) {
            const uint64_t k = ack.at("k").get<uint64_t>();
            if (k != expect_k) {
                fail("acknowledgements skip from op " + std::to_string(expect_k) + " to " +
                     std::to_string(k));
            }
            expect_k = k + 1;
            last_k_ = k;
            const std::string op = ack.at("op").get<std::string>();
            const std::string rc = ack.value("rc", "");
            if (op == "fatal") {
                fail("the child stopped: " + ack.value("err", ""));
                continue;
            }
            if (ack.at("clock").get<int64_t>() > 0) last_clock_ = ack.at("clock").get<int64_t>();
            if (op == "done") continue;
            ++v_.acked_ops;

            const std::string expect = ack.value("expect", op == "dispatch" ? "" : "CONVO_OK");
            if (!expect.empty() && rc != expect) {
                fail(show_op(ack) + " returned " + rc + " (" + ack.value("err", "") +
                     "), expected " + expect);
            } else if (expect.empty() && rc != "CONVO_OK" && rc != "CONVO_ECONFLICT") {
                fail(show_op(ack) + " returned " + rc + ": " + ack.value("err", ""));
            }

            std::vector<json> events = ack.at("events").get<std::vector<json>>();
            for (const json &e : events) {
                if (e.at("seq").get<uint64_t>() != acked_events_.size() + 1) {
                    fail(show_op(ack) + ": the subscriber saw seq " + e.at("seq").dump() +
                         " after seq " + std::to_string(acked_events_.size()));
                }
                acked_events_.push_back(e);
                Expected &x = convs_[e.at("conversation_id").get<std::string>()];
                if (x.org.empty()) x.org = short_org(e.at("organization_id").get<std::string>());
            }
            std::string why = explain(ack, events);
            if (!why.empty()) fail(show_op(ack) + " (acknowledged): " + why);

            if (op == "create") model_create(ack, events, rc);
            if (op == "dispatch") model_dispatch(ack, events, rc);
            if (op == "tick" && ack.at("fired").get<size_t>() != events.size()) {
                fail(show_op(ack) + ": convo_tick reported " + ack.at("fired").dump() +
                     " fired, the feed got " + std::to_string(events.size()) + " events");
            }
            if (op == "agent_put" && rc == "CONVO_OK") {
                agents_.insert(
                    {ack.at("org").get<std::string>(), ack.at("req").at("id").get<std::string>()});
            }
            const json &states = ack.contains("states") ? ack.at("states") : json::object();
            for (auto it = states.begin(); it != states.end(); ++it) {
                if (it.value().contains("error")) {
                    fail(show_op(ack) + ": convo_get(" + short_id(it.key()) +
                         ") right after it: " + it.value().at("error").get<std::string>());
                    continue;
                }
                Expected &x = convs_[it.key()];
                if (x.org.empty()) x.org = ack.value("org", "");
                x.state = it.value();
                x.k = k;
            }
        }
        // The child's acknowledged states must agree with the acknowledged feed.
        std::vector<std::string> problems;
        std::map<std::string, Replayed> replayed =
            replay(acked_events_, table_for_model(), &problems);
        for (const std::string &p : problems) fail("acknowledged feed: " + p);
        for (const auto &[id, x] : convs_) {
            auto it = replayed.find(id);
            if (x.state.is_null() || it == replayed.end()) continue;
            compare_replay(id, it->second, x.state,
                           "acknowledged state (op " + std::to_string(x.k) + ")");
        }
    }

    // The model needs the table before the reopen; the child used the same library.
    const Lifecycle &table_for_model() {
        if (table_.statuses.empty()) {
            convo_engine *e = nullptr;
            if (convo_engine_open("{\"path\":\":memory:\",\"clock\":\"manual\"}", &e) == CONVO_OK) {
                std::string error;
                table_.load(e, &error);
                convo_engine_close(e);
            }
        }
        return table_;
    }

    void model_create(const json &ack, const std::vector<json> &events, const std::string &rc) {
        const std::string id = ack.at("id").get<std::string>();
        if (rc != "CONVO_OK") {
            if (!events.empty()) fail(show_op(ack) + " failed with " + rc + " but appended events");
            return;
        }
        Expected &x = convs_[id];
        const bool telephone = ack.at("req").at("channel") == "telephone";
        if (ack.at("http").get<int>() != (telephone ? 202 : 200)) {
            fail(show_op(ack) + " answered HTTP " + ack.at("http").dump());
        }
        if (x.created) {
            if (!events.empty()) fail(show_op(ack) + ": a repeated client id appended events");
            if (ack.at("resp_fp") != x.resp_fp) {
                fail(show_op(ack) + ": a repeated client id answered differently");
            }
            return;
        }
        if (events.empty()) fail(show_op(ack) + ": a new conversation appended no created event");
        x.created = true;
        x.org = ack.at("org").get<std::string>();
        x.request = ack.at("req");
        x.http = ack.at("http").get<int>();
        x.resp_fp = ack.at("resp_fp").get<std::string>();
    }

    void model_dispatch(const json &ack, const std::vector<json> &events, const std::string &rc) {
        const std::string id = ack.at("id").get<std::string>();
        if (rc == "CONVO_OK") {
            if (ack.at("duplicate").get<bool>()) {
                if (!events.empty()) fail(show_op(ack) + ": a repeated event_id appended events");
            } else if (!has_effect(events)) {
                fail(show_op(ack) + " was accepted but appended nothing of its own");
            }
            if (ack.at("req").contains("event_id")) {
                applied_.push_back(Applied{ack.at("org").get<std::string>(), id, ack.at("req")});
            }
            const json &states = ack.at("states");
            if (!states.contains(id) || states.at(id).value("fp", "") != ack.at("ret_fp")) {
                fail(show_op(ack) +
                     ": the conversation convo_dispatch returned differs from convo_get's right "
                     "after");
            }
        } else {
            if (has_effect(events)) fail(show_op(ack) + " failed with " + rc + " but has effects");
            if (rc != "CONVO_ECONFLICT" && !events.empty()) {
                fail(show_op(ack) + " failed with " + rc + " but appended events");
            }
        }
    }

    void compare_replay(const std::string &id, const Replayed &r, const json &state,
                        const std::string &what) {
        std::string diff;
        auto field = [&](const char *name, const json &replayed) {
            if (state.at(name) != replayed) {
                diff += std::string(diff.empty() ? "" : "; ") + name + ": " + what + " " +
                        state.at(name).dump() + ", feed replay " + replayed.dump();
            }
        };
        field("status", r.status);
        field("end_reason", r.end_reason);
        field("user_turn_count", r.user_turns);
        field("messages", r.messages.size());
        field("updated_at", r.updated_at);
        field("started_at", r.started_at);
        field("ended_at", r.ended_at);
        if (!diff.empty()) fail("conversation " + short_id(id) + ": " + diff);
    }

    // ---- the reopened database
    // -------------------------------------------------------------------
    bool open() {
        const std::string start = last_clock_ > 0 ? format_time(last_clock_) : kStart;
        convo_code rc = convo_engine_open(engine_options(r_.db_path, start).c_str(), &engine_);
        if (rc != CONVO_OK) {
            fail(std::string("reopening the database: ") + convo_code_name(rc) + ": " +
                 convo_last_error());
            engine_ = nullptr;
            return false;
        }
        std::string error;
        Lifecycle fresh;
        if (!fresh.load(engine_, &error)) {
            fail(error);
            return false;
        }
        table_ = std::move(fresh);
        if (convo_session_open(engine_, kOrgA, kAllScopes, &sessions_[0]) != CONVO_OK ||
            convo_session_open(engine_, kOrgB, kAllScopes, &sessions_[1]) != CONVO_OK) {
            fail(std::string("convo_session_open: ") + convo_last_error());
            return false;
        }
        return true;
    }

    // The whole feed after `after`, both organizations merged in seq order.
    bool feed_after(uint64_t after, std::vector<json> *out) {
        out->clear();
        for (const char *org : {"a", "b"}) {
            std::vector<json> part;
            std::string error;
            if (!read_feed(session(org), after, &part, &error)) {
                fail(error);
                return false;
            }
            for (json &e : part) {
                if (e.at("organization_id") != org_name(org)) {
                    fail(std::string("organization ") + org_name(org) + "'s feed holds " +
                         show_event(e) + " of " + e.at("organization_id").get<std::string>());
                }
                out->push_back(std::move(e));
            }
        }
        std::sort(out->begin(), out->end(), [](const json &a, const json &b) {
            return a.at("seq").get<uint64_t>() < b.at("seq").get<uint64_t>();
        });
        for (size_t i = 0; i < out->size(); ++i) {
            uint64_t want = after + i + 1;
            if ((*out)[i].at("seq").get<uint64_t>() != want) {
                fail("the feed is not gapless: expected seq " + std::to_string(want) + ", found " +
                     show_event((*out)[i]));
                return false;
            }
        }
        return true;
    }

    void check_feed_and_conversations() {
        if (!feed_after(0, &feed_)) return;
        feed_ok_ = true;
        v_.feed_events = feed_.size();
        const size_t n = feed_.size(), k = acked_events_.size();
        if (n < k) {
            fail("acknowledged feed events lost: the feed ends at seq " + std::to_string(n) +
                 ", the child was acknowledged up to seq " + std::to_string(k) +
                 " (first lost: " + show_event(acked_events_[n]) + ")");
        }
        int shown = 0;
        for (size_t i = 0; i < std::min(n, k) && shown < 3; ++i) {
            if (feed_[i] != acked_events_[i]) {
                fail("feed seq " + std::to_string(i + 1) + " differs: acknowledged " +
                     acked_events_[i].dump() + ", found " + feed_[i].dump());
                ++shown;
            }
        }
        const json &in_flight = r_.in_flight;
        std::vector<json> extra;
        if (n > k) extra.assign(feed_.begin() + static_cast<long>(k), feed_.end());
        if (!extra.empty()) {
            if (in_flight.is_null()) {
                fail(std::to_string(extra.size()) +
                     " feed events beyond the last acknowledged seq " + std::to_string(k) +
                     " with no operation in flight, first " + show_event(extra[0]));
            } else {
                std::string why = explain(in_flight, extra);
                if (!why.empty()) fail("unacknowledged " + show_op(in_flight) + ": " + why);
            }
        }
        const std::string kind = in_flight.is_null() ? "" : in_flight.value("op", "");
        v_.killed_in_write =
            r_.in_main_call && (kind == "open" || kind == "agent_put" || kind == "create" ||
                                kind == "dispatch" || kind == "tick");
        v_.committed_unacknowledged = !extra.empty();
        extra_ = extra;

        // The conversations as stored.
        for (const char *org : {"a", "b"}) {
            std::vector<json> items;
            std::string error;
            if (!read_all_conversations(session(org), &items, &error)) {
                fail(error);
                return;
            }
            for (const json &item : items) {
                const std::string id = item.at("id").get<std::string>();
                if (db_.count(id) != 0) fail("convo_list returned " + short_id(id) + " twice");
                Call c = get(session(org), id);
                if (!c.ok()) {
                    fail("convo_get(" + short_id(id) +
                         ") after reopen: " + convo_code_name(c.code) + ": " + c.error);
                    continue;
                }
                db_[id] = Stored{org, c.body};
            }
        }
        v_.conversations = db_.size();

        // Acknowledged conversations are all there; nothing else is, but the in-flight create.
        for (const auto &[id, x] : convs_) {
            if (x.state.is_null() && !x.created) continue;
            auto it = db_.find(id);
            if (it == db_.end()) {
                fail("acknowledged conversation " + short_id(id) + " (last acknowledged by op " +
                     std::to_string(x.k) + ": " + x.state.dump() + ") is missing after reopen");
            } else if (it->second.org != x.org) {
                fail("conversation " + short_id(id) + " moved from organization " + x.org + " to " +
                     it->second.org);
            }
        }
        for (const auto &[id, stored] : db_) {
            auto it = convs_.find(id);
            if (it != convs_.end() && (!it->second.state.is_null() || it->second.created)) continue;
            bool explained =
                kind == "create" && in_flight.at("id") == id && in_flight.at("org") == stored.org;
            if (!explained) {
                fail("conversation " + short_id(id) + " exists (" +
                     stored.conversation.at("status").get<std::string>() +
                     ") but no acknowledged or in-flight create made it");
            }
        }

        // Replaying the feed reproduces every conversation; every event's conversation exists.
        std::vector<std::string> problems;
        std::map<std::string, Replayed> replayed = replay(feed_, table_, &problems);
        for (const std::string &p : problems) fail("feed: " + p);
        std::set<std::string> touched;
        for (const json &e : extra) touched.insert(e.at("conversation_id").get<std::string>());
        for (const auto &[id, r] : replayed) {
            auto it = db_.find(id);
            if (it == db_.end()) {
                fail("the feed has events of " + short_id(id) +
                     ", which does not exist (half-applied)");
                continue;
            }
            if (r.terminal_changes > 1) {
                fail("conversation " + short_id(id) + " closed " +
                     std::to_string(r.terminal_changes) + " times");
            }
            const json &c = it->second.conversation;
            json state = conversation_state(c);
            compare_replay(id, r, state, "stored");
            json messages = json::array();
            for (const json &m : c.at("conversation").at("messages")) messages.push_back(m);
            if (messages != json(r.messages)) {
                fail("conversation " + short_id(id) + ": transcript " + messages.dump() +
                     " differs from the feed's messages " + json(r.messages).dump());
            }
            if (touched.count(id) != 0) continue;  // the in-flight operation may have moved it on
            auto x = convs_.find(id);
            if (x != convs_.end() && !x->second.state.is_null() &&
                x->second.state.at("fp") != state.at("fp")) {
                fail("conversation " + short_id(id) + " differs from its acknowledged state (op " +
                     std::to_string(x->second.k) + "): " + diff_states(x->second.state, state));
            }
        }
        for (const auto &[id, stored] : db_) {
            if (replayed.count(id) == 0) {
                fail("conversation " + short_id(id) + " has no feed events (half-applied)");
            }
        }
    }

    void check_agents() {
        for (const auto &[org, id] : agents_) {
            Call c = agent_get(session(org), id);
            if (!c.ok()) {
                fail("acknowledged agent " + org + "/" + id +
                     " is missing: " + convo_code_name(c.code));
            }
        }
        const json &f = r_.in_flight;
        if (!f.is_null() && f.value("op", "") == "agent_put") {
            const std::string org = f.at("org").get<std::string>(),
                              id = f.at("req").at("id").get<std::string>();
            if (agents_.count({org, id}) == 0 && agent_get(session(org), id).ok()) {
                v_.committed_unacknowledged = true;
            }
        }
    }

    // Every open conversation keeps its deadline; past all of them one tick fires each once, at
    // its own deadline, and a second tick fires nothing.
    void check_deadlines_and_tick() {
        if (!feed_ok_) return;
        std::map<std::string, std::pair<std::string, std::string>>
            open;  // id -> (status, expires_at)
        int64_t earliest = INT64_MAX, latest = 0;
        for (const auto &[id, stored] : db_) {
            const json &c = stored.conversation;
            const std::string status = c.at("status").get<std::string>();
            if (table_.is_terminal(status)) {
                if (!c.at("expires_at").is_null()) {
                    fail("closed conversation " + short_id(id) + " still has a deadline");
                }
                continue;
            }
            if (c.at("expires_at").is_null()) {
                fail("open conversation " + short_id(id) + " (" + status + ") lost its deadline");
                continue;
            }
            const std::string expires = c.at("expires_at").get<std::string>();
            open[id] = {status, expires};
            earliest = std::min(earliest, parse_time(expires));
            latest = std::max(latest, parse_time(expires));
        }
        int64_t next = 0;
        convo_code rc = convo_next_deadline(engine_, &next);
        if (open.empty() && rc != CONVO_ENOTFOUND) {
            fail(std::string("no open conversation, but convo_next_deadline gives ") +
                 convo_code_name(rc) + " " + format_time(next));
        } else if (!open.empty() && (rc != CONVO_OK || next != earliest)) {
            fail(std::string("convo_next_deadline: ") + convo_code_name(rc) + " " +
                 format_time(next) + ", earliest expires_at " + format_time(earliest));
        }

        int64_t now = 0;
        convo_clock_now(engine_, &now);
        if (convo_clock_set(engine_, std::max(now, latest) + 3600 * 1000) != CONVO_OK) {
            fail(std::string("convo_clock_set: ") + convo_last_error());
            return;
        }
        unsigned fired = 0;
        if (convo_tick(engine_, &fired) != CONVO_OK) {
            fail(std::string("convo_tick after reopen: ") + convo_last_error());
            return;
        }
        v_.timers_fired = fired;
        if (fired != open.size()) {
            fail("the tick after reopen fired " + std::to_string(fired) + " timers for " +
                 std::to_string(open.size()) + " open conversations");
        }
        std::vector<json> fires;
        if (!feed_after(feed_.size(), &fires)) return;
        std::map<std::string, int> per_conversation;
        for (const json &e : fires) {
            const std::string id = e.at("conversation_id").get<std::string>();
            auto it = open.find(id);
            if (it == open.end() || !is_timer_change(e)) {
                fail("the tick after reopen appended " + show_event(e) +
                     ", not a timer of an open conversation");
                continue;
            }
            if (++per_conversation[id] > 1) {
                fail("a timer of " + short_id(id) + " fired twice: " + show_event(e));
            }
            if (e.at("at") != it->second.second) {
                fail("overdue timer of " + short_id(id) + " fired at " +
                     e.at("at").get<std::string>() + ", its deadline was " + it->second.second);
            }
            if (e.at("from") != it->second.first) {
                fail("timer of " + short_id(id) + " fired from " + e.at("from").dump() +
                     ", stored status " + it->second.first);
            }
            Call c = get(session(db_.at(id).org), id);
            if (!c.ok() || c.body.at("status") != e.at("to") ||
                c.body.at("end_reason") != e.at("reason") || !c.body.at("expires_at").is_null() ||
                c.body.at("ended_at") != e.at("at")) {
                fail("after its timer fired, " + short_id(id) + " reads " + c.body.dump());
            }
        }
        for (const auto &[id, st] : open) {
            if (per_conversation.count(id) == 0) {
                fail("overdue timer of " + short_id(id) + " (" + st.second + ") did not fire");
            }
        }
        unsigned again = 0;
        convo_tick(engine_, &again);
        std::vector<json> more;
        feed_after(feed_.size() + fires.size(), &more);
        if (again != 0 || !more.empty()) {
            fail("a second tick fired " + std::to_string(again) + " timers and appended " +
                 std::to_string(more.size()) + " events");
        }
        if (convo_next_deadline(engine_, &next) != CONVO_ENOTFOUND) {
            fail("a deadline is still pending after every conversation closed: " +
                 format_time(next));
        }
        feed_end_ = feed_.size() + fires.size() + more.size();
        tick_done_ = true;
    }

    // Acknowledged creates and event ids, sent again, are answered from what was stored and
    // append nothing; the in-flight event's id is recorded exactly when its effects are.
    void check_idempotent_replays() {
        if (!tick_done_) return;  // the feed could not be read: already a failure
        for (const auto &[id, x] : convs_) {
            if (!x.created) continue;
            Call c = create(session(x.org), x.request);
            ++v_.idempotent_replays;
            if (!c.ok() || c.http != x.http || fingerprint_text(c.body.dump()) != x.resp_fp) {
                fail("repeating the acknowledged create of " + short_id(id) + " gave " +
                     convo_code_name(c.code) + " HTTP " + std::to_string(c.http) + " " +
                     c.body.dump() + " (" + c.error + ")");
            }
        }
        const json &f = r_.in_flight;
        const std::string kind = f.is_null() ? "" : f.value("op", "");
        if (kind == "create" && db_.count(f.at("id").get<std::string>()) != 0 &&
            !convs_[f.at("id").get<std::string>()].created) {
            Call c = create(session(f.at("org").get<std::string>()), f.at("req"));
            if (!c.ok()) {
                fail("repeating the in-flight create that committed gave " +
                     std::string(convo_code_name(c.code)));
            }
        }
        for (const Applied &a : applied_) {
            Call c = dispatch(session(a.org), a.id, a.body);
            ++v_.idempotent_replays;
            if (!c.ok()) {
                fail("repeating acknowledged event " + a.body.dump() + " on " + short_id(a.id) +
                     " gave " + convo_code_name(c.code) + ": " + c.error);
            }
        }
        std::vector<json> appended;
        if (!feed_after(feed_end_, &appended)) return;
        if (!appended.empty()) {
            fail("repeating acknowledged creates and event ids appended " +
                 std::to_string(appended.size()) + " events, first " + show_event(appended[0]));
            return;
        }
        if (kind != "dispatch" || !f.at("req").contains("event_id")) return;
        const std::string id = f.at("id").get<std::string>(), org = f.at("org").get<std::string>();
        auto stored = db_.find(id);
        if (stored == db_.end() || stored->second.org != org) return;
        bool seen_before = std::any_of(applied_.begin(), applied_.end(), [&](const Applied &a) {
            return a.id == id && a.body.at("event_id") == f.at("req").at("event_id");
        });
        bool committed = has_effect(extra_);
        Call c = dispatch(session(org), id, f.at("req"));
        feed_after(feed_end_, &appended);
        if (committed || seen_before) {
            if (!c.ok() || !appended.empty()) {
                fail("the in-flight event committed, but repeating its event_id gave " +
                     std::string(convo_code_name(c.code)) + " and appended " +
                     std::to_string(appended.size()) +
                     " events: its event_id was not recorded with it");
            }
        } else if (c.ok() && appended.empty()) {
            fail(
                "the in-flight event did not commit, but its event_id was recorded (half-applied)");
        }
    }

    const TrialRecord &r_;
    Verdict v_;
    Lifecycle table_;
    std::map<std::string, Expected> convs_;
    std::vector<json> acked_events_;
    std::vector<Applied> applied_;
    std::set<std::pair<std::string, std::string>> agents_;
    int64_t last_clock_ = 0;
    uint64_t last_k_ = 0;

    convo_engine *engine_ = nullptr;
    convo_session *sessions_[2] = {nullptr, nullptr};
    std::vector<json> feed_, extra_;
    size_t feed_end_ = 0;
    bool feed_ok_ = false, tick_done_ = false;
    std::map<std::string, Stored> db_;
};

}  // namespace

Verdict verify(const TrialRecord &record) {
    return Checker(record).run();
}

}  // namespace crash
