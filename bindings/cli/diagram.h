// The lifecycle as Graphviz dot or Mermaid text.
#pragma once

#include <string>

#include "lifecycle_graph.h"

namespace convo_cli {

std::string render_dot(const LifecycleGraph &graph);
std::string render_mermaid(const LifecycleGraph &graph);

}  // namespace convo_cli
