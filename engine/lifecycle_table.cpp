#include "lifecycle_table.h"

namespace convo {
namespace {

using C = Channel;
using E = EventType;
using S = Status;
using T = Timer;

constexpr StatusSet kOpen{S::token_created, S::triggered, S::ringing, S::in_progress};
constexpr StatusSet kAny = StatusSet::all(kStatusCount);
constexpr StatusSet kEnded{S::completed, S::failed, S::cancelled, S::transferred, S::unanswered};
constexpr ChannelSet kAllChannels = ChannelSet::all(kChannelCount);
constexpr std::optional<Status> kSame = std::nullopt;

// clang-format off
constexpr Transition kTransitions[] = {
    // event         allowed from                                  to               channels
    {E::ringing,   {S::triggered},                                S::ringing,      {C::telephone}},
    {E::answered,  {S::triggered, S::ringing},                    S::in_progress,  {C::telephone}},
    {E::joined,    {S::token_created},                            S::in_progress,  {C::webrtc}},
    {E::delivered, {S::triggered},                                S::in_progress,  {C::email}},
    {E::message,   {S::in_progress},                              kSame,           kAllChannels},
    {E::message,   {S::triggered},                                S::in_progress,  {C::email}},
    {E::end,       {S::in_progress},                              S::completed,    kAllChannels},
    {E::cancel,    {S::triggered, S::ringing, S::token_created},  S::cancelled,    kAllChannels},
    {E::no_answer, {S::triggered, S::ringing},                    S::unanswered,   kAllChannels},
    {E::busy,      {S::triggered, S::ringing},                    S::unanswered,   kAllChannels},
    {E::fail,      kOpen,                                         S::failed,       kAllChannels},
    {E::transfer,  {S::ringing, S::in_progress},                  S::transferred,  kAllChannels},
    {E::annotate,  kAny,                                          kSame,           kAllChannels},
    {E::takeover,  {S::in_progress},                              kSame,           kAllChannels},
    {E::handback,  {S::in_progress},                              kSame,           kAllChannels},
    {E::close,     {S::in_progress},                              S::completed,    kAllChannels},
    {E::close,     {S::triggered, S::ringing, S::token_created},  S::cancelled,    kAllChannels},
    {E::close,     kEnded,                                        kSame,           kAllChannels},
    {E::finalize,  kEnded,                                        kSame,           kAllChannels},
};

constexpr TimerRule kTimers[kTimerCount] = {
    // timer       armed in            channels         reset by        length
    //   fires: from → to                                      end reason          closes  when / effect
    {T::idle,     {S::in_progress},   kAllChannels,    {E::message},   TimerLength::idle_minutes,
        {{TimerFire{{S::in_progress}, S::completed}}},         "idle_timeout",     true,
        TimerWhen::always,          TimerEffect::move_status},
    {T::max_open, kOpen,              kAllChannels,    {},             TimerLength::max_open_minutes,
        {{TimerFire{{S::in_progress}, S::completed},
          TimerFire{{S::token_created, S::triggered, S::ringing}, S::unanswered}}},
                                                               "max_open_timeout", true,
        TimerWhen::always,          TimerEffect::move_status},
    {T::ring,     {S::ringing},       kAllChannels,    {},             TimerLength::ring_seconds,
        {{TimerFire{{S::ringing}, S::unanswered}}},            "ring_timeout",     true,
        TimerWhen::always,          TimerEffect::move_status},
    {T::dial,     {S::triggered},     {C::telephone},  {},             TimerLength::dial_seconds,
        {{TimerFire{{S::triggered}, S::failed}}},              "dial_timeout",     true,
        TimerWhen::always,          TimerEffect::move_status},
    {T::join,     {S::token_created}, {C::webrtc},     {},             TimerLength::token_ttl_seconds,
        {{TimerFire{{S::token_created}, S::unanswered}}},      "token_expired",    true,
        TimerWhen::always,          TimerEffect::move_status},
    {T::takeover, {S::in_progress},   kAllChannels,    {E::takeover},  TimerLength::takeover_minutes,
        {},                                                    "",                 false,
        TimerWhen::taken_over,      TimerEffect::hand_back},
    {T::wrap_up,  kEnded,             kAllChannels,    {},             TimerLength::wrap_up_seconds,
        {},                                                    "",                 false,
        TimerWhen::wrap_up_pending, TimerEffect::finish_wrap_up},
};

// Where a new conversation starts.
constexpr InitialStatus kInitial[] = {
    {C::telephone, Direction::outbound, S::triggered},
    {C::telephone, Direction::inbound,  S::ringing},
    {C::webrtc,    std::nullopt,        S::token_created},
    {C::email,     std::nullopt,        S::triggered},
    {C::text,      std::nullopt,        S::in_progress},
    {C::sms,       std::nullopt,        S::in_progress},
    {C::whatsapp,  std::nullopt,        S::in_progress},
};
// clang-format on

constexpr std::string_view kStatusNames[kStatusCount] = {
    "token_created", "triggered", "ringing",     "in_progress", "completed",
    "failed",        "cancelled", "transferred", "unanswered"};
constexpr std::string_view kChannelNames[kChannelCount] = {"telephone", "webrtc", "email",
                                                           "text",      "sms",    "whatsapp"};
constexpr std::string_view kDirectionNames[2] = {"outbound", "inbound"};
constexpr std::string_view kEventNames[kEventTypeCount] = {
    "ringing", "answered", "joined",    "delivered", "message",  "end",
    "cancel",  "no_answer", "busy",     "fail",      "transfer", "annotate",
    "takeover", "handback", "close",    "finalize"};
constexpr std::string_view kTimerNames[kTimerCount] = {"idle", "max_open", "ring",   "dial",
                                                       "join", "takeover", "wrap_up"};

}  // namespace

const LifecycleTable &lifecycle_table() {
    static const LifecycleTable table{kTransitions, std::size(kTransitions), kTimers, kInitial,
                                      std::size(kInitial)};
    return table;
}

bool is_terminal(Status s) { return !kOpen.has(s); }
StatusSet open_statuses() { return kOpen; }
StatusSet terminal_statuses() { return kEnded; }

Status initial_status(Channel c, Direction d) {
    for (const InitialStatus &row : kInitial) {
        if (row.channel == c && (!row.direction || *row.direction == d)) return row.status;
    }
    return S::triggered;  // unreachable: every channel has a row
}

const Transition *find_transition(EventType event, Status status, Channel channel) {
    for (const Transition &t : kTransitions) {
        if (t.event == event && t.from.has(status) && t.channels.has(channel)) return &t;
    }
    return nullptr;
}

const TimerRule &timer_rule(Timer t) { return kTimers[static_cast<int>(t)]; }

std::string_view status_name(Status s) { return kStatusNames[static_cast<int>(s)]; }
std::string_view channel_name(Channel c) { return kChannelNames[static_cast<int>(c)]; }
std::string_view direction_name(Direction d) { return kDirectionNames[static_cast<int>(d)]; }
std::string_view event_name(EventType e) { return kEventNames[static_cast<int>(e)]; }
std::string_view timer_name(Timer t) { return kTimerNames[static_cast<int>(t)]; }
std::optional<Status> status_from_name(std::string_view s) { return enum_from_name<Status>(kStatusNames, s); }
std::optional<Channel> channel_from_name(std::string_view s) { return enum_from_name<Channel>(kChannelNames, s); }
std::optional<Direction> direction_from_name(std::string_view s) { return enum_from_name<Direction>(kDirectionNames, s); }
std::optional<EventType> event_from_name(std::string_view s) { return enum_from_name<EventType>(kEventNames, s); }
std::optional<Timer> timer_from_name(std::string_view s) { return enum_from_name<Timer>(kTimerNames, s); }

}  // namespace convo
