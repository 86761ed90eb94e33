// The simulation's workload: for each conversation, a create request and the transport's
// deliveries of its events, drawn from the seed. Carriers and webhooks are unreliable, so
// deliveries come late (with `at` in the past), twice (same event_id), out of order,
// after the conversation has ended, to the wrong organization, or malformed. The workload
// does not know what the engine will answer: the reference model predicts that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "demo_random.h"

namespace convo_cli::sim {

constexpr int kOrganizations = 2;

// The engine options the workload is timed against (simulate passes them to the engine and
// to the reference model).
constexpr int64_t kRingTimeoutSeconds = 60;
constexpr int64_t kDialTimeoutSeconds = 300;
constexpr int64_t kTokenTtlSeconds = 600;
constexpr int64_t kPlatformMaxOpenMinutes = 240;
// The wrap-up timeout is drawn from the seed: 60-900 s, so that the wrap-up deadline falls
// before, between and after the ticks (20 s - 15 min apart).
int64_t wrap_up_seconds(uint64_t seed);

struct Delivery {
    enum class Kind {
        dispatch,            // the event to its conversation
        wrong_organization,  // the event through the other organization's session
        unknown_id,          // the event to a conversation id nobody created
        recreate,            // the create request again (same client id)
        recreate_elsewhere,  // the create request through the other organization
    };
    int64_t at_ms = 0;  // when the transport delivers it (virtual time)
    Kind kind = Kind::dispatch;
    std::string body;  // event or create request, JSON
};

struct ConversationScript {
    int org = 0;
    std::string request;              // the create request, JSON
    std::deque<Delivery> deliveries;  // in delivery order
};

class Workload {
public:
    Workload(uint64_t seed, int64_t wrap_up_seconds)
        : random_(seed), wrap_up_ms_(wrap_up_seconds * 1000) {}

    // The agents of organization `org`, as agent_put requests.
    static std::vector<nlohmann::json> agents(int org);
    // The organization's id.
    static std::string organization(int org);

    // The engine's id of an agent version, for requests by agent_version_id.
    void add_version_id(int org, const std::string &id, bool published);

    // Conversation `index`, created at `created_ms`.
    ConversationScript script(uint64_t index, int64_t created_ms);

    // Virtual time to the next tick, restart pause, and the like.
    int64_t between(int64_t lo, int64_t hi) { return random_.between(lo, hi); }

private:
    DemoRandom random_;
    int64_t wrap_up_ms_;
    std::vector<std::string> published_[kOrganizations];
    std::string unpublished_[kOrganizations];
};

}  // namespace convo_cli::sim
