// The threaded mode of the kill -9 crash trials: what group commit must keep when the process
// dies while several threads commit at once.
//
//   crash_trials --threads T --trials N --seed S [--verbose] [--max-delay-us U]
//                [--kill-after-ack K] [--max-ops M] [--dir D] [--keep] [--no-power-cut]
//                [--inject drop-acknowledged-commit | --inject acknowledge-before-sync]
//
// Child (Child below). Opens an engine on the trial database with engine_options(): synchronous
// "full" and the manual clock, which nothing moves, so no timer ever fires. The main thread
// creates a few conversations for each of T threads (text, sms, whatsapp, email: each takes any
// number of user messages), then starts the threads. Each thread alone touches its own
// conversations and loops: mostly messages with unique event_ids and texts, some annotates,
// some retries of an event_id it already acknowledged (a no-op), some events the lifecycle
// table refuses (409), now and then a new conversation. After each call returned it writes one
// line to the pipe, whole, under a mutex; after --max-ops operations each it stops, and the
// main thread writes "done".
//
// Pipe protocol, one JSON object per line:
//   {"op":"open"|"create"|"dispatch"|"done"|"fatal",
//    "t":<thread: 0..T-1, or T for the main thread>, "k":<the thread's operations, from 1
//    without gaps>, "b"/"e":<a child-wide counter read before the call began / after it
//    returned: X.e < Y.b means X had returned before Y began>, "org", "id", "req",
//    "kind":"message"|"annotate"|"retry"|"refused" (dispatch), "rc", "err",
//    "ret":<summary_of() the conversation the call returned>,
//    create: "owner" (the thread that dispatches to it), "http", "resp_fp",
//    "opening" (the messages the create itself appended, {role, text})}
// Each thread's slot of the shared InFlight page holds the operation it began last (the same
// object before the results), so the parent knows what every thread had in flight.
//
// The kill is also a power cut (unsynced.h; --no-power-cut: a plain kill -9): the parent undoes
// every write the child made since each file's last completed sync, so a call that returned
// before its change was synced loses it, which a kill -9 alone (the page cache survives it)
// could never show.
//
// Parent (Checker below). Reopens the database through the C API and checks:
//   - each thread's acknowledgements are gapless, each returned what it had to: the code, and a
//     conversation whose transcript ends with the message it sent (not another thread's);
//   - the feed is gapless (read_merged_feed) and replays per conversation, by the lifecycle
//     table, into every stored conversation's status, counters and transcript (Replay);
//   - per conversation the feed is exactly the effects of its acknowledged operations in
//     acknowledgement order, then all or nothing of its owner's operation in flight; every
//     acknowledged create is stored, and nothing else is but an in-flight one;
//   - the transcript and user_turn_count are the acknowledged messages', and a conversation
//     nothing in flight touched is what its last acknowledged call returned (fingerprint);
//   - real-time order: an operation that returned before another began has the lower seq;
//   - every acknowledged create and event_id, sent again, changes nothing; an in-flight
//     event's id is recorded exactly when its effects are; a refused event's id is not;
//   - the reopened engine takes a new message on every conversation, from T threads at once.
// --inject drop-acknowledged-commit truncates the last T + 1 commits off the log: at most T
// operations (one per thread) are unacknowledged, so one at least was acknowledged, and the
// trial must fail. --inject acknowledge-before-sync runs the child's engine with synchronous
// "normal", which returns before the WAL is synced: the power cut must then lose acknowledged
// changes, and the trial must fail.
#include "threaded.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "feed_replay.h"
#include "unsynced.h"
#include "wal_tail.h"

namespace crash {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kUpFront = 4;                  // conversations the main thread creates per thread
constexpr const char *kGreeting = "Hello ";  // + a tag unique to the conversation

bool is_chat(const std::string &channel) {
    return channel == "text" || channel == "sms" || channel == "whatsapp";
}

// What the child reports of a conversation a call returned.
json summary_of(const json &conversation) {
    const json &messages = conversation.at("conversation").at("messages");
    json last = nullptr;
    if (!messages.empty())
        last = {{"role", messages.back().at("role")}, {"text", messages.back().at("text")}};
    return {{"fp", conversation_fingerprint(conversation)},
            {"status", conversation.at("status")},
            {"user_turn_count", conversation.at("user_turn_count")},
            {"messages", messages.size()},
            {"last", last}};
}

// The {role, text} of each message of a conversation.
json transcript_of(const json &conversation) {
    json out = json::array();
    for (const json &m : conversation.at("conversation").at("messages")) {
        out.push_back({{"role", m.at("role")}, {"text", m.at("text")}});
    }
    return out;
}

// ---- the child -------------------------------------------------------------------------------

class Child {
public:
    // `unsynced`: where to record the writes a power cut would lose (null: do not);
    // `synchronous`: the engine option ("full"; "normal" to acknowledge before the sync).
    Child(std::string path, uint64_t seed, int fd, InFlight *slots, int threads, int max_ops,
          UnsyncedLog *unsynced, const char *synchronous)
        : path_(std::move(path)),
          seed_(seed),
          fd_(fd),
          threads_(threads),
          max_ops_(max_ops),
          unsynced_(unsynced),
          synchronous_(synchronous),
          workers_(static_cast<size_t>(threads) + 1) {
        for (int t = 0; t <= threads; ++t) {
            Worker &w = workers_[static_cast<size_t>(t)];
            w.t = t;
            w.slot = &slots[t];
            w.rng.seed(seed * 0x9E3779B97F4A7C15ull + 7919 * static_cast<uint64_t>(t) + 1);
        }
    }

    [[noreturn]] void run() {
        Worker &main = workers_[static_cast<size_t>(threads_)];
        open(main);
        for (int t = 0; t < threads_; ++t) {
            for (int i = 0; i < kUpFront; ++i) create_conversation(main, t);
        }
        std::vector<std::thread> running;
        for (int t = 0; t < threads_; ++t) {
            running.emplace_back([this, t] {
                Worker &w = workers_[static_cast<size_t>(t)];
                while (w.k < static_cast<uint64_t>(max_ops_)) step(w);
            });
        }
        for (std::thread &th : running) th.join();
        json done{{"op", "done"}, {"t", main.t}, {"k", ++main.k}};
        record_intent(main.slot, main.k, done.dump());
        ack(main, done);
        for (;;) pause();  // the parent kills us
    }

private:
    struct Owned {
        std::string id, org, channel, status;
        std::vector<json> applied;  // acknowledged events with an event_id, to retry
    };
    struct Worker {
        int t = 0;
        InFlight *slot = nullptr;
        uint64_t k = 0;
        std::mt19937_64 rng;
        std::vector<Owned> owned;  // touched by this worker's thread only (after the start)
    };

