// simulate: a seeded workload in virtual time, checked step by step against the reference
// model (reference_model.h), with random engine restarts, ending in a feed checksum.
//
// The engine is reached through the C API only (capi_client.h). Every operation is one
// step: the model predicts its code, the feed events it appends and the conversation it
// leaves; the engine's answer, convo_events and convo_get must agree, or the run stops with
// a report. Conversations live a few virtual hours, so the run is a sliding window: each is
// created when its time comes and forgotten once it is closed, wrapped up and verified.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "capi_client.h"
#include "commands.h"
#include "demo_random.h"
#include "progress.h"
#include "reference_model.h"
#include "sim_workload.h"
#include "table.h"
#include "time_text.h"

namespace convo_cli {

using nlohmann::json;
using sim::Conversation;
using sim::Delivery;
using sim::kOrganizations;

namespace {

constexpr const char *kFirstDay = "2026-03-02";
constexpr unsigned kPage = 1000;            // convo_events page size
constexpr std::size_t kFeedTail = 512;      // events re-read after each restart
constexpr std::size_t kRetiredSample = 64;  // closed conversations re-read after restarts
constexpr std::size_t kHistory = 24;        // operations kept per conversation for reports
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

struct Args {
    uint64_t seed = 1;
    std::size_t conversations = 1000;
    int days = 1;
    std::string db;
    std::optional<int> restarts;  // default: one per simulated day
    bool trace = false;
};

// FNV-1a 64 over every feed event, compact JSON with sorted keys and a newline, in seq order.
class FeedChecksum {
public:
    void add(const std::string &event_text) {
        for (unsigned char ch : event_text) hash_ = (hash_ ^ ch) * kFnvPrime;
        hash_ = (hash_ ^ static_cast<unsigned char>('\n')) * kFnvPrime;
    }
    uint64_t value() const { return hash_; }
    std::string text() const {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash_));
        return buf;
    }

private:
    uint64_t hash_ = kFnvOffset;
};

uint64_t fnv1a(const std::string &text) {
    FeedChecksum h;
    h.add(text);
    return h.value();
}

// Raised at the first disagreement; the report is already in what().
class Divergence : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Every event as it commits (a subscriber: runs on this thread, inside engine calls).
class FeedTap {
public:
    static void on_event(void *self, const char *event_json) noexcept {
        try {
            static_cast<FeedTap *>(self)->seen_.emplace_back(event_json);
        } catch (...) {
            // Out of memory: the count comes out short and the step reports it.
        }
    }
    std::vector<std::string> take() { return std::exchange(seen_, {}); }

private:
    std::vector<std::string> seen_;
};

struct Live {
    sim::ConversationScript script;
    std::string id;
    std::vector<std::string> history;
};

// What happens next, in virtual time; ties in a fixed order so the run repeats.
struct Action {
    enum class Kind { restart = 0, tick = 1, create = 2, delivery = 3, retire = 4 };
    int64_t at_ms;
    Kind kind;
    uint64_t order;  // creation index or insertion counter
    uint64_t key;
    bool operator>(const Action &o) const {
        return std::tie(at_ms, kind, order) > std::tie(o.at_ms, o.kind, o.order);
    }
};

struct Counts {
    uint64_t steps = 0, creates = 0, refused_creates = 0, repeated_creates = 0, dispatches = 0,
             ticks = 0, restarts = 0, events = 0, timers_by_tick = 0, timers_by_dispatch = 0,
             retries_absorbed = 0, late_at_used = 0, at_ignored = 0, retired = 0, peak_live = 0,
             peak_contacts = 0;
    std::map<std::string, uint64_t> codes;     // dispatch outcomes by code name
    std::map<std::string, uint64_t> by_timer;  // firings by timer name
    std::map<std::pair<std::string, std::string>, uint64_t> finals;  // (status, channel)
};

// What there is to exercise, from the engine's own table (convo_describe(); the model does
// not read it): allowed (event, status, channel) rows, forbidden (event, status) cells and
// (timer, status) pairs, counting only the (status, channel) pairs a conversation can reach.
struct CoverageTotals {
    std::set<std::tuple<std::string, int, int>> rows;
    std::set<std::pair<std::string, int>> cells;
    std::set<std::pair<std::string, int>> timers;
};

CoverageTotals coverage_totals(const json &describe) {
    CoverageTotals t;
    // Each (status, channel) pair the rows of `event` allow.
    std::map<std::string, std::set<std::pair<int, int>>> allowed;
    auto each_reachable = [](const json &statuses, const json &channels, auto &&fn) {
        for (const json &st : statuses) {
            for (const json &ch : channels) {
                const auto s = sim::status_named(st.get<std::string>());
                const auto c = sim::channel_named(ch.get<std::string>());
                if (s && c && sim::reachable(*s, *c))
                    fn(static_cast<int>(*s), static_cast<int>(*c));
            }
        }
    };
    json every_channel = json::array();
    for (std::size_t ch = 0; ch < sim::kChannels; ++ch) {
        every_channel.push_back(sim::name(static_cast<sim::Channel>(ch)));
    }
    for (const json &e : describe.at("events")) {
        const std::string event = e.at("name").get<std::string>();
        auto &pairs = allowed[event];
        for (const json &row : e.at("transitions")) {
            each_reachable(json::array({row.at("from")}), row.at("channels"), [&](int s, int c) {
                pairs.insert({s, c});
                t.rows.insert({event, s, c});
            });
        }
    }
    json statuses = json::array();
    for (const json &st : describe.at("statuses")) statuses.push_back(st.at("name"));
    for (const auto &[event, pairs] : allowed) {
        each_reachable(statuses, every_channel, [&, &event = event, &pairs = pairs](int s, int c) {
            if (pairs.count({s, c}) == 0) t.cells.insert({event, s});
        });
    }
    for (const json &timer : describe.at("timers")) {
        const std::string name = timer.at("name").get<std::string>();
        each_reachable(timer.at("armed_in"), timer.at("channels"), [&](int s, int) {
            t.timers.insert({name, s});
        });
    }
    return t;
}

