// The child's side of a crash trial.
//
// Pipe protocol: one JSON object per line, written only after the operation's calls returned:
//   {"k":n,"op":"open"|"agent_put"|"create"|"dispatch"|"clock"|"tick"|"done",
//    "rc":"CONVO_OK"|..., "err":"<convo_last_error()>", "clock":<now, Unix ms>,
//    "events":[<every feed event the subscriber saw during the operation>],
//    "states":{"<conversation id>":<conversation_state() read after the operation>},
//    ...operation fields: "org", "id", "req" (the request or event sent), "expect" (the code a
//    deliberately wrong call must give), "version_ids" (agent_put), "http" and "resp_fp"
//    (create), "ret_fp" and "duplicate" (dispatch), "to" (clock), "fired" (tick)}
// k counts operations from 1 without gaps. The subscriber runs on the calling thread before the
// call returns (there is no timer thread), so "events" is exactly what the operation committed.
#include "workload.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "crash_common.h"
#include "trial.h"

namespace crash {
namespace {

struct Known {
    std::string id;
    std::string org;  // "a" | "b"
    std::string channel;
    std::string status;
    json request;
    std::vector<json> applied;  // accepted events that carried an event_id
};

void on_event(void *user_data, const char *event_json) {
    static_cast<std::vector<json> *>(user_data)->push_back(json::parse(event_json));
}

class Workload {
public:
    Workload(std::string path, uint64_t seed, int fd, InFlight *in_flight)
        : path_(std::move(path)),
          seed_(seed),
          rng_(seed * 0x9E3779B97F4A7C15ull + 7),
          fd_(fd),
          in_flight_(in_flight) {}

    [[noreturn]] void run(int max_ops) {
        open();
        put_agents();
        for (int i = 0; i < max_ops; ++i) step();
        begin(json{{"op", "done"}});
        ack(json{{"op", "done"}, {"rc", "CONVO_OK"}});
        for (;;) pause();  // the parent kills us
    }

private:
    // ---- randomness --------------------------------------------------------------------------
    int pick(int n) { return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng_)); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
    int64_t range(int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
    }
    template <typename T>
    const T &one_of(const std::vector<T> &v) {
        return v[static_cast<size_t>(pick(static_cast<int>(v.size())))];
    }

    // A client conversation id, a UUID derived from the seed and a counter.
    std::string next_uuid() { return seeded_uuid(seed_, ++uuid_counter_); }

    // ---- protocol ----------------------------------------------------------------------------
    void begin(json intent) {
        ++k_;
        intent["k"] = k_;
        record_intent(in_flight_, k_, intent.dump());
        captured_.clear();
    }

    // Runs the operation's main call with the in_call mark set, so the parent can tell a kill
    // inside it from one in the reads that follow.
    template <typename Fn>
    auto call(Fn &&fn) {
        in_flight_->in_call.store(1);
        auto result = fn();
        in_flight_->in_call.store(0);
        return result;
    }

    void ack(json line) {
        in_flight_->finished.store(k_);
        line["k"] = k_;
        int64_t now = 0;
        if (engine_ != nullptr) convo_clock_now(engine_, &now);
        line["clock"] = now;
        line["events"] = captured_;
        write_all(fd_, line.dump() + "\n");
    }

    [[noreturn]] void fatal(const std::string &what) {
        ack(json{{"op", "fatal"}, {"rc", "CONVO_EINTERNAL"}, {"err", what}});
        _exit(2);
    }

    convo_session *session(const std::string &org) { return sessions_[org == "a" ? 0 : 1]; }

    // The state of each conversation in `ids`, read after the operation.
    json states_for(const std::set<std::string> &ids) {
        json out = json::object();
        for (const std::string &id : ids) {
            auto it = index_.find(id);
            std::string org = it != index_.end() ? known_[it->second].org : pending_org_;
            Call c = get(session(org), id);
            if (!c.ok()) {
                out[id] = json{{"error", convo_code_name(c.code)}};
                continue;
            }
            out[id] = conversation_state(c.body);
            if (it != index_.end()) {
                known_[it->second].status = c.body.at("status").get<std::string>();
            }
        }
        return out;
    }

