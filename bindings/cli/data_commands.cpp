// create, get, list, event, tick, agent put|get: one C API call each on the --db file.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "capi_client.h"
#include "commands.h"
#include "input.h"
#include "views.h"

namespace convo_cli {

using json = nlohmann::ordered_json;  // keeps the engine's field order

namespace {

void print_json(const std::string &text) {
    std::cout << json::parse(text).dump(2) << '\n';
}

// Pretty JSON, or with --table the human view of it.
void print_result(const std::string &text, bool table, void (*view)(const json &, std::ostream &)) {
    if (table) {
        view(json::parse(text), std::cout);
    } else {
        print_json(text);
    }
}

// Opens the --db file and a session of --org, then runs `body` with it.
template <typename Body>
void with_session(const GlobalOptions &global, Body body) {
    Engine engine(file_engine_options(global.db));
    Session session(engine, global.org);
    body(engine, session);
}

void add_create(CLI::App &app, const GlobalOptions &global) {
    auto request = std::make_shared<std::string>("-");
    CLI::App *cmd = app.add_subcommand("create", "Create a conversation from an AnyReach request");
    cmd->add_option("request", *request, "Request JSON, - for stdin (default), @FILE for a file");
    cmd->callback([&global, request] {
        const std::string body = read_input(*request);
        with_session(global,
                     [&](const Engine &, const Session &s) { print_json(s.create(body).json); });
    });
}

void add_get(CLI::App &app, const GlobalOptions &global) {
    struct Args {
        std::string id;
        bool table = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("get", "Show a conversation");
    cmd->add_option("id", args->id, "Conversation id")->required();
    cmd->add_flag("--table", args->table, "Human-readable table instead of JSON");
    cmd->callback([&global, args] {
        with_session(global, [&](const Engine &, const Session &s) {
            print_result(s.get(args->id), args->table, print_conversation);
        });
    });
}

void add_list(CLI::App &app, const GlobalOptions &global) {
    struct Args {
        std::string query = "{}";
        bool table = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("list", "List conversations, newest first");
    cmd->add_option("query", args->query,
                    "Query JSON (status, channel, direction, ..., limit, cursor); - for stdin");
    cmd->add_flag("--table", args->table, "Human-readable table instead of JSON");
    cmd->callback([&global, args] {
        const std::string query = read_input(args->query);
        with_session(global, [&](const Engine &, const Session &s) {
            print_result(s.list(query), args->table, print_conversation_page);
        });
    });
}

void add_event(CLI::App &app, const GlobalOptions &global) {
    struct Args {
        std::string id;
        std::string event;
        bool table = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App *cmd = app.add_subcommand("event", "Apply a lifecycle event to a conversation");
    cmd->add_option("id", args->id, "Conversation id")->required();
    cmd->add_option("event", args->event, R"(Event JSON, e.g. {"type":"answered"}; - for stdin)")
        ->required();
    cmd->add_flag("--table", args->table, "Human-readable table instead of JSON");
    cmd->callback([&global, args] {
        const std::string event = read_input(args->event);
        with_session(global, [&](const Engine &, const Session &s) {
            print_result(s.dispatch(args->id, event), args->table, print_conversation);
        });
    });
}

void add_tick(CLI::App &app, const GlobalOptions &global) {
    CLI::App *cmd = app.add_subcommand("tick", "Fire every timer that is due now");
    cmd->callback([&global] {
        with_session(global, [&](const Engine &engine, const Session &) {
            std::cout << json{{"fired", engine.tick()}}.dump(2) << '\n';
        });
    });
}

void add_agent(CLI::App &app, const GlobalOptions &global) {
    CLI::App *agent = app.add_subcommand("agent", "Manage agents");
    agent->require_subcommand(1);

    auto body = std::make_shared<std::string>();
    CLI::App *put = agent->add_subcommand("put", "Create or replace an agent");
    put->add_option("agent", *body, "Agent JSON, - for stdin, @FILE for a file")->required();
    put->callback([&global, body] {
        const std::string text = read_input(*body);
        with_session(global,
                     [&](const Engine &, const Session &s) { print_json(s.agent_put(text)); });
    });

    auto id = std::make_shared<std::string>();
    CLI::App *get = agent->add_subcommand("get", "Show an agent");
    get->add_option("id", *id, "Agent id")->required();
    get->callback([&global, id] {
        with_session(global,
                     [&](const Engine &, const Session &s) { print_json(s.agent_get(*id)); });
    });
}

}  // namespace

void add_data_commands(CLI::App &app, const GlobalOptions &global) {
    add_create(app, global);
    add_get(app, global);
    add_list(app, global);
    add_event(app, global);
    add_tick(app, global);
    add_agent(app, global);
}

}  // namespace convo_cli