template <typename Set, typename Key, typename Map>
std::string fraction(const Set &taken, const std::set<Key> &total, Map map) {
    std::size_t n = 0;
    for (const auto &x : taken) n += total.count(map(x));
    return std::to_string(n) + "/" + std::to_string(total.size());
}

std::string coverage_line(const sim::Coverage &c, const CoverageTotals &t) {
    const auto same = [](const auto &x) { return x; };
    const auto timer_named = [](const std::pair<int, int> &x) {
        return std::make_pair(std::string(sim::name(static_cast<sim::Timer>(x.first))), x.second);
    };
    return fraction(c.accepted, t.rows, same) + " allowed (event, status, channel) rows taken, " +
           fraction(c.refused, t.cells, same) + " forbidden (event, status) cells refused, " +
           fraction(c.timers, t.timers, timer_named) + " (timer, status) firings; " +
           std::to_string(c.event_on_deadline) + " events on their deadline's millisecond, " +
           std::to_string(c.timer_ties) + " two-timer ties";
}

// The rules besides the table, each with how often it decided a step.
std::string rules_line(const sim::Coverage &c) {
    std::string line;
    for (const auto &[rule, count] : c.rules) {
        line += (line.empty() ? "" : "; ") + rule + " " + std::to_string(count);
    }
    return line;
}

std::vector<int> every_organization() {
    std::vector<int> orgs(kOrganizations);
    for (int org = 0; org < kOrganizations; ++org) orgs[org] = org;
    return orgs;
}

std::string q(const json &v) {
    return v.dump();
}

class Simulator {
public:
    Simulator(const Args &args, std::string path) : args_(args), path_(std::move(path)) {}

    void run();

private:
    // ---- engine lifetime ----
    std::string engine_options(int64_t start_ms) const {
        return json{{"path", path_},
                    {"clock", "manual"},
                    {"start", format_rfc3339(start_ms)},
                    {"synchronous", "normal"},  // a simulation: speed over durability
                    {"seed", args_.seed},
                    {"ring_timeout_seconds", sim::kRingTimeoutSeconds},
                    {"dial_timeout_seconds", sim::kDialTimeoutSeconds},
                    {"token_ttl_seconds", sim::kTokenTtlSeconds},
                    {"wrap_up_timeout_seconds", wrap_up_seconds_},
                    {"platform_max_open_minutes", sim::kPlatformMaxOpenMinutes},
                    {"log_level", "off"}}
            .dump();
    }
    void open_engine(int64_t start_ms) {
        engine_ = std::make_unique<Engine>(engine_options(start_ms));
        for (int org = 0; org < kOrganizations; ++org) {
            sessions_[org] = std::make_unique<Session>(*engine_, sim::Workload::organization(org));
        }
        tap_subscription_ = std::make_unique<Subscription>(*engine_, &FeedTap::on_event, &tap_);
    }
    void close_engine() {
        tap_subscription_.reset();
        for (auto &s : sessions_) s.reset();
        engine_.reset();
    }

    // ---- the actions ----
    void setup_agents();
    void create(uint64_t index);
    void deliver(uint64_t key);
    void tick();
    void restart();
    void retire(uint64_t key);
    void finish();

    void advance(int64_t at_ms) {
        if (at_ms <= now_) return;
        engine_->set_clock(at_ms);
        now_ = at_ms;
    }
    void schedule(int64_t at_ms, Action::Kind kind, uint64_t key) {
        queue_.push({at_ms, kind, ++scheduled_, key});
    }
    void schedule_next_delivery(uint64_t key) {
        Live &live = live_.at(key);
        if (live.script.deliveries.empty()) {
            schedule(now_, Action::Kind::retire, key);
        } else {
            schedule(live.script.deliveries.front().at_ms, Action::Kind::delivery, key);
        }
    }

    // ---- checks ----
    std::vector<json> read_events(int org, uint64_t after, std::size_t max_events = SIZE_MAX);
    std::vector<json> new_events(const std::vector<int> &orgs);
    void expect_events(const std::vector<json> &expected, const std::vector<json> &actual,
                       bool any_order_within_same_time);
    void expect_conversation(const Conversation &c, const std::string &actual_text,
                             const std::string &what);
    void expect_stored(const Conversation &c) {
        expect_conversation(c, sessions_[c.org]->get(c.id), "convo_get");
    }
    void expect_answer(const std::string &what, const sim::Prediction &p,
                       const Session::Attempt &got);
    void expect_next_deadline(const std::string &what) {
        const auto expected = model_.next_deadline();
        const auto actual = engine_->next_deadline();
        auto text = [](const std::optional<int64_t> &ms) {
            return ms ? json(format_rfc3339(*ms)) : json();
        };
        if (actual != expected) diverge(what, text(expected), text(actual));
    }
    [[noreturn]] void diverge(const std::string &what, const json &expected, const json &actual);
    void note(const std::string &operation, std::optional<uint64_t> key);

