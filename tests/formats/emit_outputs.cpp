// Drives real outputs of each API format through the public C API and prints them, one a line,
// as {"schema":"<name>","label":"<what>","document":{...}} for tests/formats/validate_outputs.py:
//
//     emit_outputs [--anyreach] | validate_outputs.py --spec-dir <spec> -
//
// Wassist: a WhatsApp conversation opened with a template, a customer message, a human
// takeover, the deprecated phoneNumber, close and finalize. HelloAnnie: CHAT and SMS with seed
// messages, close → CLOSING → finalize → CLOSED, and an SMS closed by its idle timer whose
// wrap-up then times out. Both: create, get, list, dispatch, with and without the SENSITIVE
// scope. --anyreach adds native (AnyReach) documents; today they do not all validate against
// AnyReach's schema (see docs/formats.md), so they are opt-in.
//
// Any convo call that fails ends the program with status 2 and the call's error on stderr.
#include <convo/convo.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using json = nlohmann::ordered_json;

const char *const kBot = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
// HelloAnnie's orgId is a UUID, and it is the session's organization id.
const char *const kOrg = "0b7e6a53-3c3f-4f0e-9a43-5d7a7f0c2c10";
constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00.000Z
constexpr unsigned kSensitive = CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE;

[[noreturn]] void fail(const std::string &what, convo_code code) {
    std::fprintf(stderr, "emit_outputs: %s: %s: %s\n", what.c_str(), convo_code_name(code),
                 convo_last_error());
    std::exit(2);
}

// `out` is read only here, after the call that fills it has returned (an argument `out` would
// be read in unspecified order with the call beside it).
json take(const std::string &what, convo_code code, char **out) {
    if (code != CONVO_OK) fail(what, code);
    json j = json::parse(*out);
    convo_free(*out);
    return j;
}

void emit(const char *schema, const std::string &label, const json &document) {
    std::cout << json{{"schema", schema}, {"label", label}, {"document", document}}.dump() << "\n";
}

// One session of one organization in one format.
class Session {
public:
    Session(convo_engine *e, const char *format, unsigned scopes) {
        convo_code code = convo_session_open(e, kOrg, scopes, &s_);
        if (code != CONVO_OK) fail("convo_session_open", code);
        if (format != nullptr) {
            code = convo_session_set_format(s_, format);
            if (code != CONVO_OK) fail(std::string("convo_session_set_format ") + format, code);
        }
    }
    ~Session() { convo_session_close(s_); }
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    json create(const json &request, int expected_http) {
        char *out = nullptr;
        int http = 0;
        json body = take("convo_create " + request.dump(),
                         convo_create(s_, request.dump().c_str(), &out, &http), &out);
        if (http != expected_http) {
            std::fprintf(stderr, "emit_outputs: convo_create %s: HTTP %d, expected %d\n",
                         request.dump().c_str(), http, expected_http);
            std::exit(2);
        }
        return body;
    }
    json get(const std::string &id) {
        char *out = nullptr;
        return take("convo_get " + id, convo_get(s_, id.c_str(), &out), &out);
    }
    json list() {
        char *out = nullptr;
        return take("convo_list", convo_list(s_, "{}", &out), &out);
    }
    json dispatch(const std::string &id, const json &event) {
        char *out = nullptr;
        return take("convo_dispatch " + event.dump(),
                    convo_dispatch(s_, id.c_str(), event.dump().c_str(), &out), &out);
    }
    void agent_put(const json &agent) {
        char *out = nullptr;
        take("convo_agent_put", convo_agent_put(s_, agent.dump().c_str(), &out), &out);
    }

private:
    convo_session *s_ = nullptr;
};

void advance(convo_engine *e, int64_t *now, int64_t ms) {
    *now += ms;
    convo_code code = convo_clock_set(e, *now);
    if (code != CONVO_OK) fail("convo_clock_set", code);
    unsigned fired = 0;
    code = convo_tick(e, &fired);
    if (code != CONVO_OK) fail("convo_tick", code);
}

void wassist(convo_engine *e, int64_t *now) {
    const char *const kSchema = "wassist/Conversation";
    Session s(e, "wassist", kSensitive);
    Session plain(e, "wassist", CONVO_SCOPE_READ);
    json c = s.create({{"toNumber", "+14155550101"},
                       {"agentId", kBot},
                       {"message",
                        {{"type", "template"},
                         {"template", {{"name", "welcome"}, {"variables", {{"body", {"Ann"}}}}}}}}},
                      201);
    emit(kSchema, "wassist create with template", c);
    const std::string id = c["id"];
    advance(e, now, 30000);
    emit(kSchema, "wassist customer message",
         s.dispatch(id, {{"type", "message"},
                         {"role", "user"},
                         {"text", "Hi, I need help"},
                         {"eventId", "wa-1"}}));
    emit(kSchema, "wassist takeover",
         s.dispatch(id, {{"type", "takeover"}, {"durationMinutes", 5}, {"eventId", "wa-2"}}));
    emit(kSchema, "wassist human message",
         s.dispatch(id, {{"type", "message"}, {"role", "human"}, {"text", "A person here."}}));
    emit(kSchema, "wassist get", s.get(id));
    emit(kSchema, "wassist get without SENSITIVE", plain.get(id));
    emit(kSchema, "wassist create with phoneNumber",
         s.create({{"phoneNumber", "+14155550103"},
                   {"fromNumber", "+18885550000"},
                   {"agentId", kBot},
                   {"message", {{"type", "template"}, {"template", {{"name", "reminder"}}}}}},
                  201));
    emit(kSchema, "wassist handback", s.dispatch(id, {{"type", "handback"}}));
    emit(kSchema, "wassist close",
         s.dispatch(id, {{"type", "close"}, {"skipNotifications", true}}));
    emit(kSchema, "wassist finalize",
         s.dispatch(
             id, {{"type", "finalize"}, {"summary", "Helped."}, {"actionsNeeded", {"follow up"}}}));
    const json page = s.list();  // named: a range-for over s.list()["items"] would dangle
    for (const json &item : page["items"]) emit(kSchema, "wassist list item", item);
}

