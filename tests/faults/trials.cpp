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
        if (!read_state(r, &got, where, sink)) return false;
        if (got != want) record(sink, rule, where + ": " + describe_difference(want, got));
        check_snapshot(r, got, where, sink);
        return true;
    }
    // After a failed COMMIT and a reopen: the live state must be exactly the state before the
    // call ("old") or exactly the fault-free state after it ("new"), never anything between.
    // Returns "old", "new", or "" (neither, recorded under `rule`; or unreadable).
    std::string old_or_new(Runner &r, const json &old_state, const json &new_state,
                           const std::string &rule, const std::string &where,
                           std::vector<std::string> *sink = nullptr) {
        json got;
        if (!read_state(r, &got, where, sink)) return "";
        // When the call changed nothing visible, old and new are equal: "old" (then retried).
        const std::string which = got == old_state ? "old" : got == new_state ? "new" : "";
        if (which.empty()) {
            record(sink, rule,
                   where + ": against the state before the call: " +
                       describe_difference(old_state, got) +
                       "; against the fault-free state after it: " +
                       describe_difference(new_state, got));
        }
        check_snapshot(r, got, where, sink);
        return which;
    }
    // A failed COMMIT leaves the engine refusing everything until it is reopened: every call
    // a host may make next returns CONVO_ESTORAGE with the failed call's message.
    void refuses_everything(Runner &r, const Step &failed, const std::string &message,
                            const std::string &where) {
        for (const auto &probe : r.probe_calls(failed)) {
            const StepResult &got = probe.second;
            if (got.code != CONVO_ESTORAGE) {
                fail("a call after a failed commit was not refused",
                     where + ": " + probe.first + " returned " + result_text(got));
            } else if (got.error != message) {
                fail("a call after a failed commit was refused without the reopen message",
                     where + ": " + probe.first + " said '" + got.error + "', the failed call '" +
                         message + "'");
            }
        }
    }

private:
    void record(std::vector<std::string> *sink, const std::string &rule,
                const std::string &detail) {
        if (sink)
            sink->push_back(rule + ": " + detail);
        else
            fail(rule, detail);
    }
    bool read_state(Runner &r, json *got, const std::string &where,
                    std::vector<std::string> *sink) {
        std::string error;
        if (r.snapshot(got, &error)) return true;
        record(sink, "reads fail after the fault was disarmed", where + ": " + error);
        return false;
    }
    void check_snapshot(Runner &r, const json &got, const std::string &where,
                        std::vector<std::string> *sink) {
        for (const std::string &p : check_consistency(got))
            record(sink, "inconsistent state", where + ": " + p);
        for (const std::string &p : r.check_deliveries(got))
            record(sink, "subscriber deliveries differ from the feed", where + ": " + p);
    }

    Trial &t_;
};

