#include "sim_workload.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "time_text.h"

namespace convo_cli::sim {

using nlohmann::json;

namespace {

constexpr int64_t kSecond = kMsPerSecond;
constexpr int64_t kMinute = kMsPerMinute;

const char *const kPhone[kOrganizations] = {"+18885550100", "+18885550200"};
// A second business number per organization, for sms and whatsapp `from_number`.
const char *const kOtherBusiness[kOrganizations] = {"+18885550101", "+18885550201"};

json event(const char *type) {
    return {{"type", type}};
}
json event(const char *type, const char *key, const char *value) {
    return {{"type", type}, {key, value}};
}

// A WhatsApp template (Wassist's SendMessageTemplateInput).
json a_template(DemoRandom &r) {
    static const std::vector<std::string> names = {"order_update", "appointment_reminder",
                                                   "follow_up"};
    json t = {{"name", r.pick(names)}};
    if (r.chance(0.6)) {
        t["variables"] = {{"body", json::array({"Ada", "#" + std::to_string(r.between(1, 999))})}};
        if (r.chance(0.3)) t["variables"]["header"] = "Your order";
        if (r.chance(0.2)) t["variables"]["buttons"] = json::array({"Track"});
    }
    return t;
}

// The host's wrap-up fields (any of them, or none).
json finalize_event(DemoRandom &r) {
    json f = event("finalize");
    if (r.chance(0.6)) f["summary"] = "Wrapped up";
    if (r.chance(0.4)) f["topic"] = r.chance(0.5) ? "billing" : "orders";
    if (r.chance(0.3)) f["tags"] = json::array({"wrapped"});
    if (r.chance(0.2)) f["actions_needed"] = json::array({"send invoice"});
    return f;
}

json close_event(DemoRandom &r) {
    json c = event("close");
    if (r.chance(0.3)) c["skip_notifications"] = r.chance(0.5);
    return c;
}

// Before it is answered: the carrier's cancel, or the host closes it (cancelled, "closed").
json cancel_or_close(DemoRandom &r) {
    return r.chance(0.35) ? close_event(r) : event("cancel");
}

// Any event type with valid fields: what a confused or replaying sender might send.
json any_event(DemoRandom &r) {
    static const std::vector<json> all = {
        event("ringing"),
        event("answered"),
        event("joined"),
        event("delivered"),
        event("cancel"),
        event("no_answer"),
        event("busy"),
        {{"type", "message"}, {"role", "user"}, {"text", "hello?"}},
        event("end"),
        event("fail", "reason", "carrier_error"),
        event("transfer", "to", "+18885550999"),
        {{"type", "annotate"}, {"topic", "noise"}},
        {{"type", "takeover"}, {"minutes", 3}},
        event("handback"),
        event("close"),
        event("finalize"),
        {{"type", "message"}, {"role", "agent"}, {"template", {{"name", "noise"}}}},
    };
    return r.pick(all);
}

// Bodies the engine must refuse as CONVO_EINVALID, whatever the conversation's status.
const std::vector<std::string> &malformed() {
    static const std::vector<std::string> all = {
        R"({"type":"explode"})",
        R"({"type":"message","role":"robot","text":"beep"})",
        R"({"type":"message","role":"user"})",
        R"({"type":"message","role":"user","text":""})",
        R"({"type":"fail"})",
        R"({"type":"transfer"})",
        R"({"type":"annotate"})",
        R"({"type":"answered","foo":1})",
        R"({"type":"end","event_id":""})",
        R"({"type":"end","at":"yesterday"})",
        R"({"type":"end","reason":""})",
        R"({"type":"annotate","tags":"not-an-array"})",
        R"({"event_id":"no-type"})",
        R"({"type":"takeover","minutes":0})",
        R"({"type":"handback","minutes":5})",
        R"({"type":"close","skip_notifications":"yes"})",
        R"({"type":"finalize","recording_details":{}})",
        R"({"type":"message","role":"user","template":{"name":"t"}})",
        R"({"type":"message","role":"agent","text":"x","template":{"name":"t"}})",
        R"({"type":"message","role":"agent","template":{"variables":{}}})",
        R"([])",
    };
    return all;
}

const std::vector<std::string> kUserLines = {"Hi, I need help with my order.",
                                             "It has not arrived yet.",
                                             "Can you check again?",
                                             "Thanks, that works.",
                                             "I'd like a refund.",
                                             "What are your opening hours?"};
const std::vector<std::string> kAgentLines = {"Happy to help!",  "Let me look that up.",
                                              "It ships today.", "Refund issued.",
                                              "Anything else?",  "We're open 8 to 8."};

// A conversation's events in its own time, then perturbed the way transports do.
class Builder {
public:
    Builder(DemoRandom &r, ConversationScript &script, int64_t created_ms,
            std::string id_prefix = "ev-", std::string channel = "")
        : r_(r),
          script_(script),
          created_(created_ms),
          now_(created_ms),
          id_prefix_(std::move(id_prefix)),
          channel_(std::move(channel)) {}