    std::set<std::string> touched(const std::string &also) {
        std::set<std::string> ids;
        for (const json &e : captured_) ids.insert(e.at("conversation_id").get<std::string>());
        if (!also.empty()) ids.insert(also);
        return ids;
    }

    static std::string code(convo_code c) { return convo_code_name(c); }

    // ---- setup -------------------------------------------------------------------------------
    void open() {
        begin(json{{"op", "open"}});
        convo_code rc = call(
            [&] { return convo_engine_open(engine_options(path_, kStart).c_str(), &engine_); });
        if (rc != CONVO_OK) {
            engine_ = nullptr;
            fatal(std::string("convo_engine_open: ") + code(rc) + ": " + convo_last_error());
        }
        uint64_t sub = 0;
        convo_subscribe(engine_, on_event, &captured_, &sub);
        const char *orgs[2] = {kOrgA, kOrgB};
        for (int i = 0; i < 2; ++i) {
            if (convo_session_open(engine_, orgs[i], kAllScopes, &sessions_[i]) != CONVO_OK) {
                fatal(std::string("convo_session_open: ") + convo_last_error());
            }
        }
        std::string error;
        if (!table_.load(engine_, &error)) fatal(error);
        ack(json{{"op", "open"}, {"rc", code(rc)}});
    }

    void put_agents() {
        for (const char *org : {"a", "b"}) {
            json support{
                {"id", "support"},
                {"name", "Support"},
                {"phone_number", std::string(org) == "a" ? "+18885550100" : "+18885550200"},
                {"versions",
                 {{{"version", 1},
                   {"published", true},
                   {"greeting", "Hi! How can I help?"},
                   {"speaks_first", true},
                   {"default_subject", "Hello"}},
                  {{"version", 2}, {"published", false}, {"greeting", "Draft"}}}}};
            json quiet{
                {"id", "quiet"},
                {"name", "Quiet"},
                {"versions", {{{"version", 1}, {"published", true}, {"speaks_first", false}}}}};
            for (const json &agent : {support, quiet}) {
                begin(json{{"op", "agent_put"}, {"org", org}, {"req", agent}});
                Call c = call([&] { return agent_put(session(org), agent); });
                json ids = json::array();
                if (c.ok()) {
                    for (const json &v : c.body.at("versions")) ids.push_back(v.at("id"));
                }
                if (c.ok() && agent.at("id") == "support") {
                    version_ids_[org] = ids.at(0).get<std::string>();
                }
                ack(json{{"op", "agent_put"},
                         {"org", org},
                         {"req", agent},
                         {"rc", code(c.code)},
                         {"err", c.error},
                         {"version_ids", ids}});
            }
        }
    }

    // ---- one random operation ------------------------------------------------------------------
    void step() {
        int w = pick(100);
        if (known_.empty() && w >= 14 && w < 71) w = 0;  // nothing to dispatch to yet
        if (w < 14) return create_new();
        if (w < 16) return create_repeat();
        if (w < 17) return create_foreign();
        if (w < 19) return create_refused();
        if (w < 67) return dispatch_random();
        if (w < 69) return dispatch_invalid();
        if (w < 71) return dispatch_unknown();
        if (w < 86) return advance_clock();
        tick();
    }

    std::string random_org() { return chance(0.7) ? "a" : "b"; }

    // A WhatsApp template, as a create's opening message or a business message outside the window.
    static json template_of(const std::string &name, const std::string &n) {
        return json{{"name", name}, {"variables", {{"body", json::array({"v" + n})}}}};
    }

