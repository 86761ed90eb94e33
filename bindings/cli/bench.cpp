// convo bench: convo beside a baseline written straight against the sqlite3 C API, in one
// process and one run, on the user's own machine (issue 6). The sections are in
// bench_transactions.cpp (1, 2), bench_scaling.cpp (3, 5, 7), bench_timers.cpp (4) and
// bench_probe.cpp (6); this file parses the options, runs them in order and prints the report.
#include <convo/convo.h>
#include <sqlite3.h>
#include <sys/utsname.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "bench_population.h"
#include "bench_probe.h"
#include "bench_sections.h"
#include "commands.h"

namespace convo_cli {

namespace {

using namespace bench;

struct Args {
    bool quick = false;
    int64_t scale = 0;  // 0: the mode's default
    int64_t ops = 0;
    bool json = false;
    std::string dir;
    bool keep = false;
};

// The command that repeats this run (as given; the defaults it left out are in the context).
std::string command_line(const Args &args) {
    std::string line = "convo bench";
    if (args.quick) line += " --quick";
    if (args.scale > 0) line += " --scale " + std::to_string(args.scale);
    if (args.ops > 0) line += " --ops " + std::to_string(args.ops);
    if (args.json) line += " --json";
    if (!args.dir.empty()) line += " --dir " + args.dir;
    if (args.keep) line += " --keep";
    return line;
}

constexpr int64_t kFullScale = 1'000'000;
constexpr int64_t kQuickScale = 100'000;
constexpr int64_t kFullOps = 2'000;
constexpr int64_t kQuickOps = 300;

Plan plan_of(const Args &args) {
    Plan plan;
    plan.quick = args.quick;
    plan.scale = args.scale > 0 ? args.scale : args.quick ? kQuickScale : kFullScale;
    // Each stage must hold whole groups of ten (the population's layout repeats every ten
    // conversations), so N/100 is kept a multiple of ten.
    plan.scale -= plan.scale % 1000;
    plan.ops = args.ops > 0 ? args.ops : args.quick ? kQuickOps : kFullOps;
    plan.reads = 10 * plan.ops;
    return plan;
}

// The run's databases: a new directory inside --dir (never --dir itself, which may hold the
// user's files), removed at the end, also when the run fails, unless --keep.
class WorkDir {
public:
    WorkDir(const std::string &parent, bool keep) : keep_(keep) {
        const std::filesystem::path base =
            parent.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(parent);
        std::string pattern = (base / "convo-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("bench: cannot create a work directory in " + base.string() +
                                     ": " + std::strerror(errno));
        }
        path_ = pattern;
    }
    ~WorkDir() {
        if (keep_) return;
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    WorkDir(const WorkDir &) = delete;
    WorkDir &operator=(const WorkDir &) = delete;

    const std::string &path() const { return path_; }

private:
    std::string path_;
    bool keep_;
};

std::string cpu_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0) {
            const std::size_t colon = line.find(':');
            if (colon != std::string::npos)
                return line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    }
    return "unknown";
}

Context context_of(const Args &args, const Plan &plan, const std::string &dir) {
    Context c;
    c.cpu_model = cpu_model();
    c.cores = std::thread::hardware_concurrency();
    utsname u{};
    c.os = uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
    c.sqlite_version = sqlite3_libversion();
    c.convo_version = convo_version();
    c.command_line = command_line(args);
    c.directory = dir;
    const std::time_t now = std::time(nullptr);
    char started[32];
    std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    c.started_at = started;
    c.scale = plan.scale;
    c.ops = plan.ops;
    c.quick = plan.quick;
    return c;
}

void run_bench(const Args &args) {
    const Clock::time_point start = Clock::now();
    const Plan plan = plan_of(args);
    if (args.scale > 0 && plan.scale != args.scale) {
        std::cerr << "bench: --scale rounded down to " << count_text(plan.scale) << "\n";
    }
    WorkDir work(args.dir, args.keep);
    Report report;
    report.context = context_of(args, plan, work.path());
    std::cerr
        << "bench: working in " << work.path() << "\n"
        << "bench: templates: one create, one dispatch, one closed conversation through convo\n";
    const Templates templates = capture_templates(work.path());

    TransactionSections transactions =
        run_transaction_sections(work.path(), templates, plan, report.checks);
    Population population(work.path() + "/population.db", templates);
    ScalingSections scaling = run_scaling_sections(population, templates, plan);
    Section open = run_open_section(population);
    // Firing changes the population, so it comes last.
    Section timers = run_timer_section(population, report.checks);

    report.sections = {std::move(transactions.per_transaction),
                       std::move(transactions.concurrency),
                       std::move(scaling.tick),
                       std::move(timers),
                       std::move(scaling.list),
                       std::move(open),
                       std::move(scaling.growth)};
    report.notes = {
        "Populations are cloned: one open and one ended conversation written by convo, copied "
        "with SQL to N (ids, times, users, metadata and deadlines varied per copy; a tenth "
        "ended). Writes run at synchronous=full unless the row says otherwise.",
        "create and dispatch use a session without the SENSITIVE scope (convo's answer carries "
        "no transcript); get and list use every scope, and the baseline reads the transcripts "
        "too.",
        "Growth rows: a cost that grew linearly would grow 100× from N/100 to N; O(log n) "
        "predicts about 1.5× at 10^6.",
        "Absolute figures depend on the machine and what else runs on it; the ratios are the "
        "comparison."};
    if (args.keep) report.notes.push_back("Databases kept in " + work.path());
    report.wall_seconds = seconds_since(start);
    std::cerr << "bench: done in " << static_cast<int64_t>(report.wall_seconds) << " s\n";
    if (args.json) {
        print_json(report, std::cout);
    } else {
        std::cout << "\n";
        print_table(report, std::cout);
    }
    if (!report.checks_pass()) {
        std::cerr << "bench: WARNING: the baseline's rows differ from convo's (see self_check)\n";
    }
}

}  // namespace

void add_bench_command(CLI::App &app) {
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand(
        "bench",
        "Measure convo beside a raw SQLite baseline that writes the same rows: per-transaction "
        "and concurrent writes, tick, timers, list, open time and memory at up to N "
        "conversations");
    cmd->add_flag("--quick", args->quick,
                  "A short run (N = 100,000, fewer calls): under a minute on 2 cores");
    cmd->add_option("--scale", args->scale,
                    "N, the largest population (default 1,000,000; 100,000 with --quick); "
                    "rounded down to a multiple of 1,000")
        ->check(CLI::Range(int64_t{1000}, bench::layout::kMaxConversations));
    cmd->add_option("--ops", args->ops,
                    "Calls per write measurement (default 2,000; 300 with --quick); reads make 10×")
        ->check(CLI::Range(int64_t{16}, int64_t{10'000'000}));
    cmd->add_flag("--json", args->json, "Print the report as JSON");
    cmd->add_option("--dir", args->dir,
                    "Where to make the run's work directory (default: the system temp dir)")
        ->check(CLI::ExistingDirectory);
    cmd->add_flag("--keep", args->keep, "Keep the work directory and its databases");
    cmd->callback([args] { run_bench(*args); });
    bench::add_probe_command(app);
}

}  // namespace convo_cli
