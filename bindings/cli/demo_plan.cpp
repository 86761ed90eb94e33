#include "demo_plan.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "demo_random.h"
#include "time_text.h"

namespace convo_cli {

using nlohmann::json;

namespace {

constexpr const char *kSupport = "demo_support";
constexpr const char *kSales = "demo_sales";
constexpr const char *kSupportNumber = "+18885550100";
constexpr int64_t kMinute = 60;  // Script pauses are in seconds

// What the customers are calling about: a topic, what they say, what the agent answers.
struct Topic {
    std::string name;
    std::vector<std::string> user_lines;
    std::vector<std::string> agent_lines;
    std::string action;
};

const std::vector<Topic> &topics() {
    static const std::vector<Topic> all = {
        {"billing",
         {"I was charged twice this month.", "Can you explain this invoice?",
          "I'd like to update my card.", "Why did my bill go up?"},
         {"Let me pull up your account.", "I see the duplicate charge; refunding it now.",
          "The new rate started on the 1st.", "Your card has been updated."},
         "issue refund"},
        {"order_status",
         {"Where is my order?", "It said it would arrive yesterday.", "Can I change the address?",
          "The tracking number doesn't work."},
         {"Your order shipped this morning.", "It is out for delivery today.",
          "I've updated the address.", "Here is a new tracking link."},
         "send tracking link"},
        {"appointment",
         {"I need to reschedule my appointment.", "Is Thursday at 3 available?",
          "Can I bring someone with me?", "Please send me a reminder."},
         {"Thursday at 3 works.", "You're booked; a confirmation is on its way.",
          "Of course, that's fine.", "A reminder will go out the day before."},
         "send confirmation"},
        {"technical",
         {"The app keeps logging me out.", "I can't reset my password.",
          "It shows an error when I pay.", "It worked yesterday."},
         {"Let's try signing out everywhere.", "I've sent a reset link.",
          "That error is fixed in the latest version.", "Can you try again now?"},
         "escalate to engineering"},
        {"sales",
         {"What does the premium plan include?", "Is there a discount for a year?",
          "Can I try it first?", "How many seats can we have?"},
         {"Premium adds priority support and analytics.", "Yearly plans save two months.",
          "I've started a 14-day trial for you.", "There's no limit on seats."},
         "send quote"},
    };
    return all;
}

json agent_support() {
    return {{"id", kSupport},
            {"name", "Support"},
            {"phone_number", kSupportNumber},
            {"versions",
             json::array({{{"version", 1},
                           {"published", true},
                           {"greeting", "Hi! Thanks for contacting Support. How can I help?"},
                           {"speaks_first", true},
                           {"default_subject", "Your support request"},
                           {"capabilities",
                            {{"supportsVideoInput", false}, {"supportsScreenShare", true}}}}})}};
}

json agent_sales() {
    return {{"id", kSales},
            {"name", "Sales"},
            {"phone_number", "+18885550200"},
            {"versions", json::array({{{"version", 1},
                                       {"published", true},
                                       {"greeting", "Hello from Sales!"},
                                       {"speaks_first", false},
                                       {"default_subject", "Following up on your enquiry"}},
                                      {{"version", 2},
                                       {"published", false},
                                       {"greeting", "Draft: new spring offer"},
                                       {"speaks_first", true}}})}};
}

// One conversation's steps, written in its own time order.
class Script {
public:
    Script(DemoPlan &plan, DemoRandom &random, std::size_t conversation, int64_t created_ms,
           const Topic &topic)
        : plan_(plan),
          random_(random),
          conversation_(conversation),
          now_(created_ms),
          topic_(topic) {}

    DemoRandom &random() { return random_; }
    const Topic &topic() const { return topic_; }

    void create(const json &request) { push(PlannedStep::Kind::create, request.dump(), false); }

    // Sends `event` after a pause of [lo, hi] seconds. Now and then the sender retries the
    // delivery with the same event_id, as webhook senders do; the engine must ignore it.
    void after(int64_t lo_seconds, int64_t hi_seconds, json event) {
        now_ += random_.between(lo_seconds, hi_seconds) * kMsPerSecond;
        event["event_id"] = "demo-" + std::to_string(conversation_) + "-" + std::to_string(++sent_);
        const std::string body = event.dump();
        push(PlannedStep::Kind::event, body, false);
        if (random_.chance(0.02)) {
            now_ += kMsPerSecond;
            push(PlannedStep::Kind::event, body, true);
        }
    }