    json new_request(const std::string &org) {
        static const std::vector<std::string> kChannels = {"text",      "email", "webrtc",
                                                           "telephone", "sms",   "whatsapp"};
        const std::string channel = one_of(kChannels);
        const int n = static_cast<int>(known_.size());
        json r{{"id", next_uuid()}, {"channel", channel}};
        if (channel == "telephone") {
            r["user_id"] = "+1415555" + std::to_string(1000 + n % 9000);
            r["direction"] = chance(0.5) ? "inbound" : "outbound";
        } else if (channel == "sms" || channel == "whatsapp") {
            // Few contacts, so that conversations share a WhatsApp window.
            r["user_id"] = "+1415555" + std::to_string(2000 + pick(4));
            r["direction"] = chance(0.5) ? "inbound" : "outbound";
            if (chance(0.3)) r["from_number"] = "+18885550300";  // else the agent's number
            if (channel == "whatsapp" && chance(0.5)) {
                r["message"] = json{{"type", "template"},
                                    {"template", template_of("welcome", std::to_string(n))}};
            }
        } else {
            r["user_id"] = "user_" + std::to_string(n);
            if (chance(0.2)) r["direction"] = "inbound";
        }
        if (channel == "email") r["to_address"] = "user" + std::to_string(n) + "@example.com";
        int how = pick(10);
        if (channel == "telephone" && how == 0) {
            r["agent_number"] = org == "a" ? "+18885550100" : "+18885550200";
        } else if (how < 5) {
            r["agent_id"] = "support";
            if (chance(0.3)) r["version"] = 1;
        } else if (how < 7) {
            r["agent_id"] = "quiet";
        } else if (how < 9 || version_ids_[org].empty()) {
            r["agent_config"] = json{
                {"name", "Configured"}, {"greeting", "Hello there"}, {"speaks_first", chance(0.5)}};
        } else {
            r["agent_version_id"] = version_ids_[org];
        }
        if (chance(0.5)) r["idle_timeout_minutes"] = range(1, 15);
        if (chance(0.7)) r["max_open_minutes"] = range(5, 150);  // above 120 is clamped
        if (chance(0.3)) r["custom_metadata"] = json{{"crm", "c" + std::to_string(n % 7)}};
        if (chance(0.2)) r["initial_context"] = "context " + std::to_string(n);
        if (chance(0.25)) {
            json seeds = json::array({json{{"role", "user"}, {"text", "earlier " + std::to_string(n)}}});
            if (chance(0.5)) seeds.push_back(json{{"role", "agent"}, {"text", "reply " + std::to_string(n)}});
            r["messages"] = seeds;
        }
        if (chance(0.25)) r["tags"] = json::array({"seeded", "t" + std::to_string(n % 3)});
        return r;
    }

    // Sends a create and acknowledges it; `expect` names the code a deliberate error must give.
    void send_create(const std::string &org, const json &req, const char *expect) {
        const std::string id = req.at("id").get<std::string>();
        json intent{{"op", "create"}, {"org", org}, {"id", id}, {"req", req}};
        if (expect != nullptr) intent["expect"] = expect;
        begin(intent);
        pending_org_ = org;
        Call c = call([&] { return create(session(org), req); });
        bool is_new = c.ok() && index_.count(id) == 0;
        if (is_new) {
            index_[id] = known_.size();
            known_.push_back(Known{id, org, req.at("channel").get<std::string>(), "", req, {}});
        }
        json line = intent;
        line["rc"] = code(c.code);
        line["err"] = c.error;
        line["http"] = c.http;
        if (c.ok()) line["resp_fp"] = fingerprint_text(c.body.dump());
        line["states"] = states_for(touched(c.ok() ? id : std::string()));
        ack(line);
    }

    void create_new() {
        std::string org = random_org();
        send_create(org, new_request(org), nullptr);
    }

    void create_repeat() {
        if (known_.empty()) return create_new();
        const Known c = one_of(known_);  // a copy: send_create may grow known_
        send_create(c.org, c.request, nullptr);
    }

    void create_foreign() {
        if (known_.empty()) return create_new();
        const Known c = one_of(known_);
        send_create(c.org == "a" ? "b" : "a", c.request, "CONVO_ECONFLICT");
    }

