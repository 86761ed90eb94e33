#include "bench_probe.h"

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "bench_population.h"
#include "bench_raw.h"
#include "bench_sections.h"
#include "bench_workload.h"
#include "capi_client.h"

namespace convo_cli::bench {

namespace {

double micros_since(Clock::time_point start) {
    return seconds_since(start) * 1e6;
}

// A line of /proc/self/status such as "VmRSS:	   12345 kB", in MB.
double status_mb(const std::string &key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.compare(0, key.size() + 1, key + ":") == 0) {
            return std::stod(line.substr(key.size() + 1)) / 1024.0;
        }
    }
    throw std::runtime_error("bench-probe: /proc/self/status has no " + key);
}

Probe run_probe(const std::string &side, const std::string &path) {
    Probe probe;
    if (side == "convo") {
        Clock::time_point start = Clock::now();
        Engine engine(workload::engine_options(path, Sync::full, layout::kMeasureAt));
        probe.open_ms = micros_since(start) / 1000;
        Session session(engine, workload::kOrganization);
        start = Clock::now();
        engine.tick();
        probe.tick_us = micros_since(start);
        start = Clock::now();
        session.list(workload::status_query());
        probe.list_us = micros_since(start);
    } else {
        Clock::time_point start = Clock::now();
        RawBaseline raw(path, Sync::full);
        probe.open_ms = micros_since(start) / 1000;
        start = Clock::now();
        raw.due_count(layout::kMeasureAt);
        probe.tick_us = micros_since(start);
        start = Clock::now();
        raw.list_by_status(workload::kEndedStatus);
        probe.list_us = micros_since(start);
    }
    // Still open: the memory an engine holds while in use.
    probe.rss_mb = status_mb("VmRSS");
    probe.peak_rss_mb = status_mb("VmHWM");
    return probe;
}

[[noreturn]] void fail(const std::string &what) {
    throw std::runtime_error("bench: the probe process " + what);
}

}  // namespace

Probe probe_in_child(const std::string &side, const std::string &path) {
    std::vector<std::string> args = {"convo", "bench-probe", "--side", side, "--path", path};
    std::vector<char *> argv;
    argv.reserve(args.size() + 1);
    for (std::string &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int fds[2];
    if (pipe(fds) != 0) fail(std::string("could not start: pipe: ") + std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        fail(std::string("could not start: fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv("/proc/self/exe", argv.data());
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buffer[4096];
    for (;;) {
        const ssize_t got = read(fds[0], buffer, sizeof buffer);
        if (got > 0) {
            out.append(buffer, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
            break;
        }
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) fail(std::string("could not be waited for: ") + std::strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail("for " + side + " failed (exit status " +
             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
             "); its error is above");
    }
    try {
        const nlohmann::json j = nlohmann::json::parse(out);
        return Probe{j.at("open_ms").get<double>(), j.at("tick_us").get<double>(),
                     j.at("list_us").get<double>(), j.at("rss_mb").get<double>(),
                     j.at("peak_rss_mb").get<double>()};
    } catch (const nlohmann::json::exception &e) {
        fail("for " + side + " printed no result (" + e.what() + "): " + out);
    }
}

void add_probe_command(CLI::App &app) {
    struct Args {
        std::string side, path;
    };
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("bench-probe", "Used by convo bench (section 6)");
    cmd->group("");  // hidden: not a command for people
    cmd->add_option("--side", args->side)->required()->check(CLI::IsMember({"convo", "raw"}));
    cmd->add_option("--path", args->path)->required();
    cmd->callback([args] {
        const Probe p = run_probe(args->side, args->path);
        std::cout << nlohmann::json{{"open_ms", p.open_ms},
                                    {"tick_us", p.tick_us},
                                    {"list_us", p.list_us},
                                    {"rss_mb", p.rss_mb},
                                    {"peak_rss_mb", p.peak_rss_mb}}
                         .dump()
                  << std::endl;
    });
}

Section run_open_section(const Population &population) {
    const std::string stored = count_text(population.size()) + " stored";
    std::cerr << "bench: opening the engine on " << stored << " in a fresh process\n";
    const Probe convo = probe_in_child("convo", population.path());
    const Probe raw = probe_in_child("raw", population.path());
    const bool at_issue_scale = population.size() == 1'000'000;
    const std::string caveat = at_issue_scale ? "" : "(for 10^6)";
    Section section{"open", "6. open and memory, fresh process", {}};
    section.rows.push_back({"open, " + stored, Unit::millis, Figure{convo.open_ms, std::nullopt},
                            Figure{raw.open_ms, std::nullopt}, Target::at_most(100, caveat)});
    section.rows.push_back({"first tick after open",
                            Unit::micros,
                            Figure{convo.tick_us, std::nullopt},
                            Figure{raw.tick_us, std::nullopt},
                            {}});
    section.rows.push_back({"first list after open",
                            Unit::micros,
                            Figure{convo.list_us, std::nullopt},
                            Figure{raw.list_us, std::nullopt},
                            {}});
    section.rows.push_back({"RSS after open, tick and list", Unit::megabytes,
                            Figure{convo.rss_mb, std::nullopt}, Figure{raw.rss_mb, std::nullopt},
                            Target::at_most(64, caveat)});
    section.rows.push_back({"peak RSS (VmHWM)",
                            Unit::megabytes,
                            Figure{convo.peak_rss_mb, std::nullopt},
                            Figure{raw.peak_rss_mb, std::nullopt},
                            {}});
    return section;
}

}  // namespace convo_cli::bench
