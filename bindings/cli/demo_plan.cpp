#include "demo_plan.h"

#include <nlohmann/json.hpp>

#include <algorithm>
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
            {"versions",
             json::array({{{"version", 1},
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
        : plan_(plan), random_(random), conversation_(conversation), now_(created_ms),
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

// How an answered call ends, and what the agent writes down afterwards.
void finish_call(Script &s) {
    DemoRandom &r = s.random();
    switch (r.weighted({60, 12, 10, 8, 5, 5})) {
        case 0: s.after(2, 20, {{"type", "end"}}); break;
        case 1: s.after(2, 20, {{"type", "end"}, {"reason", "user_hangup"}}); break;
        case 2: s.after(2, 20, {{"type", "end"}, {"reason", "resolved"}}); break;
        case 3: s.after(2, 20, {{"type", "transfer"}, {"to", "+18885550999"}}); break;
        case 4: s.after(2, 20, {{"type", "fail"}, {"reason", "call_dropped"}}); break;
        default: s.after(2, 20, {{"type", "end"}, {"reason", "agent_hangup"}}); break;
    }
    s.maybe_annotate(0.4, 30, 300);
}

void answered_call(Script &s, int64_t lo_seconds, int64_t hi_seconds) {
    s.after(lo_seconds, hi_seconds, {{"type", "answered"}});
    s.talk(static_cast<int>(s.random().between(2, 12)), "agent", 3, 25);
    finish_call(s);
}

void outbound_call(Script &s, const json &base) {
    DemoRandom &r = s.random();
    json request = base;
    request["agent_id"] = r.chance(0.7) ? kSupport : kSales;
    s.create(request);
    switch (r.weighted({55, 20, 8, 5, 4, 3})) {
        case 0:  // it rings at the customer's end
            s.after(2, 8, {{"type", "ringing"}});
            switch (r.weighted({70, 12, 6, 4, 8})) {
                case 0: answered_call(s, 5, 40); break;
                case 1: s.after(25, 50, {{"type", "no_answer"}}); break;
                case 2: s.after(1, 4, {{"type", "busy"}}); break;
                case 3: s.after(5, 30, {{"type", "transfer"}, {"to", "+18885550999"}}); break;
                default: break;  // nobody picks up, nobody reports it: the ring timer
            }
            break;
        case 1: answered_call(s, 10, 30); break;  // the ringing report got lost
        case 2: s.after(1, 5, {{"type", "busy"}}); break;
        case 3: s.after(1, 10, {{"type", "cancel"}}); break;
        case 4: s.after(1, 20, {{"type", "fail"}, {"reason", "carrier_error"}}); break;
        default: break;  // the carrier never reports back: the dial timer
    }
}

void inbound_call(Script &s, json request) {
    DemoRandom &r = s.random();
    request["agent_number"] = kSupportNumber;  // the number the customer dialled
    s.create(request);
    switch (r.weighted({80, 8, 5, 7})) {
        case 0: answered_call(s, 2, 15); break;
        case 1: s.after(5, 40, {{"type", "cancel"}}); break;  // the caller hung up
        case 2: s.after(3, 20, {{"type", "transfer"}, {"to", "+18885550999"}}); break;
        default: break;  // the ring timer
    }
}

void web_call(Script &s, json request) {
    DemoRandom &r = s.random();
    request["agent_id"] = kSupport;
    request["web_widget_id"] = r.chance(0.6) ? "widget_home" : "widget_pricing";
    s.create(request);
    switch (r.weighted({70, 18, 7, 5})) {
        case 0:
            s.after(5, 180, {{"type", "joined"}});
            s.talk(static_cast<int>(r.between(2, 14)), "agent", 3, 30);
            switch (r.weighted({85, 8, 7})) {
                case 0: s.after(2, 30, {{"type", "end"}}); break;
                case 1: s.after(2, 30, {{"type", "fail"}, {"reason", "media_error"}}); break;
                default: s.after(2, 30, {{"type", "transfer"}, {"to", "human_queue"}}); break;
            }
            s.maybe_annotate(0.3, 30, 300);
            break;
        case 1: break;  // the page was closed before joining: the join timer
        case 2: s.after(10, 300, {{"type", "cancel"}}); break;
        default: s.after(5, 60, {{"type", "fail"}, {"reason", "ice_failed"}}); break;
    }
}

constexpr int kChatIdleMinutes = 10;

void chat(Script &s, json request) {
    DemoRandom &r = s.random();
    request["agent_id"] = r.chance(0.7) ? kSupport : kSales;
    request["idle_timeout_minutes"] = kChatIdleMinutes;
    s.create(request);
    // Gaps stay well under the idle timeout: a chat goes idle only when it is meant to.
    s.talk(static_cast<int>(r.between(2, 14)), "user", 10, 240);
    switch (r.weighted({45, 45, 5, 5})) {
        case 0: s.after(10, 120, {{"type", "end"}}); break;
        case 1: break;  // the visitor wandered off: the idle timer
        case 2: s.after(10, 120, {{"type", "transfer"}, {"to", "human_agent"}}); break;
        default: s.after(10, 120, {{"type", "end"}, {"reason", "resolved"}}); break;
    }
    s.maybe_annotate(0.3, 15 * 60, 20 * 60);
}

constexpr int kEmailIdleMinutes = 240;

void email(Script &s, json request, std::size_t index) {
    DemoRandom &r = s.random();
    request["agent_id"] = r.chance(0.7) ? kSupport : kSales;
    request["to_address"] = "customer" + std::to_string(index) + "@example.com";
    request["from_address"] = "help@example.com";
    request["idle_timeout_minutes"] = kEmailIdleMinutes;
    if (r.chance(0.4)) request["subject"] = "About your " + s.topic().name + " question";
    const std::size_t scenario = r.weighted({40, 20, 10, 15, 8, 4, 3});
    if (scenario == 2) request["max_open_minutes"] = 120;  // a campaign that closes early
    if (scenario == 6) request["max_open_minutes"] = 60;
    s.create(request);
    switch (scenario) {
        case 0:  // delivered, then a thread of replies; minutes apart, well under idle
            s.after(1, 30, {{"type", "delivered"}});
            for (int i = 0, n = static_cast<int>(r.between(1, 4)); i < n; ++i) {
                s.talk(1, "user", 5 * 60, 90 * 60);
                s.talk(1, "agent", 60, 5 * 60);
            }
            if (r.chance(0.5)) s.after(60, 600, {{"type", "end"}, {"reason", "resolved"}});
            break;
        case 1: s.after(1, 30, {{"type", "delivered"}}); break;  // no reply: the idle timer
        case 2: s.after(1, 30, {{"type", "delivered"}}); break;  // the max-open timer
        case 3:  // the customer replies before the delivery receipt comes in
            s.talk(1, "user", 5 * 60, 60 * 60);
            s.talk(1, "agent", 60, 5 * 60);
            s.after(60, 600, {{"type", "end"}});
            break;
        case 4: s.after(1, 20, {{"type", "fail"}, {"reason", "bounced"}}); break;
        case 5: s.after(1, 10, {{"type", "cancel"}}); break;
        default: break;  // never delivered: the max-open timer
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

}  // namespace

DemoPlan plan_day(std::size_t conversations, uint64_t seed, int64_t day_start_ms) {
    DemoRandom r(seed);
    DemoPlan plan;
    plan.conversations = conversations;
    plan.agents = {agent_support().dump(), agent_sales().dump()};
    const std::vector<int64_t> times = creation_times(r, conversations, day_start_ms);
    for (std::size_t i = 0; i < conversations; ++i) {
        Script s(plan, r, i, times[i], r.pick(topics()));
        json request = {{"custom_metadata", {{"source", "convo demo"}, {"seed", seed}}},
                        {"initial_context", "Topic: " + s.topic().name}};
        switch (r.weighted({28, 12, 15, 25, 20})) {
            case 0:
                request.update({{"channel", "telephone"}, {"user_id", phone_number(r)}});
                outbound_call(s, request);
                break;
            case 1:
                request.update({{"channel", "telephone"},
                                {"direction", "inbound"},
                                {"user_id", phone_number(r)}});
                inbound_call(s, request);
                break;
            case 2:
                request.update({{"channel", "webrtc"}, {"user_id", "visitor_" + std::to_string(i)}});
                web_call(s, request);
                break;
            case 3:
                request.update({{"channel", "text"}, {"user_id", "visitor_" + std::to_string(i)}});
                chat(s, request);
                break;
            default:
                request.update({{"channel", "email"}, {"user_id", "customer_" + std::to_string(i)}});
                email(s, request, i);
                break;
        }
    }
    // Stable: a conversation's own steps keep their order when times tie.
    std::stable_sort(plan.steps.begin(), plan.steps.end(),
                     [](const PlannedStep &a, const PlannedStep &b) { return a.at_ms < b.at_ms; });
    plan.last_step_ms = plan.steps.empty() ? day_start_ms : plan.steps.back().at_ms;
    return plan;
}

}  // namespace convo_cli