    // A spoken or typed exchange of `turns` messages, `first` speaking first.
    void talk(int turns, const std::string &first, int64_t lo_seconds, int64_t hi_seconds) {
        std::string role = first;
        for (int i = 0; i < turns; ++i) {
            const auto &lines = role == "user" ? topic_.user_lines : topic_.agent_lines;
            after(lo_seconds, hi_seconds,
                  {{"type", "message"}, {"role", role}, {"text", random_.pick(lines)}});
            role = role == "user" ? "agent" : "user";
        }
    }

    // Post-call work: a summary, tags and follow-ups, some time after the conversation.
    void maybe_annotate(double p, int64_t lo_seconds, int64_t hi_seconds) {
        if (!random_.chance(p)) return;
        after(lo_seconds, hi_seconds,
              {{"type", "annotate"},
               {"summary", "Customer asked about " + topic_.name + "; " + topic_.action + "."},
               {"topic", topic_.name},
               {"tags", json::array({"demo", topic_.name})},
               {"actions_needed", json::array({topic_.action})}});
    }

private:
    void push(PlannedStep::Kind kind, std::string body, bool retry) {
        plan_.steps.push_back(PlannedStep{now_, conversation_, kind, retry, std::move(body)});
    }

    DemoPlan &plan_;
    DemoRandom &random_;
    std::size_t conversation_;
    int64_t now_;
    const Topic &topic_;
    int sent_ = 0;
};

std::string phone_number(DemoRandom &r) {
    return "+1415555" + std::to_string(1000 + r.between(0, 8999));
}

json event(const char *type) {
    return {{"type", type}};
}
json event(const char *type, const char *key, const char *value) {
    return {{"type", type}, {key, value}};
}

// How an answered call ends, and what the agent writes down afterwards.
void finish_call(Script &s) {
    static const std::vector<Weighted<json>> endings = {
        {60, event("end")},
        {12, event("end", "reason", "user_hangup")},
        {10, event("end", "reason", "resolved")},
        {8, event("transfer", "to", "+18885550999")},
        {5, event("fail", "reason", "call_dropped")},
        {5, event("end", "reason", "agent_hangup")},
    };
    s.after(2, 20, s.random().choose(endings));
    s.maybe_annotate(0.4, 30, 300);
}

void answered_call(Script &s, int64_t lo_seconds, int64_t hi_seconds) {
    s.after(lo_seconds, hi_seconds, event("answered"));
    s.talk(static_cast<int>(s.random().between(2, 12)), "agent", 3, 25);
    finish_call(s);
}

void outbound_call(Script &s, json request, std::size_t) {
    enum class Dial { rings, answered, busy, cancelled, failed, silent };
    enum class Ring { answered, no_answer, busy, transferred, timeout };
    DemoRandom &r = s.random();
    request.update({{"channel", "telephone"},
                    {"user_id", phone_number(r)},
                    {"agent_id", r.chance(0.7) ? kSupport : kSales}});
    s.create(request);
    switch (r.choose<Dial>({{55, Dial::rings},
                            {20, Dial::answered},  // the ringing report got lost
                            {8, Dial::busy},
                            {5, Dial::cancelled},
                            {4, Dial::failed},
                            {3, Dial::silent}})) {
        case Dial::rings:
            s.after(2, 8, event("ringing"));
            switch (r.choose<Ring>({{70, Ring::answered},
                                    {12, Ring::no_answer},
                                    {6, Ring::busy},
                                    {4, Ring::transferred},
                                    {8, Ring::timeout}})) {
                case Ring::answered:
                    answered_call(s, 5, 40);
                    break;
                case Ring::no_answer:
                    s.after(25, 50, event("no_answer"));
                    break;
                case Ring::busy:
                    s.after(1, 4, event("busy"));
                    break;
                case Ring::transferred:
                    s.after(5, 30, event("transfer", "to", "+18885550999"));
                    break;
                case Ring::timeout:
                    break;  // nobody picks up or reports it: the ring timer
            }
            break;
        case Dial::answered:
            answered_call(s, 10, 30);
            break;
        case Dial::busy:
            s.after(1, 5, event("busy"));
            break;
        case Dial::cancelled:
            s.after(1, 10, event("cancel"));
            break;
        case Dial::failed:
            s.after(1, 20, event("fail", "reason", "carrier_error"));
            break;
        case Dial::silent:
            break;  // the carrier never reports back: the dial timer
    }
}

void inbound_call(Script &s, json request, std::size_t) {
    enum class Inbound { answered, hung_up, transferred, timeout };
    DemoRandom &r = s.random();
    request.update({{"channel", "telephone"},
                    {"direction", "inbound"},
                    {"user_id", phone_number(r)},
                    {"agent_number", kSupportNumber}});  // the number dialled, no agent_id
    s.create(request);
    switch (r.choose<Inbound>({{80, Inbound::answered},
                               {8, Inbound::hung_up},
                               {5, Inbound::transferred},
                               {7, Inbound::timeout}})) {
        case Inbound::answered:
            answered_call(s, 2, 15);
            break;
        case Inbound::hung_up:
            s.after(5, 40, event("cancel"));
            break;
        case Inbound::transferred:
            s.after(3, 20, event("transfer", "to", "+18885550999"));
            break;
        case Inbound::timeout:
            break;  // the ring timer
    }
}

void web_call(Script &s, json request, std::size_t index) {
    enum class Web { joined, never_joined, cancelled, ice_failed };
    static const std::vector<Weighted<json>> endings = {
        {85, event("end")},
        {8, event("fail", "reason", "media_error")},
        {7, event("transfer", "to", "human_queue")},
    };
    DemoRandom &r = s.random();
    request.update({{"channel", "webrtc"},
                    {"user_id", "visitor_" + std::to_string(index)},
                    {"agent_id", kSupport},
                    {"web_widget_id", r.chance(0.6) ? "widget_home" : "widget_pricing"}});
    s.create(request);
    switch (r.choose<Web>(
        {{70, Web::joined}, {18, Web::never_joined}, {7, Web::cancelled}, {5, Web::ice_failed}})) {
        case Web::joined:
            s.after(5, 180, event("joined"));
            s.talk(static_cast<int>(r.between(2, 14)), "agent", 3, 30);
            s.after(2, 30, r.choose(endings));
            s.maybe_annotate(0.3, 30, 300);
            break;
        case Web::never_joined:
            break;  // the page was closed first: the join timer
        case Web::cancelled:
            s.after(10, 300, event("cancel"));
            break;
        case Web::ice_failed:
            s.after(5, 60, event("fail", "reason", "ice_failed"));
            break;
    }
}

constexpr int kChatIdleMinutes = 10;

void chat(Script &s, json request, std::size_t index) {
    static const std::vector<Weighted<json>> endings = {
        {45, event("end")},
        {45, json()},  // the visitor wandered off: the idle timer
        {5, event("transfer", "to", "human_agent")},
        {5, event("end", "reason", "resolved")},
    };
    DemoRandom &r = s.random();
    request.update({{"channel", "text"},
                    {"user_id", "visitor_" + std::to_string(index)},
                    {"agent_id", r.chance(0.7) ? kSupport : kSales},
                    {"idle_timeout_minutes", kChatIdleMinutes}});
    s.create(request);
    // Gaps stay well under the idle timeout: a chat goes idle only when it is meant to.
    s.talk(static_cast<int>(r.between(2, 14)), "user", 10, 240);
    const json &ending = r.choose(endings);
    if (!ending.is_null()) s.after(10, 120, ending);
    s.maybe_annotate(0.3, 15 * kMinute, 20 * kMinute);
}

constexpr int kEmailIdleMinutes = 240;

void email(Script &s, json request, std::size_t index) {
    enum class Email { thread, unread, campaign, early_reply, bounced, recalled, undelivered };
    DemoRandom &r = s.random();
    request.update({{"channel", "email"},
                    {"user_id", "customer_" + std::to_string(index)},
                    {"agent_id", r.chance(0.7) ? kSupport : kSales},
                    {"to_address", "customer" + std::to_string(index) + "@example.com"},
                    {"from_address", "help@example.com"},
                    {"idle_timeout_minutes", kEmailIdleMinutes}});
    if (r.chance(0.4)) request["subject"] = "About your " + s.topic().name + " question";
    const Email how = r.choose<Email>({{40, Email::thread},
                                       {20, Email::unread},
                                       {10, Email::campaign},
                                       {15, Email::early_reply},
                                       {8, Email::bounced},
                                       {4, Email::recalled},
                                       {3, Email::undelivered}});
    if (how == Email::campaign) request["max_open_minutes"] = 120;  // closes before idle
    if (how == Email::undelivered) request["max_open_minutes"] = 60;
    s.create(request);
    switch (how) {
        case Email::thread:  // replies minutes apart, well under the idle timeout
            s.after(1, 30, event("delivered"));
            for (int i = 0, n = static_cast<int>(r.between(1, 4)); i < n; ++i) {
                s.talk(1, "user", 5 * kMinute, 90 * kMinute);
                s.talk(1, "agent", kMinute, 5 * kMinute);
            }
            if (r.chance(0.5)) s.after(60, 600, event("end", "reason", "resolved"));
            break;
        case Email::unread:    // no reply: the idle timer
        case Email::campaign:  // no reply: the max-open timer, which comes first
            s.after(1, 30, event("delivered"));
            break;
        case Email::early_reply:  // the reply beats the delivery receipt
            s.talk(1, "user", 5 * kMinute, 60 * kMinute);
            s.talk(1, "agent", kMinute, 5 * kMinute);
            s.after(60, 600, event("end"));
            break;
        case Email::bounced:
            s.after(1, 20, event("fail", "reason", "bounced"));
            break;
        case Email::recalled:
            s.after(1, 10, event("cancel"));
            break;
        case Email::undelivered:
            break;  // never delivered: the max-open timer
    }
    s.maybe_annotate(0.2, 60, 600);
}

// Creation times: 08:00-20:00, busiest mid-morning and mid-afternoon.
std::vector<int64_t> creation_times(DemoRandom &r, std::size_t n, int64_t day_start_ms) {
    std::vector<int64_t> times;
    times.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto hour = static_cast<int64_t>(r.weighted({4, 7, 9, 9, 7, 6, 7, 9, 8, 6, 4, 3}));
        times.push_back(day_start_ms + (8 + hour) * kMsPerHour + r.between(0, kMsPerHour - 1));
    }
    std::sort(times.begin(), times.end());
    return times;
}

// One conversation from creation to its last planned step, on one channel.
using Playbook = void (*)(Script &, json request, std::size_t index);

}  // namespace

DemoPlan plan_day(std::size_t conversations, uint64_t seed, int64_t day_start_ms) {
    static const std::vector<Weighted<Playbook>> playbooks = {
        {28, outbound_call}, {12, inbound_call}, {15, web_call}, {25, chat}, {20, email}};
    DemoRandom r(seed);
    DemoPlan plan;
    plan.conversations = conversations;
    plan.agents = {agent_support().dump(), agent_sales().dump()};
    const std::vector<int64_t> times = creation_times(r, conversations, day_start_ms);
    for (std::size_t i = 0; i < conversations; ++i) {
        Script s(plan, r, i, times[i], r.pick(topics()));
        json request = {{"custom_metadata", {{"source", "convo demo"}, {"seed", seed}}},
                        {"initial_context", "Topic: " + s.topic().name}};
        r.choose(playbooks)(s, request, i);
    }
    // Stable: a conversation's own steps keep their order when times tie.
    std::stable_sort(plan.steps.begin(), plan.steps.end(),
                     [](const PlannedStep &a, const PlannedStep &b) { return a.at_ms < b.at_ms; });
    plan.last_step_ms = plan.steps.empty() ? day_start_ms : plan.steps.back().at_ms;
    return plan;
}

}  // namespace convo_cli
