#include "diagram.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "capi_client.h"
#include "commands.h"

namespace convo_cli {

namespace {

std::string join(const std::vector<std::string> &parts, const std::string &separator) {
    std::string out;
    for (const std::string &p : parts) out += (out.empty() ? "" : separator) + p;
    return out;
}

// A dot string literal.
std::string quoted(const std::string &text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '\n') {
            out += "\\n";  // dot's own line break inside a label
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string render_dot(const LifecycleGraph &graph) {
    std::ostringstream os;
    os << "digraph convo_lifecycle {\n"
          "    fontname=Helvetica;\n"
          "    rankdir=LR;\n"
          "    node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=Helvetica];\n"
          "    edge [fontname=Helvetica, fontsize=10];\n";
    bool has_start = false;
    for (const StatusNode &s : graph.statuses) {
        os << "    " << quoted(s.name);
        if (s.terminal) os << " [peripheries=2, fillcolor=\"#eeeeee\"]";
        os << ";\n";
        has_start = has_start || !s.initial_for.empty();
    }
    if (has_start) {
        os << "    start [shape=point, width=0.15, style=filled, fillcolor=black];\n";
        for (const StatusNode &s : graph.statuses) {
            if (s.initial_for.empty()) continue;
            os << "    start -> " << quoted(s.name)
               << " [label=" << quoted("create: " + join(s.initial_for, ", ")) << "];\n";
        }
    }
    for (const Edge &e : graph.edges) {
        os << "    " << quoted(e.from) << " -> " << quoted(e.to)
           << " [label=" << quoted(join(e.labels, "\n"));
        if (e.timer) os << R"(, style=dashed, color="#b03030", fontcolor="#b03030")";
        os << "];\n";
    }
    if (!graph.everywhere.empty()) {
        os << "    labelloc=b;\n    label="
           << quoted(join(graph.everywhere, ", ") +
                     ": allowed in every status, status unchanged. Dashed: timers.")
           << ";\n";
    }
    os << "}\n";
    return os.str();
}

std::string render_mermaid(const LifecycleGraph &graph) {
    std::ostringstream os;
    os << "stateDiagram-v2\n    direction LR\n";
    for (const StatusNode &s : graph.statuses) os << "    " << s.name << " : " << s.name << '\n';
    for (const StatusNode &s : graph.statuses) {
        if (!s.initial_for.empty()) {
            os << "    [*] --> " << s.name << " : create " << join(s.initial_for, ", ") << '\n';
        }
    }
    for (const Edge &e : graph.edges) {
        os << "    " << e.from << " --> " << e.to << " : " << join(e.labels, " / ") << '\n';
    }
    std::vector<std::string> terminals;
    for (const StatusNode &s : graph.statuses) {
        if (!s.terminal) continue;
        terminals.push_back(s.name);
        os << "    " << s.name << " --> [*]\n";
    }
    if (!graph.everywhere.empty() && !graph.statuses.empty()) {
        os << "    note right of " << graph.statuses.front().name << "\n        "
           << join(graph.everywhere, ", ") << ": allowed in every status, status unchanged\n"
           << "    end note\n";
    }
    if (!terminals.empty()) {
        os << "    classDef terminal fill:#eeeeee,stroke:#555555\n"
           << "    class " << join(terminals, ",") << " terminal\n";
    }
    return os.str();
}

void add_diagram_command(CLI::App &app) {
    auto format = std::make_shared<std::string>("dot");
    CLI::App *cmd =
        app.add_subcommand("diagram", "Draw the lifecycle table (Graphviz dot or Mermaid)");
    cmd->add_option("--format", *format, "dot (default) or mermaid")
        ->check(CLI::IsMember({"dot", "mermaid"}));
    cmd->callback([format] {
        // The table lives in the library; an in-memory engine is enough to ask for it.
        Engine engine(R"({"path":":memory:"})");
        const LifecycleGraph graph = read_lifecycle(nlohmann::json::parse(engine.describe()));
        std::cout << (*format == "dot" ? render_dot(graph) : render_mermaid(graph));
    });
}

}  // namespace convo_cli
