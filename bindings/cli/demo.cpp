// demo: a busy day across all four channels in virtual time, then a summary.
//
// The day is planned up front (demo_plan.cpp); this file plays it against the engine: it
// moves the manual clock to each step, lets convo_tick fire whatever fell due on the way,
// applies the step, and finally lets every remaining timer run out.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "capi_client.h"
#include "commands.h"
#include "demo_plan.h"
#include "demo_summary.h"
#include "lifecycle_graph.h"
#include "progress.h"
#include "time_text.h"

namespace convo_cli {

using nlohmann::json;

namespace {

constexpr const char *kDefaultDatabase = "convo-demo.db";
constexpr const char *kFirstDay = "2026-03-02";
constexpr int64_t kOpeningHour = 8;
constexpr std::size_t kProblemsShown = 5;

struct Args {
    std::string db;
    std::size_t conversations = 1000;
    uint64_t seed = 1;
};

// Feed events as they commit (a subscriber: runs on this thread, inside engine calls).
class FeedCounter {
public:
    static void on_event(void *self, const char *event_json) noexcept {
        try {
            static_cast<FeedCounter *>(self)->count(json::parse(event_json));
        } catch (...) {
            // Never let an exception cross the C boundary; a bad event shows up as a
            // miscount in the summary.
        }
    }

    uint64_t seen() const { return seen_; }
    uint64_t last_seq() const { return last_seq_; }
    const std::string &last_at() const { return last_at_; }
    uint64_t events_of(const std::vector<std::string> &ids) const {
        uint64_t total = 0;
        for (const std::string &id : ids) {
            auto it = per_conversation_.find(id);
            if (it != per_conversation_.end()) total += it->second;
        }
        return total;
    }

private:
    void count(const json &event) {
        ++seen_;
        last_seq_ = std::max(last_seq_, event.value("seq", uint64_t{0}));
        ++per_conversation_[event.value("conversation_id", std::string())];
        const std::string at = event.value("at", std::string());
        if (at > last_at_) last_at_ = at;  // same RFC 3339 shape: text order is time order
    }

