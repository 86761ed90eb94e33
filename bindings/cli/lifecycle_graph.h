// The engine's lifecycle table (convo_describe()) as a graph: statuses, and edges that merge
// every event or timer going from one status to another. The CLI never restates the table;
// the diagram and the demo's summary read it from here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace convo_cli {

struct StatusNode {
    std::string name;
    bool terminal = false;
    std::vector<std::string> initial_for;  // who starts here: "text", "telephone inbound", ...
};

struct Edge {
    std::string from;
    std::string to;
    bool timer = false;               // a deadline firing, not an event someone sends
    std::vector<std::string> labels;  // "answered (telephone)", "ring_timeout (ring timer)"
};

struct LifecycleGraph {
    std::vector<StatusNode> statuses;
    std::vector<std::string> channels;
    std::vector<Edge> edges;
    // Events allowed in every status that change nothing ("annotate"): drawn as a note
    // instead of a loop on every node.
    std::vector<std::string> everywhere;
};

LifecycleGraph read_lifecycle(const nlohmann::json &describe);

}  // namespace convo_cli