    DemoRandom &random() { return r_; }
    int64_t now() const { return now_; }
    void wait(int64_t lo_ms, int64_t hi_ms) { now_ += r_.between(lo_ms, hi_ms); }
    void at(int64_t ms) { now_ = std::max(now_, ms); }
    int64_t created() const { return created_; }
    int64_t latest() const { return latest_; }

    // The event happens now; the transport delivers it (once, or more).
    void send(json e) {
        if (r_.chance(0.9)) e["event_id"] = id_prefix_ + std::to_string(++sent_);
        if (r_.chance(0.6)) {
            e["at"] = r_.chance(0.02) ? rfc3339(now_ + kMsPerHour) : rfc3339(now_);
        }
        const int64_t delivered = now_ + delay();
        const std::string body = e.dump();
        push(delivered, Delivery::Kind::dispatch, body);
        if (e.contains("event_id") && r_.chance(0.08)) {  // a retry, same event_id
            push(delivered + r_.between(kSecond, 30 * kMinute), Delivery::Kind::dispatch, body);
        }
        if (e.contains("event_id") && r_.chance(0.01)) {  // same event_id, another body
            json other = event("end");
            other["event_id"] = e["event_id"];
            push(delivered + r_.between(kSecond, kMinute), Delivery::Kind::dispatch, other.dump());
        }
        if (r_.chance(0.01)) {
            push(delivered + r_.between(0, kSecond), Delivery::Kind::wrong_organization, body);
        }
    }

    // A raw body at a given delivery time.
    void deliver(int64_t at_ms, Delivery::Kind kind, std::string body) {
        push(at_ms, kind, std::move(body));
    }

    // `n` messages, roles alternating from `first` (a human steps in now and then, or takes
    // over for a while).
    void talk(int n, std::string role, int64_t lo_ms, int64_t hi_ms,
              const std::optional<int64_t> &idle_minutes) {
        for (int i = 0; i < n; ++i) {
            if (r_.chance(0.08)) {  // a long pause, often right on the idle deadline
                if (idle_minutes && r_.chance(0.5)) {
                    now_ += *idle_minutes * kMinute + r_.between(-2, 2) * kSecond / 2;
                } else {
                    wait(5 * kMinute, 60 * kMinute);
                }
            } else {
                wait(lo_ms, hi_ms);
            }
            if (r_.chance(0.06)) takeover();
            if (r_.chance(0.01)) send(event("handback"));  // nobody had taken over
            say(r_.chance(0.1) ? "human" : role);
            role = role == "user" ? "agent" : "user";
        }
    }

    // One message from `who`; the business side sends a template now and then on whatsapp.
    void say(const std::string &who) {
        json m = {{"type", "message"}, {"role", who}};
        if (who != "user" && channel_ == "whatsapp" && r_.chance(0.12)) {
            m["template"] = a_template(r_);
        } else {
            m["text"] = r_.pick(who == "user" ? kUserLines : kAgentLines);
        }
        send(m);
    }

    // A human takes over: speaks (the agent, trying to, is refused), then hands back, lets
    // the takeover timer run out (the agent speaks right at it), or takes over again.
    void takeover() {
        json t = event("takeover");
        int64_t minutes = 10;
        if (r_.chance(0.7)) t["minutes"] = minutes = r_.between(1, 20);
        const int64_t from = now_;
        send(t);
        for (int i = 0, n = static_cast<int>(r_.between(1, 4)); i < n; ++i) {
            wait(5 * kSecond, 90 * kSecond);
            say(r_.chance(0.6) ? "human" : (r_.chance(0.6) ? "agent" : "user"));
        }
        enum class End { handback, expire, again };
        switch (r_.choose<End>({{50, End::handback}, {30, End::expire}, {20, End::again}})) {
            case End::handback:
                wait(2 * kSecond, 60 * kSecond);
                send(event("handback"));
                break;
            case End::expire:
                at(from + minutes * kMinute + r_.between(-2, 2) * kSecond / 2);
                say("agent");
                break;
            case End::again:
                wait(5 * kSecond, 60 * kSecond);
                send({{"type", "takeover"}, {"minutes", r_.between(1, 5)}});
                say("human");
                break;
        }
    }