    static int pick(Worker &w, int n) {
        return std::uniform_int_distribution<int>(0, n - 1)(w.rng);
    }
    static bool chance(Worker &w, double p) {
        return std::uniform_real_distribution<double>(0, 1)(w.rng) < p;
    }
    convo_session *session(const std::string &org) { return sessions_[org == "a" ? 0 : 1]; }

    // Begins operation `line` of worker `w`, runs its call, and adds the results but "ret".
    template <typename Fn>
    Call perform(Worker &w, json &line, Fn &&fn) {
        line["t"] = w.t;
        line["k"] = ++w.k;
        line["b"] = ++ticks_;
        record_intent(w.slot, w.k, line.dump());
        w.slot->in_call.store(1);
        Call c = fn();
        w.slot->in_call.store(0);
        line["e"] = ++ticks_;
        line["rc"] = convo_code_name(c.code);
        line["err"] = c.error;
        return c;
    }

    void ack(Worker &w, const json &line) {
        w.slot->finished.store(w.k);
        const std::string text = line.dump() + "\n";
        std::lock_guard<std::mutex> lk(pipe_mu_);
        write_all(fd_, text);
    }

    [[noreturn]] void fatal(const std::string &what) {
        const std::string text = json{{"op", "fatal"}, {"err", what}}.dump() + "\n";
        {
            std::lock_guard<std::mutex> lk(pipe_mu_);
            write_all(fd_, text);
        }
        _exit(2);
    }

    void open(Worker &main) {
        json line{{"op", "open"}, {"t", main.t}, {"k", ++main.k}};
        record_intent(main.slot, main.k, line.dump());
        std::string error;
        if (unsynced_ != nullptr && !record_unsynced_writes(unsynced_, &error)) fatal(error);
        json options = json::parse(engine_options(path_, kStart));
        options["synchronous"] = synchronous_;
        main.slot->in_call.store(1);
        convo_code rc = convo_engine_open(options.dump().c_str(), &engine_);
        main.slot->in_call.store(0);
        if (rc != CONVO_OK) {
            fatal(std::string("convo_engine_open: ") + convo_code_name(rc) + ": " +
                  convo_last_error());
        }
        const char *orgs[2] = {kOrgA, kOrgB};
        for (int i = 0; i < 2; ++i) {
            if (convo_session_open(engine_, orgs[i], kAllScopes, &sessions_[i]) != CONVO_OK) {
                fatal(std::string("convo_session_open: ") + convo_last_error());
            }
        }
        line["rc"] = convo_code_name(rc);
        ack(main, line);
    }

    json new_request(Worker &w, int owner) {
        static const char *const kChannels[] = {"text", "sms", "whatsapp", "email"};
        const std::string channel = kChannels[pick(w, 4)];
        const uint64_t n = ++uuid_counter_;
        const std::string tag = "t" + std::to_string(owner) + "n" + std::to_string(n);
        json r{{"id", seeded_uuid(seed_, n)}, {"channel", channel}};
        if (channel == "sms" || channel == "whatsapp") {
            r["user_id"] = "+1415" + std::to_string(5000000 + n);  // one contact each
            r["from_number"] = "+18885550300";
        } else {
            r["user_id"] = "user_" + tag;
        }
        // Inbound, so that a WhatsApp conversation needs no template to start.
        r["direction"] = channel == "whatsapp" || chance(w, 0.5) ? "inbound" : "outbound";
        if (channel == "email") r["to_address"] = tag + "@example.com";
        r["agent_config"] = {
            {"name", "Threaded"}, {"greeting", kGreeting + tag}, {"speaks_first", chance(w, 0.5)}};
        r["custom_metadata"] = {{"owner", "t" + std::to_string(owner)}};
        return r;
    }

    // Creates a conversation that worker `owner` dispatches to (w is the one calling).
    void create_conversation(Worker &w, int owner) {
        const std::string org = chance(w, 0.6) ? "a" : "b";
        const json req = new_request(w, owner);
        json line{
            {"op", "create"}, {"owner", owner}, {"org", org}, {"id", req.at("id")}, {"req", req}};
        Call c = perform(w, line, [&] { return create(session(org), req); });
        if (c.ok()) {
            const json &conversation = c.body.at("conversation");
            line["http"] = c.http;
            line["resp_fp"] = fingerprint_text(c.body.dump());
            line["ret"] = summary_of(conversation);
            line["opening"] = transcript_of(conversation);
            workers_[static_cast<size_t>(owner)].owned.push_back(
                Owned{req.at("id").get<std::string>(),
                      org,
                      req.at("channel").get<std::string>(),
                      conversation.at("status").get<std::string>(),
                      {}});
        }
        ack(w, line);
    }

    void send(Worker &w, Owned &c, const char *kind, const json &body) {
        json line{{"op", "dispatch"}, {"kind", kind}, {"org", c.org}, {"id", c.id}, {"req", body}};
        Call res = perform(w, line, [&] { return dispatch(session(c.org), c.id, body); });
        if (res.ok()) {
            line["ret"] = summary_of(res.body);
            c.status = res.body.at("status").get<std::string>();
            const std::string k = kind;
            if ((k == "message" || k == "annotate") && body.contains("event_id"))
                c.applied.push_back(body);
        }
        ack(w, line);
    }

