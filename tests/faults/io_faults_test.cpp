// I/O faults through the C API: the engine goes through the shim, the fault-free run is
// deterministic, the checks notice a broken engine, and the sweep: every fault point (or a
// sample, under ctest) of every kind, each checked against the fault-free run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>

#include "fault_vfs.h"
#include "sweep_config.h"
#include "trials.h"
#include "workload.h"

namespace faults {
namespace {

// The index of the first workload step with this label.
size_t step_index(const std::string &label) {
    const std::vector<Step> &steps = workload();
    for (size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].label == label) return i;
    }
    ADD_FAILURE() << "no step '" << label << "'";
    return 0;
}

// The k that makes the first call of `op` during step `i` fail.
uint64_t first_point_in(const Golden &g, fault_op op, size_t i) {
    return (i == 0 ? 0 : g.counts_after[i - 1][op]) + 1;
}

bool mentions(const Trial &t, const std::string &rule) {
    for (const std::string &f : t.failures) {
        if (f.rfind(rule, 0) == 0) return true;
    }
    return false;
}

TEST(IoFaults, EngineDatabaseGoesThroughTheShim) {
    std::string dir = make_temp_dir("shim");
    fault_vfs_reset_counts();
    {
        Runner r(dir);
        const std::vector<Step> &steps = workload();
        for (size_t i = 0; i <= step_index("create text U1"); ++i) {
            StepResult res = r.run(steps[i]);
            ASSERT_EQ(res.code, CONVO_OK) << steps[i].label << ": " << res.error;
        }
    }
    remove_dir(dir);
    EXPECT_GT(fault_vfs_count_file(FAULT_OP_WRITE, FAULT_FILE_WAL), 0u);
    EXPECT_GT(fault_vfs_count_file(FAULT_OP_SYNC, FAULT_FILE_WAL), 0u);
    EXPECT_GT(fault_vfs_count_file(FAULT_OP_WRITE, FAULT_FILE_MAIN_DB), 0u);  // checkpoint at close
    // locking_mode=EXCLUSIVE: the WAL index lives in heap memory, never in a -shm file.
    EXPECT_EQ(fault_vfs_count(FAULT_OP_SHM), 0u);
    EXPECT_EQ(fault_vfs_count(FAULT_OP_FETCH), 0u);  // no memory-mapped I/O: every read is an xRead
}

TEST(IoFaults, FaultFreeRunIsDeterministic) {
    const Golden &g = golden();
    for (const std::string &p : g.problems) ADD_FAILURE() << p;
    Golden again = record_golden();
    ASSERT_EQ(again.results.size(), g.results.size());
    for (size_t i = 0; i < g.results.size(); ++i) {
        EXPECT_EQ(again.results[i].code, g.results[i].code) << workload()[i].label;
        EXPECT_EQ(again.results[i].out, g.results[i].out) << workload()[i].label;
        EXPECT_EQ(again.states[i], g.states[i]) << workload()[i].label;
    }
    EXPECT_EQ(again.counts, g.counts);
    // Every step did what the workload means it to.
    for (size_t i = 0; i < g.results.size(); ++i) {
        const std::string &label = workload()[i].label;
        const convo_code want = label.find("refused") != std::string::npos  ? CONVO_ECONFLICT
                                : label.find("(none)") != std::string::npos ? CONVO_ENOTFOUND
                                                                            : CONVO_OK;
        EXPECT_EQ(g.results[i].code, want) << workload()[i].label << ": " << g.results[i].error;
    }
    const json &end = g.states.back();
    EXPECT_EQ(end["org_a"]["conversations"]["00000000-0000-4000-8000-0000000000a1"]["end_reason"],
              "idle_timeout");
    EXPECT_EQ(end["org_b"]["conversations"]["00000000-0000-4000-8000-0000000000b5"]["end_reason"],
              "ring_timeout");
    std::printf("fault-free workload: %zu steps; calls by kind (db/wal/journal/other):\n",
                workload().size());
    for (int op = 0; op < FAULT_OP_COUNT; ++op) {
        std::printf("  %-8s %4llu (%llu/%llu/%llu/%llu)\n",
                    fault_op_name(static_cast<fault_op>(op)),
                    static_cast<unsigned long long>(g.counts[op]),
                    static_cast<unsigned long long>(g.by_file[op][FAULT_FILE_MAIN_DB]),
                    static_cast<unsigned long long>(g.by_file[op][FAULT_FILE_WAL]),
                    static_cast<unsigned long long>(g.by_file[op][FAULT_FILE_JOURNAL]),
                    static_cast<unsigned long long>(g.by_file[op][FAULT_FILE_OTHER]));
    }
}

