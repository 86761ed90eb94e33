// Drives real outputs of each API format through the public C API and prints them, one a line,
// as {"schema":"<name>","label":"<what>","document":{...}} for tests/formats/validate_outputs.py:
//
//     emit_outputs | validate_outputs.py --spec-dir <spec> -
//
// Wassist: a WhatsApp conversation opened with a template, a customer message, a human
// takeover, the deprecated phoneNumber, close and finalize. HelloAnnie: CHAT and SMS with seed
// messages, close → CLOSING → finalize → CLOSED, and an SMS closed by its idle timer whose
// wrap-up then times out. Both: create, get, list, dispatch, with and without the SENSITIVE
// scope. Native (AnyReach): a create per channel (telephone, webrtc, email, text, and convo's
// sms and whatsapp), agents by id, version id, number and inline config, each channel's
// lifecycle by dispatch and timers, gets and the whole list, checked against AnyReach's schema
// with convo's documented deviations only ("convo-anyreach/...", see schemas.py).
//
// Any convo call that fails ends the program with status 2 and the call's error on stderr.
#include <convo/convo.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

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
    json list(const json &query = json::object()) {
        char *out = nullptr;
        return take("convo_list " + query.dump(), convo_list(s_, query.dump().c_str(), &out), &out);
    }
    json dispatch(const std::string &id, const json &event) {
        char *out = nullptr;
        return take("convo_dispatch " + event.dump(),
                    convo_dispatch(s_, id.c_str(), event.dump().c_str(), &out), &out);
    }
    json agent_put(const json &agent) {
        char *out = nullptr;
        return take("convo_agent_put", convo_agent_put(s_, agent.dump().c_str(), &out), &out);
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

// Native (AnyReach) outputs are checked against "convo-anyreach/<Component>": AnyReach's
// published schema with only the deviations listed in schemas.py (ANYREACH_DEVIATIONS) and
// docs/formats.md. Every channel's create response, gets with and without SENSITIVE, dispatch
// results through each channel's lifecycle, and every conversation of the list (the Wassist and
// HelloAnnie ones included: they are whatsapp and text/sms conversations).
const char *const kNative = "convo-anyreach/Conversation";
const char *const kTextEmail = "convo-anyreach/TextEmailCreateResponse";

// Client-supplied ids (AnyReach's optional `id`), so that every conversation, the telephone
// ones included (their 202 body holds only contact_id), can be read back.
std::string native_id(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "5b0c3a54-7c59-4a4e-9c39-%012d", n);
    return buf;
}