    void step(Worker &w) {
        if (w.owned.empty() || chance(w, 0.03)) return create_conversation(w, w.t);
        Owned &c = w.owned[static_cast<size_t>(pick(w, static_cast<int>(w.owned.size())))];
        // Names unique in the trial: this thread's next operation.
        const std::string tag = "t" + std::to_string(w.t) + " k" + std::to_string(w.k + 1);
        const std::string event_id = "ev-t" + std::to_string(w.t) + "-k" + std::to_string(w.k + 1);
        const int r = pick(w, 100);
        if (r < 8 && !c.applied.empty()) {  // a carrier retrying a delivered webhook
            return send(
                w, c, "retry",
                c.applied[static_cast<size_t>(pick(w, static_cast<int>(c.applied.size())))]);
        }
        if (r < 10) {  // not on these channels: 409, and its event_id is not recorded
            return send(w, c, "refused", json{{"type", "answered"}, {"event_id", event_id}});
        }
        if (r < 22) {
            json body{{"type", "annotate"}, {"event_id", event_id}};
            switch (pick(w, 3)) {
                case 0:
                    body["topic"] = "topic " + tag;
                    break;
                case 1:
                    body["tags"] = json::array({"tag " + tag});
                    break;
                default:
                    body["summary"] = "summary " + tag;
            }
            return send(w, c, "annotate", body);
        }
        const bool agent = c.status == "in_progress" &&
                           (c.channel == "text" || c.channel == "sms") && chance(w, 0.15);
        json body{{"type", "message"},
                  {"role", agent ? "agent" : "user"},
                  {"text", "message " + tag + " to " + c.id.substr(0, 8)}};
        if (chance(w, 0.9)) body["event_id"] = event_id;
        send(w, c, "message", body);
    }

    std::string path_;
    uint64_t seed_;
    int fd_;
    int threads_;
    int max_ops_;
    UnsyncedLog *unsynced_;
    const char *synchronous_;
    std::vector<Worker> workers_;  // [T] is the main thread
    std::mutex pipe_mu_;
    std::atomic<uint64_t> ticks_{0};
    std::atomic<uint64_t> uuid_counter_{0};
    convo_engine *engine_ = nullptr;
    convo_session *sessions_[2] = {nullptr, nullptr};
};

// ---- the parent --------------------------------------------------------------------------------

// What the parent knows after the kill.
struct Record {
    std::string db_path;
    int threads = 0;
    std::vector<json> acks;       // every complete line, in pipe order
    std::vector<json> in_flight;  // per slot: the operation begun after its last acknowledged one
    std::vector<bool> in_call;    // per slot: killed inside that operation's call
};

struct Verdict : Failures {
    uint64_t acked_ops = 0;       // acknowledged operations whose effects were checked
    uint64_t in_flight = 0;       // operations in flight at the kill
    uint64_t writes_in_call = 0;  // ...of them creates or events that write, inside the call
    uint64_t committed = 0;       // ...of those, found committed
    uint64_t returned = 0;        // in flight after the call returned, found committed
    uint64_t conversations = 0, feed_events = 0, replays = 0, after_reopen = 0;
    std::map<std::string, uint64_t> kinds;  // acknowledged operations by kind
};

// A feed event as what an operation appends: what matters of it but its seq, time and ids.
json effect(const json &type, const json &from, const json &to, const json &data) {
    return {{"type", type}, {"from", from}, {"to", to}, {"data", data}};
}
json effect_of(const json &e) {
    return effect(e.at("type"), e.at("from"), e.at("to"), e.at("data"));
}

class Checker {
public:
    explicit Checker(const Record &r) : r_(r) {}

    Verdict run() {
        try {
            if (open()) {
                build_model();
                if (check_feed_and_conversations()) {
                    check_real_time_order();
                    check_replays();
                    check_in_flight_event_ids();
                    check_new_dispatches();
                }
            }
        } catch (const std::exception &e) {  // a line or a result not of the expected shape
            fail(std::string("the checks stopped: ") + e.what());
        }
        for (convo_session *s : sessions_) convo_session_close(s);
        convo_engine_close(engine_);
        return v_;
    }

private:
    // An acknowledged operation, or one in flight at the kill.
    struct Op {
        json line;  // the acknowledgement, or the intent
        bool acked = false;
        std::string kind;  // create, message, annotate, retry, refused
        std::string id;
        std::vector<json> effects;  // what it appends to the feed, as effect()
        int64_t seq = -1;           // the seq of its first feed event, when found
        bool committed = false;
        bool in_call = false;  // in flight, and killed inside its call
    };
    // A conversation as its acknowledged operations made it.
    struct Conv {
        std::string org, channel, status;
        int owner = -1;
        json request;
        bool acked = false;               // an acknowledged create made it
        std::vector<size_t> ops;          // its acknowledged operations, in order (into ops_)
        int64_t in_flight = -1;           // its owner's operation in flight on it (into ops_)
        json transcript = json::array();  // {role, text}
        int64_t user_turns = 0;
        std::string fp;  // what its last acknowledged call returned
        json stored;     // convo_get after reopen; null when missing
    };

    void fail(const std::string &what) { v_.fail(what); }
    void fail_all(std::vector<std::string> *problems, const std::string &where) {
        v_.fail_all(problems, where);
    }
    convo_session *session(const std::string &org) { return sessions_[org == "a" ? 0 : 1]; }

    static std::string show(const Op &o) {
        const json &l = o.line;
        std::string s = std::string(o.acked ? "" : "in-flight ") + "thread " +
                        l.value("t", json(-1)).dump() + " op " + l.value("k", json(0)).dump() +
                        " " + o.kind;
        if (!o.id.empty()) s += " of " + short_id(o.id);
        if (o.kind != "create" && l.contains("req")) s += " " + l.at("req").dump();
        return s;
    }

    // ---- the reopened database ----------------------------------------------------------------
    bool open() {
        std::string error;
        if (open_for_checks(r_.db_path, kStart, &engine_, &table_, sessions_, &error)) return true;
        fail(error);
        return false;
    }

    // Where a new conversation starts, by convo_describe()'s "initial" table.
    std::string initial_status(const json &req) const {
        return table_.initial_status(req.at("channel"), req.value("direction", json("outbound")));
    }

