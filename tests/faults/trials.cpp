#include "trials.h"

#include <sqlite3.h>

#include <cctype>
#include <regex>
#include <sstream>

namespace faults {
namespace {

const char *kind_name(StepKind k) {
    switch (k) {
        case StepKind::open:
            return "open";
        case StepKind::close:
            return "close";
        case StepKind::agent_put:
            return "agent_put";
        case StepKind::create:
            return "create";
        case StepKind::dispatch:
            return "dispatch";
        case StepKind::set_clock:
            return "clock_set";
        case StepKind::tick:
            return "tick";
        case StepKind::list:
            return "list";
        case StepKind::events:
            return "events";
        case StepKind::next_deadline:
            return "next_deadline";
    }
    return "?";
}

// A storage failure's message names what the engine was doing and SQLite's reason.
bool clear_storage_message(const std::string &m) {
    static const std::regex re(
        "^(database error while trying to [a-z ]+|path: cannot open database '[^']+'): "
        "(disk I/O error|database or disk is full|unable to open database file)"
        "([;.,] .*| \\(.*\\))?$");
    return std::regex_match(m, re);
}

// Whether an error message tells the host to reopen the engine.
bool says_reopen(const std::string &m) {
    std::string lower = m;
    for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find("reopen") != std::string::npos;
}

std::string result_text(const StepResult &r) {
    std::string out = r.out.size() > 160 ? r.out.substr(0, 157) + "..." : r.out;
    return std::string(convo_code_name(r.code)) + (r.error.empty() ? "" : " '" + r.error + "'") +
           (out.empty() ? "" : " " + out);
}

class Checker {
public:
    explicit Checker(Trial &t) : t_(t) {}
    void fail(const std::string &rule, const std::string &detail) {
        t_.failures.push_back(rule + ": " + detail);
    }
    void same_result(const Step &s, const StepResult &want, const StepResult &got,
                     const char *when) {
        if (want.code != got.code || want.out != got.out || want.error != got.error) {
            fail(std::string("result differs from the fault-free run ") + when,
                 "step '" + s.label + "': expected " + result_text(want) + ", got " +
                     result_text(got));
        }
    }
    // Compares the live state with `want`; false when it could not be read.
    bool same_state(Runner &r, const json &want, const std::string &rule, const std::string &where,
                    std::vector<std::string> *sink = nullptr) {
        json got;
        std::string error;
        auto record = [&](const std::string &rr, const std::string &d) {
            if (sink)
                sink->push_back(rr + ": " + d);
            else
                fail(rr, d);
        };
        if (!r.snapshot(&got, &error)) {
            record("reads fail after the fault was disarmed", where + ": " + error);
            return false;
        }
        if (got != want) record(rule, where + ": " + describe_difference(want, got));
        for (const std::string &p : check_consistency(got))
            record("inconsistent state", where + ": " + p);
        for (const std::string &p : r.check_deliveries(got))
            record("subscriber deliveries differ from the feed", where + ": " + p);
        return true;
    }

private:
    Trial &t_;
};

}  // namespace

const std::vector<FaultKind> &fault_kinds() {
    static const std::vector<FaultKind> kinds = {
        {"read", FAULT_OP_READ, SQLITE_IOERR_READ},
        {"write", FAULT_OP_WRITE, SQLITE_IOERR_WRITE},
        {"full", FAULT_OP_WRITE, SQLITE_FULL},
        {"sync", FAULT_OP_SYNC, SQLITE_IOERR_FSYNC},
        {"truncate", FAULT_OP_TRUNCATE, SQLITE_IOERR_TRUNCATE},
        {"filesize", FAULT_OP_FILESIZE, SQLITE_IOERR_FSTAT},
        {"lock", FAULT_OP_LOCK, SQLITE_IOERR_LOCK},
        {"unlock", FAULT_OP_UNLOCK, SQLITE_IOERR_UNLOCK},
        {"open", FAULT_OP_OPEN, SQLITE_CANTOPEN},
        {"delete", FAULT_OP_DELETE, SQLITE_IOERR_DELETE},
        {"access", FAULT_OP_ACCESS, SQLITE_IOERR_ACCESS},
    };
    return kinds;
}

const FaultKind *find_fault_kind(const std::string &name) {
    for (const FaultKind &k : fault_kinds()) {
        if (name == k.name) return &k;
    }
    return nullptr;
}

OpCounts current_counts() {
    OpCounts c{};
    for (int op = 0; op < FAULT_OP_COUNT; ++op) c[op] = fault_vfs_count(static_cast<fault_op>(op));
    return c;
}

Golden record_golden() {
    Golden g;
    std::string dir = make_temp_dir("golden");
    {
        // The empty state, as an engine on a new database shows it.
        std::string empty_dir = make_temp_dir("empty");
        Runner e(empty_dir);
        StepResult o = e.run(workload()[0]);
        std::string error;
        if (o.code != CONVO_OK || !e.snapshot(&g.before, &error)) {
            g.problems.push_back("cannot open an empty database: " + o.error + error);
        }
        e.close();
        remove_dir(empty_dir);
    }
    // First pass: the steps alone, as a trial runs them up to its fault point, so the k-th
    // call of a trial is the k-th call here.
    fault_vfs_disarm();
    fault_vfs_reset_counts();
    {
        Runner r(dir);
        for (const Step &s : workload()) {
            g.results.push_back(r.run(s));
            g.counts_after.push_back(current_counts());
        }
        g.counts = current_counts();
        for (int op = 0; op < FAULT_OP_COUNT; ++op) {
            for (int f = 0; f < FAULT_FILE_COUNT; ++f) {
                g.by_file[op][f] =
                    fault_vfs_count_file(static_cast<fault_op>(op), static_cast<fault_file>(f));
            }
        }
    }
    remove_dir(dir);
    // Second pass: the state after every step (reading it changes nothing, but its reads
    // would shift the counts).
    dir = make_temp_dir("golden");
    {
        Runner r(dir);
        json last = g.before;
        for (size_t i = 0; i < workload().size(); ++i) {
            const Step &s = workload()[i];
            StepResult res = r.run(s);
            if (res.code != g.results[i].code || res.out != g.results[i].out) {
                g.problems.push_back("step '" + s.label + "' differs between two fault-free runs");
            }
            if (r.is_open()) {
                std::string error;
                if (!r.snapshot(&last, &error))
                    g.problems.push_back("step '" + s.label + "': " + error);
                for (const std::string &p : check_consistency(last)) {
                    g.problems.push_back("step '" + s.label + "': " + p);
                }
                for (const std::string &p : r.check_deliveries(last)) {
                    g.problems.push_back("step '" + s.label + "': " + p);
                }
            }
            g.states.push_back(last);
        }
    }
    remove_dir(dir);
    return g;
}

Trial run_trial(const Golden &golden, const FaultKind &kind, uint64_t k,
                const TrialOptions &options) {
    Trial t;
    t.kind = kind.name;
    t.k = k;
    t.mode = options.close_while_failing   ? "broken_close"
             : options.reopen_before_retry ? (options.persistent ? "persistent+reopen" : "reopen")
             : options.persistent          ? "persistent"
                                           : "transient";
    Checker check(t);
    const std::vector<Step> &steps = workload();
    std::string dir = make_temp_dir("trial");
    Runner r(dir);

    fault_vfs_reset_counts();
    fault_vfs_arm(kind.op, k, kind.sqlite_code, options.persistent ? 1 : 0);
    std::string recovery;
    for (size_t i = 0; i < steps.size(); ++i) {
        const Step &s = steps[i];
        const uint64_t before = fault_vfs_injected();
        StepResult res = r.run(s);
        const bool fired_now = !t.injected && fault_vfs_injected() > before;
        if (!fired_now) {
            check.same_result(s, golden.results[i], res,
                              t.injected ? "after the fault" : "before the fault");
            // Before the fault the run is the golden run. After it every result is compared,
            // and the whole state before each close (what the close must keep).
            const bool closes_next = i + 1 < steps.size() && steps[i + 1].kind == StepKind::close;
            if (t.injected && r.is_open() && closes_next) {
                check.same_state(r, golden.states[i], "state differs from the fault-free run",
                                 "after step '" + s.label + "'");
            }
            continue;
        }

        // The fault fired during step i.
        const bool broken_close = options.close_while_failing && r.is_open();
        if (broken_close) {
            r.close();  // the checkpoint at close meets the same broken disk
        }
        fault_vfs_disarm();
        t.injected = true;
        t.step = static_cast<int>(i);
        t.step_label = s.label;
        t.file = fault_vfs_first_fault_file();
        t.code = res.code;
        t.error = res.error;
        if (options.after_failure && r.is_open()) options.after_failure(r);
        const std::string where = "right after the failed step '" + s.label + "'";

        if (s.kind == StepKind::close) {
            // close returns nothing; the reopen that follows shows whether anything was lost.
            t.outcome = "close: nothing to return (the next open is checked)";
            continue;
        }
        if (res.code == CONVO_OK) {
            check.same_result(s, golden.results[i], res, "when SQLite recovered from the fault");
            if (r.is_open()) {
                check.same_state(r, golden.states[i], "state differs from the fault-free run",
                                 "after step '" + s.label + "' (fault absorbed)");
            }
            t.outcome = std::string(kind_name(s.kind)) + ": CONVO_OK (SQLite absorbed the fault)";
            continue;
        }

        // The step failed: the right code, a clear message, nothing changed.
        if (res.code != CONVO_ESTORAGE) {
            check.fail("wrong code", "step '" + s.label + "' returned " +
                                         convo_code_name(res.code) + " '" + res.error +
                                         "', expected CONVO_ESTORAGE");
        } else if (!clear_storage_message(res.error)) {
            check.fail("unclear message", "step '" + s.label + "': '" + res.error + "'");
        }
        const json &before_state = golden.state_before(i);
        if (r.is_open()) {
            check.same_state(r, before_state, "the failed call changed the state", where);
        }
        if (options.crash_image && r.is_open()) {
            // What a process killed right now would leave behind.
            std::string image_dir = make_temp_dir("image");
            copy_database_files(r.path(), image_dir + "/convo.db");
            Runner image(image_dir, r.clock_ms());
            StepResult o = image.run(steps[0]);
            if (o.code != CONVO_OK) {
                t.crash_image_failures.push_back("crash image does not open: " + result_text(o));
            } else {
                check.same_state(image, before_state,
                                 "crash image differs from the committed state",
                                 "copy of the files " + where, &t.crash_image_failures);
            }
            image.close();
            remove_dir(image_dir);
        }
        if ((options.reopen_before_retry && r.is_open()) || broken_close) {
            r.close();
            StepResult o = r.run(steps[0]);
            if (o.code != CONVO_OK) {
                check.fail("reopen after the failure fails", result_text(o));
            } else {
                check.same_state(r, before_state, "reopen shows other than the committed state",
                                 where);
            }
        }
        // The engine stays usable: the same call succeeds once the fault is gone. An engine
        // may instead say that it must be reopened (in the failed call's message or in the
        // retry's); then the retry comes after a reopen.
        StepResult retry = r.run(s);
        if (retry.code == CONVO_ESTORAGE) {
            const bool said_so = says_reopen(res.error) || says_reopen(retry.error);
            if (!said_so) {
                check.fail("engine unusable after the fault, without saying so",
                           "retrying step '" + s.label +
                               "' with the fault disarmed: " + result_text(retry));
            }
            recovery = said_so ? "engine asked to be reopened" : "reopen needed";
            r.close();
            if (s.kind != StepKind::open) {
                StepResult o = r.run(steps[0]);
                if (o.code != CONVO_OK)
                    check.fail("reopen after the failure fails", result_text(o));
            }
            retry = r.run(s);
        } else {
            recovery = "retry OK";
        }
        check.same_result(s, golden.results[i], retry, "on the retry");
        if (r.is_open()) {
            check.same_state(r, golden.states[i], "state differs from the fault-free run",
                             "after retrying step '" + s.label + "'");
        }
        std::string message = res.error;
        if (size_t at = message.find(r.path()); at != std::string::npos) {
            message.replace(at, r.path().size(), "<db>");
        }
        t.outcome = std::string(kind_name(s.kind)) + ": " + convo_code_name(res.code) + " '" +
                    message + "'" + (recovery == "retry OK" ? "" : ", " + recovery);
    }
    fault_vfs_disarm();
    if (!t.injected)
        check.fail("fault point not reached", "the run made fewer calls than the golden run");

    // Reopen without faults: exactly the committed state of the whole workload.
    r.close();
    StepResult o = r.run(steps[0]);
    if (o.code != CONVO_OK) {
        check.fail("final reopen fails", result_text(o));
    } else {
        check.same_state(r, golden.states.back(),
                         "reopened database differs from the committed state", "final reopen");
    }
    r.close();
    remove_dir(dir);
    return t;
}

void Tally::add(const Trial &t) {
    ++trials;
    if (t.injected) ++injected;
    if (!t.failures.empty()) ++failed;
    if (!t.crash_image_failures.empty()) ++crash_image_failed;
    outcomes[t.outcome.empty() ? "(fault not reached)" : t.outcome]++;
    std::string point = std::string(t.kind) + "/" + t.mode + " k=" + std::to_string(t.k) +
                        " (step '" + t.step_label + "', " + fault_file_name(t.file) + ")";
    auto note = [&](const std::string &f) {
        std::string rule = f.substr(0, f.find(": "));
        auto &v = findings[rule];
        if (v.size() < 5)
            v.push_back(point + ": " + f.substr(f.find(": ") + 2));
        else if (v.size() == 5)
            v.push_back("...");
    };
    for (const std::string &f : t.failures) note(f);
    for (const std::string &f : t.crash_image_failures) note(f);
}

std::string Tally::summary() const {
    std::ostringstream s;
    s << "fault points exercised: " << trials << " (fault fired in " << injected << "), "
      << "distinct outcomes: " << outcomes.size() << ", trials breaking a rule: " << failed
      << ", crash images differing: " << crash_image_failed << "\n";
    for (const auto &o : outcomes) s << "  " << o.second << " x " << o.first << "\n";
    for (const auto &f : findings) {
        s << "FINDING " << f.first << "\n";
        for (const std::string &e : f.second) s << "    " << e << "\n";
    }
    return s.str();
}

}  // namespace faults