    // How an open conversation ends, if anyone says so.
    void ending(int64_t lo_ms, int64_t hi_ms) {
        enum class End { end, end_reason, transfer, fail, close, silent };
        const End how = r_.choose<End>({{40, End::end},
                                        {13, End::end_reason},
                                        {8, End::transfer},
                                        {7, End::fail},
                                        {9, End::close},
                                        {23, End::silent}});
        wait(lo_ms, hi_ms);
        switch (how) {
            case End::end:
                send(event("end"));
                break;
            case End::end_reason:
                send(event("end", "reason", r_.chance(0.5) ? "resolved" : "user_hangup"));
                break;
            case End::transfer:
                send(event("transfer", "to", "human_queue"));
                break;
            case End::fail:
                send(event("fail", "reason", "call_dropped"));
                break;
            case End::close:
                send(close_event(r_));
                break;
            case End::silent:  // the idle or max-open timer
                break;
        }
    }

    void finish() {
        std::stable_sort(script_.deliveries.begin(), script_.deliveries.end(),
                         [](const Delivery &a, const Delivery &b) { return a.at_ms < b.at_ms; });
    }

private:
    // Mostly prompt; sometimes seconds late, sometimes minutes (then out of order too).
    int64_t delay() {
        const double roll = r_.unit();
        if (roll < 0.85) return r_.between(0, 1500);
        if (roll < 0.95) return r_.between(2 * kSecond, 60 * kSecond);
        return r_.between(kMinute, 20 * kMinute);
    }

    // RFC 3339, now and then with an offset other than Z (the same instant).
    std::string rfc3339(int64_t ms) {
        if (!r_.chance(0.1)) return format_rfc3339(ms);
        const bool east = r_.chance(0.5);
        const int64_t offset = east ? 5 * kMsPerHour + 30 * kMinute : -3 * kMsPerHour;
        std::string text = format_rfc3339(ms + offset);
        text.pop_back();  // 'Z'
        return text + (east ? "+05:30" : "-03:00");
    }

    void push(int64_t at_ms, Delivery::Kind kind, std::string body) {
        latest_ = std::max(latest_, at_ms);
        script_.deliveries.push_back({at_ms, kind, std::move(body)});
    }