    // ---- what the child acknowledged ----------------------------------------------------------
    void build_model() {
        std::vector<uint64_t> last_k(static_cast<size_t>(r_.threads) + 1, 0);
        for (const json &a : r_.acks) {
            const std::string op = a.value("op", "");
            if (op == "fatal") {
                fail("the child stopped: " + a.value("err", ""));
                continue;
            }
            const int t = a.value("t", -1);
            if (t < 0 || t > r_.threads) {
                fail("an acknowledgement of no thread: " + a.dump());
                continue;
            }
            const uint64_t k = a.value("k", uint64_t(0));
            if (k != last_k[static_cast<size_t>(t)] + 1) {
                fail("thread " + std::to_string(t) + "'s acknowledgements skip from op " +
                     std::to_string(last_k[static_cast<size_t>(t)]) + " to " + std::to_string(k));
            }
            last_k[static_cast<size_t>(t)] = k;
            if (op == "open" && a.value("rc", "") != "CONVO_OK")
                fail("convo_engine_open: " + a.dump());
            if (op != "create" && op != "dispatch") continue;
            ++v_.acked_ops;
            Op o;
            o.line = a;
            o.acked = true;
            o.kind = op == "create" ? "create" : a.value("kind", "?");
            o.id = a.at("id").get<std::string>();
            ++v_.kinds[o.kind];
            model(std::move(o));
        }
        for (size_t s = 0; s < r_.in_flight.size(); ++s) {
            const json &f = r_.in_flight[s];
            if (f.is_null()) continue;
            ++v_.in_flight;
            const std::string op = f.value("op", "");
            if (op != "create" && op != "dispatch") continue;  // open: nothing to find
            Op o;
            o.line = f;
            o.kind = op == "create" ? "create" : f.value("kind", "?");
            o.id = f.at("id").get<std::string>();
            o.in_call = r_.in_call[s];
            if (o.in_call && o.kind != "retry" && o.kind != "refused") ++v_.writes_in_call;
            model(std::move(o));
        }
    }

    // The effects of operation `o` on the model of its conversation, which it then updates with
    // what an acknowledged operation returned (after checking that).
    void model(Op o) {
        const json &l = o.line;
        const json &req = l.at("req");
        const bool ok = l.value("rc", "") == "CONVO_OK";
        const size_t index = ops_.size();
        if (o.kind == "create") {
            Conv &c = convs_[o.id];
            if (c.acked || c.in_flight >= 0) {
                fail(show(o) + ": the workload created " + short_id(o.id) + " twice");
                return;
            }
            c.org = l.at("org").get<std::string>();
            c.owner = l.at("owner").get<int>();
            c.request = req;
            c.channel = req.at("channel").get<std::string>();
            c.status = initial_status(req);
            o.effects.push_back(
                effect("created", nullptr, c.status,
                       {{"channel", c.channel}, {"direction", req.at("direction")}}));
            // The create's own message: the agent's greeting, on a chat channel when it speaks
            // first.
            const json &agent = req.at("agent_config");
            json opening = json::array();
            if (is_chat(c.channel) && agent.at("speaks_first") == true) {
                opening.push_back({{"role", "agent"}, {"text", agent.at("greeting")}});
            }
            for (const json &m : opening)
                o.effects.push_back(effect("message", nullptr, nullptr, m));
            if (!o.acked) {
                c.in_flight = static_cast<int64_t>(index);
                ops_.push_back(std::move(o));
                return;
            }
            if (!ok || l.value("http", 0) != 200) {
                fail(show(o) + " returned " + l.value("rc", "") + " HTTP " +
                     l.value("http", json(0)).dump() + " (" + l.value("err", "") + ")");
                convs_.erase(o.id);
                return;
            }
            c.acked = true;
            c.transcript = opening;
            c.fp = l.at("ret").at("fp").get<std::string>();
            if (l.at("opening") != opening || l.at("ret").at("status") != c.status) {
                fail(show(o) + " answered status " + l.at("ret").at("status").dump() +
                     " with messages " + l.at("opening").dump() + "; expected " + c.status +
                     " with " + opening.dump());
            }
            c.ops.push_back(index);
            ops_.push_back(std::move(o));
            return;
        }
        auto it = convs_.find(o.id);
        if (it == convs_.end() || !it->second.acked) {
            fail(show(o) + ": to a conversation no acknowledged create made");
            return;
        }
        Conv &c = it->second;
        if (c.owner != l.at("t").get<int>())
            fail(show(o) + ": thread " + std::to_string(c.owner) + " owns it");
        const std::string type = req.value("type", "");
        if (o.kind == "message") {
            auto move = table_.moves.find({"message", c.status, c.channel});
            if (move != table_.moves.end() && move->second != c.status) {
                o.effects.push_back(
                    effect("status_changed", c.status, move->second, {{"event", "message"}}));
            }
            o.effects.push_back(effect("message", nullptr, nullptr,
                                       {{"role", req.at("role")}, {"text", req.at("text")}}));
        } else if (o.kind == "annotate") {
            json data = req;
            data.erase("type");
            data.erase("event_id");
            o.effects.push_back(effect("annotated", nullptr, nullptr, data));
        }
        if (!o.acked) {
            c.in_flight = static_cast<int64_t>(index);
            ops_.push_back(std::move(o));
            return;
        }
        const std::string want = o.kind == "refused" ? "CONVO_ECONFLICT" : "CONVO_OK";
        if (l.value("rc", "") != want) {
            fail(show(o) + " returned " + l.value("rc", "") + " (" + l.value("err", "") +
                 "), expected " + want);
            return;
        }
        if (o.kind == "message") {
            for (const json &e : o.effects) {
                if (e.at("type") == "status_changed") c.status = e.at("to").get<std::string>();
            }
            c.transcript.push_back({{"role", req.at("role")}, {"text", req.at("text")}});
            if (req.at("role") == "user") ++c.user_turns;
        }
        if (ok) {
            const json &ret = l.at("ret");
            const json last = c.transcript.empty() ? json() : c.transcript.back();
            if (o.kind == "retry" && ret.at("fp") != c.fp) {
                fail(show(o) + ": a repeated event_id changed the conversation (" + c.fp + " -> " +
                     ret.at("fp").get<std::string>() + ")");
            } else if (ret.at("messages") != c.transcript.size() || ret.at("last") != last ||
                       ret.at("user_turn_count") != c.user_turns || ret.at("status") != c.status) {
                fail(show(o) + " returned a conversation with " + ret.dump() +
                     "; its acknowledged calls give " + std::to_string(c.transcript.size()) +
                     " messages, the last " + last.dump() + ", " + std::to_string(c.user_turns) +
                     " user turns, status " + c.status);
            }
            c.fp = ret.at("fp").get<std::string>();
        }
        c.ops.push_back(index);
        ops_.push_back(std::move(o));
    }

