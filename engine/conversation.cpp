#include "conversation.h"

namespace convo {

std::string_view role_name(Role r) {
    switch (r) {
        case Role::user: return "user";
        case Role::agent: return "agent";
        case Role::human: return "human";
    }
    return "user";
}

std::optional<Role> role_from_name(std::string_view s) {
    if (s == "user") return Role::user;
    if (s == "agent") return Role::agent;
    if (s == "human") return Role::human;
    return std::nullopt;
}

std::string_view feed_type_name(FeedType t) {
    switch (t) {
        case FeedType::created: return "created";
        case FeedType::status_changed: return "status_changed";
        case FeedType::message: return "message";
        case FeedType::annotated: return "annotated";
        case FeedType::takeover: return "takeover";
        case FeedType::handback: return "handback";
        case FeedType::finalized: return "finalized";
    }
    return "created";
}

std::optional<FeedType> feed_type_from_name(std::string_view s) {
    for (int i = 0; i < kFeedTypeCount; ++i) {
        if (feed_type_name(static_cast<FeedType>(i)) == s) return static_cast<FeedType>(i);
    }
    return std::nullopt;
}

std::string_view wrap_up_name(WrapUp w) {
    switch (w) {
        case WrapUp::none: return "none";
        case WrapUp::pending: return "pending";
        case WrapUp::done: return "done";
    }
    return "none";
}

std::optional<WrapUp> wrap_up_from_name(std::string_view s) {
    if (s == "none") return WrapUp::none;
    if (s == "pending") return WrapUp::pending;
    if (s == "done") return WrapUp::done;
    return std::nullopt;
}

std::optional<std::pair<TimeMs, Timer>> Conversation::next_timer() const {
    std::optional<std::pair<TimeMs, Timer>> best;
    for (int i = 0; i < kTimerCount; ++i) {
        if (deadlines[i] && (!best || *deadlines[i] < best->first)) {
            best = std::make_pair(*deadlines[i], static_cast<Timer>(i));
        }
    }
    return best;
}

std::optional<TimeMs> Conversation::expires_at() const {
    std::optional<TimeMs> best;
    for (int i = 0; i < kTimerCount; ++i) {
        if (deadlines[i] && timer_rule(static_cast<Timer>(i)).closes &&
            (!best || *deadlines[i] < *best)) {
            best = deadlines[i];
        }
    }
    return best;
}

}  // namespace convo
