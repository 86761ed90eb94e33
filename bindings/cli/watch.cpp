// watch: prints the feed as JSON lines (or table rows), optionally following it.
//
// Following reopens the database for each poll instead of holding it: an open engine owns
// its file, and `convo event ...` in another terminal must still be able to open it.
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "capi_client.h"
#include "commands.h"
#include "views.h"

namespace convo_cli {

using json = nlohmann::ordered_json;  // keeps the engine's field order

namespace {

constexpr unsigned kPageSize = 1000;
constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr auto kSleepSlice = std::chrono::milliseconds(50);

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) {
    g_interrupted = 1;
}

struct Args {
    uint64_t after = 0;
    bool follow = false;
    bool table = false;
};

class Printer {
public:
    explicit Printer(bool table) : table_(table), rows_(event_table()) {
        if (table_) rows_.print_header(std::cout);
    }
    void print(const json &event) {
        if (table_) {
            rows_.print_row(std::cout, event_row(event));
        } else {
            std::cout << event.dump() << '\n';
        }
    }

private:
    bool table_;
    Table rows_;
};

// Prints every event after `after`; returns the seq to read on from.
uint64_t print_events_after(const Session &session, uint64_t after, Printer &printer) {
    for (;;) {
        const json page = json::parse(session.events(after, kPageSize));
        const json &events = page.at("events");
        for (const json &event : events) printer.print(event);
        std::cout.flush();
        after = page.at("next_seq").get<uint64_t>();
        if (events.size() < kPageSize || g_interrupted) return after;
    }
}

uint64_t poll_once(const GlobalOptions &global, uint64_t after, Printer &printer) {
    Engine engine(file_engine_options(global.db));
    Session session(engine, global.org);
    return print_events_after(session, after, printer);
}

void follow(const GlobalOptions &global, uint64_t after, Printer &printer) {
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    while (!g_interrupted) {
        try {
            after = poll_once(global, after, printer);
        } catch (const Failure &failure) {
            if (failure.code() != CONVO_ECONFLICT) throw;  // busy: another process has it
        }
        for (auto slept = std::chrono::milliseconds(0); slept < kPollInterval && !g_interrupted;
             slept += kSleepSlice) {
            std::this_thread::sleep_for(kSleepSlice);
        }
    }
}

}  // namespace

void add_watch_command(CLI::App &app, const GlobalOptions &global) {
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("watch", "Print the event feed as JSON lines");
    cmd->add_option("--after", args->after, "Start after this seq (default 0: from the start)");
    cmd->add_flag("--follow,-f", args->follow, "Keep polling for new events until interrupted");
    cmd->add_flag("--table", args->table, "Table rows instead of JSON lines");
    cmd->callback([&global, args] {
        Printer printer(args->table);
        if (args->follow) {
            follow(global, args->after, printer);
        } else {
            poll_once(global, args->after, printer);
        }
    });
}

}  // namespace convo_cli