    // ---- the feed and the stored conversations -------------------------------------------------
    bool check_feed_and_conversations() {
        std::vector<std::string> problems;
        const bool whole = read_merged_feed(sessions_, 0, &feed_, &problems);
        fail_all(&problems, "");
        if (!whole) return false;
        v_.feed_events = feed_.size();

        std::map<std::string, std::vector<const json *>> by_conversation;
        for (const json &e : feed_)
            by_conversation[e.at("conversation_id").get<std::string>()].push_back(&e);

        std::map<std::string, std::string> stored_org;  // every stored conversation
        for (const char *org : {"a", "b"}) {
            std::vector<json> items;
            std::string error;
            if (!read_all_conversations(session(org), &items, &error)) {
                fail(error);
                return false;
            }
            for (const json &item : items) stored_org[item.at("id").get<std::string>()] = org;
        }
        v_.conversations = stored_org.size();
        for (const auto &[id, org] : stored_org) {
            auto it = convs_.find(id);
            if (it == convs_.end()) {
                fail("conversation " + short_id(id) +
                     " exists but no acknowledged or in-flight create made it");
                continue;
            }
            Call c = get(session(org), id);
            if (!c.ok()) {
                fail("convo_get(" + short_id(id) + ") after reopen: " + convo_code_name(c.code) +
                     ": " + c.error);
                continue;
            }
            if (org != it->second.org)
                fail("conversation " + short_id(id) + " is in organization " + org);
            it->second.stored = c.body;
        }
        for (const auto &[id, events] : by_conversation) {
            if (stored_org.count(id) == 0) {
                fail("the feed has events of " + short_id(id) +
                     ", which does not exist (half-applied): " + show_event(*events.front()));
            }
        }

        ReplayContext context;
        for (auto &[id, c] : convs_) {
            compare_feed(id, c, by_conversation[id]);
            if (c.stored.is_null()) continue;
            context.openers[id] =
                c.request.at("agent_config").at("speaks_first") == true && is_chat(c.channel) ? 1
                                                                                              : 0;
            if (c.channel == "whatsapp") {
                context.contacts[id] = contact_key(
                    c.stored.at("organization_id").get<std::string>(), c.stored.at("from_number"),
                    c.stored.at("user_id").get<std::string>());
            }
            compare_conversation(id, c);
        }

        Replay replay(table_, context);
        replay.apply_all(feed_);
        fail_all(&replay.problems, "feed: ");
        for (const auto &[id, c] : convs_) {
            if (c.stored.is_null()) continue;
            const Replayed *r = replay.find(id);
            if (r == nullptr) {
                fail("conversation " + short_id(id) + " has no feed events (half-applied)");
                continue;
            }
            std::string diff = replay_diff(*r, conversation_state(c.stored), "stored");
            if (!diff.empty()) fail("conversation " + short_id(id) + ": " + diff);
            diff = transcript_diff(*r, c.stored);
            if (!diff.empty()) fail("conversation " + short_id(id) + ": " + diff);
        }
        return true;
    }

    // A conversation's feed events are its acknowledged operations' effects in order, then all
    // or none of its owner's operation in flight.
    void compare_feed(const std::string &id, Conv &c, const std::vector<const json *> &events) {
        size_t i = 0;
        for (size_t index : c.ops) {
            Op &o = ops_[index];
            for (size_t j = 0; j < o.effects.size(); ++j, ++i) {
                if (i >= events.size()) {
                    fail("acknowledged " + show(o) + " is lost: the feed of " + short_id(id) +
                         " ends " +
                         (events.empty() ? std::string("before its created event")
                                         : "at " + show_event(*events.back())) +
                         ", missing " + o.effects[j].dump());
                    return;
                }
                if (effect_of(*events[i]) != o.effects[j]) {
                    fail("conversation " + short_id(id) + ": the feed has " +
                         show_event(*events[i]) + " where acknowledged " + show(o) + " appended " +
                         o.effects[j].dump());
                    return;
                }
                if (j == 0) o.seq = events[i]->at("seq").get<int64_t>();
            }
            o.committed = true;
        }
        std::vector<json> rest;
        for (; i < events.size(); ++i) rest.push_back(effect_of(*events[i]));
        Op *f = c.in_flight >= 0 ? &ops_[static_cast<size_t>(c.in_flight)] : nullptr;
        if (f != nullptr && !rest.empty() && rest == f->effects) {
            f->committed = true;
            f->seq = events[events.size() - rest.size()]->at("seq").get<int64_t>();
            ++(f->in_call ? v_.committed : v_.returned);
        } else if (!rest.empty()) {
            fail("conversation " + short_id(id) +
                 ": after its acknowledged operations the feed has " + std::to_string(rest.size()) +
                 " more events, first " + show_event(*events[events.size() - rest.size()]) +
                 (f == nullptr ? std::string(", and nothing was in flight on it")
                               : "; " + show(*f) + " appends " + json(f->effects).dump() +
                                     " (half-applied?)"));
        }
        if (!c.acked && (f == nullptr || !f->committed) && !c.stored.is_null()) {
            fail("conversation " + short_id(id) + " of " + show(*f) +
                 " exists without its created event (half-applied)");
        }
    }

    // The stored conversation is the acknowledged one, with the in-flight operation's message
    // when that committed; untouched by one, exactly what the last acknowledged call returned.
    void compare_conversation(const std::string &id, const Conv &c) {
        json transcript = c.transcript;
        int64_t turns = c.user_turns;
        const Op *f = c.in_flight >= 0 ? &ops_[static_cast<size_t>(c.in_flight)] : nullptr;
        const bool moved = f != nullptr && f->committed;
        if (moved) {
            for (const json &e : f->effects) {
                if (e.at("type") != "message") continue;
                transcript.push_back(e.at("data"));
                if (e.at("data").at("role") == "user") ++turns;
            }
        }
        const json stored = transcript_of(c.stored);
        if (stored != transcript) {
            fail("conversation " + short_id(id) + ": the transcript is " + stored.dump() +
                 ", the acknowledged messages" + (moved ? " and the one in flight" : "") + " are " +
                 transcript.dump());
        } else if (c.stored.at("user_turn_count") != turns) {
            fail("conversation " + short_id(id) + ": user_turn_count " +
                 c.stored.at("user_turn_count").dump() + ", its acknowledged messages give " +
                 std::to_string(turns));
        }
        if (c.acked && !moved && conversation_fingerprint(c.stored) != c.fp) {
            fail("conversation " + short_id(id) +
                 " differs from what its last acknowledged call returned: " +
                 json(conversation_state(c.stored)).dump());
        }
    }

