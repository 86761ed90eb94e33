#include "verify.h"

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "feed_replay.h"

namespace crash {
namespace {


// Any event that is not a timer firing: the effect of a create or dispatched event itself.
bool has_effect(const std::vector<json> &events) {
    return std::any_of(events.begin(), events.end(),
                       [](const json &e) { return !is_timer_event(e); });
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

bool is_chat(const std::string &channel) {
    return channel == "text" || channel == "sms" || channel == "whatsapp";
}

// Whether feed event `e` (not a timer's) is what a dispatched event of `type` itself appends.
bool own_effect(const json &e, const std::string &type) {
    const std::string kind = e.at("type").get<std::string>();
    const json &data = e.at("data");
    if (kind == "status_changed") return data.value("event", "") == type;
    if (kind == "annotated") return type == "annotate" || type == "finalize";
    if (kind == "handback") return type == "handback" && data == json{{"by", "handback"}};
    if (kind == "finalized") return type == "finalize";
    return (kind == "message" || kind == "takeover") && kind == type;
}

// Whether `events` are what a create with request op["req"] may have appended: its `created`,
// then its seed messages in order, then at most its opener (the template it names, or on a
// chat channel the agent's greeting), all at the time it was created.
std::string explain_create(const json &op, const std::vector<json> &events) {
    const std::string id = op.at("id").get<std::string>();
    if (events[0].at("type") != "created" || events[0].at("conversation_id") != id) {
        return "a create of " + short_id(id) + " appended " + show_event(events[0]);
    }
    const json &req = op.at("req");
    const json seeds = req.value("messages", json::array());
    const bool with_template = req.contains("message");
    const size_t least = 1 + seeds.size() + (with_template ? 1 : 0);
    const size_t most = 1 + seeds.size() + (with_template || is_chat(req.at("channel")) ? 1 : 0);
    if (events.size() < least || events.size() > most) {
        return "a create appended " + std::to_string(events.size()) + " events, its request calls for " +
               std::to_string(least) + " to " + std::to_string(most);
    }
    for (size_t i = 1; i < events.size(); ++i) {
        const json &e = events[i];
        const json &data = e.at("data");
        bool fits = e.at("type") == "message" && e.at("conversation_id") == id &&
                    e.at("at") == events[0].at("at");
        if (i <= seeds.size()) {
            fits = fits && data == json{{"role", seeds[i - 1].at("role")}, {"text", seeds[i - 1].at("text")}};
        } else if (with_template) {
            fits = fits && data == json{{"role", "agent"}, {"template", req.at("message").at("template")}};
        } else {
            fits = fits && data.at("role") == "agent" && data.at("text").is_string();
        }
        if (!fits) return "a create appended " + show_event(e) + " as message " + std::to_string(i);
    }
    return "";
}

// Whether `events` are what operation `op` may have appended. "" if so, else why not.
std::string explain(const json &op, const std::vector<json> &events) {
    if (events.empty()) return "";
    const std::string kind = op.value("op", "");
    if (kind == "create") return explain_create(op, events);
    if (kind == "dispatch") {
        const std::string id = op.at("id").get<std::string>();
        const std::string type = op.at("req").value("type", "");
        bool effect_seen = false;
        for (const json &e : events) {
            if (e.at("conversation_id") != id) {
                return "a dispatch to " + short_id(id) + " appended " + show_event(e);
            }
            if (is_timer_event(e)) {
                if (effect_seen) {
                    return "a timer fired after the event's own effect: " + show_event(e);
                }
                continue;
            }
            if (!own_effect(e, type)) return "a '" + type + "' event appended " + show_event(e);
            effect_seen = true;
        }
        return "";
    }
    if (kind == "tick") {
        for (const json &e : events) {
            if (!is_timer_event(e)) return "a tick appended " + show_event(e);
        }
        return "";
    }
    return "'" + kind + "' appended " + std::to_string(events.size()) + " events, first " +
           show_event(events[0]);
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

// When a dispatched event takes effect (the engine's rule): its `at` when that lies between
// the conversation's last change and now, else now.
int64_t event_time(const json &req, const json &state, int64_t now) {
    const int64_t last = parse_time(state.at("updated_at").get<std::string>());
    int64_t t = now;
    if (req.contains("at")) {
        const int64_t at = parse_time(req.at("at").get<std::string>());
        if (at >= last && at <= now) t = at;
    }
    return std::max(t, last);
}

// A timer a stored conversation still has: when it must fire and the feed event it appends.
struct Due {
    int64_t at;
    std::string type;  // handback, status_changed, finalized
};

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

    void fail(const std::string &what) { v_.fail(what); }
    void fail_all(std::vector<std::string> *problems, const std::string &where) {
        v_.fail_all(problems, where);
    }

    convo_session *session(const std::string &org) { return sessions_[org == "a" ? 0 : 1]; }
    static std::string short_org(const std::string &organization_id) {
        return organization_id == kOrgA ? "a" : "b";
    }

    // ---- what the child acknowledged -----------------------------------------------------------
    void build_model() {
        model_ = std::make_unique<Replay>(table_for_model(), context_);
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

            const std::string expect = expected_code(ack);
            if (!expect.empty() && rc != expect) {
                fail(show_op(ack) + " returned " + rc + " (" + ack.value("err", "") +
                     "), expected " + expect);
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
            model_->apply_all(events);  // after the checks above, which ask for the state before
            if (op == "tick" && ack.at("fired").get<size_t>() != events.size()) {
                fail(show_op(ack) + ": convo_tick reported " + ack.at("fired").dump() +
                     " fired, the feed got " + std::to_string(events.size()) + " events");
            }
            if (op == "agent_put" && rc == "CONVO_OK") model_agent(ack);
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
        fail_all(&model_->problems, "acknowledged feed: ");
        for (const auto &[id, x] : convs_) {
            const Replayed *r = model_->find(id);
            if (x.state.is_null() || r == nullptr) continue;
            compare_replay(id, *r, x.state, "acknowledged state (op " + std::to_string(x.k) + ")");
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

    // The code an acknowledged operation must have returned; "" for a new dispatch, whose code
    // model_dispatch() derives from the rules.
    std::string expected_code(const json &ack) {
        const std::string op = ack.at("op").get<std::string>();
        if (ack.contains("expect")) return ack.at("expect").get<std::string>();
        if (op == "dispatch") return ack.at("duplicate").get<bool>() ? "CONVO_OK" : "";
        if (op != "create") return "CONVO_OK";
        // An outbound WhatsApp conversation needs the contact's window open, or a template.
        const json &req = ack.at("req");
        auto known = convs_.find(req.at("id").get<std::string>());
        if (req.at("channel") != "whatsapp" || req.value("direction", "outbound") != "outbound" ||
            req.contains("message") || (known != convs_.end() && known->second.created)) {
            return "CONVO_OK";
        }
        return model_->window_open(contact_of(ack.at("org").get<std::string>(), req),
                                   ack.at("clock").get<int64_t>())
                   ? "CONVO_OK"
                   : "CONVO_EPRECONDITION";
    }

    void model_agent(const json &ack) {
        const std::string org = ack.at("org").get<std::string>();
        const std::string id = ack.at("req").at("id").get<std::string>();
        agents_.insert({org, id});
        agent_phone_[{org, id}] = ack.at("req").value("phone_number", json());
        for (const json &v : ack.value("version_ids", json::array())) {
            version_agent_[{org, v.get<std::string>()}] = id;
        }
    }

    // The business number a create request gives an sms or whatsapp conversation: its
    // from_number, else its agent's phone number; null on other channels or without either.
    json from_number_of(const std::string &org, const json &req) const {
        const std::string channel = req.at("channel").get<std::string>();
        if (channel != "sms" && channel != "whatsapp") return nullptr;
        if (req.contains("from_number")) return req.at("from_number");
        std::string agent = req.value("agent_id", "");
        if (req.contains("agent_version_id")) {
            auto v = version_agent_.find({org, req.at("agent_version_id").get<std::string>()});
            agent = v != version_agent_.end() ? v->second : "";
        }
        auto a = agent_phone_.find({org, agent});
        return a != agent_phone_.end() ? a->second : json();
    }
    std::string contact_of(const std::string &org, const json &req) const {
        return contact_key(org_name(org), from_number_of(org, req), req.at("user_id").get<std::string>());
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
        context_.openers[id] = events.empty() ? 0 : events.size() - 1;
        if (x.request.at("channel") == "whatsapp") context_.contacts[id] = contact_of(x.org, x.request);
    }

    void model_dispatch(const json &ack, const std::vector<json> &events, const std::string &rc) {
        const std::string id = ack.at("id").get<std::string>();
        const bool duplicate = ack.at("duplicate").get<bool>();
        const bool effect = has_effect(events);
        if (rc == "CONVO_OK") {
            if (duplicate) {
                if (!events.empty()) fail(show_op(ack) + ": a repeated event_id appended events");
            } else if (!effect) {
                check_noop(ack, events);
            }
            if (ack.at("req").contains("event_id")) {  // a no-op's too: a retry stays a no-op
                applied_.push_back(Applied{ack.at("org").get<std::string>(), id, ack.at("req")});
            }
            const json &states = ack.at("states");
            if (!states.contains(id) || states.at(id).value("fp", "") != ack.at("ret_fp")) {
                fail(show_op(ack) +
                     ": the conversation convo_dispatch returned differs from convo_get's right "
                     "after");
            }
        } else {
            if (effect) fail(show_op(ack) + " failed with " + rc + " but has effects");
            if (rc != "CONVO_ECONFLICT" && rc != "CONVO_EPRECONDITION" && !events.empty()) {
                fail(show_op(ack) + " failed with " + rc + " but appended events");
            }
        }
        if (!duplicate && !ack.contains("expect")) check_rules(ack, events, rc);
    }

    // An accepted event that appended nothing of its own must have had nothing to do, and
    // then it changed nothing at all, not even updated_at (beyond the timers that fired first).
    void check_noop(const json &ack, const std::vector<json> &events) {
        const std::string id = ack.at("id").get<std::string>();
        const json &states = ack.at("states");
        if (!states.contains(id) || states.at(id).contains("error")) return;  // failed already
        const json &after = states.at(id);
        if (!is_noop(ack.at("req"), after, table_.is_terminal(after.at("status").get<std::string>()))) {
            fail(show_op(ack) + " was accepted but appended nothing of its own (" +
                 after.at("status").get<std::string>() + ", human_takeover " +
                 after.at("human_takeover").dump() + ", wrap_up " + after.at("wrap_up").dump() + ")");
            return;
        }
        const json &before = convs_[id].state;
        if (events.empty() && !before.is_null() && before.at("fp") != after.at("fp")) {
            fail(show_op(ack) + ": a no-op changed the conversation: " + diff_states(before, after));
        }
    }

    // The code the rules give a dispatched event: the table's verdict in the status it met
    // (after the overdue timers), then a message's two rules at the time it took effect: no
    // agent while a human has taken over (409), no free-form business message on WhatsApp while
    // the contact's window is closed (412).
    void check_rules(const json &ack, const std::vector<json> &events, const std::string &rc) {
        const std::string id = ack.at("id").get<std::string>();
        const json &states = ack.at("states");
        const Replayed *r = model_->find(id);
        const json &before = convs_[id].state;
        if (!states.contains(id) || states.at(id).contains("error") || r == nullptr || before.is_null()) {
            return;  // not a conversation the model knows; failed already if it should be
        }
        const json &after = states.at(id), &req = ack.at("req");
        const std::string type = req.value("type", ""), role = req.value("role", "user");
        std::string met = after.at("status").get<std::string>();
        int64_t t = event_time(req, before, ack.at("clock").get<int64_t>());
        auto own = std::find_if(events.begin(), events.end(), [](const json &e) { return !is_timer_event(e); });
        if (own != events.end()) {
            if (own->at("type") == "status_changed") met = own->at("from").get<std::string>();
            t = parse_time(own->at("at").get<std::string>());
        }
        std::string want = "CONVO_OK";
        if (table_.moves.count({type, met, r->channel}) == 0) {
            want = "CONVO_ECONFLICT";
        } else if (type == "message" && role == "agent" && after.at("human_takeover") == true) {
            want = "CONVO_ECONFLICT";
        } else if (type == "message" && r->channel == "whatsapp" && role != "user" &&
                   !req.contains("template") && !model_->window_open(r->contact, t)) {
            want = "CONVO_EPRECONDITION";
        }
        if (rc != want) {
            fail(show_op(ack) + " returned " + rc + " (" + ack.value("err", "") + "); in " + r->channel +
                 "/" + met + ", human_takeover " + after.at("human_takeover").dump() + ", at " +
                 format_time(t) + " the rules give " + want);
        }
    }

    void compare_replay(const std::string &id, const Replayed &r, const json &state,
                        const std::string &what) {
        std::string diff = replay_diff(r, state, what);
        if (!diff.empty()) fail("conversation " + short_id(id) + ": " + diff);
    }

    // ---- the reopened database
    // -------------------------------------------------------------------
    bool open() {
        const std::string start = last_clock_ > 0 ? format_time(last_clock_) : kStart;
        std::string error;
        if (open_for_checks(r_.db_path, start, &engine_, &table_, sessions_, &error)) return true;
        fail(error);
        return false;
    }

    // The whole feed after `after`, both organizations merged in seq order.
    bool feed_after(uint64_t after, std::vector<json> *out) {
        std::vector<std::string> problems;
        bool whole = read_merged_feed(sessions_, after, out, &problems);
        fail_all(&problems, "");
        return whole;
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
        stored_context_ = context_;
        for (const auto &[id, stored] : db_) {
            const json &c = stored.conversation;
            if (c.at("channel") == "whatsapp") {
                stored_context_.contacts[id] = contact_key(c.at("organization_id").get<std::string>(),
                                                           c.at("from_number"), c.at("user_id").get<std::string>());
            }
            if (kind == "create" && in_flight.at("id") == id && !convs_[id].created) {
                stored_context_.openers[id] = extra.empty() ? 0 : extra.size() - 1;
            }
        }
        stored_ = std::make_unique<Replay>(table_, stored_context_);
        stored_->apply_all(feed_);
        fail_all(&stored_->problems, "feed: ");
        int64_t now = 0;
        convo_clock_now(engine_, &now);
        std::set<std::string> touched;
        for (const json &e : extra) touched.insert(e.at("conversation_id").get<std::string>());
        for (const auto &[id, r] : stored_->conversations()) {
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
            std::string transcript = transcript_diff(r, c);
            if (!transcript.empty()) fail("conversation " + short_id(id) + ": " + transcript);
            check_contact(id, it->second, now);
            if (touched.count(id) != 0) continue;  // the in-flight operation may have moved it on
            auto x = convs_.find(id);
            if (x != convs_.end() && !x->second.state.is_null() &&
                x->second.state.at("fp") != state.at("fp")) {
                fail("conversation " + short_id(id) + " differs from its acknowledged state (op " +
                     std::to_string(x->second.k) + "): " + diff_states(x->second.state, state));
            }
        }
        for (const auto &[id, stored] : db_) {
            if (stored_->find(id) == nullptr) {
                fail("conversation " + short_id(id) + " has no feed events (half-applied)");
            }
        }
    }

    // The request that created a stored conversation: acknowledged, or the one in flight.
    const json *request_of(const std::string &id) const {
        auto x = convs_.find(id);
        if (x != convs_.end() && x->second.created) return &x->second.request;
        const json &f = r_.in_flight;
        if (!f.is_null() && f.value("op", "") == "create" && f.at("id") == id) return &f.at("req");
        return nullptr;
    }

    // A stored conversation's business number is the one its request gave it, and its WhatsApp
    // window is its contact's as the feed's user messages opened it, seen at `now`.
    void check_contact(const std::string &id, const Stored &stored, int64_t now) {
        const json &c = stored.conversation;
        const json *req = request_of(id);
        if (req != nullptr && c.at("from_number") != from_number_of(stored.org, *req)) {
            fail("conversation " + short_id(id) + " has from_number " + c.at("from_number").dump() +
                 ", its request gives " + from_number_of(stored.org, *req).dump());
        }
        json expires = nullptr, remaining = nullptr;
        if (c.at("channel") == "whatsapp") {
            std::optional<int64_t> w = stored_->window(stored_context_.contacts.at(id));
            const bool open = w && *w > now;
            expires = open ? json(format_time(*w)) : json();
            remaining = open ? (*w - now) / 1000 : 0;
        }
        if (c.at("chat_window_expires_at") != expires || c.at("chat_window_remaining_seconds") != remaining) {
            fail("conversation " + short_id(id) + " (" + c.at("channel").get<std::string>() +
                 ") has its window closing at " + c.at("chat_window_expires_at").dump() + " (" +
                 c.at("chat_window_remaining_seconds").dump() + " s left at " + format_time(now) +
                 "); the feed's user messages give " + expires.dump() + " (" + remaining.dump() + " s)");
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

    // The timers a stored conversation still has, in the order they must fire, after checking
    // they agree with the rest of it: an open conversation's handback (when its takeover ends
    // before it closes), its closing deadline, and the wrap-up that ending arms; an ended
    // conversation's pending wrap-up.
    std::vector<Due> dues_of(const std::string &id, const json &c) {
        const std::string status = c.at("status").get<std::string>();
        const bool terminal = table_.is_terminal(status);
        auto time_of = [&](const char *key) { return parse_time(c.at(key).get<std::string>()); };
        const std::string which = "conversation " + short_id(id) + " (" + status + ")";
        std::vector<Due> out;
        if (c.at("human_takeover") == c.at("human_takeover_until").is_null() ||
            (terminal && c.at("human_takeover") == true)) {
            fail(which + " has human_takeover " + c.at("human_takeover").dump() + " until " +
                 c.at("human_takeover_until").dump());
            return out;
        }
        if (!terminal) {
            if (c.at("expires_at").is_null() || !c.at("wrap_up").is_null()) {
                fail(which + " lost its deadline, or has a wrap-up: expires_at " + c.at("expires_at").dump() +
                     ", wrap_up " + c.at("wrap_up").dump());
                return out;
            }
            const int64_t closes = time_of("expires_at");
            if (c.at("human_takeover") == true && time_of("human_takeover_until") < closes) {
                out.push_back(Due{time_of("human_takeover_until"), "handback"});
            }
            out.push_back(Due{closes, "status_changed"});
            out.push_back(Due{closes + kWrapUpMs, "finalized"});
        } else if (!c.at("expires_at").is_null() || (c.at("wrap_up") != "pending" && c.at("wrap_up") != "done")) {
            fail(which + " still has a deadline, or no wrap-up: expires_at " + c.at("expires_at").dump() +
                 ", wrap_up " + c.at("wrap_up").dump());
        } else if (c.at("wrap_up") == "pending") {
            out.push_back(Due{time_of("ended_at") + kWrapUpMs, "finalized"});
        }
        return out;
    }

    // Every open conversation keeps its deadline (and a taken-over one its takeover's), every
    // ended one with its wrap-up pending keeps that; past all of them one tick fires each once,
    // at its own deadline, and leaves every conversation ended and wrapped up as the feed
    // replays it; a second tick fires nothing.
    void check_deadlines_and_tick() {
        if (!feed_ok_ || !stored_) return;
        std::map<std::string, std::vector<Due>> dues;
        int64_t earliest = INT64_MAX, latest = 0;
        size_t total = 0;
        for (const auto &[id, stored] : db_) {
            std::vector<Due> d = dues_of(id, stored.conversation);
            if (d.empty()) continue;
            earliest = std::min(earliest, d.front().at);
            latest = std::max(latest, d.back().at);
            total += d.size();
            dues[id] = std::move(d);
        }
        int64_t next = 0;
        convo_code rc = convo_next_deadline(engine_, &next);
        if (dues.empty() && rc != CONVO_ENOTFOUND) {
            fail(std::string("no pending timer, but convo_next_deadline gives ") +
                 convo_code_name(rc) + " " + format_time(next));
        } else if (!dues.empty() && (rc != CONVO_OK || next != earliest)) {
            fail(std::string("convo_next_deadline: ") + convo_code_name(rc) + " " +
                 format_time(next) + ", the earliest pending timer " + format_time(earliest));
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
        if (fired != total) {
            fail("the tick after reopen fired " + std::to_string(fired) + " timers, " +
                 std::to_string(total) + " were pending");
        }
        std::vector<json> fires;
        if (!feed_after(feed_.size(), &fires)) return;
        std::map<std::string, size_t> count;
        for (const json &e : fires) {
            const std::string id = e.at("conversation_id").get<std::string>();
            auto it = dues.find(id);
            const size_t i = count[id]++;
            if (it == dues.end() || i >= it->second.size() || !is_timer_event(e)) {
                fail("the tick after reopen appended " + show_event(e) +
                     ", not a pending timer of that conversation");
                continue;
            }
            const Due &due = it->second[i];
            if (e.at("type") != due.type || e.at("at") != format_time(due.at) ||
                (due.type == "status_changed" && e.at("from") != db_.at(id).conversation.at("status"))) {
                fail("timer " + std::to_string(i + 1) + " of " + short_id(id) + " fired as " + show_event(e) +
                     "; it was due as " + due.type + " at " + format_time(due.at) + " from stored status " +
                     db_.at(id).conversation.at("status").get<std::string>());
            }
            stored_->apply(e);
        }
        for (const auto &[id, d] : dues) {
            if (count[id] < d.size()) {
                fail("overdue timers of " + short_id(id) + ": " + std::to_string(d.size()) + " due (first " +
                     d.front().type + " at " + format_time(d.front().at) + "), " +
                     std::to_string(count[id]) + " fired");
            }
        }
        fail_all(&stored_->problems, "the tick after reopen: ");
        for (const auto &[id, r] : stored_->conversations()) {
            auto it = db_.find(id);
            if (it == db_.end()) continue;
            Call c = get(session(it->second.org), id);
            if (!c.ok() || !table_.is_terminal(c.body.at("status").get<std::string>()) ||
                c.body.at("wrap_up") != "done" || !c.body.at("expires_at").is_null()) {
                fail("after every timer fired, " + short_id(id) + " reads " + c.body.dump());
                continue;
            }
            compare_replay(id, r, conversation_state(c.body), "after the tick");
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
            fail("a deadline is still pending after every conversation ended and was wrapped up: " +
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
        // An event that had, or now has, nothing to do cannot tell: a no-op commits its event_id
        // and nothing the feed shows, and a no-op repeated appends nothing either way.
        const json &req = f.at("req");
        Call current = get(session(org), id);
        auto noop_in = [&](const json &c) {
            return is_noop(req, c, table_.is_terminal(c.at("status").get<std::string>()));
        };
        if (!committed && !seen_before &&
            (noop_in(stored->second.conversation) || (current.ok() && noop_in(current.body)))) {
            return;
        }
        Call c = dispatch(session(org), id, req);
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
    ReplayContext context_, stored_context_;
    std::unique_ptr<Replay> model_;   // the acknowledged feed, as the acknowledgements come
    std::unique_ptr<Replay> stored_;  // the feed after reopen, then the tick's timers
    std::map<std::pair<std::string, std::string>, json> agent_phone_;          // (org, agent)
    std::map<std::pair<std::string, std::string>, std::string> version_agent_;  // (org, version id)
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
