#include "agent.h"

namespace convo {

const AgentVersion *Agent::latest_published() const {
    const AgentVersion *best = nullptr;
    for (const AgentVersion &v : versions) {
        if (v.published && (best == nullptr || v.version > best->version)) best = &v;
    }
    return best;
}

const AgentVersion *Agent::find_version(int version) const {
    for (const AgentVersion &v : versions) {
        if (v.version == version) return &v;
    }
    return nullptr;
}

const AgentVersion *Agent::find_version_id(const std::string &id) const {
    for (const AgentVersion &v : versions) {
        if (v.id == id) return &v;
    }
    return nullptr;
}

static Json opt(const std::optional<std::string> &s) { return s ? Json(*s) : Json(nullptr); }
static std::optional<std::string> opt_string(const Json &j, const char *key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return it->get<std::string>();
}

Json capabilities_json(const AgentVersion &v) {
    return Json{{"supportsVideoInput", v.supports_video_input},
                {"supportsScreenShare", v.supports_screen_share}};
}

Json agent_to_json(const Agent &a) {
    Json versions = Json::array();
    for (const AgentVersion &v : a.versions) {
        versions.push_back(Json{{"id", v.id},
                                {"version", v.version},
                                {"published", v.published},
                                {"greeting", opt(v.greeting)},
                                {"speaks_first", v.speaks_first},
                                {"default_subject", opt(v.default_subject)},
                                {"capabilities", capabilities_json(v)}});
    }
    return Json{{"id", a.id},
                {"name", a.name},
                {"phone_number", opt(a.phone_number)},
                {"versions", std::move(versions)},
                {"created_at", format_time(a.created_at)},
                {"updated_at", format_time(a.updated_at)}};
}

Agent agent_from_json(const Json &j) {
    Agent a;
    a.id = j.at("id").get<std::string>();
    a.name = j.at("name").get<std::string>();
    a.phone_number = opt_string(j, "phone_number");
    a.created_at = parse_time(j.at("created_at").get<std::string>()).value_or(0);
    a.updated_at = parse_time(j.at("updated_at").get<std::string>()).value_or(0);
    for (const Json &vj : j.at("versions")) {
        AgentVersion v;
        v.id = vj.at("id").get<std::string>();
        v.version = vj.at("version").get<int>();
        v.published = vj.at("published").get<bool>();
        v.greeting = opt_string(vj, "greeting");
        v.speaks_first = vj.at("speaks_first").get<bool>();
        v.default_subject = opt_string(vj, "default_subject");
        const Json &caps = vj.at("capabilities");
        v.supports_video_input = caps.value("supportsVideoInput", false);
        v.supports_screen_share = caps.value("supportsScreenShare", false);
        a.versions.push_back(std::move(v));
    }
    return a;
}

}  // namespace convo