    // An operation that returned before another began committed first: lower seq.
    void check_real_time_order() {
        std::vector<const Op *> by_end, by_begin;
        for (const Op &o : ops_) {
            if (o.seq < 0) continue;
            by_begin.push_back(&o);
            if (o.acked) by_end.push_back(&o);
        }
        auto at = [](const Op *o, const char *key) { return o->line.at(key).get<uint64_t>(); };
        std::sort(by_end.begin(), by_end.end(),
                  [&](const Op *a, const Op *b) { return at(a, "e") < at(b, "e"); });
        std::sort(by_begin.begin(), by_begin.end(),
                  [&](const Op *a, const Op *b) { return at(a, "b") < at(b, "b"); });
        size_t i = 0;
        const Op *latest =
            nullptr;  // of the operations that had returned, the one with the highest seq
        for (const Op *y : by_begin) {
            for (; i < by_end.size() && at(by_end[i], "e") < at(y, "b"); ++i) {
                if (latest == nullptr || by_end[i]->seq > latest->seq) latest = by_end[i];
            }
            if (latest != nullptr && latest->seq > y->seq) {
                fail(show(*y) + " began after " + show(*latest) +
                     " had returned, but has the lower seq (" + std::to_string(y->seq) + " < " +
                     std::to_string(latest->seq) + ")");
                return;
            }
        }
    }

    // ---- what the reopened engine does with them ------------------------------------------------
    // What the reopened engine appended after end_ (which then moves past it).
    std::vector<json> appended() {
        std::vector<json> out;
        std::vector<std::string> problems;
        read_merged_feed(sessions_, end_, &out, &problems);
        fail_all(&problems, "");
        end_ += out.size();
        return out;
    }
    void feed_unchanged(const std::string &after) {
        std::vector<json> more = appended();
        if (!more.empty()) {
            fail(after + " appended " + std::to_string(more.size()) + " events, first " +
                 show_event(more[0]));
        }
    }

    // Acknowledged creates and event ids, sent again, change nothing; a refused event's id was
    // not recorded (it is refused again); an in-flight create or event that committed, sent
    // again, changes nothing either.
    void check_replays() {
        for (const Op &o : ops_) {
            if (!o.committed && !(o.acked && o.kind == "refused")) continue;
            const Conv &c = convs_.at(o.id);
            const json &req = o.line.at("req");
            if (o.kind == "create") {
                Call r = create(session(c.org), req);
                ++v_.replays;
                if (!r.ok() ||
                    (o.acked && (r.http != o.line.at("http") ||
                                 fingerprint_text(r.body.dump()) != o.line.at("resp_fp")))) {
                    fail("repeating " + show(o) + " gave " + convo_code_name(r.code) + " HTTP " +
                         std::to_string(r.http) + " " + r.body.dump() + " (" + r.error + ")");
                }
                continue;
            }
            if (!req.contains("event_id")) continue;
            Call r = dispatch(session(c.org), o.id, req);
            ++v_.replays;
            if (o.kind == "refused") {
                if (r.code != CONVO_ECONFLICT) {
                    fail("repeating refused " + show(o) + " gave " + convo_code_name(r.code) +
                         ": its event_id was recorded");
                }
            } else if (!r.ok() ||
                       conversation_fingerprint(r.body) != conversation_fingerprint(c.stored)) {
                fail("repeating " + show(o) + " gave " + convo_code_name(r.code) + " (" + r.error +
                     "), not the stored conversation unchanged");
            }
        }
        end_ = feed_.size();
        feed_unchanged("repeating acknowledged creates and event ids");
    }

    // An in-flight event that did not commit did not record its event_id either: sent again now,
    // it takes effect, with exactly its effects.
    void check_in_flight_event_ids() {
        for (const auto &[id, c] : convs_) {
            if (c.in_flight < 0 || c.stored.is_null()) continue;
            const Op &f = ops_[static_cast<size_t>(c.in_flight)];
            if (f.committed || f.effects.empty() || !f.line.at("req").contains("event_id"))
                continue;
            Call r = dispatch(session(c.org), id, f.line.at("req"));
            ++v_.replays;
            std::vector<json> got;
            for (const json &e : appended()) got.push_back(effect_of(e));
            if (!r.ok() || got != f.effects) {
                fail(show(f) + " did not commit, but sending it again gave " +
                     convo_code_name(r.code) + " and appended " + json(got).dump() +
                     " (its event_id recorded without its effects?)");
            }
        }
    }

    // The reopened engine takes a new message on every open conversation, from as many threads
    // as the child had, each its own conversations; each shows up once, in a gapless feed.
    void check_new_dispatches() {
        std::vector<std::vector<const std::string *>> mine(static_cast<size_t>(r_.threads));
        for (const auto &[id, c] : convs_) {
            if (!c.stored.is_null() && c.owner >= 0 && c.owner < r_.threads) {
                mine[static_cast<size_t>(c.owner)].push_back(&id);
            }
        }
        std::mutex mu;
        std::vector<std::string> failures;
        std::map<std::string, json> sent;
        std::vector<std::thread> threads;
        for (int t = 0; t < r_.threads; ++t) {
            threads.emplace_back([&, t] {
                for (const std::string *id : mine[static_cast<size_t>(t)]) {
                    const Conv &c = convs_.at(*id);
                    const json body{{"type", "message"},
                                    {"role", "user"},
                                    {"text", "after reopen, to " + *id},
                                    {"event_id", "after-reopen-" + *id}};
                    Call got = get(session(c.org), *id);
                    Call r = dispatch(session(c.org), *id, body);
                    std::lock_guard<std::mutex> lk(mu);
                    sent[*id] = body;
                    const size_t n = got.ok() ? transcript_of(got.body).size() + 1 : 0;
                    if (!r.ok() || transcript_of(r.body).size() != n ||
                        transcript_of(r.body).back() !=
                            json{{"role", "user"}, {"text", body.at("text")}}) {
                        failures.push_back("after reopen, a new message to " + short_id(*id) +
                                           " gave " + convo_code_name(r.code) + " (" + r.error +
                                           ") " + r.body.dump());
                    }
                }
            });
        }
        for (std::thread &th : threads) th.join();
        fail_all(&failures, "");
        v_.after_reopen += sent.size();
        std::map<std::string, int> seen;
        for (const json &e : appended()) {
            const std::string id = e.at("conversation_id").get<std::string>();
            auto s = sent.find(id);
            if (e.at("type") == "status_changed" && s != sent.end() && seen[id] == 0)
                continue;  // email
            if (s == sent.end() || e.at("type") != "message" ||
                e.at("data") != json{{"role", "user"}, {"text", s->second.at("text")}} ||
                ++seen[id] > 1) {
                fail("after reopen, the new messages appended " + show_event(e));
            }
        }
        for (const auto &[id, body] : sent) {
            if (seen[id] != 1)
                fail("after reopen, the new message to " + short_id(id) + " is not in the feed");
        }
    }