    void create_refused() {
        std::string org = random_org();
        json r = new_request(org);
        r.erase("agent_id");
        r.erase("agent_config");
        r.erase("agent_version_id");
        r.erase("agent_number");
        r.erase("version");
        const char *expect = "CONVO_EPRECONDITION";
        switch (pick(3)) {
            case 0:  // an unknown agent
                r["agent_id"] = "ghost";
                break;
            case 1:  // an unpublished version
                r["agent_id"] = "support";
                r["version"] = 2;
                break;
            default:  // an invalid timeout
                r["agent_id"] = "support";
                r["idle_timeout_minutes"] = 0;
                expect = "CONVO_EINVALID";
        }
        send_create(org, r, expect);
    }

    json event_body(const std::string &type, const Known &c) {
        json e{{"type", type}};
        const std::string n = std::to_string(k_ + 1);
        if (type == "message") {
            int r = pick(10);
            e["role"] = r < 6 ? "user" : r < 9 ? "agent" : "human";
            if (c.channel == "whatsapp" && e["role"] != "user" && chance(0.4)) {
                e["template"] = template_of("follow_up", n);  // allowed outside the window
            } else {
                e["text"] = "m" + n;
            }
        } else if (type == "takeover") {
            if (chance(0.5)) e["minutes"] = range(1, 15);
        } else if (type == "close") {
            if (chance(0.3)) e["skip_notifications"] = chance(0.5);
        } else if (type == "finalize") {
            if (chance(0.4)) e["summary"] = "wrap-up " + n;
            if (chance(0.3)) e["topic"] = "topic " + n;
            if (chance(0.2)) e["actions_needed"] = json::array({"follow up " + n});
            if (chance(0.2)) e["tags"] = json::array({"done"});
        } else if (type == "end") {
            if (chance(0.5)) e["reason"] = "resolved";
        } else if (type == "fail") {
            e["reason"] = "carrier_error";
        } else if (type == "transfer") {
            e["to"] = "+18885550999";
        } else if (type == "annotate") {
            switch (pick(5)) {
                case 0:
                    e["tags"] = json::array({"t" + n});
                    break;
                case 1:
                    e["topic"] = "topic " + n;
                    break;
                case 2:
                    e["summary"] = "summary " + n;
                    break;
                case 3:
                    e["actions_needed"] = json::array({"call back " + n});
                    break;
                default:
                    e["recording_details"] = json{{"url", "https://rec.example/" + n}};
            }
        }
        if (chance(0.8)) e["event_id"] = "ev-" + c.id.substr(0, 8) + "-" + n;
        if (chance(0.2)) {
            int64_t now = 0;
            convo_clock_now(engine_, &now);
            e["at"] = format_time(now - range(0, 20000));
        }
        return e;
    }

    // Picks among allowed events so that conversations live a while: mostly progress and
    // messages, sometimes an ending (names not listed weigh 1).
    std::string weighted(const std::vector<std::string> &types) {
        static const std::map<std::string, int> kWeight = {
            {"message", 12},  {"ringing", 6},  {"answered", 6}, {"joined", 6},
            {"delivered", 6}, {"annotate", 2}, {"end", 2},    {"takeover", 3},
            {"handback", 3},  {"finalize", 4}};
        int total = 0;
        for (const std::string &t : types) total += kWeight.count(t) ? kWeight.at(t) : 1;
        int r = pick(total);
        for (const std::string &t : types) {
            r -= kWeight.count(t) ? kWeight.at(t) : 1;
            if (r < 0) return t;
        }
        return types.back();
    }

    Known &pick_conversation() {
        std::vector<size_t> open;
        for (size_t i = 0; i < known_.size(); ++i) {
            if (!table_.is_terminal(known_[i].status)) open.push_back(i);
        }
        if (!open.empty() && chance(0.85)) return known_[one_of(open)];
        return known_[static_cast<size_t>(pick(static_cast<int>(known_.size())))];
    }