const char *const kU1 = "00000000-0000-4000-8000-0000000000a1";

// The message of a failed COMMIT: the cause, then that the engine must be reopened.
bool is_failed_commit_message(const std::string &m, const std::string &cause) {
    const std::string head = "database error while trying to commit change: " + cause + "; ";
    return m.rfind(head, 0) == 0 && m.find("close and reopen the engine") != std::string::npos;
}

// ---- a failure that is not a COMMIT's: nothing changes and the engine stays usable ---------

// The first read of the first tick after the reopen (the page cache is cold, and the tick
// first asks whether anything is due): the tick fails before it writes anything.
uint64_t tick_read_point(const Golden &g) {
    return first_point_in(g, FAULT_OP_READ, step_index("tick"));
}

// A trial at that read: ESTORAGE with a message that names what failed and no word of a
// reopen; nothing changed; the same call succeeds when retried.
TEST(IoFaults, FailedReadChangesNothingAndCanBeRetried) {
    const Golden &g = golden();
    Trial t = run_trial(g, *find_fault_kind("read"), tick_read_point(g), TrialOptions{});
    EXPECT_TRUE(t.injected);
    EXPECT_EQ(t.step_label, "tick");
    EXPECT_EQ(t.code, CONVO_ESTORAGE);
    EXPECT_EQ(t.error, "database error while trying to find next deadline: disk I/O error");
    EXPECT_FALSE(t.reopen_path);
    EXPECT_EQ(t.outcome.rfind("tick: CONVO_ESTORAGE", 0), 0u) << t.outcome;
    EXPECT_TRUE(t.ok()) << ::testing::PrintToString(t.failures)
                        << ::testing::PrintToString(t.crash_image_failures);
}

// The checks are worth something only if they fail on an engine that breaks the rules. Here
// the "engine" changes a conversation right after the failed call returns.
TEST(IoFaults, ChecksNoticeAFailedCallThatChangedSomething) {
    const Golden &g = golden();
    TrialOptions options;
    options.after_failure = [](Runner &r) {
        Step sneaky{"sneaky", StepKind::dispatch,
                    "org_a",  {{"type", "annotate"}, {"topic", "changed anyway"}},
                    kU1,      0};
        r.run(sneaky);
    };
    Trial t = run_trial(g, *find_fault_kind("read"), tick_read_point(g), options);
    EXPECT_EQ(t.step_label, "tick");
    EXPECT_FALSE(t.reopen_path);
    EXPECT_TRUE(mentions(t, "the failed call changed the state"))
        << ::testing::PrintToString(t.failures);
    EXPECT_TRUE(mentions(t, "reopened database differs from the committed state"));
}

// ...and when a committed change goes missing (here: the fault-free run is told to expect an
// event that is not there).
TEST(IoFaults, ChecksNoticeALostChange) {
    Golden g = golden();
    json extra = g.states.back()["org_b"]["events"].back();
    extra["seq"] = extra["seq"].get<uint64_t>() + 100;
    g.states.back()["org_b"]["events"].push_back(extra);
    Trial t = run_trial(g, *find_fault_kind("sync"), 1, TrialOptions{});
    EXPECT_TRUE(mentions(t, "reopened database differs from the committed state"))
        << ::testing::PrintToString(t.failures);
}

// ---- a failed COMMIT: refused until reopened, then the state before or after, never half ----