    const Args &args_;
    std::string path_;
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<Session> sessions_[kOrganizations];
    std::unique_ptr<Subscription> tap_subscription_;
    FeedTap tap_;

    // The wrap-up timeout is drawn from the seed (sim::wrap_up_seconds), like everything else.
    int64_t wrap_up_seconds_ = sim::wrap_up_seconds(args_.seed);
    sim::ReferenceModel model_{sim::ModelOptions{
        sim::kRingTimeoutSeconds * kMsPerSecond, sim::kDialTimeoutSeconds *kMsPerSecond,
        sim::kTokenTtlSeconds *kMsPerSecond, sim::kPlatformMaxOpenMinutes,
        wrap_up_seconds_ *kMsPerSecond}};
    sim::Workload workload_{args_.seed, wrap_up_seconds_};
    DemoRandom dice_{args_.seed ^ 0x5eed5eed5eedULL};  // the simulator's own choices

    int64_t start_ms_ = 0;
    int64_t span_ms_ = 0;
    int64_t now_ = 0;
    std::priority_queue<Action, std::vector<Action>, std::greater<>> queue_;
    uint64_t scheduled_ = 0;
    std::unordered_map<uint64_t, Live> live_;
    std::vector<int64_t> restart_times_;

    uint64_t last_seq_ = 0;
    FeedChecksum checksum_;
    // (seq, fnv1a of the event) of the last kFeedTail events, at seq % kFeedTail
    std::vector<std::pair<uint64_t, uint64_t>> tail_ =
        std::vector<std::pair<uint64_t, uint64_t>>(kFeedTail);
    std::vector<Conversation> retired_sample_;  // closed: their view no longer changes

    Counts counts_;
    CoverageTotals totals_;
    std::string operation_;  // the step being checked, for reports
    std::optional<uint64_t> operation_key_;
    std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
};

// ---- reports ----

void Simulator::note(const std::string &operation, std::optional<uint64_t> key) {
    ++counts_.steps;
    operation_ = operation;
    operation_key_ = key;
    if (args_.trace) {
        std::cerr << "step " << counts_.steps << " " << format_rfc3339(now_) << " " << operation
                  << '\n';
    }
    if (key) {
        auto it = live_.find(*key);
        if (it != live_.end()) {
            auto &h = it->second.history;
            if (h.size() >= kHistory) h.erase(h.begin());
            h.push_back("step " + std::to_string(counts_.steps) + " " + format_rfc3339(now_) + " " +
                        operation);
        }
    }
}

void Simulator::diverge(const std::string &what, const json &expected, const json &actual) {
    std::ostringstream os;
    os << "the engine diverged from the reference model\n"
       << "  seed        " << args_.seed << "\n"
       << "  step        " << counts_.steps << "\n"
       << "  virtual now " << format_rfc3339(now_) << "\n"
       << "  operation   " << operation_ << "\n"
       << "  what        " << what << "\n"
       << "  expected    " << q(expected) << "\n"
       << "  actual      " << q(actual) << "\n";
    if (operation_key_) {
        const auto it = live_.find(*operation_key_);
        if (it != live_.end()) {
            os << "  conversation " << (it->second.id.empty() ? "(not created)" : it->second.id)
               << ", created by " << it->second.script.request << "\n";
            if (const Conversation *c = model_.find(*operation_key_)) {
                os << "  model now   " << q(model_.view(*c, now_)) << "\n";
            }
            os << "  its operations so far:\n";
            for (const std::string &line : it->second.history) os << "    " << line << "\n";
        }
    }
    os << "  reproduce   convo simulate --seed " << args_.seed << " --conversations "
       << args_.conversations << " --days " << args_.days << " --restarts " << restart_times_.size()
       << " --trace";
    throw Divergence(os.str());
}

// The code, and the detail as far as the model predicts it (exactly, or the field it names).
void Simulator::expect_answer(const std::string &what, const sim::Prediction &p,
                              const Session::Attempt &got) {
    if (got.code != p.code) {
        diverge(what + " code (engine said: " + (got.detail.empty() ? "-" : got.detail) + ")",
                convo_code_name(p.code), convo_code_name(got.code));
    }
    if (p.detail && got.detail != *p.detail) diverge("error detail", *p.detail, got.detail);
    if (p.detail_field && got.detail.rfind(*p.detail_field + ": ", 0) != 0) {
        diverge("error detail names the field", *p.detail_field + ": ...", got.detail);
    }
}

// ---- feed ----

std::vector<json> Simulator::read_events(int org, uint64_t after, std::size_t max_events) {
    std::vector<json> out;
    while (out.size() < max_events) {
        const json page = json::parse(sessions_[org]->events(after, kPage));
        const json &events = page.at("events");
        for (const json &e : events) out.push_back(e);
        if (events.size() < kPage) break;
        after = page.at("next_seq").get<uint64_t>();
    }
    return out;
}

