// kill -9 crash trials.
//
// Per trial (seed S): a child process opens an engine on a file in a fresh temporary directory
// (synchronous "full", manual clock) and runs a seeded random workload through the C API,
// writing one line to a pipe after each operation's calls returned (workload.cpp). The parent
// SIGKILLs it after a seeded random delay, reopens the database itself and checks it against the
// acknowledged lines (verify.cpp).
//
//   crash_trials --trials N --seed S [--verbose] [--max-delay-us U] [--kill-after-ack K]
//                [--max-ops M] [--dir D] [--keep] [--inject drop-acknowledged-commit]
//                [--threads T]
//
// --threads T (2..16) runs the threaded mode instead (threaded.cpp): T threads of the child
// dispatch concurrently to conversations of their own, as group commit batches them; the kill
// is also a power cut (unsynced.h) unless --no-power-cut.
//
// Trial i uses seed S + i; a failure prints the seed, and `--trials 1 --seed <it>` runs the
// same workload with the same kill delay again (where the kill lands still depends on timing;
// --kill-after-ack K kills as soon as the K-th acknowledgement arrives instead).
// Exit status: 0 when every trial passed, 1 when one failed, 2 on bad arguments.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "crash_common.h"
#include "threaded.h"
#include "trial.h"
#include "verify.h"
#include "wal_tail.h"
#include "workload.h"

namespace {

using namespace crash;
using Clock = std::chrono::steady_clock;

// What the workloads exercised, from the acknowledgement lines.
struct Coverage {
    std::map<std::string, uint64_t> creates;            // channel -> new conversations
    std::map<std::string, uint64_t> accepted, refused;  // event type -> dispatches
    std::map<std::string, uint64_t> noops, window;      // ...accepted with nothing to do; 412
    uint64_t repeated_ids = 0, refused_creates = 0, duplicates = 0, invalid = 0, unknown = 0;
    uint64_t clock_advances = 0, ticks = 0, timers_in_ticks = 0, timers_in_dispatch = 0;

    void add(const std::vector<json> &acks) {
        for (const json &a : acks) {
            const std::string op = a.value("op", ""), rc = a.value("rc", "");
            if (op == "create") {
                if (rc != "CONVO_OK") {
                    ++refused_creates;
                } else if (a.at("events").empty()) {
                    ++repeated_ids;
                } else {
                    ++creates[a.at("req").at("channel").get<std::string>()];
                }
            } else if (op == "dispatch") {
                const std::string type = a.at("req").value("type", "?");
                bool own = false;
                for (const json &e : a.at("events")) {
                    is_timer_event(e) ? ++timers_in_dispatch : own = true;
                }
                if (rc == "CONVO_OK" && a.value("duplicate", false)) {
                    ++duplicates;
                } else if (rc == "CONVO_OK") {
                    ++(own ? accepted : noops)[type];
                } else if (rc == "CONVO_ECONFLICT") {
                    ++refused[type];
                } else if (rc == "CONVO_EPRECONDITION") {
                    ++window[type];
                } else if (rc == "CONVO_EINVALID") {
                    ++invalid;
                } else {
                    ++unknown;
                }
            } else if (op == "clock") {
                ++clock_advances;
            } else if (op == "tick") {
                ++ticks;
                timers_in_ticks += a.at("events").size();
            }
        }
    }
};

struct TrialOutcome {
    Verdict verdict;
    int64_t delay_us = 0;
    size_t acks = 0;
    bool mid_call = false, in_main_call = false;
    json in_flight;
    WalTail wal;
    bool dropped_commit = false;
    std::string dir;
    Coverage coverage;
};

struct Totals {
    uint64_t passed = 0, failed = 0, acked_ops = 0, injected = 0, detected = 0;
    uint64_t before_first_ack = 0, between_ops = 0, in_write = 0, in_write_committed = 0,
             in_read = 0;
    Coverage coverage;
    uint64_t torn_wal = 0, max_wal_frames = 0, conversations = 0, feed_events = 0, timers_fired = 0,
             replays = 0;
};

int usage(const char *argv0) {
    std::fprintf(
        stderr,
        "usage: %s --trials N --seed S [--verbose] [--max-delay-us U] [--kill-after-ack K]\n"
        "          [--max-ops M] [--dir D] [--keep] [--inject drop-acknowledged-commit]\n"
        "          [--threads T (%d..%d: the threaded mode) [--no-power-cut]\n"
        "           [--inject acknowledge-before-sync]]\n",
        argv0, kMinThreads, kMaxThreads);
    return 2;
}

bool parse_args(int argc, char **argv, Options *c) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char *name) -> const char * {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s: needs a value\n", name);
                return nullptr;
            }
            return argv[++i];
        };
        const char *v = nullptr;
        if (a == "--verbose") {
            c->verbose = true;
        } else if (a == "--keep") {
            c->keep = true;
        } else if (a == "--trials" && (v = value("--trials"))) {
            c->trials = std::strtoull(v, nullptr, 10);
        } else if (a == "--seed" && (v = value("--seed"))) {
            c->seed = std::strtoull(v, nullptr, 10);
        } else if (a == "--max-delay-us" && (v = value("--max-delay-us"))) {
            c->max_delay_us = std::strtoll(v, nullptr, 10);
        } else if (a == "--kill-after-ack" && (v = value("--kill-after-ack"))) {
            c->kill_after_ack = std::strtoll(v, nullptr, 10);
        } else if (a == "--max-ops" && (v = value("--max-ops"))) {
            c->max_ops = std::atoi(v);
        } else if (a == "--threads" && (v = value("--threads"))) {
            c->threads = std::atoi(v);
            if (c->threads < kMinThreads || c->threads > kMaxThreads) return false;
        } else if (a == "--dir" && (v = value("--dir"))) {
            c->dir = v;
        } else if (a == "--inject" && (v = value("--inject"))) {
            if (std::string(v) == "drop-acknowledged-commit") {
                c->inject_drop_commit = true;
            } else if (std::string(v) == "acknowledge-before-sync") {
                c->inject_ack_before_sync = true;
            } else {
                return false;
            }
        } else if (a == "--no-power-cut") {
            c->power_cut = false;
        } else {
            return false;
        }
    }
    if (c->dir.empty()) {
        const char *tmp = std::getenv("TMPDIR");
        c->dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    // The power cut and acknowledge-before-sync are the threaded mode's.
    if (c->threads == 0 && (c->inject_ack_before_sync || !c->power_cut)) return false;
    if (c->inject_ack_before_sync && (c->inject_drop_commit || !c->power_cut)) return false;
    return c->trials > 0 && c->max_delay_us >= 0 && c->max_ops >= 0;
}

