#include "lifecycle_graph.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string>

namespace convo_cli {

using nlohmann::json;

namespace {

std::vector<std::string> strings(const json &array) {
    std::vector<std::string> out;
    if (!array.is_array()) return out;
    for (const json &item : array) {
        if (item.is_string()) out.push_back(item.get<std::string>());
    }
    return out;
}

// "telephone" when a row applies to some channels only, "" when it applies to all.
std::string channel_note(const json &row, const std::vector<std::string> &all_channels) {
    const auto it = row.find("channels");
    if (it == row.end()) return "";
    std::vector<std::string> channels = strings(*it);
    if (channels.empty() || channels.size() >= all_channels.size()) return "";
    std::string note;
    for (const std::string &c : channels) note += (note.empty() ? "" : ", ") + c;
    return note;
}

void add_edge(std::vector<Edge> &edges, const std::string &from, const std::string &to, bool timer,
              const std::string &label) {
    auto it = std::find_if(edges.begin(), edges.end(), [&](const Edge &e) {
        return e.from == from && e.to == to && e.timer == timer;
    });
    if (it == edges.end()) {
        edges.push_back(Edge{from, to, timer, {}});
        it = std::prev(edges.end());
    }
    if (std::find(it->labels.begin(), it->labels.end(), label) == it->labels.end()) {
        it->labels.push_back(label);
    }
}

// True when the event loops on every status (to == from everywhere).
bool loops_everywhere(const json &transitions, std::size_t status_count) {
    std::set<std::string> froms;
    for (const json &t : transitions) {
        if (t.value("from", "") != t.value("to", "")) return false;
        froms.insert(t.value("from", ""));
    }
    return !froms.empty() && froms.size() == status_count;
}

// Who starts in `status`: "text", "telephone outbound", ... from describe's "initial" rows
// ({"channel","direction"|null,"status"}).
std::vector<std::string> starts_in(const std::string &status, const json &initial) {
    std::vector<std::string> out;
    if (!initial.is_array()) return out;
    for (const json &row : initial) {
        if (row.value("status", "") != status) continue;
        std::string who = row.value("channel", "");
        const json direction = row.value("direction", json());
        if (direction.is_string()) who += " " + direction.get<std::string>();
        out.push_back(who);
    }
    return out;
}

}  // namespace

LifecycleGraph read_lifecycle(const json &describe) {
    LifecycleGraph graph;
    graph.channels = strings(describe.value("channels", json::array()));
    const json initial = describe.value("initial", json::array());
    for (const json &s : describe.at("statuses")) {
        const std::string name = s.at("name").get<std::string>();
        graph.statuses.push_back(
            StatusNode{name, s.value("terminal", false), starts_in(name, initial)});
    }
    for (const json &event : describe.at("events")) {
        const std::string name = event.at("name").get<std::string>();
        const json &transitions = event.value("transitions", json::array());
        if (loops_everywhere(transitions, graph.statuses.size())) {
            graph.everywhere.push_back(name);
            continue;
        }
        for (const json &t : transitions) {
            std::string label = name;
            const std::string channels = channel_note(t, graph.channels);
            if (!channels.empty()) label.append(" (").append(channels).append(")");
            add_edge(graph.edges, t.at("from").get<std::string>(), t.at("to").get<std::string>(),
                     false, label);
        }
    }
    for (const json &timer : describe.value("timers", json::array())) {
        // "ring_timeout (ring timer)", "dial_timeout (dial timer, telephone)"
        std::string about = timer.at("name").get<std::string>() + " timer";
        const std::string channels = channel_note(timer, graph.channels);
        if (!channels.empty()) about += ", " + channels;
        const json reason = timer.value("end_reason", json());
        const std::string label =
            reason.is_string() ? reason.get<std::string>() + " (" + about + ")" : about;
        for (const json &f : timer.value("fires", json::array())) {
            add_edge(graph.edges, f.at("from").get<std::string>(), f.at("to").get<std::string>(),
                     true, label);
        }
        // A timer that ends a phase instead of moving the status: a loop on each status it is
        // armed in, "handback (takeover timer, while human_takeover)".
        const std::string effect = timer.value("effect", "status");
        if (effect == "status") continue;
        const std::string when = timer.value("when", "always");
        const std::string loop = effect + " (" + about + (when == "always" ? "" : ", while " + when) + ")";
        for (const std::string &status : strings(timer.value("armed_in", json::array()))) {
            add_edge(graph.edges, status, status, true, loop);
        }
    }
    return graph;
}

}  // namespace convo_cli