// The events the last step appended, across `orgs`, in seq order; checks them against what
// the subscriber saw, and that seq carries on without a gap.
std::vector<json> Simulator::new_events(const std::vector<int> &orgs) {
    std::vector<json> events;
    for (int org : orgs) {
        std::vector<json> some = read_events(org, last_seq_);
        for (json &e : some) events.push_back(std::move(e));
    }
    std::sort(events.begin(), events.end(), [](const json &a, const json &b) {
        return a.at("seq").get<uint64_t>() < b.at("seq").get<uint64_t>();
    });
    const std::vector<std::string> tapped = tap_.take();
    if (tapped.size() != events.size()) {
        json seen = json::array();
        for (const std::string &t : tapped) seen.push_back(json::parse(t));
        diverge("events committed (subscriber) vs events read back (convo_events)", seen,
                json(events));
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
        json &e = events[i];
        const uint64_t seq = e.at("seq").get<uint64_t>();
        if (seq != last_seq_ + 1) diverge("feed seq (gapless)", last_seq_ + 1, seq);
        // The subscriber got the same event (its seq; the content is checked against the
        // model through convo_events, and parsing everything twice would halve the pace).
        if (tapped[i].find("\"seq\":" + std::to_string(seq) + ",") == std::string::npos &&
            json::parse(tapped[i]).value("seq", uint64_t{0}) != seq) {
            diverge("subscriber event #" + std::to_string(i + 1) + " seq", seq,
                    json::parse(tapped[i]));
        }
        last_seq_ = seq;
        const std::string text = e.dump();
        checksum_.add(text);
        tail_[seq % kFeedTail] = {seq, fnv1a(text)};
        ++counts_.events;
    }
    return events;
}

void Simulator::expect_events(const std::vector<json> &expected, const std::vector<json> &actual,
                              bool any_order_within_same_time) {
    auto without_seq = [](json e) {
        e.erase("seq");
        return e;
    };
    if (expected.size() != actual.size()) {
        json got = json::array();
        for (const json &e : actual) got.push_back(without_seq(e));
        diverge("feed events appended (" + std::to_string(expected.size()) + " expected, " +
                    std::to_string(actual.size()) + " appended)",
                json(expected), got);
    }
    if (!any_order_within_same_time) {
        for (std::size_t i = 0; i < expected.size(); ++i) {
            if (without_seq(actual[i]) != expected[i]) {
                diverge("feed event #" + std::to_string(i + 1) + " of this step", expected[i],
                        actual[i]);
            }
        }
        return;
    }
    // A tick: deadline order, but the engine may order equal deadlines of different
    // conversations as it likes. A conversation's own events (a takeover ending, then its idle
    // timeout; a closing timer, then its wrap-up) come in the model's order.
    std::unordered_map<std::string, std::deque<const json *>> by_id;
    for (const json &e : expected) by_id[e.at("conversation_id").get<std::string>()].push_back(&e);
    std::string previous_at;
    for (const json &e : actual) {
        const std::string at = e.at("at").get<std::string>();
        if (at < previous_at) diverge("tick events in deadline order", previous_at, e);
        previous_at = at;
        auto &queue = by_id[e.at("conversation_id").get<std::string>()];
        if (queue.empty()) diverge("a timer event the model did not expect", json(), e);
        if (without_seq(e) != *queue.front()) diverge("timer event", *queue.front(), e);
        queue.pop_front();
    }
}

// Compares the conversation JSON the engine returned with the model's view of it.
void Simulator::expect_conversation(const Conversation &c, const std::string &actual_text,
                                    const std::string &what) {
    const json expected = model_.view(c, now_);
    const json actual = json::parse(actual_text);
    for (const auto &[key, value] : expected.items()) {
        json got;
        if (key == "message_count" || key == "last_message") {
            const json messages = actual.contains("conversation")
                                      ? actual["conversation"].value("messages", json::array())
                                      : json::array();
            got = key == "message_count" ? json(messages.size())
                                         : (messages.empty() ? json() : messages.back());
        } else if (actual.contains(key)) {
            got = actual[key];
        } else {
            diverge(std::string(what).append(": field '").append(key).append("' is missing"), value,
                    json());
        }
        if (got != value) diverge(std::string(what).append(".").append(key), value, got);
    }
}

// ---- actions ----

void Simulator::setup_agents() {
    for (int org = 0; org < kOrganizations; ++org) {
        for (const json &agent : sim::Workload::agents(org)) {
            const json stored = json::parse(sessions_[org]->agent_put(agent.dump()));
            sim::Agent a;
            a.id = agent.at("id").get<std::string>();
            if (agent.contains("phone_number")) a.phone_number = agent["phone_number"];
            for (const json &v : stored.at("versions")) {
                sim::AgentVersion version;
                version.version = v.at("version").get<int>();
                version.published = v.value("published", false);
                if (v.value("greeting", json()).is_string()) version.greeting = v["greeting"];
                version.speaks_first = v.value("speaks_first", true);
                version.id = v.at("id").get<std::string>();
                workload_.add_version_id(org, version.id, version.published);
                a.versions.push_back(version);
            }
            model_.put_agent(org, a);
        }
    }
}