TrialOutcome run_trial(const Options &cfg, uint64_t seed) {
    TrialOutcome out;
    std::string error;
    TrialFiles files;
    const bool made = make_trial_files(cfg.dir, 1, &files, &error);
    out.dir = files.dir;
    if (!made) {
        out.verdict.failures.push_back(error);
        return out;
    }
    const std::string &db = files.db;
    InFlight *in_flight = files.in_flight;
    out.delay_us = kill_delay_us(seed, cfg.max_delay_us);
    ChildRun run =
        run_child([&](int ack_fd) { run_workload(db, seed, ack_fd, in_flight, cfg.max_ops); },
                  out.delay_us, cfg.kill_after_ack);
    Verdict harness;  // failures of the trial itself (before the checks)
    harness.failures = std::move(run.failures);
    std::vector<json> acks = std::move(run.acks);

    TrialRecord record;
    record.db_path = db;
    const uint64_t started = in_flight->started.load(), finished = in_flight->finished.load();
    const uint64_t last_acked = acks.empty() ? 0 : acks.back().at("k").get<uint64_t>();
    record.mid_call = started > finished;
    record.in_main_call = record.mid_call && in_flight->in_call.load() != 0;
    record.in_flight = left_in_flight(*in_flight, last_acked, "the child", &harness.failures);
    unmap_in_flight(in_flight, 1);
    out.coverage.add(acks);
    record.acks = std::move(acks);
    out.acks = record.acks.size();
    out.mid_call = record.mid_call;
    out.in_main_call = record.in_main_call;
    out.in_flight = record.in_flight;

    out.wal = inspect_wal(db + "-wal");
    if (cfg.inject_drop_commit) out.dropped_commit = drop_last_commits(db + "-wal", 2);
    if (cfg.keep) keep_killed_files(out.dir, db);

    out.verdict = verify(record);
    out.verdict.finish(harness.failures, out.dir, cfg.keep);
    return out;
}