// The message with the database path replaced, so outcomes of different trials compare.
std::string without_path(std::string message, const std::string &path) {
    if (size_t at = message.find(path); at != std::string::npos)
        message.replace(at, path.size(), "<db>");
    return message;
}

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
        t.injected = true;
        t.step = static_cast<int>(i);
        t.step_label = s.label;
        t.file = fault_vfs_first_fault_file();
        t.code = res.code;
        t.error = res.error;
        const std::string where = "right after the failed step '" + s.label + "'";
        const json &before_state = golden.state_before(i);
        const json &after_state = golden.states[i];
        // A failed COMMIT: the engine cannot know whether the change reached the disk. It says
        // to close and reopen it, and refuses every call until then.
        t.reopen_path = res.code == CONVO_ESTORAGE && says_reopen(res.error) && r.is_open();
        const bool broken_close = options.close_while_failing && r.is_open();
        if (broken_close) {
            // The refusals need no disk: they must hold while it still fails.
            if (t.reopen_path) check.refuses_everything(r, s, res.error, where);
            r.close();  // the checkpoint at close meets the same broken disk
        }
        fault_vfs_disarm();
        if (options.after_failure && r.is_open()) options.after_failure(r);

        if (s.kind == StepKind::close) {
            // close returns nothing; the reopen that follows shows whether anything was lost.
            t.outcome = "close: nothing to return (the next open is checked)";
            continue;
        }
        if (res.code == CONVO_OK) {
            check.same_result(s, golden.results[i], res, "when SQLite recovered from the fault");
            if (r.is_open()) {
                check.same_state(r, after_state, "state differs from the fault-free run",
                                 "after step '" + s.label + "' (fault absorbed)");
            }
            t.outcome = std::string(kind_name(s.kind)) + ": CONVO_OK (SQLite absorbed the fault)";
            continue;
        }

        // The step failed: the right code and a clear message.
        if (res.code != CONVO_ESTORAGE) {
            check.fail("wrong code", "step '" + s.label + "' returned " +
                                         convo_code_name(res.code) + " '" + res.error +
                                         "', expected CONVO_ESTORAGE");
        } else if (!clear_storage_message(res.error)) {
            check.fail("unclear message", "step '" + s.label + "': '" + res.error + "'");
        }
        // Each tick of the workload fires far fewer timers than one batch (256), so a failed
        // tick failed in its only batch and committed nothing: *out_fired must say 0.
        if (s.kind == StepKind::tick && res.out != "fired 0") {
            check.fail("a failed tick counts timers that were not committed",
                       "step '" + s.label + "': " + res.out);
        }
        const std::string message = without_path(res.error, r.path());

        if (t.reopen_path) {
            // Old or new, never half: first in what a process killed right now would leave.
            if (options.crash_image && r.is_open()) {
                std::string image_dir = make_temp_dir("image");
                copy_database_files(r.path(), image_dir + "/convo.db");
                Runner image(image_dir, r.clock_ms());
                StepResult o = image.run(steps[0]);
                if (o.code != CONVO_OK) {
                    t.crash_image_failures.push_back("crash image does not open: " +
                                                     result_text(o));
                } else {
                    t.crash_image_to = check.old_or_new(
                        image, before_state, after_state,
                        "crash image after a failed commit shows a half-applied state",
                        "copy of the files " + where, &t.crash_image_failures);
                }
                image.close();
                remove_dir(image_dir);
            }
            if (r.is_open()) {
                // The subscriber got nothing of the failed call...
                for (const std::string &p : r.check_deliveries(before_state))
                    check.fail("subscriber got events of a failed commit", where + ": " + p);
                // ...and the engine refuses every call, though the disk works again.
                check.refuses_everything(r, s, res.error, where);
            }
            // The host does what the message says: close, and reopen on the fixed disk.
            r.close();
            StepResult o = r.run(steps[0]);
            if (o.code != CONVO_OK) {
                check.fail("reopen after a failed commit fails", result_text(o));
                t.outcome = std::string(kind_name(s.kind)) + ": " + convo_code_name(res.code) +
                            " '" + message + "', reopen fails";
                break;  // nothing more can run
            }
            if (options.after_reopen) options.after_reopen(r);
            const std::string after_reopen =
                "after reopening from the failed step '" + s.label + "'";
            t.reopened_to = check.old_or_new(r, before_state, after_state,
                                             "reopen after a failed commit shows a half-applied "
                                             "state",
                                             after_reopen);
            if (t.reopened_to == "old") {
                // The call did not happen: the host retries it, as in the fault-free run.
                StepResult retry = r.run(s);
                check.same_result(s, golden.results[i], retry,
                                  "on the retry after reopening to the state before the call");
                check.same_state(r, after_state, "state differs from the fault-free run",
                                 "after retrying step '" + s.label + "' " + after_reopen);
            } else if (t.reopened_to == "new" && has_idempotency_key(s)) {
                // The call happened. A host that retries it anyway, with the same client id
                // or event_id, must get the same answer and change nothing.
                StepResult retry = r.run(s);
                check.same_result(s, golden.results[i], retry,
                                  "on a retry with the same id after reopening to the state "
                                  "after the call");
                check.same_state(r, after_state, "a retry with the same id applied the call twice",
                                 "after retrying step '" + s.label + "' " + after_reopen);
            }
            t.outcome = std::string(kind_name(s.kind)) + ": " + convo_code_name(res.code) + " '" +
                        message + "', reopened to " +
                        (t.reopened_to == "old"   ? "the state before the call"
                         : t.reopened_to == "new" ? "the state after the call"
                                                  : "neither");
            continue;
        }

        // Any other failure changed nothing, and the engine stays usable.
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
                t.outcome = std::string(kind_name(s.kind)) + ": " + convo_code_name(res.code) +
                            " '" + message + "', reopen fails";
                break;
            }
            check.same_state(r, before_state, "reopen shows other than the committed state", where);
        }
        // The same call succeeds once the fault is gone, without a reopen: the failed call did
        // not say that one is needed.
        StepResult retry = r.run(s);
        std::string recovery;
        if (retry.code == CONVO_ESTORAGE && s.kind != StepKind::open) {
            check.fail(
                "engine unusable after a failure that did not say to reopen",
                "retrying step '" + s.label + "' with the fault disarmed: " + result_text(retry));
            recovery = ", unusable until reopened";
            r.close();
            StepResult o = r.run(steps[0]);
            if (o.code != CONVO_OK) {
                check.fail("reopen after the failure fails", result_text(o));
                t.outcome = std::string(kind_name(s.kind)) + ": " + convo_code_name(res.code) +
                            " '" + message + "'" + recovery;
                break;
            }
            retry = r.run(s);
        }
        check.same_result(s, golden.results[i], retry, "on the retry");
        if (r.is_open()) {
            check.same_state(r, after_state, "state differs from the fault-free run",
                             "after retrying step '" + s.label + "'");
        }
        t.outcome = std::string(kind_name(s.kind)) + ": " + convo_code_name(res.code) + " '" +
                    message + "'" + recovery;
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
    if (t.reopen_path) ++reopen_path;
    if (t.reopened_to == "old") ++reopened_old;
    if (t.reopened_to == "new") ++reopened_new;
    if (t.crash_image_to == "old") ++image_old;
    if (t.crash_image_to == "new") ++image_new;
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
      << ", crash images differing: " << crash_image_failed << "\n"
      << "reopen path (a failed commit): " << reopen_path << " trials, reopened to the state "
      << "before the call: " << reopened_old << ", after it: " << reopened_new
      << "; crash images: before " << image_old << ", after " << image_new << "\n";
    for (const auto &o : outcomes) s << "  " << o.second << " x " << o.first << "\n";
    for (const auto &f : findings) {
        s << "FINDING " << f.first << "\n";
        for (const std::string &e : f.second) s << "    " << e << "\n";
    }
    return s.str();
}

}  // namespace faults