    uint64_t seen_ = 0;
    uint64_t last_seq_ = 0;
    std::string last_at_;
    std::unordered_map<std::string, uint64_t> per_conversation_;
};

// Engine calls that went wrong although the plan says they should not.
class Problems {
public:
    void add(convo_code code, const std::string &what) {
        if (count_++ == 0) first_code_ = code;
        if (shown_.size() < kProblemsShown) {
            shown_.push_back(std::string(convo_code_name(code)) + ": " + what);
        }
    }
    // Prints them and throws, so the command exits non-zero after the summary.
    void raise_if_any() const {
        if (count_ == 0) return;
        for (const std::string &line : shown_) std::cerr << "convo: demo: " << line << '\n';
        throw Failure(first_code_, "demo: " + std::to_string(count_) +
                                       " engine calls did not go as planned (first ones above)");
    }

private:
    std::size_t count_ = 0;
    convo_code first_code_ = CONVO_OK;
    std::vector<std::string> shown_;
};

std::string engine_options(const std::string &path, int64_t start_ms) {
    return json{{"path", path},
                {"clock", "manual"},
                {"start", format_rfc3339(start_ms)},
                {"synchronous", "normal"},  // a demo, not a bank: speed over durability
                {"ring_timeout_seconds", kRingTimeoutSeconds},
                {"dial_timeout_seconds", kDialTimeoutSeconds},
                {"token_ttl_seconds", kTokenTtlSeconds},
                {"platform_max_open_minutes", kPlatformMaxOpenMinutes}}
        .dump();
}

// The first day, or two days after the newest conversation already in the database, so that
// a second run is a later day with every earlier timer long settled.
int64_t choose_day(const Session &session, int64_t first_day) {
    const json page = json::parse(session.list(R"({"limit":1})"));
    const json &items = page.at("items");
    if (items.empty()) return first_day;
    const auto newest = day_start(items[0].value("created_at", std::string()));
    if (!newest) return first_day;
    return std::max(first_day, *newest + 2 * kMsPerDay);
}

std::string created_id(const std::string &response) {
    const json body = json::parse(response);
    if (body.contains("contact_id")) return body.at("contact_id").get<std::string>();
    return body.at("conversation").at("id").get<std::string>();
}

// Moves the clock to `at_ms` and fires the timers that fell due on the way.
uint64_t advance_to(const Engine &engine, int64_t &now_ms, int64_t at_ms) {
    if (at_ms <= now_ms) return 0;
    engine.set_clock(at_ms);
    now_ms = at_ms;
    const auto next = engine.next_deadline();
    return next && *next <= now_ms ? engine.tick() : 0;
}

std::string clock_note(int64_t now_ms) {
    return "virtual " + format_rfc3339(now_ms).substr(11, 5);  // "HH:MM"
}

Outcome read_outcome(const Session &session, const std::string &id) {
    const json c = json::parse(session.get(id));
    Outcome o;
    o.channel = c.value("channel", std::string());
    o.status = c.value("status", std::string());
    const json reason = c.value("end_reason", json());
    if (reason.is_string()) o.end_reason = reason.get<std::string>();
    const json duration = c.value("duration", json());
    if (duration.is_number()) o.duration = duration.get<double>();
    return o;
}

void run_demo(const std::string &path, const std::string &organization, const Args &args) {
    const auto wall_start = std::chrono::steady_clock::now();
    const int64_t first_day = *day_start(kFirstDay);
    Engine engine(engine_options(path, first_day + kOpeningHour * kMsPerHour));
    Session session(engine, organization);
    const LifecycleGraph lifecycle = read_lifecycle(json::parse(engine.describe()));

    const int64_t day = choose_day(session, first_day);
    int64_t now_ms = engine.now();
    const int64_t opening = day + kOpeningHour * kMsPerHour;
    if (opening > now_ms) {
        engine.set_clock(opening);
        now_ms = opening;
    }
    const DemoPlan plan = plan_day(args.conversations, args.seed, day);
    for (const std::string &agent : plan.agents) session.agent_put(agent);

    FeedCounter feed;
    Subscription subscription(engine, &FeedCounter::on_event, &feed);
    DemoRun run;
    run.conversations = args.conversations;
    run.seed = args.seed;
    run.organization = organization;
    run.database = std::filesystem::absolute(path).string();
    run.first_at = format_rfc3339(opening);

    std::vector<std::string> ids(plan.conversations);
    std::vector<bool> stopped(plan.conversations, false);  // a step failed: skip the rest
    Problems problems;
    Progress progress("convo demo", plan.conversations);
    std::size_t created = 0;

    for (const PlannedStep &step : plan.steps) {
        run.timers_fired += advance_to(engine, now_ms, step.at_ms);
        const std::size_t i = step.conversation;
        if (step.kind == PlannedStep::Kind::create) {
            try {
                ids[i] = created_id(session.create(step.body).json);
            } catch (const Failure &f) {
                problems.add(f.code(), "create " + step.body + ": " + f.what());
                stopped[i] = true;
            }
            progress.update(++created, clock_note(now_ms));
            continue;
        }
        if (stopped[i]) continue;
        const uint64_t events_before = feed.seen();
        const Session::Attempt attempt = session.try_dispatch(ids[i], step.body);
        if (attempt.code != CONVO_OK) {
            problems.add(attempt.code, ids[i] + " " + step.body + ": " + attempt.detail);
            stopped[i] = true;
        } else if (step.retry) {
            if (feed.seen() == events_before) {
                ++run.retries_ignored;
            } else {
                problems.add(CONVO_EINTERNAL,
                             ids[i] + " " + step.body + ": a repeated event_id appended an event");
            }
        }
    }
    // Close of business: let every remaining timer run out, each at its own deadline.
    const int64_t horizon =
        plan.last_step_ms + kPlatformMaxOpenMinutes * kMsPerMinute + kMsPerMinute;
    if (horizon > now_ms) engine.set_clock(horizon);
    run.timers_fired += engine.tick();
    progress.finish("timers settled");

    std::vector<std::string> created_ids;
    std::vector<Outcome> outcomes;
    for (const std::string &id : ids) {
        if (id.empty()) continue;
        created_ids.push_back(id);
        outcomes.push_back(read_outcome(session, id));
    }
    run.events_this_run = feed.events_of(created_ids);
    run.feed_last_seq = feed.last_seq();
    run.last_at = feed.last_at().empty() ? run.first_at : feed.last_at();
    run.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    print_summary(std::cout, lifecycle, run, outcomes);
    problems.raise_if_any();
}

}  // namespace

void add_demo_command(CLI::App &app, const GlobalOptions &global) {
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand(
        "demo", "Simulate a busy day on all four channels in virtual time and summarize it");
    cmd->add_option("--db", args->db,
                    std::string("Database file (default ") + kDefaultDatabase +
                        ", or the global --db); kept for inspection");
    cmd->add_option("--conversations,-n", args->conversations, "Conversations to create")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
    cmd->add_option("--seed", args->seed, "Random seed; the same seed plays the same day")
        ->capture_default_str();
    cmd->callback([&global, args] {
        std::string path = args->db;
        if (path.empty()) {
            path = global.db_option != nullptr && global.db_option->count() > 0 ? global.db
                                                                                : kDefaultDatabase;
        }
        run_demo(path, global.org, *args);
    });
}

}  // namespace convo_cli
