// The subcommands; each adds itself to the app. main.cpp only wires them together.
#pragma once

#include "global_options.h"

namespace CLI {
class App;
}

namespace convo_cli {

// create, get, list, event, tick, agent put|get
void add_data_commands(CLI::App &app, const GlobalOptions &global);
// watch [--after SEQ] [--follow] [--table]
void add_watch_command(CLI::App &app, const GlobalOptions &global);
// diagram [--format dot|mermaid]
void add_diagram_command(CLI::App &app);
// demo [--db F] [--conversations N] [--seed S]
void add_demo_command(CLI::App &app, const GlobalOptions &global);
// simulate --seed S --conversations N --days D [--db F] [--restarts R] [--trace]
void add_simulate_command(CLI::App &app, const GlobalOptions &global);
// bench [--quick] [--scale N] [--ops N] [--json] [--dir DIR] [--keep]
void add_bench_command(CLI::App &app);

}  // namespace convo_cli
