// Fuzzes convo_create's request JSON. One engine per process (manual clock that stands still):
// org_a has the standard agent (agent_abc, +18885550000, published v1 and unpublished v2), an
// agent with no published version and one without a phone number; org_b owns the conversation
// kTakenByB. The placeholders {{v1}} and {{v2}} in the input become agent_abc's version ids (the
// engine draws them at random, so seeds cannot spell them).
//
// Checked: the call contract; the HTTP status (200/202 on success, convo_http_status(code) on
// failure); a failure appends nothing and changes no conversation; CONVO_ECONFLICT only for a
// client id; no outbound WhatsApp conversation without a template (no user message ever opens a
// window here); a success starts the conversation in the channel's initial status with a
// `created` event and one message event per opening message (the seed messages in order, then
// the template or the greeting; user seeds count as turns), answers in the channel's shape,
// carries its tags and business number (sms, whatsapp: from_number, else the agent's), nobody
// has taken over, nothing to wrap up, no WhatsApp window open, returns what convo_get then
// returns, hides sensitive fields from a session without the scope and the conversation from
// another organization; a repeated client id returns the stored response and appends nothing.
#include <algorithm>
#include <string>

#include "fuzz_support.h"

using namespace convo_fuzz;

namespace {

constexpr const char *kTakenByB = "b0000000-0000-4000-8000-00000000000b";

struct Fixture {
    convo_engine *e = nullptr;
    convo_session *all = nullptr, *plain = nullptr, *other = nullptr;
    std::string v1, v2;
    uint64_t last_seq = 0, other_seq = 0;

