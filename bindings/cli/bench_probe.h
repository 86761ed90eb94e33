// Section 6 runs in a fresh process, so that what it reports (open time, resident memory) is
// the engine's own and not what the bench built up before: the bench re-executes itself
// (/proc/self/exe) with the hidden `bench-probe` subcommand, which opens the database, ticks
// once, lists once, and prints what it measured as one JSON line.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace convo_cli::bench {

struct Probe {
    double open_ms = 0;      // convo_engine_open, or sqlite3_open_v2 and the engine's pragmas
    double tick_us = 0;      // the first tick (nothing due)
    double list_us = 0;      // the first list by status
    double rss_mb = 0;       // VmRSS after the list
    double peak_rss_mb = 0;  // VmHWM
};

// Runs the probe in a child process. `side` is "convo" or "raw".
Probe probe_in_child(const std::string &side, const std::string &path);

// The hidden subcommand the child runs.
void add_probe_command(CLI::App &app);

}  // namespace convo_cli::bench
