// Agents: what a conversation is run by. A version carries the greeting and channel settings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conversation.h"

namespace convo {

struct AgentVersion {
    std::string id;  // agent_version_id: stable across puts of the same (agent, version)
    int version = 1;
    bool published = false;
    std::optional<std::string> greeting;
    bool speaks_first = true;
    std::optional<std::string> default_subject;
    bool supports_video_input = false;
    bool supports_screen_share = false;
};

struct Agent {
    std::string id;
    std::string name;
    std::optional<std::string> phone_number;
    std::vector<AgentVersion> versions;
    TimeMs created_at = 0, updated_at = 0;

    // The highest published version, or null.
    const AgentVersion *latest_published() const;
    const AgentVersion *find_version(int version) const;
    const AgentVersion *find_version_id(const std::string &id) const;
};

Json capabilities_json(const AgentVersion &v);
Json agent_to_json(const Agent &a);
// Reads back what agent_to_json wrote (stored rows; not host input).
Agent agent_from_json(const Json &j);

}  // namespace convo