// The first write of a dispatch is the first WAL frame of its COMMIT: nothing reaches the
// file. The call says to reopen, every later call is refused with the same message, and the
// reopen (and the crash image) show the state before the call; the retry then succeeds.
TEST(IoFaults, FailedCommitWriteReopensToTheStateBefore) {
    const Golden &g = golden();
    const size_t i = step_index("dispatch U4 answered");
    Trial t = run_trial(g, *find_fault_kind("write"), first_point_in(g, FAULT_OP_WRITE, i),
                        TrialOptions{});
    EXPECT_TRUE(t.injected);
    EXPECT_EQ(t.step_label, "dispatch U4 answered");
    EXPECT_EQ(t.code, CONVO_ESTORAGE);
    EXPECT_TRUE(is_failed_commit_message(t.error, "disk I/O error")) << t.error;
    EXPECT_TRUE(t.reopen_path);
    EXPECT_EQ(t.reopened_to, "old");
    EXPECT_EQ(t.crash_image_to, "old");
    EXPECT_TRUE(t.ok()) << ::testing::PrintToString(t.failures)
                        << ::testing::PrintToString(t.crash_image_failures);
}

// The WAL sync of the same COMMIT: the frames, commit frame included, are in the file. A
// crash image replays them (the state after the call). When the disk still fails at close,
// so does the close's checkpoint, and the reopen shows the state after the call too; the
// retry with the same event_id ("carrier-7") then changes nothing.
TEST(IoFaults, FailedCommitSyncReopensToTheStateAfterOnAFailingDisk) {
    const Golden &g = golden();
    const size_t i = step_index("dispatch U4 answered");
    const uint64_t k = first_point_in(g, FAULT_OP_SYNC, i);
    Trial t = run_trial(g, *find_fault_kind("sync"), k, TrialOptions{});
    EXPECT_EQ(t.step_label, "dispatch U4 answered");
    EXPECT_TRUE(is_failed_commit_message(t.error, "disk I/O error")) << t.error;
    EXPECT_TRUE(t.reopen_path);
    EXPECT_EQ(t.crash_image_to, "new");
    EXPECT_TRUE(t.ok()) << ::testing::PrintToString(t.failures)
                        << ::testing::PrintToString(t.crash_image_failures);

    TrialOptions broken;
    broken.persistent = true;
    broken.close_while_failing = true;
    Trial b = run_trial(g, *find_fault_kind("sync"), k, broken);
    EXPECT_EQ(b.step_label, "dispatch U4 answered");
    EXPECT_TRUE(b.reopen_path);
    EXPECT_EQ(b.reopened_to, "new");
    EXPECT_TRUE(b.ok()) << ::testing::PrintToString(b.failures);
}

// The checks of that path, tested: an engine that goes on serving calls after a failed
// COMMIT (played by closing and reopening it behind the trial's back) is caught...
TEST(IoFaults, ChecksNoticeAnEngineServingCallsAfterAFailedCommit) {
    const Golden &g = golden();
    const size_t i = step_index("dispatch U4 answered");
    TrialOptions options;
    options.after_failure = [](Runner &r) {
        r.close();
        r.run(workload()[0]);
    };
    Trial t =
        run_trial(g, *find_fault_kind("write"), first_point_in(g, FAULT_OP_WRITE, i), options);
    EXPECT_TRUE(t.reopen_path);
    EXPECT_TRUE(mentions(t, "a call after a failed commit was not refused"))
        << ::testing::PrintToString(t.failures);
}

// ...and so is a reopen that shows half of the failed call: here the annotate's topic without
// its summary and tags.
TEST(IoFaults, ChecksNoticeAHalfAppliedStateAfterReopen) {
    const Golden &g = golden();
    const size_t i = step_index("dispatch U1 annotate");
    TrialOptions options;
    options.after_reopen = [](Runner &r) {
        Step half{"half",  StepKind::dispatch,
                  "org_a", {{"type", "annotate"}, {"topic", "billing"}},
                  kU1,     0};
        r.run(half);
    };
    Trial t =
        run_trial(g, *find_fault_kind("write"), first_point_in(g, FAULT_OP_WRITE, i), options);
    EXPECT_EQ(t.step_label, "dispatch U1 annotate");
    EXPECT_TRUE(t.reopen_path);
    EXPECT_EQ(t.reopened_to, "");
    EXPECT_TRUE(mentions(t, "reopen after a failed commit shows a half-applied state"))
        << ::testing::PrintToString(t.failures);
}