void helloannie(convo_engine *e, int64_t *now) {
    const char *const kResponse = "helloannie/CreateConversationResponse";
    Session s(e, "helloannie", kSensitive);
    Session plain(e, "helloannie", CONVO_SCOPE_READ);
    json chat = s.create({{"medium", "CHAT"},
                          {"botId", kBot},
                          {"messages",
                           {{{"role", "user"}, {"input", "Is the shop open today?"}},
                            {{"role", "agent"}, {"input", "Yes, until 6pm."}}}},
                          {"idleTimeoutMinutes", 30},
                          {"maxOpenMinutes", 120.0}},
                         200);
    emit(kResponse, "helloannie CHAT create with seeds", chat);
    json sms = s.create({{"medium", "SMS"},
                         {"botId", kBot},
                         {"toNumber", "+14155550102"},
                         {"messages", {{{"role", "agent"}, {"input", "Your order has shipped."}}}},
                         {"idleTimeoutMinutes", 2}},
                        200);
    emit(kResponse, "helloannie SMS create with seeds", sms);
    const std::string chat_id = chat["data"]["conversationId"];
    const std::string sms_id = sms["data"]["conversationId"];
    advance(e, now, 60000);
    emit(kResponse, "helloannie CHAT message",
         s.dispatch(
             chat_id,
             {{"type", "message"}, {"role", "user"}, {"input", "Thanks!"}, {"eventId", "ha-1"}}));
    emit(kResponse, "helloannie CHAT close (CLOSING)", s.dispatch(chat_id, {{"type", "close"}}));
    emit(kResponse, "helloannie CHAT finalize (CLOSED)",
         s.dispatch(chat_id, {{"type", "finalize"},
                              {"summary", "Asked about opening hours."},
                              {"topic", "hours"},
                              {"actionsNeeded", {"none"}},
                              {"tags", {"store"}}}));
    emit(kResponse, "helloannie CHAT get without SENSITIVE", plain.get(chat_id));
    advance(e, now, 2 * 60000);  // the SMS idle timer (2 minutes, counted from creation) fires
    emit(kResponse, "helloannie SMS after idle timeout (CLOSING)", s.get(sms_id));
    advance(e, now, 3600000);  // and its wrap-up timer
    emit(kResponse, "helloannie SMS after wrap-up timeout (CLOSED)", s.get(sms_id));
    const json page = s.list();
    for (const json &item : page["data"]) {
        if (item["medium"] == "CHAT" || item["medium"] == "SMS")
            emit("helloannie/Conversation", "helloannie list item", item);
    }
}

void anyreach(convo_engine *e) {
    Session s(e, nullptr, kSensitive);
    Session plain(e, nullptr, CONVO_SCOPE_READ);
    json text = s.create({{"channel", "text"}, {"user_id", "user_42"}, {"agent_id", kBot}}, 200);
    emit("anyreach/TextEmailCreateResponse", "anyreach text create", text);
    emit("anyreach/Conversation", "anyreach text get without SENSITIVE",
         plain.get(text["conversation"]["id"]));
    emit("anyreach/TextEmailCreateResponse", "anyreach text create with agent_config",
         s.create({{"channel", "text"},
                   {"user_id", "user_44"},
                   {"agent_config", {{"greeting", "Hello."}}}},
                  200));
    emit(
        "anyreach/TelephoneCreateResponse", "anyreach telephone create",
        s.create({{"channel", "telephone"}, {"user_id", "+14155550104"}, {"agent_id", kBot}}, 202));
    emit("anyreach/WebRtcCreateResponse", "anyreach webrtc create",
         s.create({{"channel", "webrtc"}, {"user_id", "user_43"}, {"agent_id", kBot}}, 200));
    const json page = s.list();
    for (const json &item : page["items"]) {
        emit("anyreach/Conversation",
             "anyreach list item (" + item["channel"].get<std::string>() + ")", item);
    }
}

}  // namespace

int main(int argc, char **argv) {
    bool with_anyreach = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--anyreach") == 0) {
            with_anyreach = true;
        } else {
            std::fprintf(stderr, "usage: %s [--anyreach]\n", argv[0]);
            return 2;
        }
    }
    convo_engine *e = nullptr;
    const json options{{"path", ":memory:"},
                       {"clock", "manual"},
                       {"start", "2026-01-01T00:00:00.000Z"},
                       {"seed", 7},
                       {"wrap_up_timeout_seconds", 300}};
    convo_code code = convo_engine_open(options.dump().c_str(), &e);
    if (code != CONVO_OK) fail("convo_engine_open", code);
    int64_t now = kStartMs;
    {
        Session admin(e, nullptr, CONVO_SCOPE_ADMIN);
        admin.agent_put({{"id", kBot},
                         {"name", "Support"},
                         {"phone_number", "+18885550000"},
                         {"versions",
                          {{{"version", 1},
                            {"published", true},
                            {"greeting", "Hi! How can I help?"},
                            {"speaks_first", true}}}}});
        wassist(e, &now);
        helloannie(e, &now);
        if (with_anyreach) anyreach(e);
    }
    convo_engine_close(e);
    return 0;
}
