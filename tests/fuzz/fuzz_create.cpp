// Fuzzes convo_create's request JSON. One engine per process (manual clock that stands still):
// org_a has the standard agent (agent_abc, +18885550000, published v1 and unpublished v2), an
// agent with no published version and one without a phone number; org_b owns the conversation
// kTakenByB. The placeholders {{v1}} and {{v2}} in the input become agent_abc's version ids (the
// engine draws them at random, so seeds cannot spell them).
//
// Checked: the call contract; the HTTP status (200/202 on success, convo_http_status(code) on
// failure); a failure appends nothing and changes no conversation; CONVO_ECONFLICT only for a
// client id; a success starts the conversation in the channel's initial status with a
// `created` event, answers in the channel's shape, returns what convo_get then returns, hides
// sensitive fields from a session without the scope and the conversation from another
// organization; a repeated client id returns the stored response and appends nothing.
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
    if (channel == "text") return "in_progress";
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