// ...and so is a wrong expectation: the fault-free run is told that the dispatch set another
// status, so the reopened state (the real one after the call) matches neither.
TEST(IoFaults, ChecksNoticeAWrongExpectationAfterReopen) {
    Golden g = golden();
    const size_t i = step_index("dispatch U4 answered");
    g.states[i]["org_a"]["conversations"]["00000000-0000-4000-8000-0000000000a4"]["status"] =
        "ringing";
    TrialOptions broken;
    broken.persistent = true;
    broken.close_while_failing = true;
    Trial t = run_trial(g, *find_fault_kind("sync"), first_point_in(g, FAULT_OP_SYNC, i), broken);
    EXPECT_TRUE(t.reopen_path);
    EXPECT_EQ(t.reopened_to, "");
    EXPECT_TRUE(mentions(t, "reopen after a failed commit shows a half-applied state"))
        << ::testing::PrintToString(t.failures);
}

// ---- the sweep ---------------------------------------------------------------------------

// transient: only the k-th call fails; persistent: every call of the kind from the k-th on,
// until the failing step returns; reopen: transient, then close and reopen before the retry;
// broken_close: persistent through the engine's close, fixed before the reopen.
enum class Mode { transient, persistent, reopen, broken_close };

struct SweepParam {
    std::string kind;
    Mode mode;
};

void PrintTo(const SweepParam &p, std::ostream *os) {
    *os << p.kind << "/" << static_cast<int>(p.mode);
}

std::string param_name(const ::testing::TestParamInfo<SweepParam> &info) {
    const char *m = info.param.mode == Mode::transient    ? "transient"
                    : info.param.mode == Mode::persistent ? "persistent"
                    : info.param.mode == Mode::reopen     ? "reopen"
                                                          : "broken_close";
    return info.param.kind + "_" + m;
}

std::vector<SweepParam> all_params() {
    std::vector<SweepParam> ps;
    for (const FaultKind &k : fault_kinds()) {
        for (Mode m : {Mode::transient, Mode::persistent, Mode::reopen, Mode::broken_close}) {
            ps.push_back({k.name, m});
        }
    }
    return ps;
}

class FaultSweep : public ::testing::TestWithParam<SweepParam> {};

TEST_P(FaultSweep, EveryPoint) {
    const SweepConfig &config = sweep_config();
    const SweepParam &p = GetParam();
    if (!config.kinds.empty() &&
        std::find(config.kinds.begin(), config.kinds.end(), p.kind) == config.kinds.end()) {
        GTEST_SKIP() << "not in --kinds";
    }
    const Golden &g = golden();
    ASSERT_TRUE(g.problems.empty()) << ::testing::PrintToString(g.problems);
    const FaultKind &kind = *find_fault_kind(p.kind);
    const uint64_t total = g.counts[kind.op];
    if (total == 0) GTEST_SKIP() << "the workload makes no " << fault_op_name(kind.op) << " call";

    TrialOptions options;
    options.persistent = p.mode == Mode::persistent || p.mode == Mode::broken_close;
    options.reopen_before_retry = p.mode == Mode::reopen;
    options.close_while_failing = p.mode == Mode::broken_close;
    Tally tally;
    for (uint64_t k : sample_points(total)) {
        Trial t = run_trial(g, kind, k, options);
        tally.add(t);
        process_tally().add(t);
        if (config.verbose || !t.ok()) {
            std::printf("%s k=%llu step '%s' (%s): %s\n", param_name({p, 0}).c_str(),
                        static_cast<unsigned long long>(k), t.step_label.c_str(),
                        fault_file_name(t.file), t.outcome.c_str());
            for (const std::string &f : t.failures) std::printf("    %s\n", f.c_str());
            for (const std::string &f : t.crash_image_failures) std::printf("    %s\n", f.c_str());
        }
    }
    std::printf("%s: %llu of %llu points\n%s", param_name({p, 0}).c_str(),
                static_cast<unsigned long long>(tally.trials),
                static_cast<unsigned long long>(total), tally.summary().c_str());
    EXPECT_EQ(tally.failed, 0u) << tally.summary();
    EXPECT_EQ(tally.crash_image_failed, 0u) << tally.summary();
}

INSTANTIATE_TEST_SUITE_P(Kinds, FaultSweep, ::testing::ValuesIn(all_params()), param_name);

}  // namespace
}  // namespace faults