    DemoRandom &r_;
    ConversationScript &script_;
    int64_t created_;
    int64_t now_;
    int64_t latest_ = 0;
    std::string id_prefix_;
    std::string channel_;
    int sent_ = 0;
};

std::string random_uuid(DemoRandom &r) {
    char buf[40];
    const auto hex = [&](int digits) {
        return static_cast<unsigned long long>(r.between(0, (int64_t{1} << (4 * digits)) - 1));
    };
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-a%03llx-%012llx", hex(8), hex(4), hex(3),
                  hex(3), hex(12));
    return buf;
}

std::optional<int64_t> idle_of(const json &request) {
    if (!request.contains("idle_timeout_minutes")) return std::nullopt;
    return std::min(request["idle_timeout_minutes"].get<int64_t>(), kPlatformMaxOpenMinutes);
}

void outbound_call(Builder &b, const json &request) {
    enum class Call {
        ring_answer,
        answer,
        ring_no_answer,
        ring_busy,
        busy,
        cancel,
        ring_cancel,
        fail,
        ring_fail,
        ring_transfer,
        silent,
        ring_silent,
        ring_on_dial_deadline
    };
    DemoRandom &r = b.random();
    const auto idle = idle_of(request);
    const Call how = r.choose<Call>({{40, Call::ring_answer},
                                     {12, Call::answer},
                                     {7, Call::ring_no_answer},
                                     {3, Call::ring_busy},
                                     {4, Call::busy},
                                     {4, Call::cancel},
                                     {3, Call::ring_cancel},
                                     {3, Call::fail},
                                     {2, Call::ring_fail},
                                     {3, Call::ring_transfer},
                                     {4, Call::silent},
                                     {5, Call::ring_silent},
                                     {2, Call::ring_on_dial_deadline}});
    const bool rings = how == Call::ring_answer || how == Call::ring_no_answer ||
                       how == Call::ring_busy || how == Call::ring_cancel ||
                       how == Call::ring_fail || how == Call::ring_transfer ||
                       how == Call::ring_silent;
    if (rings) {
        b.wait(kSecond, 20 * kSecond);
        b.send(event("ringing"));
    }
    switch (how) {
        case Call::ring_answer:
        case Call::answer:
            if (r.chance(0.05)) {  // picked up as the ring timer runs out
                b.wait(kRingTimeoutSeconds * kSecond, kRingTimeoutSeconds * kSecond);
            } else {
                b.wait(3 * kSecond, 50 * kSecond);
            }
            b.send(event("answered"));
            b.talk(static_cast<int>(r.between(1, 10)), r.chance(0.5) ? "agent" : "user",
                   2 * kSecond, 40 * kSecond, idle);
            b.ending(2 * kSecond, 30 * kSecond);
            break;
        case Call::ring_no_answer:
            b.wait(10 * kSecond, 55 * kSecond);
            b.send(event("no_answer"));
            break;
        case Call::ring_busy:
        case Call::busy:
            b.wait(kSecond, 5 * kSecond);
            b.send(event("busy"));
            break;
        case Call::cancel:
        case Call::ring_cancel:
            b.wait(kSecond, 30 * kSecond);
            b.send(cancel_or_close(r));
            break;
        case Call::fail:
        case Call::ring_fail:
            b.wait(kSecond, 30 * kSecond);
            b.send(event("fail", "reason", "carrier_error"));
            break;
        case Call::ring_transfer:
            b.wait(2 * kSecond, 30 * kSecond);
            b.send(event("transfer", "to", "+18885550999"));
            break;
        case Call::silent:       // the dial timer
        case Call::ring_silent:  // the ring timer
            break;
        case Call::ring_on_dial_deadline:  // ringing reported just as the dial timer fires
            b.at(b.created() + kDialTimeoutSeconds * kSecond);
            b.send(event("ringing"));
            break;
    }
}

void inbound_call(Builder &b, const json &request) {
    enum class Call { answer, answer_on_deadline, cancel, no_answer, busy, transfer, fail, silent };
    DemoRandom &r = b.random();
    const auto idle = idle_of(request);
    switch (r.choose<Call>({{62, Call::answer},
                            {3, Call::answer_on_deadline},
                            {8, Call::cancel},
                            {4, Call::no_answer},
                            {3, Call::busy},
                            {5, Call::transfer},
                            {3, Call::fail},
                            {12, Call::silent}})) {
        case Call::answer:
            b.wait(2 * kSecond, 50 * kSecond);
            b.send(event("answered"));
            b.talk(static_cast<int>(r.between(1, 10)), "agent", 2 * kSecond, 40 * kSecond, idle);
            b.ending(2 * kSecond, 30 * kSecond);
            break;
        case Call::answer_on_deadline:
            b.at(b.created() + kRingTimeoutSeconds * kSecond);
            b.send(event("answered"));
            break;
        case Call::cancel:
            b.wait(2 * kSecond, 40 * kSecond);
            b.send(cancel_or_close(r));
            break;
        case Call::no_answer:
            b.wait(10 * kSecond, 55 * kSecond);
            b.send(event("no_answer"));
            break;
        case Call::busy:
            b.wait(kSecond, 5 * kSecond);
            b.send(event("busy"));
            break;
        case Call::transfer:
            b.wait(2 * kSecond, 40 * kSecond);
            b.send(event("transfer", "to", "+18885550999"));
            break;
        case Call::fail:
            b.wait(kSecond, 20 * kSecond);
            b.send(event("fail", "reason", "carrier_error"));
            break;
        case Call::silent:  // the ring timer
            break;
    }
}

void web_call(Builder &b, const json &request) {
    enum class Web { join, join_on_deadline, cancel, fail, silent };
    DemoRandom &r = b.random();
    const auto idle = idle_of(request);
    switch (r.choose<Web>({{65, Web::join},
                           {3, Web::join_on_deadline},
                           {8, Web::cancel},
                           {6, Web::fail},
                           {18, Web::silent}})) {
        case Web::join:
            b.wait(5 * kSecond, 300 * kSecond);
            b.send(event("joined"));
            b.talk(static_cast<int>(r.between(1, 10)), "agent", 2 * kSecond, 40 * kSecond, idle);
            b.ending(2 * kSecond, 30 * kSecond);
            break;
        case Web::join_on_deadline:
            b.at(b.created() + kTokenTtlSeconds * kSecond);
            b.send(event("joined"));
            break;
        case Web::cancel:
            b.wait(10 * kSecond, 300 * kSecond);
            b.send(cancel_or_close(r));
            break;
        case Web::fail:
            b.wait(5 * kSecond, 60 * kSecond);
            b.send(event("fail", "reason", "ice_failed"));
            break;
        case Web::silent:  // the join timer
            break;
    }
}

void email(Builder &b, const json &request) {
    enum class Mail { thread, early_reply, unread, bounced, recalled, silent };
    DemoRandom &r = b.random();
    const auto idle = idle_of(request);
    switch (r.choose<Mail>({{45, Mail::thread},
                            {15, Mail::early_reply},
                            {15, Mail::unread},
                            {8, Mail::bounced},
                            {5, Mail::recalled},
                            {12, Mail::silent}})) {
        case Mail::thread:
            b.wait(kSecond, 60 * kSecond);
            b.send(event("delivered"));
            b.talk(static_cast<int>(r.between(1, 6)), "user", kMinute, 60 * kMinute, idle);
            if (r.chance(0.5)) b.ending(kMinute, 30 * kMinute);
            break;
        case Mail::early_reply: {  // the reply overtakes the delivery receipt
            const int64_t sent = b.now();
            b.wait(kMinute, 30 * kMinute);
            b.send({{"type", "message"}, {"role", "user"}, {"text", r.pick(kUserLines)}});
            b.deliver(b.now() + r.between(kSecond, 5 * kMinute), Delivery::Kind::dispatch,
                      json{{"type", "delivered"}, {"at", format_rfc3339(sent + kSecond)}}.dump());
            b.talk(static_cast<int>(r.between(0, 4)), "agent", kMinute, 30 * kMinute, idle);
            if (r.chance(0.5)) b.ending(kMinute, 30 * kMinute);
            break;
        }
        case Mail::unread:  // the idle or max-open timer
            b.wait(kSecond, 60 * kSecond);
            b.send(event("delivered"));
            break;
        case Mail::bounced:
            b.wait(kSecond, 30 * kSecond);
            b.send(event("fail", "reason", "bounced"));
            break;
        case Mail::recalled:
            b.wait(kSecond, 10 * kMinute);
            b.send(cancel_or_close(r));
            break;
        case Mail::silent:  // never delivered: the max-open timer
            break;
    }
}

void chat(Builder &b, const json &request) {
    DemoRandom &r = b.random();
    b.talk(static_cast<int>(r.between(1, 12)), r.chance(0.7) ? "user" : "agent", 2 * kSecond,
           60 * kSecond, idle_of(request));
    b.ending(5 * kSecond, 60 * kSecond);
}

// WhatsApp: who speaks first matters. Inbound, the contact mostly writes first (opening the
// window); outbound, the contact answers the template, or the agent follows up unanswered
// (refused unless the contact's window is still open from an earlier conversation).
void whatsapp(Builder &b, const json &request) {
    DemoRandom &r = b.random();
    const bool inbound = request.value("direction", std::string("outbound")) == "inbound";
    b.talk(static_cast<int>(r.between(1, 10)), r.chance(inbound ? 0.8 : 0.55) ? "user" : "agent",
           5 * kSecond, 120 * kSecond, idle_of(request));
    b.ending(5 * kSecond, 60 * kSecond);
}

// A WhatsApp contact: one of a few regulars (their window spans conversations and days), or
// a newcomer shared by a few conversations in a row.
std::string whatsapp_contact(DemoRandom &r, uint64_t index) {
    char buf[24];
    const bool regular = r.chance(0.65);
    const auto number = regular ? r.between(0, 9) : static_cast<int64_t>(index / 64 % 9000);
    std::snprintf(buf, sizeof buf, "+1415%d%04lld", regular ? 777 : 888,
                  static_cast<long long>(number));
    return buf;
}

// The host after the conversation: close (sometimes twice, often once it has ended anyway),
// and the wrap-up: finalize well before the wrap-up timer, or after it fired.
void after_the_end(Builder &b, int64_t wrap_up_ms) {
    DemoRandom &r = b.random();
    if (r.chance(0.2)) {
        b.wait(kSecond, 5 * kMinute);
        b.send(close_event(r));
        if (r.chance(0.3)) {
            b.wait(kSecond, 2 * kMinute);
            b.send(close_event(r));
        }
    }
    if (r.chance(0.35)) {
        const bool late = r.chance(0.4);
        b.wait(late ? wrap_up_ms + kMinute : kSecond,
               late ? wrap_up_ms + 30 * kMinute : wrap_up_ms / 2);
        b.send(finalize_event(r));
        if (r.chance(0.15)) {  // again: its fields are still recorded (or nothing at all)
            b.wait(kSecond, 10 * kMinute);
            b.send(finalize_event(r));
        }
    }
}

// The create request: channel, direction, agent reference and timeouts, sometimes wrong.
json create_request(DemoRandom &r, uint64_t index, int org,
                    const std::vector<std::string> &published_versions,
                    const std::string &unpublished_version, bool &refused, bool &tie) {
    enum class Kind { outbound_call, inbound_call, web, mail, text, sms, whatsapp };
    const Kind kind = r.choose<Kind>({{22, Kind::outbound_call},
                                      {9, Kind::inbound_call},
                                      {13, Kind::web},
                                      {17, Kind::mail},
                                      {19, Kind::text},
                                      {8, Kind::sms},
                                      {12, Kind::whatsapp}});
    json q;
    const std::string n = std::to_string(index);
    switch (kind) {
        case Kind::outbound_call:
        case Kind::inbound_call:
            q["channel"] = "telephone";
            q["user_id"] = "+1415555" + std::to_string(1000 + r.between(0, 8999));
            q["direction"] = kind == Kind::inbound_call ? "inbound" : "outbound";
            if (kind == Kind::outbound_call && r.chance(0.3)) q.erase("direction");  // default
            break;
        case Kind::web:
            q["channel"] = "webrtc";
            break;
        case Kind::mail:
            q["channel"] = "email";
            q["to_address"] = "customer" + n + "@example.com";
            if (r.chance(0.5)) q["from_address"] = "help@example.com";
            if (r.chance(0.4)) q["subject"] = "Your request " + n;
            break;
        case Kind::text:
            q["channel"] = "text";
            break;
        case Kind::sms:
            q["channel"] = "sms";
            break;
        case Kind::whatsapp:
            q["channel"] = "whatsapp";
            break;
    }
    const bool messaging = kind == Kind::sms || kind == Kind::whatsapp;
    if (q["channel"] != "telephone") {
        q["user_id"] = "user_" + n;
        const double d = r.unit();
        if (d < 0.15) q["direction"] = "inbound";
        if (d >= 0.15 && d < 0.25) q["direction"] = "outbound";
    }
    if (messaging) {  // a phone number, and the business number given or the agent's
        q["user_id"] = kind == Kind::whatsapp
                           ? whatsapp_contact(r, index)
                           : "+1415666" + std::to_string(1000 + r.between(0, 8999));
        if (r.chance(0.4)) q["from_number"] = r.chance(0.5) ? kPhone[org] : kOtherBusiness[org];
        // Outbound WhatsApp opens with a template, or tries without (refused if the window
        // is closed).
        if (kind == Kind::whatsapp && q.value("direction", std::string("outbound")) == "outbound" &&
            r.chance(0.75)) {
            q["message"] = {{"type", "template"}, {"template", a_template(r)}};
        }
    }
    if (r.chance(0.08)) {  // seed messages: the history so far
        q["messages"] = json::array();
        for (int i = 0, k = static_cast<int>(r.between(1, 3)); i < k; ++i) {
            const bool user = r.chance(0.6);
            q["messages"].push_back({{"role", user ? "user" : "agent"},
                                     {"text", r.pick(user ? kUserLines : kAgentLines)}});
        }
    }
    if (r.chance(0.15)) q["tags"] = json::array({"sim", r.chance(0.5) ? "vip" : "new"});
    // The agent: by id (latest or a version), by version id, inline, or by the number dialled.
    const double a = r.unit();
    if (kind == Kind::inbound_call && a < 0.5) {
        q["agent_number"] = kPhone[org];
    } else if (a < 0.35) {
        q["agent_id"] = "greeter";
    } else if (a < 0.6) {
        q["agent_id"] = "quiet";
    } else if (a < 0.7) {
        q["agent_id"] = "quiet";
        q["version"] = r.chance(0.5) ? json(1) : json("latest");
    } else if (a < 0.8 && !published_versions.empty()) {
        q["agent_version_id"] = r.pick(published_versions);
    } else {
        q["agent_config"] = {{"name", "Inline"}, {"speaks_first", r.chance(0.6)}};
        if (r.chance(0.8)) q["agent_config"]["greeting"] = "Hi from an inline agent.";
    }
    if (r.chance(0.5)) {
        q["idle_timeout_minutes"] = r.chance(0.05) ? 300 : r.between(1, 30);
    }
    if (r.chance(0.3)) q["max_open_minutes"] = r.between(2, 300);
    // Deadlines that tie with another timer of the same conversation (nobody says a word,
    // so both run out on the same millisecond).
    tie = r.chance(0.05);
    if (tie) {
        if (kind == Kind::text || messaging) {
            q["idle_timeout_minutes"] = q["max_open_minutes"] = r.between(1, 20);
        } else if (kind == Kind::web) {
            q["max_open_minutes"] = kTokenTtlSeconds / 60;
        } else if (kind == Kind::outbound_call) {
            q["max_open_minutes"] = kDialTimeoutSeconds / 60;
        } else if (kind == Kind::inbound_call) {
            q["max_open_minutes"] = kRingTimeoutSeconds / 60;
        }
    }
    if (r.chance(0.2)) q["id"] = random_uuid(r);
    if (r.chance(0.3)) q["custom_metadata"] = {{"sim", index}};
    if (r.chance(0.2)) q["initial_context"] = "Simulated conversation " + n;

    // Now and then a request the engine must refuse.
    refused = r.chance(0.04);
    if (refused) {
        switch (r.between(0, 9)) {
            case 0:
                q.erase("agent_number"), q.erase("agent_version_id"), q.erase("agent_config");
                q["agent_id"] = "nobody";
                q.erase("version");
                break;
            case 1:
                q.erase("agent_number"), q.erase("agent_version_id"), q.erase("agent_config");
                q["agent_id"] = "greeter";
                q["version"] = 2;  // unpublished
                break;
            case 2:
                q.erase("agent_number"), q.erase("agent_version_id"), q.erase("agent_config");
                q["agent_id"] = "draft";  // nothing published
                q.erase("version");
                break;
            case 3:
                q.erase("agent_number"), q.erase("agent_id"), q.erase("agent_config");
                q.erase("version");
                q["agent_version_id"] = unpublished_version;
                break;
            case 4:
                q["idle_timeout_minutes"] = 0;
                break;
            case 5:
                q["agent_config"] = {{"name", "Twice"}};
                q["agent_id"] = "greeter";
                break;
            case 6:
                if (q["channel"] == "email") {
                    q.erase("to_address");
                } else {
                    q["channel"] = "fax";
                }
                break;
            case 7:  // a business number off the messaging channels, or not E.164
                q["from_number"] = messaging ? "18885550100" : kPhone[org];
                break;
            case 8:  // a template off whatsapp, or one without a name
                q["message"] = {
                    {"type", "template"},
                    {"template", kind == Kind::whatsapp ? json::object() : json{{"name", "x"}}}};
                break;
            default:
                q["user_id"] = messaging ? "user_" + n : "";
                break;
        }
    }
    return q;
}

}  // namespace

