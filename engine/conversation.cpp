#include "conversation.h"

namespace convo {

namespace {

constexpr std::string_view kRoleNames[] = {"user", "agent", "human"};
constexpr std::string_view kFeedTypeNames[kFeedTypeCount] = {
    "created", "status_changed", "message", "annotated", "takeover", "handback", "finalized"};
constexpr std::string_view kWrapUpNames[] = {"none", "pending", "done"};

}  // namespace

std::string_view role_name(Role r) { return kRoleNames[static_cast<int>(r)]; }
std::optional<Role> role_from_name(std::string_view s) { return enum_from_name<Role>(kRoleNames, s); }
std::string_view feed_type_name(FeedType t) { return kFeedTypeNames[static_cast<int>(t)]; }
std::optional<FeedType> feed_type_from_name(std::string_view s) {
    return enum_from_name<FeedType>(kFeedTypeNames, s);
}
std::string_view wrap_up_name(WrapUp w) { return kWrapUpNames[static_cast<int>(w)]; }
std::optional<WrapUp> wrap_up_from_name(std::string_view s) { return enum_from_name<WrapUp>(kWrapUpNames, s); }

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