void Simulator::create(uint64_t index) {
    const uint64_t key = index;
    Live &live = live_[key];
    live.script = workload_.script(index, now_);
    const int org = live.script.org;
    const std::string &request = live.script.request;
    note("create " + request + " as " + sim::Workload::organization(org), key);
    ++counts_.creates;

    const sim::CreatePlan plan =
        model_.plan_create(org, sim::Workload::organization(org), json::parse(request), now_);
    const Session::Attempt got = sessions_[org]->try_create(request);
    expect_answer("create", plan.prediction, got);
    if (got.code != CONVO_OK) {
        ++counts_.refused_creates;
        expect_events({}, new_events({org}), false);
        live_.erase(key);
        return;
    }
    const json body = json::parse(got.json);
    const std::string id = body.contains("contact_id")
                               ? body["contact_id"].get<std::string>()
                               : body.at("conversation").at("id").get<std::string>();
    live.id = id;
    const int expected_http =
        plan.channel == sim::Channel::telephone ? 202 : 200;  // sms, whatsapp: 200
    if (got.http_status != expected_http)
        diverge("create HTTP status", expected_http, got.http_status);
    if (plan.client_id && id != *plan.client_id)
        diverge("create: the client id", *plan.client_id, id);

    std::vector<json> expected;
    const Conversation *c = nullptr;
    if (plan.repeat) {
        ++counts_.repeated_creates;
        c = model_.find(plan.repeat_of);
        if (got.json != c->create_response) {
            diverge("repeated create: the stored response, unchanged", c->create_response,
                    got.json);
        }
    } else {
        c = &model_.commit_create(plan, key, id, sim::Workload::organization(org), got.json,
                                  got.http_status, now_, expected);
        switch (plan.channel) {
            case sim::Channel::text:
            case sim::Channel::sms:
            case sim::Channel::whatsapp:
            case sim::Channel::email: {
                const json start = plan.starting_message ? json(*plan.starting_message) : json();
                if (body.value("starting_message", json("missing")) != start) {
                    diverge("create: starting_message", start,
                            body.value("starting_message", json()));
                }
                break;
            }
            case sim::Channel::webrtc: {
                const json details = body.value("connection_details", json());
                if (!details.is_object() || !details.value("token", json()).is_string() ||
                    details.value("url", json()) != "wss://localhost/rtc" ||
                    !body.contains("capabilities")) {
                    diverge("create: webrtc connection_details and capabilities",
                            "{url,token} and capabilities", body);
                }
                break;
            }
            case sim::Channel::telephone:
                if (body.size() != 1)
                    diverge("create: telephone answers contact_id only", "contact_id", body);
                break;
        }
        if (body.contains("conversation"))
            expect_conversation(*c, body["conversation"].dump(), "create");
    }
    expect_events(expected, new_events({org}), false);
    expect_stored(*c);
    if (plan.repeat) {
        live_.erase(key);  // the repeat has no life of its own
        return;
    }
    schedule_next_delivery(key);
}

void Simulator::deliver(uint64_t key) {
    Live &live = live_.at(key);
    const Delivery d = live.script.deliveries.front();
    live.script.deliveries.pop_front();
    const int org = live.script.org;
    const int other = (org + 1) % kOrganizations;

    if (d.kind == Delivery::Kind::recreate || d.kind == Delivery::Kind::recreate_elsewhere) {
        const int as = d.kind == Delivery::Kind::recreate ? org : other;
        note("create again " + d.body + " as " + sim::Workload::organization(as), key);
        ++counts_.creates;
        const sim::CreatePlan plan =
            model_.plan_create(as, sim::Workload::organization(as), json::parse(d.body), now_);
        const Session::Attempt got = sessions_[as]->try_create(d.body);
        expect_answer("create", plan.prediction, got);
        const Conversation &c = *model_.find(key);
        if (got.code == CONVO_OK) {
            ++counts_.repeated_creates;
            if (got.json != c.create_response || got.http_status != c.http_status) {
                diverge("repeated create: the stored response and HTTP status",
                        json{c.create_response, c.http_status}, json{got.json, got.http_status});
            }
        }
        expect_events({}, new_events({org}), false);
        expect_stored(c);
        schedule_next_delivery(key);
        return;
    }

    const int as = d.kind == Delivery::Kind::wrong_organization ? other : org;
    std::string id = live.id;
    std::optional<uint64_t> target = key;
    if (d.kind == Delivery::Kind::unknown_id) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%08llx-0000-4000-8000-%012llx",
                      static_cast<unsigned long long>(dice_.between(0, 0xffffffffLL)),
                      static_cast<unsigned long long>(dice_.between(0, 0xffffffffffffLL)));
        id = buf;
        target.reset();
    }
    note("dispatch " + d.body + " to " + id + " as " + sim::Workload::organization(as), key);
    ++counts_.dispatches;

    const json event = json::parse(d.body);
    const Conversation &before = *model_.find(key);
    const int64_t updated_before = before.updated_at;
    const std::string event_id =
        event.is_object() ? event.value("event_id", std::string()) : std::string();
    const bool seen_id = !event_id.empty() && before.event_ids.count(event_id) != 0;
    const sim::Prediction p = model_.dispatch(as, target, event, now_);
    const Session::Attempt got = sessions_[as]->try_dispatch(id, d.body);
    ++counts_.codes[convo_code_name(got.code)];
    if (args_.trace) {
        std::cerr << "  -> " << convo_code_name(got.code) << " " << got.detail << " ("
                  << p.events.size() << " events expected)\n";
    }
    expect_answer("dispatch", p, got);

    const Conversation &after = *model_.find(key);
    for (const json &e : p.events) {
        if (!e.at("data").contains("timer")) continue;
        ++counts_.timers_by_dispatch;
        ++counts_.by_timer[e["data"]["timer"].get<std::string>()];
    }
    if (got.code == CONVO_OK && seen_id && as == org && target) ++counts_.retries_absorbed;
    if (event.is_object() && event.contains("at") && event["at"].is_string() &&
        p.code != CONVO_EINVALID && p.code != CONVO_ENOTFOUND) {
        const auto at = parse_rfc3339(event["at"].get<std::string>());
        if (at && *at >= updated_before && *at < now_) ++counts_.late_at_used;
        if (at && (*at < updated_before || *at > now_)) ++counts_.at_ignored;
    }
    // Only the conversation's organization can have new events; the subscriber's count
    // catches any elsewhere.
    expect_events(p.events, new_events({org}), false);
    const std::string stored = sessions_[org]->get(live.id);
    expect_conversation(after, stored, "convo_get");
    if (got.code == CONVO_OK && got.json != stored &&
        json::parse(got.json) != json::parse(stored)) {
        diverge("dispatch result equals convo_get", json::parse(stored), json::parse(got.json));
    }
    schedule_next_delivery(key);
}