    const Record &r_;
    Verdict v_;
    Lifecycle table_;
    std::vector<Op> ops_;
    std::map<std::string, Conv> convs_;
    convo_engine *engine_ = nullptr;
    convo_session *sessions_[2] = {nullptr, nullptr};
    std::vector<json> feed_;
    size_t end_ = 0;  // the feed read so far after reopen
};

// ---- trials ------------------------------------------------------------------------------------

struct Outcome {
    Verdict verdict;
    int64_t delay_us = 0;
    size_t acks = 0;
    std::vector<json> in_flight;
    WalTail wal;                  // as the kill left it
    bool dropped_commit = false;  // --inject: committed transactions were taken out of the log
    UnsyncedUndo undo;            // what the power cut took back
    bool cut_commits = false;     // ...among it whole committed transactions
    std::string dir;
};

Outcome run_trial(const Options &cfg, uint64_t seed) {
    Outcome out;
    std::string error;
    const size_t slots = static_cast<size_t>(cfg.threads) + 1;
    TrialFiles files;
    const bool made = make_trial_files(cfg.dir, slots, &files, &error);
    out.dir = files.dir;
    UnsyncedLog *unsynced = made && cfg.power_cut ? map_unsynced_log(&error) : nullptr;
    if (!made || (cfg.power_cut && unsynced == nullptr)) {
        if (files.in_flight != nullptr) unmap_in_flight(files.in_flight, slots);
        out.verdict.failures.push_back(error);
        return out;
    }
    const std::string &db = files.db;
    InFlight *in_flight = files.in_flight;
    out.delay_us = kill_delay_us(seed, cfg.max_delay_us);
    const char *synchronous = cfg.inject_ack_before_sync ? "normal" : "full";
    ChildRun run = run_child(
        [&](int ack_fd) {
            Child(db, seed, ack_fd, in_flight, cfg.threads, cfg.max_ops, unsynced, synchronous)
                .run();
        },
        out.delay_us, cfg.kill_after_ack);

    Record record;
    record.db_path = db;
    record.threads = cfg.threads;
    std::vector<uint64_t> last_acked(slots, 0);
    for (const json &a : run.acks) {
        const int t = a.value("t", -1);
        if (t >= 0 && static_cast<size_t>(t) < slots) {
            last_acked[static_cast<size_t>(t)] =
                std::max(last_acked[static_cast<size_t>(t)], a.value("k", uint64_t(0)));
        }
    }
    for (size_t s = 0; s < slots; ++s) {
        const json intent = left_in_flight(in_flight[s], last_acked[s],
                                           "thread " + std::to_string(s), &run.failures);
        record.in_flight.push_back(intent);
        record.in_call.push_back(!intent.is_null() && in_flight[s].in_call.load() != 0);
    }
    unmap_in_flight(in_flight, slots);
    out.in_flight = record.in_flight;
    out.acks = run.acks.size();
    record.acks = std::move(run.acks);

    out.wal = inspect_wal(db + "-wal");
    if (unsynced != nullptr) {
        if (!lose_unsynced_writes(unsynced, db, &out.undo, &error)) run.failures.push_back(error);
        out.cut_commits = inspect_wal(db + "-wal").commit_ends.size() < out.wal.commit_ends.size();
        // Synced late on purpose: every commit since the last checkpoint is gone, and with it
        // everything acknowledged (--kill-after-ack keeps the log short of a checkpoint).
        out.dropped_commit = cfg.inject_ack_before_sync && out.cut_commits;
        unmap_unsynced_log(unsynced);
    }
    // At most one unacknowledged operation per thread: of T + 1 commits one was acknowledged.
    if (cfg.inject_drop_commit) out.dropped_commit = drop_last_commits(db + "-wal", slots);
    if (cfg.keep) keep_killed_files(out.dir, db);

    out.verdict = Checker(record).run();
    out.verdict.finish(run.failures, out.dir, cfg.keep);
    return out;
}

std::string describe_kill(const Outcome &o) {
    std::string s = "killed after " + std::to_string(o.delay_us) + " us, " +
                    std::to_string(o.acks) + " operations acknowledged";
    std::string flying;
    for (size_t t = 0; t < o.in_flight.size(); ++t) {
        const json &f = o.in_flight[t];
        if (f.is_null()) continue;
        flying += (flying.empty() ? "" : "; ") + std::string("thread ") + std::to_string(t) +
                  " op " + f.value("k", json(0)).dump() + " " + f.value("op", "") + " " +
                  f.value("kind", "") +
                  (f.contains("id") ? " " + short_id(f.at("id").get<std::string>()) : "");
    }
    return s + (flying.empty() ? ", nothing in flight" : ", in flight: " + flying);
}

}  // namespace

