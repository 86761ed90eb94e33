// convo: the command-line host of libconvo. It reaches the engine only through the C API.
#include <convo/convo.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>

#include "capi_client.h"
#include "commands.h"
#include "global_options.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int report(const std::string &code, const std::string &detail) {
    std::cerr << "convo: " << code << ": " << detail << '\n';
    return kExitFailure;
}

// Builds the command line and runs the chosen subcommand (in its CLI11 callback).
int run(int argc, char **argv) {
    using namespace convo_cli;

    CLI::App app("convo: conversation lifecycles across telephone, webrtc, email and text");
    app.set_version_flag("--version", [] { return std::string(convo_version()); });
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand too

    GlobalOptions global;
    global.db_option = app.add_option("--db", global.db, "Database file")->capture_default_str();
    app.add_option("--org", global.org, "Organization the session acts for")->capture_default_str();

    add_data_commands(app, global);
    add_watch_command(app, global);
    add_diagram_command(app);
    add_demo_command(app, global);
    add_simulate_command(app, global);
    add_bench_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        const int code = app.exit(e);  // prints help, version or the usage error
        return code == 0 ? 0 : kExitUsage;
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    try {
        return run(argc, argv);
    } catch (const convo_cli::Failure &f) {
        return report(convo_code_name(f.code()), f.what());
    } catch (const nlohmann::json::exception &e) {
        // The engine answers JSON; a parse failure here is a bug on one side or the other.
        return report(convo_code_name(CONVO_EINTERNAL),
                      std::string("bad JSON from the engine: ") + e.what());
    } catch (const std::exception &e) {
        return report("error", e.what());
    } catch (...) {
        return report("error", "unknown exception");
    }
}