void Simulator::tick() {
    note("tick", std::nullopt);
    ++counts_.ticks;
    if (engine_->now() != now_) diverge("convo_clock_now", now_, engine_->now());
    const std::vector<sim::Fired> fired = model_.tick(now_);
    const unsigned n = engine_->tick();
    if (args_.trace) std::cerr << "  -> fired " << n << " (" << fired.size() << " expected)\n";
    if (n != fired.size()) diverge("timers fired by convo_tick", fired.size(), n);
    counts_.timers_by_tick += n;
    std::vector<json> expected;
    expected.reserve(fired.size());
    for (const sim::Fired &f : fired) {
        expected.push_back(f.event);
        ++counts_.by_timer[f.event["data"]["timer"].get<std::string>()];
    }
    const std::vector<int> orgs = every_organization();
    const std::vector<json> actual = new_events(orgs);
    if (args_.trace) {
        for (const json &e : actual) {
            std::cerr << "     " << e.at("at").get<std::string>() << " "
                      << e.at("conversation_id").get<std::string>() << " "
                      << e.at("type").get<std::string>() << " " << e.at("data").dump() << '\n';
        }
    }
    expect_events(expected, actual, true);
    for (const sim::Fired &f : fired) {
        operation_key_ = f.key;
        expect_stored(*model_.find(f.key));
    }
    operation_key_.reset();
    expect_next_deadline("convo_next_deadline");
}