int run_threaded_trials(const Options &cfg, const char *argv0) {
    const Clock::time_point begin = Clock::now();
    uint64_t passed = 0, failed = 0, injected = 0, detected = 0, acked_ops = 0, mid_transaction = 0,
             in_flight = 0, writes_in_call = 0, committed = 0, returned = 0, conversations = 0,
             feed_events = 0, replays = 0, after_reopen = 0, torn_wal = 0, undone_writes = 0,
             undone_bytes = 0, cut_trials = 0;
    std::map<std::string, uint64_t> kinds;
    const uint64_t step = std::max<uint64_t>(1, cfg.trials / 10);
    for (uint64_t i = 0; i < cfg.trials; ++i) {
        const uint64_t seed = cfg.seed + i;
        Outcome o = run_trial(cfg, seed);
        const Verdict &v = o.verdict;
        const bool ok = v.failures.empty();
        const bool inject =
            (cfg.inject_drop_commit || cfg.inject_ack_before_sync) && o.dropped_commit;
        if (inject) {
            ++injected;
            if (!ok) ++detected;
            if (!ok && !cfg.keep) {  // failed as it had to: nothing to look into
                std::error_code ec;
                std::filesystem::remove_all(o.dir, ec);
            }
        } else {
            ok ? ++passed : ++failed;
        }
        acked_ops += v.acked_ops;
        in_flight += v.in_flight;
        writes_in_call += v.writes_in_call;
        committed += v.committed;
        returned += v.returned;
        if (v.writes_in_call > 0) ++mid_transaction;
        conversations += v.conversations;
        feed_events += v.feed_events;
        replays += v.replays;
        after_reopen += v.after_reopen;
        if (o.wal.uncommitted_frames > 0) ++torn_wal;
        undone_writes += o.undo.writes;
        undone_bytes += o.undo.bytes;
        if (o.cut_commits) ++cut_trials;
        for (const auto &[k, n] : v.kinds) kinds[k] += n;
        if (cfg.verbose) {
            std::printf(
                "trial seed %llu: %s; power cut undid %llu writes%s; wal %llu committed + %llu "
                "torn "
                "frames%s; %llu conversations, %llu feed events, %llu in-flight writes committed: "
                "%s\n",
                static_cast<unsigned long long>(seed), describe_kill(o).c_str(),
                static_cast<unsigned long long>(o.undo.writes),
                o.cut_commits ? " (committed transactions among them)" : "",
                static_cast<unsigned long long>(o.wal.committed_frames),
                static_cast<unsigned long long>(o.wal.uncommitted_frames),
                o.dropped_commit ? " (commits dropped on purpose)" : "",
                static_cast<unsigned long long>(v.conversations),
                static_cast<unsigned long long>(v.feed_events),
                static_cast<unsigned long long>(v.committed), ok ? "ok" : "FAILED");
        }
        if (inject) {
            const std::string what =
                cfg.inject_ack_before_sync
                    ? "acknowledged before the sync, then a power cut"
                    : "last " + std::to_string(cfg.threads + 1) + " commits dropped on purpose";
            std::printf("%s seed %llu (%s): %s\n", ok ? "UNDETECTED" : "detected",
                        static_cast<unsigned long long>(seed), what.c_str(),
                        ok ? "every check passed" : v.failures[0].c_str());
        } else if (!ok) {
            print_failed_trial(seed, describe_kill(o), o.dir, v.failures);
            std::printf(
                "  reproduce: %s --threads %d --trials 1 --seed %llu --keep  (where the kill lands "
                "depends on timing; --kill-after-ack %zu kills near the same point)\n",
                argv0, cfg.threads, static_cast<unsigned long long>(seed), o.acks);
        }
        if (!cfg.verbose && ((i + 1) % step == 0 || i + 1 == cfg.trials)) {
            double secs = std::chrono::duration<double>(Clock::now() - begin).count();
            std::printf("crash trials (%d threads): %llu/%llu run, %llu failed, %.1f s\n",
                        cfg.threads, static_cast<unsigned long long>(i + 1),
                        static_cast<unsigned long long>(cfg.trials),
                        static_cast<unsigned long long>(failed), secs);
        }
    }
    const double secs = std::chrono::duration<double>(Clock::now() - begin).count();
    std::string per_kind;
    for (const auto &[k, n] : kinds)
        per_kind += (per_kind.empty() ? "" : ", ") + k + " " + std::to_string(n);
    std::printf("workload (%d threads): acknowledged %s\n", cfg.threads,
                per_kind.empty() ? "nothing" : per_kind.c_str());
    std::printf(
        "kill points: %llu operations in flight, %llu of them writes inside the call (%llu had "
        "committed, "
        "%llu had not), %llu more committed and returned but not acknowledged; %llu trials left a "
        "torn WAL tail\n",
        static_cast<unsigned long long>(in_flight), static_cast<unsigned long long>(writes_in_call),
        static_cast<unsigned long long>(committed),
        static_cast<unsigned long long>(writes_in_call - std::min(writes_in_call, committed)),
        static_cast<unsigned long long>(returned), static_cast<unsigned long long>(torn_wal));
    if (cfg.power_cut) {
        std::printf(
            "power cut at each kill: %llu writes (%llu bytes) since the last sync undone; in %llu "
            "trials "
            "they held committed transactions\n",
            static_cast<unsigned long long>(undone_writes),
            static_cast<unsigned long long>(undone_bytes),
            static_cast<unsigned long long>(cut_trials));
    }
    std::printf(
        "checked: %llu conversations, %llu feed events, %llu idempotent replays, %llu new messages "
        "after reopen; %.1f s\n",
        static_cast<unsigned long long>(conversations),
        static_cast<unsigned long long>(feed_events), static_cast<unsigned long long>(replays),
        static_cast<unsigned long long>(after_reopen), secs);
    if (cfg.inject_drop_commit || cfg.inject_ack_before_sync) {
        std::printf(
            "self-test: %llu of %llu trials with acknowledged commits lost on purpose were "
            "caught\n",
            static_cast<unsigned long long>(detected), static_cast<unsigned long long>(injected));
    }
    std::printf(
        "crash trials (%d threads): %llu passed, %llu failed (acknowledged ops checked: %llu, "
        "kills "
        "mid-transaction: %llu)\n",
        cfg.threads, static_cast<unsigned long long>(passed),
        static_cast<unsigned long long>(failed), static_cast<unsigned long long>(acked_ops),
        static_cast<unsigned long long>(mid_transaction));
    if ((cfg.inject_drop_commit || cfg.inject_ack_before_sync) && injected == 0) {
        std::printf("self-test: no trial lost commits; kill later (--kill-after-ack)\n");
        return 1;
    }
    return failed == 0 && detected == injected ? 0 : 1;
}

}  // namespace crash
