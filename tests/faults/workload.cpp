#include "workload.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>  // mkdtemp
#include <ctime>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace faults {
namespace {

constexpr unsigned kAllScopes =
    CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;

constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kDay = 24 * 60 * kMinute;

const char *const kOrgs[] = {"org_a", "org_b"};

// Client ids, so a create retried after a fault gets the id the fault-free run gave it.
const char *const kIds[] = {
    "00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2",
    "00000000-0000-4000-8000-0000000000a3", "00000000-0000-4000-8000-0000000000a4",
    "00000000-0000-4000-8000-0000000000b5", "00000000-0000-4000-8000-0000000000b6",
};
const std::string U1 = kIds[0], U2 = kIds[1], U3 = kIds[2], U4 = kIds[3], U5 = kIds[4],
                  U6 = kIds[5];

std::string rfc3339(int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

json agent_abc(bool publish_v2) {
    return json{{"id", "agent_abc"},
                {"name", "Support"},
                {"phone_number", "+18885550000"},
                {"versions", json::array({json{{"version", 1},
                                               {"published", true},
                                               {"greeting", "Hi! How can I help?"},
                                               {"speaks_first", true},
                                               {"default_subject", "Hello from Support"},
                                               {"capabilities", {{"supportsVideoInput", true}}}},
                                          json{{"version", 2},
                                               {"published", publish_v2},
                                               {"greeting", "Version two"},
                                               {"speaks_first", true}}})}};
}

json agent_xyz() {
    return json{
        {"id", "agent_xyz"},
        {"name", "Sales"},
        {"phone_number", "+18885550001"},
        {"versions",
         json::array({json{{"version", 1}, {"published", true}, {"greeting", "Hello from B"}}})}};
}

Step open_step() {
    return Step{"open", StepKind::open, "", {}, "", 0};
}
Step close_step() {
    return Step{"close", StepKind::close, "", {}, "", 0};
}
Step agent(const std::string &org, json a, const std::string &label) {
    return Step{label, StepKind::agent_put, org, std::move(a), "", 0};
}
Step create(const std::string &org, json r, const std::string &label) {
    return Step{label, StepKind::create, org, std::move(r), "", 0};
}
Step dispatch(const std::string &org, const std::string &id, json e, const std::string &label) {
    return Step{label, StepKind::dispatch, org, std::move(e), id, 0};
}
Step clock(int64_t ms, const std::string &label) {
    return Step{label, StepKind::set_clock, "", {}, "", ms};
}
Step tick() {
    return Step{"tick", StepKind::tick, "", {}, "", 0};
}

std::vector<Step> build_workload() {
    const int64_t t0 = kWorkloadStartMs;
    return {
        open_step(),
        agent("org_a", agent_abc(false), "agent_put org_a agent_abc"),
        agent("org_b", agent_xyz(), "agent_put org_b agent_xyz"),
        create("org_a",
               {{"id", U1},
                {"channel", "text"},
                {"user_id", "user_1"},
                {"agent_id", "agent_abc"},
                {"idle_timeout_minutes", 5},
                {"initial_context", "VIP"},
                {"custom_metadata", {{"crm", "c-1"}, {"tier", "gold"}}}},
               "create text U1"),
        create("org_a",
               {{"id", U2},
                {"channel", "email"},
                {"user_id", "user_2"},
                {"agent_id", "agent_abc"},
                {"to_address", "customer@example.com"}},
               "create email U2"),
        create("org_a",
               {{"id", U3},
                {"channel", "webrtc"},
                {"user_id", "user_3"},
                {"agent_id", "agent_abc"},
                {"version", 1}},
               "create webrtc U3"),
        create("org_a",
               {{"id", U4},
                {"channel", "telephone"},
                {"user_id", "+14155551234"},
                {"agent_id", "agent_abc"}},
               "create telephone outbound U4"),
        create("org_b",
               {{"id", U5},
                {"channel", "telephone"},
                {"direction", "inbound"},
                {"user_id", "+14155550005"},
                {"agent_number", "+18885550001"}},
               "create telephone inbound U5"),
        create("org_b",
               {{"id", U6},
                {"channel", "text"},
                {"user_id", "user_6"},
                {"agent_config", {{"name", "Inline"}, {"greeting", "Yo"}, {"speaks_first", false}}},
                {"idle_timeout_minutes", 10}},
               "create text U6 (agent_config)"),
        dispatch("org_a", U1,
                 {{"type", "message"}, {"role", "user"}, {"text", "hello"}, {"event_id", "evt-1"}},
                 "dispatch U1 message user"),
        dispatch("org_a", U1,
                 {{"type", "message"}, {"role", "agent"}, {"text", "hi, how can I help?"}},
                 "dispatch U1 message agent"),
        dispatch("org_a", U4, {{"type", "ringing"}}, "dispatch U4 ringing"),
        dispatch("org_a", U4, {{"type", "answered"}, {"event_id", "carrier-7"}},
                 "dispatch U4 answered"),
        dispatch("org_a", U2, {{"type", "message"}, {"role", "user"}, {"text", "reply by email"}},
                 "dispatch U2 message (opens email)"),
        dispatch("org_a", U3, {{"type", "joined"}}, "dispatch U3 joined"),
        dispatch("org_a", U1,
                 {{"type", "annotate"},
                  {"summary", "asked for help"},
                  {"tags", {"vip", "billing"}},
                  {"topic", "billing"}},
                 "dispatch U1 annotate"),
        dispatch("org_a", U4, {{"type", "end"}, {"reason", "caller hung up"}}, "dispatch U4 end"),
        dispatch("org_a", U3, {{"type", "transfer"}, {"to", "+18005550199"}},
                 "dispatch U3 transfer"),
        dispatch("org_a", U1,
                 {{"type", "message"}, {"role", "user"}, {"text", "hello"}, {"event_id", "evt-1"}},
                 "dispatch U1 repeated event_id"),
        create("org_a",
               {{"id", U1},
                {"channel", "text"},
                {"user_id", "user_1"},
                {"agent_id", "agent_abc"},
                {"idle_timeout_minutes", 5},
                {"initial_context", "VIP"},
                {"custom_metadata", {{"crm", "c-1"}, {"tier", "gold"}}}},
               "create text U1 again (idempotent)"),
        dispatch("org_a", U4, {{"type", "message"}, {"role", "user"}, {"text", "too late"}},
                 "dispatch U4 message (refused: completed)"),
        agent("org_a", agent_abc(true), "agent_put org_a agent_abc (publish v2)"),
        close_step(),
        open_step(),
        clock(t0 + 61 * kSecond, "clock +61s"),
        tick(),
        dispatch("org_b", U6, {{"type", "message"}, {"role", "user"}, {"text", "hi"}},
                 "dispatch U6 message"),
        clock(t0 + 7 * kMinute, "clock +7min"),
        tick(),
        Step{"list org_a",
             StepKind::list,
             "org_a",
             {{"status", {"completed", "transferred"}}},
             "",
             0},
        Step{"events org_a", StepKind::events, "org_a", {{"after", 0}, {"limit", 0}}, "", 0},
        Step{"events org_b", StepKind::events, "org_b", {{"after", 0}, {"limit", 0}}, "", 0},
        Step{"next_deadline", StepKind::next_deadline, "", {}, "", 0},
        dispatch("org_a", U2, {{"type", "end"}}, "dispatch U2 end"),
        clock(t0 + 2 * kDay, "clock +2d"),
        tick(),
        Step{"events org_a page", StepKind::events, "org_a", {{"after", 5}, {"limit", 3}}, "", 0},
        Step{"next_deadline (none)", StepKind::next_deadline, "", {}, "", 0},
        close_step(),
    };
}

// Call the function first, then finish(): `out` must be read after the call has set it.
StepResult finish(convo_code code, char *out) {
    StepResult r;
    r.code = code;
    r.error = convo_last_error();
    if (out != nullptr) {
        r.out = out;
        convo_free(out);
    }
    return r;
}

}  // namespace

const std::vector<Step> &workload() {
    static const std::vector<Step> steps = build_workload();
    return steps;
}

bool writes(StepKind kind) {
    switch (kind) {
        case StepKind::open:
        case StepKind::agent_put:
        case StepKind::create:
        case StepKind::dispatch:
        case StepKind::tick:
        case StepKind::close:
            return true;
        default:
            return false;
    }
}

bool has_idempotency_key(const Step &step) {
    switch (step.kind) {
        case StepKind::create:
            return step.body.contains("id");
        case StepKind::dispatch:
            return step.body.contains("event_id");
        default:
            return false;
    }
}

Runner::Runner(std::string dir, int64_t clock_ms)
    : path_(std::move(dir) + "/convo.db"), clock_ms_(clock_ms) {}

Runner::~Runner() {
    close();
}

void Runner::close() {
    for (auto &s : sessions_) convo_session_close(s.second);
    sessions_.clear();
    convo_engine_close(engine_);
    engine_ = nullptr;
}

void Runner::learn_agent(const json &agent) {
    if (!agent.is_object() || !agent.contains("versions")) return;
    for (const json &v : agent["versions"]) {
        aliases_[v.value("id", "")] =
            "<" + agent.value("id", "") + "/v" + std::to_string(v.value("version", 0)) + ">";
    }
}

std::string Runner::normalize(json j) {
    // Tokens are random per create (a retried create draws a new one).
    if (j.is_object() && j.contains("connection_details"))
        j["connection_details"]["token"] = "<token>";
    std::string s = j.dump();
    for (const auto &a : aliases_) {
        if (a.first.empty()) continue;
        for (size_t at = s.find(a.first); at != std::string::npos; at = s.find(a.first, at)) {
            s.replace(at, a.first.size(), a.second);
        }
    }
    return s;
}

namespace {
void on_event(void *user_data, const char *event_json) {
    static_cast<std::vector<std::string> *>(user_data)->push_back(event_json);
}
}  // namespace

StepResult Runner::run(const Step &step) {
    auto session = [&]() { return sessions_.at(step.org); };
    char *out = nullptr;
    switch (step.kind) {
        case StepKind::open: {
            // No "seed": a seeded engine restarts its id sequence at every open, and the
            // trials reopen (version ids are compared through their aliases instead).
            json options{{"path", path_},
                         {"clock", "manual"},
                         {"start", rfc3339(clock_ms_)},
                         {"synchronous", "full"},
                         {"log_level", "off"}};
            convo_code code = convo_engine_open(options.dump().c_str(), &engine_);
            StepResult r = finish(code, nullptr);
            if (code != CONVO_OK) return r;
            for (const char *org : kOrgs) {
                convo_session *s = nullptr;
                if (convo_session_open(engine_, org, kAllScopes, &s) != CONVO_OK) {
                    throw std::runtime_error(std::string("session_open: ") + convo_last_error());
                }
                sessions_[org] = s;
            }
            // Where the feed stands, and a subscriber for what commits from now on.
            seq_at_open_ = 0;
            delivered_.clear();
            for (const char *org : kOrgs) {
                char *raw = nullptr;
                convo_code read = convo_events(sessions_[org], 0, 1000, &raw);
                if (read != CONVO_OK) {
                    // The engine opened but cannot read its feed: the step failed; let go of
                    // the database so the step can be retried.
                    r = finish(read, nullptr);
                    close();
                    return r;
                }
                json events = json::parse(raw)["events"];
                convo_free(raw);
                if (!events.empty())
                    seq_at_open_ = std::max(seq_at_open_, events.back()["seq"].get<uint64_t>());
            }
            uint64_t sub = 0;
            if (convo_subscribe(engine_, on_event, &delivered_, &sub) != CONVO_OK) {
                throw std::runtime_error(std::string("subscribe: ") + convo_last_error());
            }
            return r;
        }
        case StepKind::close:
            close();
            return StepResult{};
        case StepKind::agent_put: {
            convo_code code = convo_agent_put(session(), step.body.dump().c_str(), &out);
            StepResult r = finish(code, out);
            if (r.code == CONVO_OK) {
                json a = json::parse(r.out);
                learn_agent(a);
                r.out = normalize(a);
            }
            return r;
        }
        case StepKind::create: {
            int http = 0;
            convo_code code = convo_create(session(), step.body.dump().c_str(), &out, &http);
            StepResult r = finish(code, out);
            if (r.code == CONVO_OK)
                r.out = std::to_string(http) + " " + normalize(json::parse(r.out));
            return r;
        }
        case StepKind::dispatch: {
            convo_code code =
                convo_dispatch(session(), step.id.c_str(), step.body.dump().c_str(), &out);
            StepResult r = finish(code, out);
            if (r.code == CONVO_OK) r.out = normalize(json::parse(r.out));
            return r;
        }
        case StepKind::set_clock: {
            clock_ms_ = step.clock_ms;
            return finish(convo_clock_set(engine_, step.clock_ms), nullptr);
        }
        case StepKind::tick: {
            unsigned fired = 0;
            StepResult r = finish(convo_tick(engine_, &fired), nullptr);
            r.out = "fired " + std::to_string(fired);
            return r;
        }
        case StepKind::list: {
            convo_code code = convo_list(session(), step.body.dump().c_str(), &out);
            StepResult r = finish(code, out);
            if (r.code == CONVO_OK) r.out = normalize(json::parse(r.out));
            return r;
        }
        case StepKind::events: {
            convo_code code = convo_events(session(), step.body["after"].get<uint64_t>(),
                                           step.body["limit"].get<unsigned>(), &out);
            StepResult r = finish(code, out);
            if (r.code == CONVO_OK) r.out = normalize(json::parse(r.out));
            return r;
        }
        case StepKind::next_deadline: {
            int64_t ms = 0;
            StepResult r = finish(convo_next_deadline(engine_, &ms), nullptr);
            if (r.code == CONVO_OK) r.out = std::to_string(ms);
            return r;
        }
    }
    throw std::logic_error("unknown step kind");
}

bool Runner::snapshot(json *out, std::string *error) {
    json snap = json::object();
    for (const char *org : kOrgs) {
        convo_session *s = sessions_.at(org);
        json o = json::object();
        char *raw = nullptr;
        // The feed, all of it (the workload appends far fewer than 1000 events).
        convo_code code = convo_events(s, 0, 1000, &raw);
        if (code != CONVO_OK) {
            *error = std::string("events(") + org + "): " + convo_code_name(code) + " " +
                     convo_last_error();
            return false;
        }
        o["events"] = json::parse(raw)["events"];
        convo_free(raw);
        code = convo_list(s, "{\"limit\":100}", &raw);
        if (code != CONVO_OK) {
            *error = std::string("list(") + org + "): " + convo_code_name(code) + " " +
                     convo_last_error();
            return false;
        }
        json ids = json::array();
        const json page = json::parse(raw);  // not in the for: a temporary's member dangles
        for (const json &item : page["items"]) ids.push_back(item["id"]);
        convo_free(raw);
        o["list"] = ids;
        json convs = json::object();
        for (const char *id : kIds) {
            code = convo_get(s, id, &raw);
            if (code == CONVO_OK) {
                convs[id] = json::parse(raw);
                convo_free(raw);
            } else if (code == CONVO_ENOTFOUND) {
                convs[id] = nullptr;
            } else {
                *error = std::string("get(") + id + "): " + convo_code_name(code) + " " +
                         convo_last_error();
                return false;
            }
        }
        o["conversations"] = convs;
        json agents = json::object();
        for (const char *id : {"agent_abc", "agent_xyz"}) {
            code = convo_agent_get(s, id, &raw);
            if (code == CONVO_OK) {
                agents[id] = json::parse(raw);
                convo_free(raw);
                learn_agent(agents[id]);
            } else if (code == CONVO_ENOTFOUND) {
                agents[id] = nullptr;
            } else {
                *error = std::string("agent_get(") + id + "): " + convo_code_name(code) + " " +
                         convo_last_error();
                return false;
            }
        }
        o["agents"] = agents;
        snap[org] = o;
    }
    int64_t next = 0;
    convo_code code = convo_next_deadline(engine_, &next);
    if (code == CONVO_OK) {
        snap["next_deadline"] = next;
    } else if (code == CONVO_ENOTFOUND) {
        snap["next_deadline"] = nullptr;
    } else {
        *error = std::string("next_deadline: ") + convo_code_name(code) + " " + convo_last_error();
        return false;
    }
    *out = json::parse(normalize(snap));
    return true;
}

std::vector<std::pair<std::string, StepResult>> Runner::probe_calls(const Step &write) {
    std::vector<std::pair<std::string, StepResult>> got;
    convo_session *s = sessions_.at("org_a");
    char *out = nullptr;
    {
        convo_code code = convo_events(s, 0, 1000, &out);
        got.emplace_back("events", finish(code, out));
    }
    {
        out = nullptr;
        convo_code code = convo_get(s, kIds[0], &out);
        got.emplace_back("get", finish(code, out));
    }
    {
        out = nullptr;
        convo_code code = convo_list(s, "{\"limit\":100}", &out);
        got.emplace_back("list", finish(code, out));
    }
    {
        out = nullptr;
        convo_code code = convo_agent_get(s, "agent_abc", &out);
        got.emplace_back("agent_get", finish(code, out));
    }
    {
        int64_t ms = 0;
        StepResult r = finish(convo_next_deadline(engine_, &ms), nullptr);
        if (r.code == CONVO_OK) r.out = std::to_string(ms);
        got.emplace_back("next_deadline", r);
    }
    got.emplace_back(write.label, run(write));
    if (write.kind != StepKind::tick) {
        unsigned fired = 0;
        StepResult r = finish(convo_tick(engine_, &fired), nullptr);
        r.out = "fired " + std::to_string(fired);
        got.emplace_back("tick", r);
    }
    return got;
}

std::vector<std::string> Runner::check_deliveries(const json &snap) const {
    // The committed events since the open, in seq order, as the subscriber must have got them
    // (subscribers see every field; a SENSITIVE session's feed shows every field too).
    std::map<uint64_t, json> committed;
    for (const char *org : kOrgs) {
        for (const json &e : snap[org]["events"]) {
            if (e["seq"].get<uint64_t>() > seq_at_open_) committed[e["seq"].get<uint64_t>()] = e;
        }
    }
    std::vector<std::string> problems;
    size_t i = 0;
    for (const auto &c : committed) {
        if (i >= delivered_.size()) {
            problems.push_back("seq " + std::to_string(c.first) + " committed but not delivered");
            break;
        }
        json got = json::parse(delivered_[i]);
        if (got["seq"] != c.second["seq"] || got["type"] != c.second["type"] ||
            got["conversation_id"] != c.second["conversation_id"]) {
            problems.push_back("delivery " + std::to_string(i + 1) + " is " + got.dump() +
                               ", the feed has " + c.second.dump());
            break;
        }
        ++i;
    }
    if (problems.empty() && delivered_.size() > committed.size()) {
        problems.push_back("delivered " + std::to_string(delivered_.size()) + " events, " +
                           std::to_string(committed.size()) +
                           " committed; extra: " + delivered_[committed.size()].substr(0, 200));
    }
    return problems;
}

std::vector<std::string> check_consistency(const json &snap) {
    std::vector<std::string> problems;
    std::set<uint64_t> seqs;
    std::map<std::string, std::string> last_status;  // conversation → status after its events
    for (const char *org : kOrgs) {
        uint64_t prev = 0;
        for (const json &e : snap[org]["events"]) {
            uint64_t seq = e["seq"].get<uint64_t>();
            if (seq <= prev)
                problems.push_back(std::string(org) + ": feed out of order at seq " +
                                   std::to_string(seq));
            prev = seq;
            if (!seqs.insert(seq).second)
                problems.push_back("seq " + std::to_string(seq) + " appears twice");
            if (e.value("organization_id", "") != org) {
                problems.push_back("seq " + std::to_string(seq) + " of another organization in " +
                                   org + "'s feed");
            }
            if (e["to"].is_string()) last_status[e["conversation_id"].get<std::string>()] = e["to"];
        }
    }
    uint64_t expect = 1;
    for (uint64_t seq : seqs) {
        if (seq != expect) {
            problems.push_back("feed gap: seq " + std::to_string(expect) + " missing (next is " +
                               std::to_string(seq) + ")");
            break;
        }
        ++expect;
    }
    std::set<std::string> found;  // conversations some organization has
    for (const char *org : kOrgs) {
        for (auto it = snap[org]["conversations"].begin(); it != snap[org]["conversations"].end();
             ++it) {
            if (it->is_null()) continue;
            found.insert(it.key());
            auto st = last_status.find(it.key());
            if (st == last_status.end()) {
                problems.push_back(it.key() + ": conversation without a created event");
            } else if (st->second != (*it)["status"]) {
                problems.push_back(it.key() + ": status " + (*it)["status"].dump() +
                                   " but the feed leaves it " + st->second);
            }
        }
    }
    for (const auto &st : last_status) {
        if (!found.count(st.first))
            problems.push_back(st.first + ": feed events but no conversation");
    }
    return problems;
}

std::string describe_difference(const json &expected, const json &actual) {
    json patch = json::diff(expected, actual);
    std::string s;
    int n = 0;
    for (const json &op : patch) {
        if (n++ == 4) {
            s += " ... (" + std::to_string(patch.size()) + " differences)";
            break;
        }
        if (!s.empty()) s += "; ";
        std::string v = op.contains("value") ? op["value"].dump() : "";
        if (v.size() > 120) v = v.substr(0, 117) + "...";
        s += op["op"].get<std::string>() + " " + op["path"].get<std::string>() +
             (v.empty() ? "" : " = " + v);
    }
    return s;
}

void copy_database_files(const std::string &from_path, const std::string &to_path) {
    namespace fs = std::filesystem;
    for (const char *suffix : {"", "-wal", "-journal"}) {
        fs::path from = from_path + suffix, to = to_path + suffix;
        std::error_code ec;
        fs::remove(to, ec);
        if (fs::exists(from)) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    }
}

std::string make_temp_dir(const std::string &tag) {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/convo-faults-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    return buf.data();
}

void remove_dir(const std::string &dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

}  // namespace faults