void Simulator::restart() {
    const int64_t later = now_ + dice_.between(1, 30 * kMsPerMinute);
    note("restart: close, reopen with start " + format_rfc3339(later), std::nullopt);
    ++counts_.restarts;
    close_engine();
    open_engine(later);
    now_ = later;
    if (engine_->now() != now_) diverge("convo_clock_now after reopening", now_, engine_->now());

    // Nothing appended by closing or opening; the feed's tail reads back byte for byte.
    const std::vector<int> orgs = every_organization();
    expect_events({}, new_events(orgs), false);
    const uint64_t from = last_seq_ > kFeedTail ? last_seq_ - kFeedTail : 0;
    std::vector<json> tail;
    for (int org : orgs) {
        for (json &e : read_events(org, from)) tail.push_back(std::move(e));
    }
    if (tail.size() != last_seq_ - from)
        diverge("feed tail after reopening: event count", last_seq_ - from, tail.size());
    for (const json &e : tail) {
        const uint64_t seq = e.at("seq").get<uint64_t>();
        const auto &[kept_seq, kept_hash] = tail_[seq % kFeedTail];
        if (kept_seq != seq || kept_hash != fnv1a(e.dump())) {
            diverge("feed event " + std::to_string(seq) + " after reopening: unchanged", kept_seq,
                    e);
        }
    }
    // Every open or recent conversation, and a sample of closed ones, as they were.
    std::vector<uint64_t> keys;
    for (const auto &[key, c] : model_.conversations()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (uint64_t key : keys) {
        operation_key_ = key;
        expect_stored(*model_.find(key));
    }
    operation_key_.reset();
    for (const Conversation &c : retired_sample_) {
        expect_conversation(c, sessions_[c.org]->get(c.id), "closed conversation after reopening");
    }
    expect_next_deadline("convo_next_deadline after reopening");
}

// A conversation whose deliveries are done leaves once it is closed and wrapped up (its timers
// see to both: every open status has the max-open deadline, every ended one with a pending
// wrap-up the wrap-up deadline).
void Simulator::retire(uint64_t key) {
    const Conversation *c = model_.find(key);
    if (!sim::terminal(c->status) || c->wrap_up != sim::WrapUp::done) {
        const int64_t deadline = c->next_deadline()->first;
        schedule(std::max(deadline, now_) + dice_.between(kMsPerMinute, 10 * kMsPerMinute),
                 Action::Kind::retire, key);
        return;
    }
    operation_ = "retire " + c->id;
    operation_key_ = key;
    expect_stored(*c);
    ++counts_.retired;
    ++counts_.finals[{sim::name(c->status), sim::name(c->channel)}];
    if (retired_sample_.size() < kRetiredSample) {  // a reservoir sample
        retired_sample_.push_back(*c);
    } else {
        const auto slot =
            static_cast<std::size_t>(dice_.between(0, static_cast<int64_t>(counts_.retired) - 1));
        if (slot < kRetiredSample) retired_sample_[slot] = *c;
    }
    model_.retire(key);
    live_.erase(key);
    operation_key_.reset();
}

// Every conversation is closed: no timer is left; the whole feed reads back to the same
// checksum.
void Simulator::finish() {
    note("final check: no pending timer, the whole feed read back", std::nullopt);
    if (const auto next = engine_->next_deadline()) {
        diverge("convo_next_deadline once every conversation is closed", json(),
                format_rfc3339(*next));
    }
    std::vector<std::vector<json>> pages(kOrganizations);
    std::vector<uint64_t> after(kOrganizations, 0);
    std::vector<std::size_t> pos(kOrganizations, 0);
    std::vector<bool> done(kOrganizations, false);
    FeedChecksum again;
    uint64_t expected_seq = 1;
    for (;;) {
        int best = -1;
        for (int org = 0; org < kOrganizations; ++org) {
            if (pos[org] == pages[org].size() && !done[org]) {
                const json page = json::parse(sessions_[org]->events(after[org], kPage));
                pages[org] = page.at("events").get<std::vector<json>>();
                pos[org] = 0;
                after[org] = page.at("next_seq").get<uint64_t>();
                done[org] = pages[org].empty();
            }
            if (pos[org] < pages[org].size() &&
                (best < 0 || pages[org][pos[org]].at("seq") < pages[best][pos[best]].at("seq"))) {
                best = org;
            }
        }
        if (best < 0) break;
        const json &e = pages[best][pos[best]++];
        if (e.at("seq").get<uint64_t>() != expected_seq)
            diverge("feed read back: seq", expected_seq, e.at("seq"));
        ++expected_seq;
        again.add(e.dump());
    }
    if (expected_seq - 1 != last_seq_)
        diverge("feed read back: events", last_seq_, expected_seq - 1);
    if (again.value() != checksum_.value())
        diverge("feed read back: checksum", checksum_.text(), again.text());
}

void Simulator::run() {
    start_ms_ = *day_start(kFirstDay);
    span_ms_ = static_cast<int64_t>(args_.days) * kMsPerDay;
    now_ = start_ms_;
    open_engine(start_ms_);
    totals_ = coverage_totals(json::parse(engine_->describe()));
    setup_agents();
    const int restarts = args_.restarts.value_or(args_.days);
    for (int i = 0; i < restarts; ++i)
        restart_times_.push_back(start_ms_ + dice_.between(0, span_ms_ - 1));
    std::sort(restart_times_.begin(), restart_times_.end());
    std::size_t next_restart = 0;
    int64_t next_tick = start_ms_ + dice_.between(20 * kMsPerSecond, 15 * kMsPerMinute);

    const auto n = static_cast<int64_t>(args_.conversations);
    auto creation_time = [&](int64_t i) {  // evenly spread over the days, jittered
        const int64_t slot = span_ms_ / n;
        return start_ms_ + i * span_ms_ / n + (slot > 1 ? dice_.between(0, slot - 1) : 0);
    };
    uint64_t next_index = 0;
    int64_t next_create = creation_time(0);

    Progress progress("convo simulate", args_.conversations);
    while (next_index < args_.conversations || !queue_.empty()) {
        Action a{INT64_MAX, Action::Kind::delivery, 0, 0};
        if (!queue_.empty()) a = queue_.top();
        const Action creation{next_create, Action::Kind::create, next_index, next_index};
        if (next_index < args_.conversations && a > creation) a = creation;
        const Action ticking{next_tick, Action::Kind::tick, 0, 0};
        if (a > ticking) a = ticking;
        if (next_restart < restart_times_.size()) {
            const Action restarting{restart_times_[next_restart], Action::Kind::restart, 0, 0};
            if (a > restarting) a = restarting;
        }
        advance(a.at_ms);
        switch (a.kind) {
            case Action::Kind::restart:
                ++next_restart;
                restart();
                break;
            case Action::Kind::tick:
                next_tick = now_ + dice_.between(20 * kMsPerSecond, 15 * kMsPerMinute);
                tick();
                break;
            case Action::Kind::create:
                create(next_index);
                if (++next_index < args_.conversations) {
                    next_create = creation_time(static_cast<int64_t>(next_index));
                }
                progress.update(next_index, "virtual day " +
                                                std::to_string((now_ - start_ms_) / kMsPerDay + 1) +
                                                " " + format_rfc3339(now_).substr(11, 5));
                break;
            case Action::Kind::delivery:
                queue_.pop();
                deliver(a.key);
                break;
            case Action::Kind::retire:
                queue_.pop();
                retire(a.key);
                break;
        }
        counts_.peak_live = std::max<uint64_t>(counts_.peak_live, live_.size());
        counts_.peak_contacts = std::max<uint64_t>(counts_.peak_contacts, model_.contacts());
    }
    finish();
    progress.finish("done, virtual " + format_rfc3339(now_).substr(0, 16));
    close_engine();

    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    auto rate = [&](uint64_t count) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", wall > 0 ? static_cast<double>(count) / wall : 0.0);
        return std::string(buf);
    };
    char wall_text[32];
    std::snprintf(wall_text, sizeof wall_text, "%.2f s", wall);
    std::ostringstream codes;
    for (const auto &[code, count] : counts_.codes) codes << code << " " << count << "  ";
    std::ostringstream timers;
    for (const auto &[timer, count] : counts_.by_timer) {
        timers << (timers.tellp() > 0 ? ", " : "") << timer << " " << count;
    }

    std::cout << "\nconvo simulate summary\n"
              << "  seed            " << args_.seed << "\n"
              << "  conversations   " << args_.conversations << " over " << args_.days
              << " virtual day(s): " << counts_.retired << " created and closed, "
              << counts_.refused_creates << " refused as predicted, " << counts_.repeated_creates
              << " repeated creates answered from storage\n"
              << "  steps           " << counts_.steps << " (" << counts_.creates << " creates, "
              << counts_.dispatches << " dispatches, " << counts_.ticks << " ticks, "
              << counts_.restarts << " restarts), each checked against the model\n"
              << "  dispatches      " << codes.str() << "\n"
              << "  transport       " << counts_.retries_absorbed << " retries absorbed, "
              << counts_.late_at_used << " late events at their own time, " << counts_.at_ignored
              << " with `at` out of range (now used)\n"
              << "  timers fired    " << counts_.timers_by_tick << " by convo_tick, "
              << counts_.timers_by_dispatch << " first by a later dispatch (" << timers.str()
              << ")\n"
              << "  lifecycle       " << coverage_line(model_.coverage(), totals_) << "\n"
              << "  rules           " << rules_line(model_.coverage()) << "\n"
              << "  feed events     " << counts_.events << " (seq 1.." << last_seq_
              << ", gapless, read back whole at the end)\n"
              << "  peak window     " << counts_.peak_live
              << " conversations in the model at once, " << counts_.peak_contacts
              << " WhatsApp contact windows\n"
              << "  wrap-up         " << wrap_up_seconds_
              << " s (wrap_up_timeout_seconds, drawn from the seed)\n"
              << "  divergences     0\n"
              << "  checksum        fnv1a64:" << checksum_.text() << "\n"
              << "  wall time       " << wall_text << " (" << rate(counts_.steps) << " steps/s, "
              << rate(counts_.retired + counts_.refused_creates) << " conversations/s)\n\n";

    std::vector<Column> columns{{"final status"}};
    for (std::size_t ch = 0; ch < sim::kChannels; ++ch) {
        columns.push_back({sim::name(static_cast<sim::Channel>(ch)), Align::right});
    }
    Table table(columns);
    for (const char *status : {"completed", "failed", "cancelled", "transferred", "unanswered"}) {
        std::vector<std::string> row{status};
        for (std::size_t ch = 0; ch < sim::kChannels; ++ch) {
            const char *channel = sim::name(static_cast<sim::Channel>(ch));
            const auto it = counts_.finals.find({status, channel});
            row.push_back(std::to_string(it == counts_.finals.end() ? 0 : it->second));
        }
        table.add_row(row);
    }
    table.render(std::cout);
}