    Fixture() {
        e = open_engine(json{{"path", ":memory:"}, {"clock", "manual"}, {"start", kStart}});
        all = open_session(e, "org_a", kAllScopes);
        plain = open_session(e, "org_a", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
        other = open_session(e, "org_b", kAllScopes);
        json abc = must_put_agent(all, standard_agent());
        for (const json &v : abc.at("versions")) {
            (v.at("version") == 1 ? v1 : v2) = v.at("id").get<std::string>();
        }
        must_put_agent(all, json{{"id", "agent_draft"},
                                 {"name", "Draft"},
                                 {"phone_number", "+18885550002"},
                                 {"versions", json::array({json{{"version", 1}, {"published", false}}})}});
        must_put_agent(all, json{{"id", "agent_nonum"},
                                 {"name", "No number"},
                                 {"versions", json::array({json{{"version", 3}, {"published", true}}})}});
        must_put_agent(other, standard_agent());
        json taken = request_for("text");
        taken["id"] = kTakenByB;
        must_create(other, taken);
        other_seq = last_of(other);
        // seq is engine-wide: org_a's next event follows org_b's setup events.
        last_seq = std::max(last_of(all), other_seq);
    }
    ~Fixture() {
        convo_session_close(all);
        convo_session_close(plain);
        convo_session_close(other);
        convo_engine_close(e);
    }
    static uint64_t last_of(convo_session *s) {
        uint64_t last = 0;
        for (json more = events_after(s, 0, false); !more.empty(); more = events_after(s, last, false)) {
            last = more.back().at("seq").get<uint64_t>();
        }
        return last;
    }
};

Fixture *g_fixture = nullptr;
size_t g_changes = 0;

Fixture &fixture() {
    if (g_changes >= 20000) {  // keeps a long run's memory bounded
        delete g_fixture;
        g_fixture = nullptr;
        g_changes = 0;
    }
    if (g_fixture == nullptr) g_fixture = new Fixture();
    return *g_fixture;
}

std::string initial_status(const std::string &channel, const std::string &direction) {
    if (channel == "text" || channel == "sms" || channel == "whatsapp") return "in_progress";
    if (channel == "webrtc") return "token_created";
    if (channel == "telephone" && direction == "inbound") return "ringing";
    return "triggered";
}

std::string lower(std::string s) {
    for (char &c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

// The business number an sms or whatsapp request gives its conversation: its from_number, else
// its agent's phone number (the fixture's agents: agent_abc, whose versions {{v1}} and {{v2}}
// are, agent_draft, and agent_nonum without one); null on other channels.
json business_number(const Fixture &f, const json &req) {
    const std::string channel = str(req, "channel").value_or("");
    if (channel != "sms" && channel != "whatsapp") return nullptr;
    if (has_non_null(req, "from_number")) return req.at("from_number");
    const std::optional<std::string> version = str(req, "agent_version_id");
    const std::string agent = version ? (*version == f.v1 || *version == f.v2 ? "agent_abc" : "")
                                      : str(req, "agent_id").value_or("");
    if (agent == "agent_abc") return "+18885550000";
    if (agent == "agent_draft") return "+18885550002";
    return nullptr;
}

// A new conversation's opening: its transcript is the request's seed messages in order, then
// the template it names or (on a chat channel) at most one greeting, all at created_at, each with
// its message event after `created`; nobody has taken over, nothing to wrap up, no window open.
void check_opening(const Fixture &f, const json &req, const json &c, const json &fresh, const json &body) {
    const json seeds = req.value("messages", json::array());
    const json opener = req.contains("message") ? req["message"].at("template") : json();
    const json transcript = c.at("conversation").at("messages");
    const std::string channel = c.at("channel").get<std::string>();
    const bool chat = channel == "text" || channel == "sms" || channel == "whatsapp";
    check(transcript.size() >= seeds.size() + (opener.is_null() ? 0 : 1) &&
              transcript.size() <= seeds.size() + (opener.is_null() && !chat ? 0 : 1),
          "transcript " + transcript.dump() + " is not the seed messages then the opener");
    int64_t user_turns = 0;
    for (size_t i = 0; i < transcript.size(); ++i) {
        json want = i < seeds.size() ? json{{"role", seeds[i].at("role")}, {"text", seeds[i].at("text")}}
                    : opener.is_null() ? json{{"role", "agent"}, {"text", transcript[i].at("text")}}
                                       : json{{"role", "agent"}, {"text", nullptr}, {"template", opener}};
        user_turns += want.at("role") == "user";
        want["at"] = c.at("created_at");
        check(transcript[i] == want && transcript[i].at("text") != "",
              "message " + std::to_string(i) + " is " + transcript[i].dump() + ", not " + want.dump());
        json data = want;
        data.erase("at");
        if (data.at("text").is_null()) data.erase("text");
        check(fresh.size() > i + 1 && fresh[i + 1].at("type") == "message" && fresh[i + 1].at("data") == data,
              "message " + std::to_string(i) + " has no message event after `created`");
    }
    check(fresh.size() == transcript.size() + 1, "a create appended " + std::to_string(fresh.size()) + " events for " +
                                                     std::to_string(transcript.size()) + " messages");
    check(c.at("user_turn_count") == user_turns, "user_turn_count " + c["user_turn_count"].dump() + " for " +
                                                     std::to_string(user_turns) + " user seed messages");
    check(c.at("tags") == req.value("tags", json::array()), "tags " + c["tags"].dump() + " are not the request's");
    check(c.at("from_number") == business_number(f, req),
          "from_number " + c["from_number"].dump() + ", expected " + business_number(f, req).dump());
    const bool whatsapp = channel == "whatsapp";
    check(c.at("human_takeover") == false && c.at("human_takeover_until").is_null() && c.at("wrap_up").is_null() &&
              c.at("chat_window_expires_at").is_null() &&
              c.at("chat_window_remaining_seconds") == (whatsapp ? json(0) : json()),
          "a new conversation is taken over, wrapped up or has a window: " + c.dump());
    if (body.contains("starting_message")) {
        const bool greeted = opener.is_null() && transcript.size() > seeds.size();
        check(body["starting_message"] == (greeted ? transcript.back().at("text") : json()),
              "starting_message " + body["starting_message"].dump() + " is not the greeting");
    }
}

struct Created {
    Result result;
    int http = 0;
};

Created create(convo_session *s, const std::string &text, unsigned allowed) {
    char *out = nullptr;
    int http = -1;
    convo_code code = convo_create(s, text.c_str(), &out, &http);
    Created c{checked("convo_create", code, &out, allowed), http};
    if (code == CONVO_OK) {
        check(http == 200 || http == 202, "convo_create: OK with HTTP status " + std::to_string(http));
    } else {
        check(http == convo_http_status(code), "convo_create: " + describe_code(code) +
                                                   " with HTTP status " + std::to_string(http));
    }
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text = c_string_of(data, size);
    input_context() = text;
    try {
        Fixture &f = fixture();
        replace_all(text, "{{v1}}", f.v1);
        replace_all(text, "{{v2}}", f.v2);
        input_context() = text;
        std::optional<json> req = parse_object(text);
        std::optional<std::string> client_id = req ? str(*req, "id") : std::nullopt;
        json before;  // the conversation the client id names, if any
        if (client_id && is_uuid(*client_id)) {
            before = get(f.all, *client_id, bit(CONVO_ENOTFOUND)).body;
        }

        Created c = create(f.all, text, bit(CONVO_EINVALID) | bit(CONVO_EPRECONDITION) | bit(CONVO_ECONFLICT));
        const Result &r = c.result;
        json fresh = events_after(f.all, f.last_seq, true);
        check(events_after(f.other, f.other_seq, false).empty(),
              "a create in org_a appended events to org_b's feed");

        if (!r.ok()) {
            check(fresh.empty(), "a failed create (" + describe_code(r.code) + ") appended " +
                                     std::to_string(fresh.size()) + " feed event(s)");
            if (client_id && is_uuid(*client_id)) {
                check(get(f.all, *client_id, bit(CONVO_ENOTFOUND)).body == before,
                      "a failed create changed the conversation its id names");
            }
            if (r.code == CONVO_ECONFLICT) {
                check(client_id.has_value(), "ECONFLICT without a client id: " + r.error);
            }
            return 0;
        }

        check(req.has_value(), "convo_create accepted a request that is not a JSON object");
        if (!before.is_null()) {
            // A repeated client id: the stored response, whatever this request says, and no change.
            check(fresh.empty(), "a repeated client id appended feed events");
            check(created_id(r.body) == before.at("id"), "a repeated client id answered another conversation");
            check(get(f.all, before.at("id").get<std::string>()).body == before,
                  "a repeated client id changed the conversation");
            check((c.http == 202) == (before.at("channel") == "telephone"),
                  "a repeated client id answered HTTP " + std::to_string(c.http) + " for a " +
                      before.at("channel").get<std::string>() + " conversation");
            return 0;
        }
        const std::string channel = str(*req, "channel").value_or("?");
        const std::string direction = str(*req, "direction").value_or("outbound");
        const std::string status = initial_status(channel, direction);
        const std::string id = created_id(r.body);
        check(is_uuid(id), "created id is not a UUID: " + id);
        if (client_id) check(id == lower(*client_id), "created id " + id + " is not the client id");

        if (channel == "telephone") {
            check(c.http == 202, "telephone create answered HTTP " + std::to_string(c.http));
            check(r.body.size() == 1, "telephone create answered more than contact_id: " + r.body.dump());
        } else {
            check(c.http == 200, channel + " create answered HTTP " + std::to_string(c.http));
            check(r.body.contains("conversation"), channel + " create answered no conversation");
            if (channel == "webrtc") {
                check(r.body.contains("connection_details") && r.body.contains("capabilities"),
                      "webrtc create lacks connection_details or capabilities");
            } else {
                check(r.body.contains("starting_message") &&
                          (r.body["starting_message"].is_null() || r.body["starting_message"].is_string()),
                      channel + " create lacks starting_message");
            }
        }

        Result g = get(f.all, id);
        check_conversation(g.body, "get after create");
        check(g.body.at("channel") == channel, "created conversation has channel " + g.body["channel"].dump());
        check(g.body.at("direction") == direction, "created conversation has direction " +
                                                       g.body["direction"].dump());
        check(g.body.at("user_id") == req->at("user_id"), "created conversation has another user_id");
        if (r.body.contains("conversation")) {
            check(r.body["conversation"] == g.body, "create answered a conversation convo_get does not return");
        }
        Result p = get(f.plain, id);
        check_no_sensitive(p.body, "get without SENSITIVE");
        check(p.body == without_sensitive(g.body), "get without SENSITIVE differs beyond the sensitive keys");
        check(get(f.other, id, bit(CONVO_ENOTFOUND)).code == CONVO_ENOTFOUND,
              "org_b can read org_a's conversation");

        check(!fresh.empty(), "a create that made a new conversation appended no feed event");
        check(!(channel == "whatsapp" && direction == "outbound" && !req->contains("message")),
              "an outbound WhatsApp conversation started without a template while its window is closed");
        check_opening(f, *req, g.body, fresh, r.body);
        check(g.body.at("status") == status,
              channel + "/" + direction + " created in " + g.body["status"].dump() + ", not " + status);
        const json &first = fresh.at(0);
        check(first.at("type") == "created" && first.at("to") == status && first.at("conversation_id") == id,
              "the first event of a create is not its `created`: " + first.dump());
        for (const json &e : fresh) {
            check(e.at("conversation_id") == id, "a create appended an event of another conversation");
        }
        f.last_seq = fresh.back().at("seq").get<uint64_t>();
        ++g_changes;
        if (client_id) {
            Created again = create(f.all, text, 0);
            check(again.result.body == r.body && again.http == c.http,
                  "a repeated client id answered differently: " + again.result.body.dump());
            check(events_after(f.all, f.last_seq, true).empty(), "a repeated client id appended events");
        }
    } catch (const std::exception &ex) {
        fail(std::string("harness: unexpected exception: ") + ex.what());
    }
    return 0;
}
