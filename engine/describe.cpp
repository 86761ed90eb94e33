#include "describe.h"

namespace convo {
namespace {

template <typename E, typename Name>
Json names(Set<E> set, int count, Name name) {
    Json out = Json::array();
    for (int i = 0; i < count; ++i) {
        if (set.has(static_cast<E>(i))) out.push_back(name(static_cast<E>(i)));
    }
    return out;
}

Json channel_names(ChannelSet set) { return names(set, kChannelCount, channel_name); }

const char *length_name(TimerLength l) {
    switch (l) {
        case TimerLength::idle_minutes: return "idle_timeout_minutes";
        case TimerLength::max_open_minutes: return "max_open_minutes";
        case TimerLength::ring_seconds: return "ring_timeout_seconds";
        case TimerLength::dial_seconds: return "dial_timeout_seconds";
        case TimerLength::token_ttl_seconds: return "token_ttl_seconds";
        case TimerLength::takeover_minutes: return "takeover.minutes";
        case TimerLength::wrap_up_seconds: return "wrap_up_timeout_seconds";
    }
    return "";
}

const char *when_name(TimerWhen w) {
    switch (w) {
        case TimerWhen::always: return "always";
        case TimerWhen::taken_over: return "human_takeover";
        case TimerWhen::wrap_up_pending: return "wrap_up_pending";
    }
    return "";
}

const char *effect_name(TimerEffect e) {
    switch (e) {
        case TimerEffect::move_status: return "status";
        case TimerEffect::hand_back: return "handback";
        case TimerEffect::finish_wrap_up: return "finalize";
    }
    return "";
}

}  // namespace

Json describe_lifecycle() {
    const LifecycleTable &table = lifecycle_table();
    Json statuses = Json::array();
    for (int i = 0; i < kStatusCount; ++i) {
        Status s = static_cast<Status>(i);
        statuses.push_back(Json{{"name", status_name(s)}, {"terminal", is_terminal(s)}});
    }
    Json channels = Json::array();
    for (int i = 0; i < kChannelCount; ++i) channels.push_back(channel_name(static_cast<Channel>(i)));
    Json initial = Json::array();
    for (size_t i = 0; i < table.initial_count; ++i) {
        const InitialStatus &row = table.initial[i];
        initial.push_back(Json{{"channel", channel_name(row.channel)},
                               {"direction", row.direction ? Json(direction_name(*row.direction)) : Json(nullptr)},
                               {"status", status_name(row.status)}});
    }
    Json events = Json::array();
    for (int e = 0; e < kEventTypeCount; ++e) {
        Json transitions = Json::array();
        for (size_t i = 0; i < table.transition_count; ++i) {
            const Transition &t = table.transitions[i];
            if (static_cast<int>(t.event) != e) continue;
            for (int s = 0; s < kStatusCount; ++s) {
                Status from = static_cast<Status>(s);
                if (!t.from.has(from)) continue;
                transitions.push_back(Json{{"from", status_name(from)},
                                           {"to", status_name(t.to.value_or(from))},
                                           {"channels", channel_names(t.channels)}});
            }
        }
        events.push_back(Json{{"name", event_name(static_cast<EventType>(e))},
                              {"transitions", std::move(transitions)}});
    }
    Json timers = Json::array();
    for (int i = 0; i < kTimerCount; ++i) {
        const TimerRule &r = table.timers[i];
        Json fires = Json::array();
        for (const auto &f : r.fires) {
            if (!f) continue;
            for (int s = 0; s < kStatusCount; ++s) {
                if (f->from.has(static_cast<Status>(s))) {
                    fires.push_back(Json{{"from", status_name(static_cast<Status>(s))},
                                         {"to", status_name(f->to)}});
                }
            }
        }
        timers.push_back(Json{{"name", timer_name(r.timer)},
                              {"armed_in", names(r.armed_in, kStatusCount, status_name)},
                              {"channels", channel_names(r.channels)},
                              {"reset_by", names(r.reset_by, kEventTypeCount, event_name)},
                              {"length", length_name(r.length)},
                              {"fires", std::move(fires)},
                              {"end_reason", r.end_reason},
                              {"closes", r.closes},
                              {"when", when_name(r.when)},
                              {"effect", effect_name(r.effect)}});
    }
    return Json{{"statuses", std::move(statuses)},
                {"channels", std::move(channels)},
                {"initial", std::move(initial)},
                {"events", std::move(events)},
                {"timers", std::move(timers)}};
}

}  // namespace convo