void run_simulation(const Args &args) {
    std::string path = args.db;
    const bool temporary = path.empty();
    if (temporary) {
        path = (std::filesystem::temp_directory_path() /
                ("convo-simulate-" + std::to_string(getpid()) + "-" + std::to_string(args.seed) +
                 ".db"))
                   .string();
    }
    // The model starts from an empty database.
    if (std::filesystem::exists(path) && std::filesystem::file_size(path) > 0) {
        throw Failure(CONVO_EINVALID,
                      "simulate: " + path + " already exists; the simulation needs a new database");
    }
    auto remove_database = [&] {
        for (const char *suffix : {"", "-wal", "-shm", "-journal"}) {
            std::error_code ignored;
            std::filesystem::remove(path + suffix, ignored);
        }
    };
    Simulator simulator(args, path);
    try {
        simulator.run();
    } catch (const Divergence &d) {
        std::cerr << "\nconvo simulate: DIVERGENCE\n" << d.what() << '\n';
        if (temporary) remove_database();
        throw std::runtime_error(
            "simulate: the engine and the reference model disagree (report above)");
    } catch (...) {
        if (temporary) remove_database();
        throw;
    }
    if (temporary) {
        remove_database();
    } else {
        std::cout << "\nDatabase left at " << std::filesystem::absolute(path).string() << '\n';
    }
}

}  // namespace

void add_simulate_command(CLI::App &app, const GlobalOptions &global) {
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand(
        "simulate",
        "Seeded virtual-time workload with restarts, checked step by step against a reference "
        "model; prints the feed checksum (equal seeds, equal checksums)");
    cmd->add_option("--seed", args->seed, "Random seed; also the engine's seed option")
        ->capture_default_str();
    cmd->add_option("--conversations,-n", args->conversations, "Conversations to create")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
    cmd->add_option("--days", args->days, "Virtual days the creations spread over")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    cmd->add_option("--db", args->db,
                    "Database file to keep (must not exist); default a temporary file, removed");
    cmd->add_option("--restarts", args->restarts,
                    "Engine restarts at random moments (default: one per virtual day)")
        ->check(CLI::Range(0, 1000000));
    cmd->add_flag("--trace", args->trace, "Print every step to stderr");
    cmd->callback([&global, args] {
        if (args->db.empty() && global.db_option != nullptr && global.db_option->count() > 0) {
            args->db = global.db;
        }
        run_simulation(*args);
    });
}

}  // namespace convo_cli