int64_t wrap_up_seconds(uint64_t seed) {
    DemoRandom r(seed ^ 0x77a9'0f3c'5d21'b6e4ULL);
    return r.between(60, 900);
}

std::string Workload::organization(int org) {
    return org == 0 ? "org_sim_a" : "org_sim_b";
}

std::vector<json> Workload::agents(int org) {
    return {
        {{"id", "greeter"},
         {"name", "Greeter"},
         {"phone_number", kPhone[org]},
         {"versions", json::array({{{"version", 1},
                                    {"published", true},
                                    {"greeting", "Hello! How can I help?"},
                                    {"speaks_first", true}},
                                   {{"version", 2},
                                    {"published", false},
                                    {"greeting", "Draft greeting"},
                                    {"speaks_first", true}}})}},
        {{"id", "quiet"},
         {"name", "Quiet"},
         {"versions",
          json::array(
              {{{"version", 1}, {"published", true}, {"greeting", "Hi."}, {"speaks_first", false}},
               {{"version", 2},
                {"published", true},
                {"greeting", "Hey there, quiet here."},
                {"speaks_first", true}}})}},
        {{"id", "draft"},
         {"name", "Draft"},
         {"versions", json::array({{{"version", 1}, {"published", false}, {"greeting", "Soon"}}})}},
    };
}

void Workload::add_version_id(int org, const std::string &id, bool published) {
    if (published) {
        published_[org].push_back(id);
    } else {
        unpublished_[org] = id;
    }
}

ConversationScript Workload::script(uint64_t index, int64_t created_ms) {
    DemoRandom &r = random_;
    ConversationScript s;
    s.org = r.chance(0.7) ? 0 : 1;
    bool refused = false;
    bool tie = false;
    const json request =
        create_request(r, index, s.org, published_[s.org], unpublished_[s.org], refused, tie);
    s.request = request.dump();
    if (refused) return s;  // nothing follows a refused create

    const std::string channel = request["channel"];
    Builder b(r, s, created_ms, "ev-", channel);
    if (tie) {
        // silence: the two timers decide
    } else if (channel == "telephone") {
        if (request.value("direction", std::string("outbound")) == "inbound") {
            inbound_call(b, request);
        } else {
            outbound_call(b, request);
        }
    } else if (channel == "webrtc") {
        web_call(b, request);
    } else if (channel == "email") {
        email(b, request);
    } else if (channel == "whatsapp") {
        whatsapp(b, request);
    } else {
        chat(b, request);  // text, sms
    }
    if (!tie) after_the_end(b, wrap_up_ms_);

    const int64_t span_end = std::max(b.now(), b.latest()) + 10 * kMinute;
    // Post-call work: an annotation, possibly after the end.
    if (r.chance(0.3)) {
        b.at(b.created() + r.between(0, span_end - b.created()));
        json note = {{"type", "annotate"}, {"summary", "Simulated " + channel + " conversation"}};
        if (r.chance(0.5)) note["topic"] = r.chance(0.5) ? "billing" : "orders";
        if (r.chance(0.5)) note["tags"] = json::array({"sim", channel});
        if (r.chance(0.3)) note["actions_needed"] = json::array({"call back"});
        if (r.chance(0.2)) note["recording_details"] = {{"seconds", r.between(1, 600)}};
        b.send(note);
    }
    // Noise: random events at random moments (often early, while the conversation is still
    // young), a malformed body, an unknown id.
    if (r.chance(0.15)) {
        for (int i = 0, n = static_cast<int>(r.between(1, 3)); i < n; ++i) {
            Builder noise(r, s, created_ms, "noise-" + std::to_string(i) + "-");
            noise.at(created_ms + (r.chance(0.5) ? r.between(0, 3 * kMinute)
                                                 : r.between(0, span_end - created_ms)));
            noise.send(any_event(r));
        }
    }
    if (r.chance(0.03)) {
        b.deliver(created_ms + r.between(0, span_end - created_ms), Delivery::Kind::dispatch,
                  r.pick(malformed()));
    }
    if (r.chance(0.01)) {
        b.deliver(created_ms + r.between(0, span_end - created_ms), Delivery::Kind::unknown_id,
                  json{{"type", "end"}}.dump());
    }
    // A client id sent again: the stored response; from the other organization: a conflict.
    if (request.contains("id")) {
        if (r.chance(0.3)) {
            b.deliver(created_ms + r.between(kSecond, 10 * kMinute), Delivery::Kind::recreate,
                      s.request);
        }
        // Only with an agent both organizations have: the conflict is about the id alone.
        if ((request.contains("agent_id") || request.contains("agent_config")) && r.chance(0.05)) {
            b.deliver(created_ms + r.between(kSecond, 10 * kMinute),
                      Delivery::Kind::recreate_elsewhere, s.request);
        }
    }
    b.finish();
    return s;
}

}  // namespace convo_cli::sim