    void send_dispatch(const std::string &org, const std::string &id, const json &body,
                       bool duplicate, const char *expect) {
        json intent{{"op", "dispatch"}, {"org", org}, {"id", id}, {"req", body}};
        if (expect != nullptr) intent["expect"] = expect;
        begin(intent);
        pending_org_ = org;
        Call c = call([&] { return dispatch(session(org), id, body); });
        json line = intent;
        line["rc"] = code(c.code);
        line["err"] = c.error;
        line["duplicate"] = duplicate;
        if (c.ok()) line["ret_fp"] = conversation_fingerprint(c.body);
        auto it = index_.find(id);
        bool mine = it != index_.end() && known_[it->second].org == org;
        line["states"] = states_for(touched(mine ? id : std::string()));
        if (c.ok() && mine && !duplicate && body.contains("event_id")) {
            known_[it->second].applied.push_back(body);
        }
        ack(line);
    }

    void dispatch_random() {
        Known &c = pick_conversation();
        if (!c.applied.empty() && chance(0.12)) {
            json body = one_of(c.applied);  // a carrier retrying a delivered webhook
            return send_dispatch(c.org, c.id, body, true, nullptr);
        }
        std::vector<std::string> allowed = table_.allowed(c.status, c.channel);
        std::string type;
        if (!allowed.empty() && chance(0.7)) {
            type = weighted(allowed);
        } else {
            std::vector<std::string> all(table_.event_types.begin(), table_.event_types.end());
            type = one_of(all);
        }
        send_dispatch(c.org, c.id, event_body(type, c), false, nullptr);
    }

    void dispatch_invalid() {
        Known &c = pick_conversation();
        json body = chance(0.5) ? json{{"type", "message"}, {"role", "user"}}  // no text
                                : json{{"type", "teleport"}};
        send_dispatch(c.org, c.id, body, false, "CONVO_EINVALID");
    }

    void dispatch_unknown() {
        if (!known_.empty() && chance(0.5)) {  // another organization's conversation
            Known &c = pick_conversation();
            json body{{"type", "annotate"}, {"topic", "not yours"}};
            return send_dispatch(c.org == "a" ? "b" : "a", c.id, body, false, "CONVO_ENOTFOUND");
        }
        send_dispatch(random_org(), next_uuid(), json{{"type", "cancel"}}, false,
                      "CONVO_ENOTFOUND");
    }

    void advance_clock() {
        int64_t now = 0;
        convo_clock_now(engine_, &now);
        int r = pick(10);
        int64_t delta = r < 6   ? range(100, 20000)
                        : r < 9 ? range(20000, 180000)
                                : range(180000, 1800000);
        int64_t to = now + delta;
        begin(json{{"op", "clock"}, {"to", to}});
        convo_code rc = call([&] { return convo_clock_set(engine_, to); });
        ack(json{{"op", "clock"}, {"to", to}, {"rc", code(rc)}, {"err", convo_last_error()}});
    }

    void tick() {
        begin(json{{"op", "tick"}});
        unsigned fired = 0;
        convo_code rc = call([&] { return convo_tick(engine_, &fired); });
        std::string err = convo_last_error();
        json line{{"op", "tick"}, {"rc", code(rc)}, {"err", err}, {"fired", fired}};
        line["states"] = states_for(touched(std::string()));
        ack(line);
    }

    std::string path_;
    uint64_t seed_;
    std::mt19937_64 rng_;
    int fd_;
    InFlight *in_flight_;
    uint64_t k_ = 0;
    uint64_t uuid_counter_ = 0;
    convo_engine *engine_ = nullptr;
    convo_session *sessions_[2] = {nullptr, nullptr};
    std::vector<json> captured_;
    Lifecycle table_;
    std::vector<Known> known_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> version_ids_;
    std::string pending_org_ = "a";
};

}  // namespace

void run_workload(const std::string &db_path, uint64_t seed, int ack_fd, InFlight *in_flight,
                  int max_ops) {
    Workload(db_path, seed, ack_fd, in_flight).run(max_ops);
}

}  // namespace crash