void anyreach(convo_engine *e, int64_t *now) {
    Session s(e, nullptr, kSensitive);
    Session plain(e, nullptr, CONVO_SCOPE_READ);
    Session admin(e, nullptr, CONVO_SCOPE_ADMIN);
    // A second agent, silent (no greeting, does not speak first), with two published versions.
    const char *const kQuiet = "7d1f2a9e-4b6c-4e8d-9f0a-1b2c3d4e5f60";
    const json quiet =
        admin.agent_put({{"id", kQuiet},
                         {"name", "Quiet"},
                         {"phone_number", "+18885550001"},
                         {"versions",
                          {{{"version", 1}, {"published", true}, {"speaks_first", false}},
                           {{"version", 2},
                            {"published", true},
                            {"speaks_first", false},
                            {"default_subject", "Your request"},
                            {"capabilities", {{"supportsVideoInput", true}}}}}}});
    const std::string quiet_v1 = quiet["versions"][0]["id"];

    // ---- create: every channel ----
    const std::string text = native_id(1), text_inline = native_id(2), text_named = native_id(3),
                      text_full = native_id(4), email = native_id(5), phone = native_id(6),
                      phone_by_number = native_id(7), phone_in = native_id(8),
                      webrtc = native_id(9), webrtc_quiet = native_id(10), sms = native_id(11),
                      whatsapp = native_id(12);
    const json text_request{
        {"id", text}, {"channel", "text"}, {"user_id", "user_42"}, {"agent_id", kBot}};
    emit(kTextEmail, "anyreach text create", s.create(text_request, 200));
    emit(kTextEmail, "anyreach text create repeated (same id)", s.create(text_request, 200));
    {
        Session writer(e, nullptr, CONVO_SCOPE_READ | CONVO_SCOPE_WRITE);
        emit(kTextEmail, "anyreach text create without SENSITIVE",
             writer.create({{"id", native_id(13)},
                            {"channel", "text"},
                            {"user_id", "user_49"},
                            {"agent_id", kBot}},
                           200));
    }
    emit(kTextEmail, "anyreach text create with agent_config",
         s.create({{"id", text_inline},
                   {"channel", "text"},
                   {"user_id", "user_44"},
                   {"agent_config", {{"greeting", "Hello."}}}},
                  200));
    emit(kTextEmail, "anyreach text create with a named agent_config",
         s.create({{"id", text_named},
                   {"channel", "text"},
                   {"user_id", "user_45"},
                   {"agent_config", {{"name", "Inline"}, {"greeting", "Hi there."}}}},
                  200));
    emit(kTextEmail, "anyreach text create with agent_version_id and every optional field",
         s.create({{"id", text_full},
                   {"channel", "text"},
                   {"user_id", "user_46"},
                   {"agent_version_id", quiet_v1},
                   {"initial_context", "Customer is a returning VIP."},
                   {"custom_metadata", {{"crm", "A-17"}, {"vip", true}}},
                   {"web_widget_id", "widget_1"},
                   {"tags", {"vip"}},
                   {"messages", {{{"role", "user"}, {"text", "Hello?"}}}},
                   {"idle_timeout_minutes", 30},
                   {"max_open_minutes", 60}},
                  200));
    emit(kTextEmail, "anyreach email create",
         s.create({{"id", email},
                   {"channel", "email"},
                   {"user_id", "user_47"},
                   {"to_address", "customer@example.com"},
                   {"from_address", "support@example.com"},
                   {"agent_id", kQuiet},
                   {"version", 2}},
                  200));
    emit("convo-anyreach/TelephoneCreateResponse", "anyreach telephone create",
         s.create({{"id", phone},
                   {"channel", "telephone"},
                   {"user_id", "+14155550104"},
                   {"agent_id", kBot}},
                  202));
    emit("convo-anyreach/TelephoneCreateResponse", "anyreach telephone create with agent_number",
         s.create({{"id", phone_by_number},
                   {"channel", "telephone"},
                   {"user_id", "+14155550105"},
                   {"agent_number", "+18885550001"}},
                  202));
    emit("convo-anyreach/TelephoneCreateResponse", "anyreach inbound telephone create",
         s.create({{"id", phone_in},
                   {"channel", "telephone"},
                   {"direction", "inbound"},
                   {"user_id", "+14155550106"},
                   {"agent_id", kBot}},
                  202));
    emit("convo-anyreach/WebRtcCreateResponse", "anyreach webrtc create",
         s.create(
             {{"id", webrtc}, {"channel", "webrtc"}, {"user_id", "user_43"}, {"agent_id", kBot}},
             200));
    emit("convo-anyreach/WebRtcCreateResponse", "anyreach webrtc create (capabilities on)",
         s.create({{"id", webrtc_quiet},
                   {"channel", "webrtc"},
                   {"user_id", "user_48"},
                   {"agent_id", kQuiet}},
                  200));
    // sms and whatsapp: convo's channels, answered like text (docs/c-api.md).
    emit(kTextEmail, "anyreach sms create",
         s.create({{"id", sms},
                   {"channel", "sms"},
                   {"user_id", "+14155550107"},
                   {"agent_id", kBot},
                   {"messages", {{{"role", "agent"}, {"text", "Your order has shipped."}}}}},
                  200));
    emit(kTextEmail, "anyreach whatsapp create with template",
         s.create({{"id", whatsapp},
                   {"channel", "whatsapp"},
                   {"user_id", "+14155550108"},
                   {"agent_id", kBot},
                   {"message", {{"type", "template"}, {"template", {{"name", "welcome"}}}}}},
                  200));

    // ---- get ----
    const std::pair<std::string, const char *> reads[] = {
        {text, "text"},       {text_inline, "inline-agent text"},
        {phone, "telephone"}, {phone_in, "inbound telephone"},
        {email, "email"},     {webrtc, "webrtc"}};
    for (const auto &[id, what] : reads) {
        emit(kNative, std::string("anyreach get ") + what, s.get(id));
        emit(kNative, std::string("anyreach get without SENSITIVE ") + what, plain.get(id));
    }

    // ---- dispatch: each result is the conversation ----
    auto step = [&](const std::string &id, const std::string &what, const json &event) {
        emit(kNative, "anyreach dispatch " + what, s.dispatch(id, event));
    };
    advance(e, now, 10000);
    step(text, "text message (user)",
         {{"type", "message"},
          {"role", "user"},
          {"text", "Where is my order?"},
          {"event_id", "ar-1"}});
    step(text, "text annotate",
         {{"type", "annotate"},
          {"summary", "Asked about an order."},
          {"topic", "orders"},
          {"actions_needed", {"check carrier"}},
          {"tags", {"orders"}},
          {"recording_details", {{"recording_url", "https://example.com/r/1"}}}});
    step(text, "text takeover", {{"type", "takeover"}, {"minutes", 5}});
    step(text, "text human message",
         {{"type", "message"}, {"role", "human"}, {"text", "Hi, Sam here."}});
    step(text, "text handback", {{"type", "handback"}});
    step(text, "text close (completed, wrap-up pending)",
         {{"type", "close"}, {"skip_notifications", true}});
    step(text, "text finalize", {{"type", "finalize"}, {"summary", "Order found."}});
    step(text_inline, "inline-agent text end", {{"type", "end"}, {"reason", "resolved"}});
    step(text_named, "named inline-agent text fail", {{"type", "fail"}, {"reason", "model_error"}});
    step(text_full, "text agent message",
         {{"type", "message"}, {"role", "agent"}, {"text", "Welcome back!"}});
    step(email, "email delivered", {{"type", "delivered"}});
    step(email, "email reply (user)",
         {{"type", "message"}, {"role", "user"}, {"text", "Thanks for writing."}});
    step(email, "email close", {{"type", "close"}});
    step(phone, "telephone ringing", {{"type", "ringing"}});
    step(phone, "telephone answered", {{"type", "answered"}});
    step(phone, "telephone message (agent)",
         {{"type", "message"}, {"role", "agent"}, {"text", "Hello, this is Support."}});
    step(phone, "telephone transfer", {{"type", "transfer"}, {"to", "+14155550199"}});
    step(phone_by_number, "telephone no_answer", {{"type", "no_answer"}});
    step(phone_in, "inbound telephone busy", {{"type", "busy"}});
    step(webrtc, "webrtc joined", {{"type", "joined"}});
    step(webrtc, "webrtc message (user)",
         {{"type", "message"}, {"role", "user"}, {"text", "Can you hear me?"}});
    step(webrtc, "webrtc end", {{"type", "end"}});
    step(webrtc_quiet, "webrtc cancel", {{"type", "cancel"}});
    step(sms, "sms message (user)",
         {{"type", "message"}, {"role", "user"}, {"text", "When will it arrive?"}});
    step(sms, "sms close", {{"type", "close"}});
    step(whatsapp, "whatsapp message (user)",
         {{"type", "message"}, {"role", "user"}, {"text", "Hi"}});
    step(whatsapp, "whatsapp agent message (window open)",
         {{"type", "message"}, {"role", "agent"}, {"text", "Hello!"}});
    step(whatsapp, "whatsapp close", {{"type", "close"}});
    step(whatsapp, "whatsapp finalize",
         {{"type", "finalize"}, {"topic", "greeting"}, {"tags", {"wa"}}});

    // Timers: text_full's idle timer (30 minutes) ends it; then every wrap-up times out.
    advance(e, now, 31 * 60000);
    emit(kNative, "anyreach get after idle timeout", s.get(text_full));
    advance(e, now, 3600000);
    emit(kNative, "anyreach get after wrap-up timeout", s.get(text_full));

    // ---- list: every conversation of the organization, in both scopes ----
    for (Session *session : {&s, &plain}) {
        const char *const scope = session == &s ? "" : " without SENSITIVE";
        std::string cursor;
        do {
            json query{{"limit", 100}};
            if (!cursor.empty()) query["cursor"] = cursor;
            const json page = session->list(query);
            for (const json &item : page["items"]) {
                emit(kNative,
                     "anyreach list item (" + item["channel"].get<std::string>() + ")" + scope,
                     item);
            }
            cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
        } while (!cursor.empty());
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: %s\n", argv[0]);
        return 2;
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
        anyreach(e, &now);
    }
    convo_engine_close(e);
    return 0;
}