std::string describe_kill(const TrialOutcome &t) {
    std::string s = "killed after " + std::to_string(t.delay_us) + " us, " +
                    std::to_string(t.acks) + " operations acknowledged";
    if (t.in_flight.is_null()) return s + ", nothing in flight";
    s += ", in flight: op " + t.in_flight.value("k", json(0)).dump() + " " +
         t.in_flight.value("op", "");
    if (t.in_flight.contains("req")) s += " " + t.in_flight.at("req").dump();
    s += t.in_main_call ? " (inside the call"
         : t.mid_call   ? " (in the reads after the call"
                        : " (its calls had returned";
    s += t.verdict.committed_unacknowledged ? ", committed)" : ", not committed)";
    return s;
}

}  // namespace

int main(int argc, char **argv) {
    Options cfg;
    if (!parse_args(argc, argv, &cfg)) return usage(argv[0]);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (cfg.threads != 0) return run_threaded_trials(cfg, argv[0]);
    const Clock::time_point begin = Clock::now();
    Totals t;
    const uint64_t step = std::max<uint64_t>(1, cfg.trials / 10);
    for (uint64_t i = 0; i < cfg.trials; ++i) {
        const uint64_t seed = cfg.seed + i;
        TrialOutcome o = run_trial(cfg, seed);
        const Verdict &v = o.verdict;
        const bool ok = v.failures.empty();
        // With --inject, a trial whose commits were dropped must fail: that is the self-test.
        const bool injected = cfg.inject_drop_commit && o.dropped_commit;
        if (injected) {
            ++t.injected;
            if (!ok) ++t.detected;
        } else {
            ok ? ++t.passed : ++t.failed;
        }
        t.acked_ops += v.acked_ops;
        if (o.acks == 0) ++t.before_first_ack;
        if (v.killed_in_write) {
            ++t.in_write;
            if (v.committed_unacknowledged) ++t.in_write_committed;
        } else if (o.mid_call) {
            ++t.in_read;
        } else {
            ++t.between_ops;
        }
        Coverage &c = t.coverage;
        for (const auto &[k, n] : o.coverage.creates) c.creates[k] += n;
        for (const auto &[k, n] : o.coverage.accepted) c.accepted[k] += n;
        for (const auto &[k, n] : o.coverage.refused) c.refused[k] += n;
        for (const auto &[k, n] : o.coverage.noops) c.noops[k] += n;
        for (const auto &[k, n] : o.coverage.window) c.window[k] += n;
        c.repeated_ids += o.coverage.repeated_ids;
        c.refused_creates += o.coverage.refused_creates;
        c.duplicates += o.coverage.duplicates;
        c.invalid += o.coverage.invalid;
        c.unknown += o.coverage.unknown;
        c.clock_advances += o.coverage.clock_advances;
        c.ticks += o.coverage.ticks;
        c.timers_in_ticks += o.coverage.timers_in_ticks;
        c.timers_in_dispatch += o.coverage.timers_in_dispatch;
        if (o.wal.uncommitted_frames > 0) ++t.torn_wal;
        t.max_wal_frames =
            std::max<uint64_t>(t.max_wal_frames, o.wal.committed_frames + o.wal.uncommitted_frames);
        t.conversations += v.conversations;
        t.feed_events += v.feed_events;
        t.timers_fired += v.timers_fired;
        t.replays += v.idempotent_replays;
        if (cfg.verbose) {
            std::printf(
                "trial seed %llu: %s; wal %llu committed + %llu torn frames%s; %llu conversations, "
                "%llu feed events, %llu timers fired after reopen: %s\n",
                static_cast<unsigned long long>(seed), describe_kill(o).c_str(),
                static_cast<unsigned long long>(o.wal.committed_frames),
                static_cast<unsigned long long>(o.wal.uncommitted_frames),
                o.dropped_commit ? " (last two commits dropped on purpose)" : "",
                static_cast<unsigned long long>(v.conversations),
                static_cast<unsigned long long>(v.feed_events),
                static_cast<unsigned long long>(v.timers_fired), ok ? "ok" : "FAILED");
        }
        if (injected) {
            std::printf("%s seed %llu (last two commits dropped on purpose): %s\n",
                        ok ? "UNDETECTED" : "detected", static_cast<unsigned long long>(seed),
                        ok ? "every check passed" : v.failures[0].c_str());
        } else if (!ok) {
            print_failed_trial(seed, describe_kill(o), o.dir, v.failures);
            std::printf(
                "  reproduce: %s --trials 1 --seed %llu --keep  (to land the kill at the same "
                "point: "
                "--kill-after-ack %zu)\n",
                argv[0], static_cast<unsigned long long>(seed), o.acks);
        }
        if (!cfg.verbose && ((i + 1) % step == 0 || i + 1 == cfg.trials)) {
            double secs = std::chrono::duration<double>(Clock::now() - begin).count();
            std::printf("crash trials: %llu/%llu run, %llu failed, %.1f s\n",
                        static_cast<unsigned long long>(i + 1),
                        static_cast<unsigned long long>(cfg.trials),
                        static_cast<unsigned long long>(t.failed), secs);
        }
    }
    double secs = std::chrono::duration<double>(Clock::now() - begin).count();
    const Coverage &c = t.coverage;
    auto per_type = [](const std::map<std::string, uint64_t> &m) {
        std::string out;
        for (const auto &[k, n] : m) out += (out.empty() ? "" : " ") + k + " " + std::to_string(n);
        return out.empty() ? std::string("none") : out;
    };
    std::printf(
        "workload: new conversations by channel: %s; %llu repeated client ids, %llu refused "
        "creates\n",
        per_type(c.creates).c_str(), static_cast<unsigned long long>(c.repeated_ids),
        static_cast<unsigned long long>(c.refused_creates));
    std::printf("workload: events accepted: %s\n", per_type(c.accepted).c_str());
    std::printf("workload: events accepted with nothing to do: %s\n", per_type(c.noops).c_str());
    std::printf("workload: events refused (409: the table, or an agent during a takeover): %s\n",
                per_type(c.refused).c_str());
    std::printf("workload: events refused outside the WhatsApp window (412): %s\n",
                per_type(c.window).c_str());
    std::printf(
        "workload: %llu repeated event ids, %llu invalid events, %llu to unknown or foreign "
        "conversations; "
        "%llu clock advances, %llu ticks firing %llu timers, %llu more timers fired inside "
        "dispatches\n",
        static_cast<unsigned long long>(c.duplicates), static_cast<unsigned long long>(c.invalid),
        static_cast<unsigned long long>(c.unknown),
        static_cast<unsigned long long>(c.clock_advances), static_cast<unsigned long long>(c.ticks),
        static_cast<unsigned long long>(c.timers_in_ticks),
        static_cast<unsigned long long>(c.timers_in_dispatch));
    std::printf(
        "kill points: %llu between operations, %llu in a call that writes nothing or in the reads "
        "after "
        "a call, %llu inside a writing call (%llu had committed, %llu had not); %llu before the "
        "first "
        "acknowledgement; %llu left a torn WAL tail; largest WAL left behind: %llu frames\n",
        static_cast<unsigned long long>(t.between_ops), static_cast<unsigned long long>(t.in_read),
        static_cast<unsigned long long>(t.in_write),
        static_cast<unsigned long long>(t.in_write_committed),
        static_cast<unsigned long long>(t.in_write - t.in_write_committed),
        static_cast<unsigned long long>(t.before_first_ack),
        static_cast<unsigned long long>(t.torn_wal),
        static_cast<unsigned long long>(t.max_wal_frames));
    std::printf(
        "checked: %llu conversations, %llu feed events, %llu overdue timers fired after reopen, "
        "%llu idempotent replays; %.1f s\n",
        static_cast<unsigned long long>(t.conversations),
        static_cast<unsigned long long>(t.feed_events),
        static_cast<unsigned long long>(t.timers_fired), static_cast<unsigned long long>(t.replays),
        secs);
    if (cfg.inject_drop_commit) {
        std::printf(
            "self-test: %llu of %llu trials with acknowledged commits dropped on purpose were "
            "caught\n",
            static_cast<unsigned long long>(t.detected),
            static_cast<unsigned long long>(t.injected));
    }
    std::printf(
        "crash trials: %llu passed, %llu failed (acknowledged ops checked: %llu, kills "
        "mid-transaction: %llu)\n",
        static_cast<unsigned long long>(t.passed), static_cast<unsigned long long>(t.failed),
        static_cast<unsigned long long>(t.acked_ops), static_cast<unsigned long long>(t.in_write));
    if (cfg.inject_drop_commit && t.injected == 0) {
        std::printf("self-test: no trial had two commits to drop; kill later (--kill-after-ack)\n");
        return 1;
    }
    return t.failed == 0 && t.detected == t.injected ? 0 : 1;
}
