// The three API shapes (engine/formats.h): each format's requests map to the exact native JSON,
// every invalid field is named as that format names it (also when the native parser finds the
// fault), outputs have the format's fields and types, and the fields that map both ways round
// trip. docs/formats.md is the prose version of these tests.
#include "formats.h"

#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "requests.h"

namespace convo {
namespace {

const char *const kBot = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const char *const kUser = "+14155550101";
const char *const kBusiness = "+18885550000";

Json parse(const char *text) {
    return Json::parse(text);
}

// What a format session would see: the format's own checks (`to_native`), then the native
// parser, its errors renamed. On success *native is the native request and *parsed its parse.
template <typename Parsed>
Outcome through(Outcome (*to_native)(Format, const Json &, Json *),
                Outcome (*parse)(std::string_view, const Limits &, Parsed *), Format f,
                const Json &in, Json *native, Parsed *parsed) {
    Json n;
    CONVO_TRY(to_native(f, in, &n));
    Parsed p;
    CONVO_TRY(outcome_in_format(f, parse(n.dump(), Limits{}, &p)));
    if (native != nullptr) *native = n;
    if (parsed != nullptr) *parsed = std::move(p);
    return Outcome::ok();
}

Outcome create_as(Format f, const Json &in, Json *native = nullptr, CreateRequest *r = nullptr) {
    return through(create_to_native, parse_create, f, in, native, r);
}

Outcome event_as(Format f, const Json &in, Json *native = nullptr, Event *e = nullptr) {
    return through(event_to_native, parse_event, f, in, native, e);
}

// A request (its JSON text) and the one error a format session must get for it.
struct Refusal {
    const char *request;
    const char *error;
};

void expect_refused(Format f, const std::vector<Refusal> &cases,
                    Outcome (*call)(Format, const Json &, Json *, CreateRequest *)) {
    for (const Refusal &c : cases) {
        Outcome o = call(f, parse(c.request), nullptr, nullptr);
        EXPECT_EQ(o.code(), CONVO_EINVALID) << c.request;
        EXPECT_EQ(o.message(), c.error) << c.request;
    }
}

Outcome create_call(Format f, const Json &in, Json *native, CreateRequest *r) {
    return create_as(f, in, native, r);
}
Outcome event_call(Format f, const Json &in, Json *native, CreateRequest *) {
    return event_as(f, in, native);
}

// A conversation as engine/render.cpp writes it for a session with the SENSITIVE scope.
Json native_conversation() {
    return parse(R"({
        "id": "01890a5d-ac96-774b-bcce-b302099a8057", "organization_id": "org_1",
        "direction": "outbound", "channel": "whatsapp", "status": "in_progress",
        "user_id": "+14155550101", "agent_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "agent_version_id": "5b0c3a54-7c59-4a4e-9c39-6a1d3f0e2b11", "agent_number": null,
        "web_widget_id": null, "duration": 90, "user_turn_count": 1,
        "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:01:30.000Z",
        "started_at": "2026-01-01T00:00:00.000Z", "ended_at": null, "end_reason": null,
        "idle_timeout_minutes": null, "max_open_minutes": 1440,
        "expires_at": "2026-01-02T00:00:00.000Z", "to_address": null, "from_address": null,
        "subject": null, "tags": ["vip"], "topic": null, "actions_needed": [],
        "transferred_to": null, "from_number": "+18885550000", "human_takeover": true,
        "human_takeover_until": "2026-01-01T00:11:30.000Z", "wrap_up": null,
        "chat_window_expires_at": "2026-01-02T00:01:00.000Z",
        "chat_window_remaining_seconds": 86370,
        "agent": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "name": "Support"},
        "summary": null, "initial_context": null, "custom_metadata": null,
        "conversation": {"messages": [
            {"role": "agent", "text": null, "at": "2026-01-01T00:00:00.000Z",
             "template": {"name": "welcome", "variables": {"body": ["Ann"]}}},
            {"role": "user", "text": "Hi, I need help", "at": "2026-01-01T00:01:00.000Z"}]},
        "recording_details": null})");
}

// The same conversation as a session without the SENSITIVE scope sees it.
Json redacted(Json c) {
    for (const char *key : {"agent", "summary", "initial_context", "custom_metadata",
                            "conversation", "recording_details"}) {
        c.erase(key);
    }
    return c;
}

const char *const kStatuses[] = {"token_created", "triggered",   "ringing",
                                 "in_progress",   "completed",   "failed",
                                 "cancelled",     "transferred", "unanswered"};
bool open_status(const std::string &s) {
    return s == "token_created" || s == "triggered" || s == "ringing" || s == "in_progress";
}

// ---- names ----------------------------------------------------------------------------------

TEST(FormatNames, EachNameSelectsItsFormatAndNothingElseDoes) {
    EXPECT_EQ(format_from_name("anyreach"), Format::anyreach);
    EXPECT_EQ(format_from_name("wassist"), Format::wassist);
    EXPECT_EQ(format_from_name("helloannie"), Format::helloannie);
    for (const char *bad :
         {"", "AnyReach", "Wassist", "HELLOANNIE", "hello_annie", "native", " wassist"}) {
        EXPECT_FALSE(format_from_name(bad).has_value()) << bad;
    }
    for (Format f : {Format::anyreach, Format::wassist, Format::helloannie}) {
        EXPECT_EQ(format_from_name(format_name(f)), f);
    }
    EXPECT_STREQ(kFormatNames, "anyreach, wassist, helloannie");
}

// ---- anyreach: the identity -----------------------------------------------------------------

TEST(FormatAnyReach, EveryFunctionIsTheIdentity) {
    const Json request = parse(R"({"channel":"text","user_id":"u","agent_id":"a","foo":1})");
    Json out;
    ASSERT_TRUE(create_to_native(Format::anyreach, request, &out));
    EXPECT_EQ(out, request);
    const Json event = parse(R"({"type":"message","role":"user","text":"hi","eventId":"x"})");
    ASSERT_TRUE(event_to_native(Format::anyreach, event, &out));
    EXPECT_EQ(out, event);

    const Json c = native_conversation();
    int status = 202;
    const Json response = Json{{"conversation", c}, {"starting_message", "Hi!"}};
    EXPECT_EQ(create_response_from_native(Format::anyreach, response, &status), response);
    EXPECT_EQ(status, 202);
    EXPECT_EQ(conversation_from_native(Format::anyreach, c), c);
    const Json list = Json{{"items", Json::array({c})}, {"next_cursor", "v1.1.2"}};
    EXPECT_EQ(conversation_list_from_native(Format::anyreach, list), list);
    const Json feed =
        parse(R"({"seq":1,"conversation_id":"c","organization_id":"o","type":"created",
                                "from":null,"to":"in_progress","reason":null,"at":"x","data":{}})");
    EXPECT_EQ(event_from_native(Format::anyreach, feed), feed);
    const Json page = Json{{"events", Json::array({feed})}, {"next_seq", 1}};
    EXPECT_EQ(event_page_from_native(Format::anyreach, page), page);
    EXPECT_EQ(message_in_format(Format::anyreach, "user_id: is required"), "user_id: is required");
}

// ---- wassist: create ------------------------------------------------------------------------

TEST(FormatWassistCreate, MapsToTheNativeWhatsAppRequest) {
    Json native;
    CreateRequest r;
    ASSERT_TRUE(
        create_as(Format::wassist, Json{{"toNumber", kUser}, {"agentId", kBot}}, &native, &r));
    EXPECT_EQ(native, (Json{{"channel", "whatsapp"},
                            {"direction", "outbound"},
                            {"user_id", kUser},
                            {"agent_id", kBot}}));
    EXPECT_EQ(r.channel, Channel::whatsapp);
    EXPECT_EQ(r.direction, Direction::outbound);

    const Json message = parse(R"({"type":"template","template":{"name":"welcome","variables":
        {"body":["Ann"],"header":"Hello","buttons":["Yes"],"cards":[{"body":["c"],"header":"h","buttons":["b"]}]}}})");
    ASSERT_TRUE(create_as(Format::wassist,
                          Json{{"toNumber", kUser},
                               {"fromNumber", kBusiness},
                               {"agentId", kBot},
                               {"message", message}},
                          &native, &r));
    EXPECT_EQ(native, (Json{{"channel", "whatsapp"},
                            {"direction", "outbound"},
                            {"user_id", kUser},
                            {"agent_id", kBot},
                            {"from_number", kBusiness},
                            {"message", message}}));
    EXPECT_EQ(r.from_number, std::optional<std::string>(kBusiness));
    EXPECT_EQ(r.template_, message["template"]);
}

TEST(FormatWassistCreate, PhoneNumberIsTheDeprecatedNameOfToNumber) {
    Json native;
    ASSERT_TRUE(
        create_as(Format::wassist, Json{{"phoneNumber", kUser}, {"agentId", kBot}}, &native));
    EXPECT_EQ(native["user_id"], kUser);
    ASSERT_TRUE(create_as(Format::wassist,
                          Json{{"toNumber", kUser}, {"phoneNumber", kUser}, {"agentId", kBot}},
                          &native));
    EXPECT_EQ(native["user_id"], kUser);
    EXPECT_EQ(native.size(), 4u);
    // The order of the keys does not change which one is named.
    for (
        const char *text :
        {R"({"toNumber":"+14155550101","phoneNumber":"+14155550199","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
         R"({"phoneNumber":"+14155550199","toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})"}) {
        Outcome o = create_as(Format::wassist, parse(text));
        EXPECT_EQ(o.code(), CONVO_EINVALID);
        EXPECT_EQ(o.message(), "phoneNumber: must equal toNumber when both are given");
    }
}

TEST(FormatWassistCreate, RefusesEachInvalidFieldByItsWassistName) {
    expect_refused(
        Format::wassist,
        {
            {R"({"agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})", "toNumber: is required"},
            {R"({"toNumber":14155550101,"agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "toNumber: must be a string"},
            {R"({"toNumber":null,"agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "toNumber: must be a string"},
            {R"({"toNumber":"","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "toNumber: must not be empty"},
            {R"({"toNumber":"4155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "toNumber: must be an E.164 number (+14155551234)"},
            {R"({"phoneNumber":"+0123","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "phoneNumber: must be an E.164 number (+14155551234)"},
            {R"({"toNumber":"+14155550101"})", "agentId: is required"},
            {R"({"toNumber":"+14155550101","agentId":"agent_abc"})", "agentId: must be a UUID"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc0d444b5088888dd25736052a"})",
             "agentId: must be a UUID"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052g"})",
             "agentId: must be a UUID"},
            {R"({"toNumber":"+14155550101","agentId":42})", "agentId: must be a string"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","fromNumber":"business"})",
             "fromNumber: must be an E.164 number (+14155551234)"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","message":"hi"})",
             "message: must be an object"},
            // Inside message the native parser checks Wassist's own schema, with Wassist's names.
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","message":{"type":"text"}})",
             "message.type: must be template"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","message":{"type":"template"}})",
             "message.template: is required"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","message":{"type":"template","template":{}}})",
             "message.template.name: is required"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","message":{"type":"template","template":{"name":"w","variables":{"body":[1]}}}})",
             "message.template.variables.body: must be an array of strings"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","message":{"type":"template","template":{"name":"w","lang":"en"}}})",
             "message.template.lang: unknown field"},
            // Unknown fields, native spellings included.
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","channel":"whatsapp"})",
             "channel: unknown field"},
            {R"({"user_id":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "user_id: unknown field"},
            {R"({"toNumber":"+14155550101","agent_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "agent_id: unknown field"},
            {R"({"toNumber":"+14155550101","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","from_number":"+18885550000"})",
             "from_number: unknown field"},
            {R"({"to\u0000Number":"+1","x":1})", "to\\u0000Number: unknown field"},
            {"[]", "request: must be a JSON object"},
        },
        create_call);
}

TEST(FormatWassistCreate, QuotesALongUnknownKeyPrintably) {
    Json in{{std::string(100, 'k'), 1}};
    Outcome o = create_as(Format::wassist, in);
    EXPECT_EQ(o.message(), std::string(64, 'k') + "...: unknown field");
    Json utf8{{std::string(63, 'k') + "\xc3\xa9" + "z", 1}};  // the cut falls inside "é"
    EXPECT_EQ(create_as(Format::wassist, utf8).message(),
              std::string(63, 'k') + "...: unknown field");
}

// ---- helloannie: create ---------------------------------------------------------------------

TEST(FormatHelloAnnieCreate, ChatMapsToTextAndTalksToAnonymousWithoutToNumber) {
    Json native;
    CreateRequest r;
    ASSERT_TRUE(
        create_as(Format::helloannie, Json{{"medium", "CHAT"}, {"botId", kBot}}, &native, &r));
    EXPECT_EQ(native, (Json{{"channel", "text"}, {"agent_id", kBot}, {"user_id", "anonymous"}}));
    EXPECT_EQ(r.channel, Channel::text);
    EXPECT_EQ(r.user_id, "anonymous");

    ASSERT_TRUE(create_as(Format::helloannie,
                          Json{{"medium", "CHAT"}, {"botId", kBot}, {"toNumber", "visitor-7"}},
                          &native));
    EXPECT_EQ(native, (Json{{"channel", "text"}, {"agent_id", kBot}, {"user_id", "visitor-7"}}));
}

TEST(FormatHelloAnnieCreate, SmsWithSeedsAndMinutesMapsFieldByField) {
    Json native;
    CreateRequest r;
    const Json in = parse(R"({"medium":"SMS","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "toNumber":"+14155550101","messages":[{"role":"user","input":"Is the shop open?"},
        {"input":"Yes, until 6.","role":"agent"}],"idleTimeoutMinutes":2,"maxOpenMinutes":30})");
    ASSERT_TRUE(create_as(Format::helloannie, in, &native, &r));
    EXPECT_EQ(native, parse(R"({"channel":"sms","agent_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "user_id":"+14155550101","messages":[{"role":"user","text":"Is the shop open?"},
        {"text":"Yes, until 6.","role":"agent"}],"idle_timeout_minutes":2,"max_open_minutes":30})"));
    ASSERT_EQ(r.seed_messages.size(), 2u);  // order kept
    EXPECT_EQ(r.seed_messages[0].role, Role::user);
    EXPECT_EQ(r.seed_messages[0].text, "Is the shop open?");
    EXPECT_EQ(r.seed_messages[1].role, Role::agent);
    EXPECT_EQ(r.seed_messages[1].text, "Yes, until 6.");
    EXPECT_EQ(r.idle_timeout_minutes, 2);
    EXPECT_EQ(r.max_open_minutes, 30);
}

TEST(FormatHelloAnnieCreate, MinutesAreNumbersThatAreWholeAndAtLeastOne) {
    for (const char *key : {"idleTimeoutMinutes", "maxOpenMinutes"}) {
        const std::string native_key =
            key == std::string("idleTimeoutMinutes") ? "idle_timeout_minutes" : "max_open_minutes";
        const std::pair<const char *, int64_t> accepted[] = {
            {"1", 1},
            {"2.0", 2},
            {"1e3", 1000},
            {"1440", 1440},
            // Larger values are clamped (by the engine to the platform max; first to the native
            // bound).
            {"1e12", 1000000000},
            {"18446744073709551615", 1000000000},
            {"1e300", 1000000000}};
        for (const auto &[value, expected] : accepted) {
            std::string text =
                std::string(
                    R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a",")") +
                key + "\":" + value + "}";
            Json native;
            ASSERT_TRUE(create_as(Format::helloannie, parse(text.c_str()), &native)) << text;
            EXPECT_EQ(native[native_key], expected) << text;
            EXPECT_TRUE(native[native_key].is_number_integer()) << text;
        }
        for (const char *value : {"0", "2.5", "-1", "\"2\"", "0.5", "-0.0", "true", "null", "[2]",
                                  "{}", "-18446744073709551615"}) {
            std::string text =
                std::string(
                    R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a",")") +
                key + "\":" + value + "}";
            Outcome o = create_as(Format::helloannie, parse(text.c_str()));
            EXPECT_EQ(o.code(), CONVO_EINVALID) << text;
            EXPECT_EQ(o.message(), std::string(key) + ": must be an integer >= 1") << text;
        }
    }
}

TEST(FormatHelloAnnieCreate, RefusesEachInvalidFieldByItsHelloAnnieName) {
    expect_refused(
        Format::helloannie,
        {
            {R"({"botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})", "medium: is required"},
            {R"({"medium":"chat","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "medium: must be one of CHAT, SMS"},
            {R"({"medium":"WHATSAPP","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "medium: must be one of CHAT, SMS"},
            {R"({"medium":"text","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "medium: must be one of CHAT, SMS"},
            {R"({"medium":1,"botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "medium: must be one of CHAT, SMS"},
            {R"({"medium":"CHAT"})", "botId: is required"},
            {R"({"medium":"CHAT","botId":"bot_1"})", "botId: must be a UUID"},
            {R"({"medium":"CHAT","botId":"{3c90c3cc-0d44-4b50-8888-8dd25736052a}"})",
             "botId: must be a UUID"},
            {R"({"medium":"SMS","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "toNumber: is required for medium SMS"},
            {R"({"medium":"SMS","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","toNumber":"555-0101"})",
             "toNumber: must be an E.164 number (+14155551234) for medium SMS"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","toNumber":""})",
             "toNumber: must not be empty"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","toNumber":5})",
             "toNumber: must be a string"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":"hi"})",
             "messages: must be an array of objects"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[1]})",
             "messages[0]: must be an object"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[{"role":"user","text":"hi"}]})",
             "messages[0].text: unknown field"},
            // Found by the native parser, named as HelloAnnie names them.
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[{"role":"user","input":"a"},{"role":"bot","input":"b"}]})",
             "messages[1].role: must be one of user, agent"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[{"role":"human","input":"b"}]})",
             "messages[0].role: must be one of user, agent"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[{"role":"user"}]})",
             "messages[0].input: is required"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[{"role":"user","input":""}]})",
             "messages[0].input: must not be empty"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","messages":[{"role":"user","input":7}]})",
             "messages[0].input: must be a string"},
            // Unknown fields: native spellings and Wassist's fields are not HelloAnnie's.
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","channel":"text"})",
             "channel: unknown field"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","idle_timeout_minutes":2})",
             "idle_timeout_minutes: unknown field"},
            {R"({"medium":"CHAT","botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","fromNumber":"+18885550000"})",
             "fromNumber: unknown field"},
            {R"({"medium":"CHAT","agentId":"3c90c3cc-0d44-4b50-8888-8dd25736052a"})",
             "agentId: unknown field"},
        },
        create_call);
}

TEST(FormatHelloAnnieCreate, NativeLimitsAreNamedAsHelloAnnieNamesTheField) {
    Json in{{"medium", "CHAT"}, {"botId", kBot}, {"toNumber", std::string(300, 'u')}};
    Outcome o = create_as(Format::helloannie, in);
    EXPECT_EQ(o.code(), CONVO_EINVALID);
    EXPECT_EQ(o.message(), "toNumber: longer than 256 bytes (the limit for identifiers)");
}

// ---- events in ------------------------------------------------------------------------------

TEST(FormatEventsIn, WassistCamelCaseKeysMapToNativeOnes) {
    Json native;
    Event e;
    ASSERT_TRUE(event_as(Format::wassist,
                         parse(R"({"type":"takeover","durationMinutes":5,"eventId":"d-1"})"),
                         &native, &e));
    EXPECT_EQ(native, parse(R"({"type":"takeover","minutes":5,"event_id":"d-1"})"));
    EXPECT_EQ(e.minutes, 5);
    EXPECT_EQ(e.event_id, std::optional<std::string>("d-1"));
    ASSERT_TRUE(event_as(Format::wassist, parse(R"({"type":"takeover"})"), &native, &e));
    EXPECT_EQ(e.minutes, 10);  // the engine's default, not restated here
    ASSERT_TRUE(
        event_as(Format::wassist, parse(R"({"type":"close","skipNotifications":true})"), &native));
    EXPECT_EQ(native, parse(R"({"type":"close","skip_notifications":true})"));
    ASSERT_TRUE(event_as(
        Format::wassist,
        parse(
            R"({"type":"finalize","summary":"s","topic":"t","actionsNeeded":["call"],"tags":["x"]})"),
        &native));
    EXPECT_EQ(
        native,
        parse(
            R"({"type":"finalize","summary":"s","topic":"t","actions_needed":["call"],"tags":["x"]})"));
    const Json tpl = parse(
        R"({"type":"message","role":"agent","template":{"name":"reminder"},"at":"2026-01-01T00:00:00Z"})");
    ASSERT_TRUE(event_as(Format::wassist, tpl, &native));
    EXPECT_EQ(native, tpl);
    ASSERT_TRUE(event_as(Format::wassist, parse(R"({"type":"message","role":"user","text":"hi"})"),
                         &native));
    EXPECT_EQ(native, parse(R"({"type":"message","role":"user","text":"hi"})"));
}

TEST(FormatEventsIn, HelloAnnieMessagesCarryInput) {
    Json native;
    Event e;
    ASSERT_TRUE(event_as(Format::helloannie,
                         parse(R"({"type":"message","role":"user","input":"hi","eventId":"m-1"})"),
                         &native, &e));
    EXPECT_EQ(native, parse(R"({"type":"message","role":"user","text":"hi","event_id":"m-1"})"));
    EXPECT_EQ(e.text, "hi");
    ASSERT_TRUE(event_as(Format::helloannie, parse(R"({"type":"close","skipNotifications":false})"),
                         &native));
    EXPECT_EQ(native, parse(R"({"type":"close","skip_notifications":false})"));
    ASSERT_TRUE(event_as(Format::helloannie, parse(R"({"type":"annotate","actionsNeeded":["x"]})"),
                         &native));
    EXPECT_EQ(native, parse(R"({"type":"annotate","actions_needed":["x"]})"));
}

TEST(FormatEventsIn, RefusesEachInvalidFieldByTheFormatsName) {
    expect_refused(
        Format::wassist,
        {
            {R"({"type":"takeover","minutes":5})", "minutes: unknown field"},
            {R"({"type":"takeover","durationMinutes":0})",
             "durationMinutes: must be an integer from 1 to 1000000000"},
            {R"({"type":"takeover","durationMinutes":"5"})",
             "durationMinutes: must be an integer from 1 to 1000000000"},
            {R"({"type":"message","role":"user","event_id":"x","text":"a"})",
             "event_id: unknown field"},
            {R"({"type":"message","role":"user","eventId":"","text":"a"})",
             "eventId: must not be empty"},
            {R"({"type":"close","skipNotifications":"yes"})",
             "skipNotifications: must be a boolean"},
            {R"({"type":"close","skip_notifications":true})", "skip_notifications: unknown field"},
            {R"({"type":"finalize","actionsNeeded":"call"})",
             "actionsNeeded: must be an array of strings"},
            {R"({"type":"message","role":"user"})", "text: is required"},
            {R"({"type":"annotate"})",
             "annotate: needs at least one of summary, topic, actionsNeeded, tags, "
             "recordingDetails"},
            {R"({"type":"close","durationMinutes":3})", "durationMinutes: unknown field"},
            {R"({"type":"wave"})",
             "type: must be one of ringing, answered, joined, delivered, message, end, cancel, "
             "no_answer, busy, fail, transfer, annotate, takeover, handback, close, finalize"},
            {"[1]", "event: must be a JSON object"},
        },
        event_call);
    expect_refused(
        Format::helloannie,
        {
            {R"({"type":"message","role":"user","text":"hi"})", "text: unknown field"},
            {R"({"type":"message","role":"user"})", "input: is required"},
            {R"({"type":"message","role":"user","input":""})", "input: must not be empty"},
            {R"({"type":"message","role":"user","input":"a","template":{"name":"t"}})",
             "input, template: give one, not both"},
            {R"({"type":"message","role":"robot","input":"a"})",
             "role: must be one of user, agent, human"},
            {R"({"type":"close","input":"bye"})", "input: unknown field"},
            {R"({"type":"close","skipNotifications":1})", "skipNotifications: must be a boolean"},
            {R"({"type":"finalize","actions_needed":[]})", "actions_needed: unknown field"},
            {R"({"type":"annotate","recordingDetails":[]})", "recordingDetails: must be an object"},
            {R"({"type":"annotate"})",
             "annotate: needs at least one of summary, topic, actionsNeeded, tags, "
             "recordingDetails"},
            {R"({"type":"takeover","durationMinutes":3})", "durationMinutes: unknown field"},
        },
        event_call);
}

// ---- outputs: wassist -----------------------------------------------------------------------

TEST(FormatWassistOut, ConversationHasWassistsFieldsAsStrings) {
    const Json w = conversation_from_native(Format::wassist, native_conversation());
    EXPECT_EQ(w, parse(R"({"id":"01890a5d-ac96-774b-bcce-b302099a8057",
        "contact":{"phoneNumber":"+14155550101","name":null},
        "activeAgent":"3c90c3cc-0d44-4b50-8888-8dd25736052a","chatWindowRemainingTime":"86370",
        "lastMessage":"Hi, I need help","isHumanTakeover":"true","active":"true"})"));
    for (const char *key : {"id", "activeAgent", "chatWindowRemainingTime", "lastMessage",
                            "isHumanTakeover", "active"}) {
        EXPECT_TRUE(w[key].is_string()) << key;
    }
}

TEST(FormatWassistOut, ActiveIsTrueExactlyForOpenStatuses) {
    Json c = native_conversation();
    for (const char *status : kStatuses) {
        c["status"] = status;
        EXPECT_EQ(conversation_from_native(Format::wassist, c)["active"],
                  open_status(status) ? "true" : "false")
            << status;
    }
}

TEST(FormatWassistOut, TakeoverWindowAndAgentAsStrings) {
    Json c = native_conversation();
    c["human_takeover"] = false;
    c["chat_window_remaining_seconds"] = 0;  // closed
    c["agent_id"] = nullptr;                 // an inline agent_config
    Json w = conversation_from_native(Format::wassist, c);
    EXPECT_EQ(w["isHumanTakeover"], "false");
    EXPECT_EQ(w["chatWindowRemainingTime"], "0");
    EXPECT_EQ(w["activeAgent"], "");
    c["channel"] = "text";  // another session's conversation: no window at all
    c["chat_window_remaining_seconds"] = nullptr;
    EXPECT_EQ(conversation_from_native(Format::wassist, c)["chatWindowRemainingTime"], "0");
}

TEST(FormatWassistOut, LastMessageIsTheLastTextOrTemplateName) {
    Json c = native_conversation();
    Json &messages = c["conversation"]["messages"];
    messages.push_back(
        parse(R"({"role":"agent","text":null,"at":"x","template":{"name":"follow_up"}})"));
    EXPECT_EQ(conversation_from_native(Format::wassist, c)["lastMessage"], "follow_up");
    messages.push_back(parse(R"({"role":"human","text":"A person here.","at":"x"})"));
    EXPECT_EQ(conversation_from_native(Format::wassist, c)["lastMessage"], "A person here.");
    messages = Json::array();
    EXPECT_EQ(conversation_from_native(Format::wassist, c)["lastMessage"], "");
    // Without the SENSITIVE scope the transcript is not visible.
    EXPECT_EQ(
        conversation_from_native(Format::wassist, redacted(native_conversation()))["lastMessage"],
        "");
}

TEST(FormatWassistOut, CreateAnswers201WithTheConversation) {
    int status = 200;
    const Json response{{"conversation", native_conversation()}, {"starting_message", nullptr}};
    EXPECT_EQ(create_response_from_native(Format::wassist, response, &status),
              conversation_from_native(Format::wassist, native_conversation()));
    EXPECT_EQ(status, 201);
    // A response without a conversation (telephone) is left as it is.
    status = 202;
    EXPECT_EQ(create_response_from_native(Format::wassist, Json{{"contact_id", "c"}}, &status),
              (Json{{"contact_id", "c"}}));
    EXPECT_EQ(status, 202);
}

// ---- outputs: helloannie --------------------------------------------------------------------

Json sms_conversation() {
    Json c = native_conversation();
    c["channel"] = "sms";
    c["tags"] = Json::array({"billing"});
    c["summary"] = "Asked about opening hours.";
    c["actions_needed"] = Json::array({"call back"});
    c["topic"] = "hours";
    return c;
}

TEST(FormatHelloAnnieOut, ConversationIsEnvelopedWithHelloAnniesFields) {
    const Json h = conversation_from_native(Format::helloannie, sms_conversation());
    EXPECT_EQ(
        h, parse(R"({"success":true,"data":{"conversationId":"01890a5d-ac96-774b-bcce-b302099a8057",
        "conversationTags":["billing"],"orgId":"org_1","medium":"SMS",
        "botId":"3c90c3cc-0d44-4b50-8888-8dd25736052a","toNumber":"+14155550101",
        "fromNumber":"+18885550000","summary":"Asked about opening hours.","actionsNeeded":["call back"],
        "topic":"hours","duration":90,"startTime":"2026-01-01T00:00:00.000Z","endTime":null,
        "status":"OPEN"}})"));
}

TEST(FormatHelloAnnieOut, StatusComesFromStatusAndWrapUp) {
    Json c = sms_conversation();
    for (const char *status : kStatuses) {
        c["status"] = status;
        const bool open = open_status(status);
        const std::pair<Json, const char *> cases[] = {
            {nullptr, open ? "OPEN" : "CLOSED"}, {"pending", "CLOSING"}, {"done", "CLOSED"}};
        for (const auto &[wrap_up, expected] : cases) {
            c["wrap_up"] = wrap_up;
            EXPECT_EQ(conversation_from_native(Format::helloannie, c)["data"]["status"], expected)
                << status << " " << wrap_up.dump();
        }
    }
}

TEST(FormatHelloAnnieOut, MediumStartTimeAndSensitiveSummary) {
    Json c = sms_conversation();
    const std::pair<const char *, const char *> media[] = {
        {"text", "CHAT"},           {"sms", "SMS"},     {"whatsapp", "WHATSAPP"},
        {"telephone", "TELEPHONE"}, {"email", "EMAIL"}, {"webrtc", "WEBRTC"}};
    for (const auto &[channel, expected] : media) {
        c["channel"] = channel;
        EXPECT_EQ(conversation_from_native(Format::helloannie, c)["data"]["medium"], expected);
    }
    c["started_at"] = nullptr;  // never started: the creation time stands in
    EXPECT_EQ(conversation_from_native(Format::helloannie, c)["data"]["startTime"],
              c["created_at"]);
    EXPECT_EQ(conversation_from_native(Format::helloannie,
                                       redacted(sms_conversation()))["data"]["summary"],
              nullptr);
}

TEST(FormatHelloAnnieOut, CreateAnswers200WithTheEnvelope) {
    int status = 200;
    const Json response{{"conversation", sms_conversation()}, {"starting_message", "Hi!"}};
    EXPECT_EQ(create_response_from_native(Format::helloannie, response, &status),
              conversation_from_native(Format::helloannie, sms_conversation()));
    EXPECT_EQ(status, 200);
}

// ---- lists and the feed ---------------------------------------------------------------------

TEST(FormatLists, EachFormatPagesItsOwnConversations) {
    const Json list{{"items", Json::array({sms_conversation(), native_conversation()})},
                    {"next_cursor", "v1.5.9"}};
    const Json w = conversation_list_from_native(Format::wassist, list);
    EXPECT_EQ(
        w, (Json{{"items",
                  Json::array({conversation_from_native(Format::wassist, sms_conversation()),
                               conversation_from_native(Format::wassist, native_conversation())})},
                 {"nextCursor", "v1.5.9"}}));
    const Json h = conversation_list_from_native(
        Format::helloannie,
        Json{{"items", Json::array({sms_conversation()})}, {"next_cursor", nullptr}});
    EXPECT_EQ(h, (Json{{"success", true},
                       {"data", Json::array({conversation_from_native(
                                    Format::helloannie, sms_conversation())["data"]})},
                       {"nextCursor", nullptr}}));
}

TEST(FormatFeed, EventsHaveCamelCaseKeysAndNativeValues) {
    const Json takeover =
        parse(R"({"seq":7,"conversation_id":"c1","organization_id":"org_1","type":"takeover",
        "from":null,"to":null,"reason":null,"at":"2026-01-01T00:01:30.000Z",
        "data":{"minutes":10,"until":"2026-01-01T00:11:30.000Z"}})");
    EXPECT_EQ(event_from_native(Format::wassist, takeover),
              parse(R"({"seq":7,"conversationId":"c1","organizationId":"org_1","type":"takeover",
        "from":null,"to":null,"reason":null,"at":"2026-01-01T00:01:30.000Z",
        "data":{"durationMinutes":10,"until":"2026-01-01T00:11:30.000Z"}})"));
    const Json message =
        parse(R"({"seq":8,"conversation_id":"c1","organization_id":"org_1","type":"message",
        "from":null,"to":null,"reason":null,"at":"x","data":{"role":"user","text":"hi"}})");
    EXPECT_EQ(event_from_native(Format::helloannie, message)["data"],
              parse(R"({"role":"user","input":"hi"})"));
    EXPECT_EQ(event_from_native(Format::wassist, message)["data"],
              parse(R"({"role":"user","text":"hi"})"));
    const Json closed =
        parse(R"({"seq":9,"conversation_id":"c1","organization_id":"org_1","type":"status_changed",
        "from":"in_progress","to":"completed","reason":"ended","at":"x",
        "data":{"event":"close","skip_notifications":true}})");
    const Json h = event_from_native(Format::helloannie, closed);
    EXPECT_EQ(h["from"], "in_progress");  // values stay native
    EXPECT_EQ(h["data"], parse(R"({"event":"close","skipNotifications":true})"));
    const Json finalized =
        parse(R"({"seq":10,"conversation_id":"c1","organization_id":"org_1","type":"finalized",
        "from":null,"to":null,"reason":null,"at":"x","data":{"summary":"s","actions_needed":["a"],"recording_details":{}}})");
    EXPECT_EQ(event_from_native(Format::helloannie, finalized)["data"],
              parse(R"({"summary":"s","actionsNeeded":["a"],"recordingDetails":{}})"));

    const Json page{{"events", Json::array({takeover, message})}, {"next_seq", 8}};
    EXPECT_EQ(event_page_from_native(Format::wassist, page),
              (Json{{"events", Json::array({event_from_native(Format::wassist, takeover),
                                            event_from_native(Format::wassist, message)})},
                    {"nextSeq", 8}}));
    EXPECT_EQ(event_page_from_native(Format::helloannie, page),
              (Json{{"success", true},
                    {"data", Json::array({event_from_native(Format::helloannie, takeover),
                                          event_from_native(Format::helloannie, message)})},
                    {"nextSeq", 8}}));
}

// ---- round trips ----------------------------------------------------------------------------

TEST(FormatRoundTrip, HelloAnnieFieldsMapBackToTheirNativeFields) {
    const Json c = sms_conversation();
    const Json data = conversation_from_native(Format::helloannie, c)["data"];
    const std::pair<const char *, const char *> same[] = {
        {"conversationId", "id"},     {"conversationTags", "tags"},
        {"orgId", "organization_id"}, {"botId", "agent_id"},
        {"toNumber", "user_id"},      {"fromNumber", "from_number"},
        {"summary", "summary"},       {"actionsNeeded", "actions_needed"},
        {"topic", "topic"},           {"duration", "duration"},
        {"startTime", "started_at"},  {"endTime", "ended_at"}};
    for (const auto &[theirs, native] : same) EXPECT_EQ(data[theirs], c[native]) << theirs;
    EXPECT_EQ(data.size(), std::size(same) + 2);  // and medium, status

    // What HelloAnnie shows is a create request again, for the same native fields.
    Json native;
    ASSERT_TRUE(create_as(
        Format::helloannie,
        Json{{"medium", data["medium"]}, {"botId", data["botId"]}, {"toNumber", data["toNumber"]}},
        &native));
    EXPECT_EQ(native["channel"], c["channel"]);
    EXPECT_EQ(native["agent_id"], c["agent_id"]);
    EXPECT_EQ(native["user_id"], c["user_id"]);
}

TEST(FormatRoundTrip, WassistFieldsMapBackToTheirNativeFields) {
    const Json c = native_conversation();
    const Json w = conversation_from_native(Format::wassist, c);
    EXPECT_EQ(w["id"], c["id"]);
    EXPECT_EQ(w["contact"]["phoneNumber"], c["user_id"]);
    EXPECT_EQ(w["activeAgent"], c["agent_id"]);
    EXPECT_EQ(w["isHumanTakeover"], c["human_takeover"].get<bool>() ? "true" : "false");
    EXPECT_EQ(w["chatWindowRemainingTime"],
              std::to_string(c["chat_window_remaining_seconds"].get<int64_t>()));
    Json native;
    ASSERT_TRUE(create_as(Format::wassist,
                          Json{{"toNumber", w["contact"]["phoneNumber"]},
                               {"agentId", w["activeAgent"]},
                               {"fromNumber", c["from_number"]}},
                          &native));
    EXPECT_EQ(native["user_id"], c["user_id"]);
    EXPECT_EQ(native["agent_id"], c["agent_id"]);
    EXPECT_EQ(native["from_number"], c["from_number"]);
    EXPECT_EQ(native["channel"], c["channel"]);
}

// ---- error names ----------------------------------------------------------------------------

TEST(FormatErrors, LeadingFieldPathsAreRenamed) {
    const std::pair<const char *, const char *> wassist[] = {
        {"user_id: must be an E.164 number (+14155551234) for channel whatsapp",
         "toNumber: must be an E.164 number (+14155551234) for channel whatsapp"},
        {"agent_id: unknown agent '3c90c3cc-0d44-4b50-8888-8dd25736052a'",
         "agentId: unknown agent '3c90c3cc-0d44-4b50-8888-8dd25736052a'"},
        {"agent_id: agent 'a' has no published version",
         "agentId: agent 'a' has no published version"},
        {"from_number: must be an E.164 number (+18885550000)",
         "fromNumber: must be an E.164 number (+18885550000)"},
        {"minutes: must be an integer from 1 to 1000000000",
         "durationMinutes: must be an integer from 1 to 1000000000"},
        {"event_id: must not be empty", "eventId: must not be empty"},
        {"message.template.name: is required", "message.template.name: is required"},
        {"message: the WhatsApp 24-hour window with +14155550101 is closed",
         "message: the WhatsApp 24-hour window with +14155550101 is closed"},
        {"text: the WhatsApp 24-hour customer-service window is closed",
         "text: the WhatsApp 24-hour customer-service window is closed"},
        {"request: not valid JSON: syntax error", "request: not valid JSON: syntax error"},
        {"event 'answered' is not allowed in status 'completed'",
         "event 'answered' is not allowed in status 'completed'"},
        {"", ""},
    };
    for (const auto &[native, expected] : wassist)
        EXPECT_EQ(message_in_format(Format::wassist, native), expected);
    const std::pair<const char *, const char *> helloannie[] = {
        {"user_id: longer than 256 bytes", "toNumber: longer than 256 bytes"},
        {"agent_id: unknown agent 'b'", "botId: unknown agent 'b'"},
        {"channel: must be one of telephone, webrtc, email, text, sms, whatsapp",
         "medium: must be one of telephone, webrtc, email, text, sms, whatsapp"},
        {"messages[12].text: must not be empty", "messages[12].input: must not be empty"},
        {"messages[3].role: must be one of user, agent",
         "messages[3].role: must be one of user, agent"},
        {"messages: more than 1000 items", "messages: more than 1000 items"},
        {"idle_timeout_minutes: must be an integer from 1 to 1000000000",
         "idleTimeoutMinutes: must be an integer from 1 to 1000000000"},
        {"max_open_minutes: must be an integer from 1 to 1000000000",
         "maxOpenMinutes: must be an integer from 1 to 1000000000"},
        {"text, template: give one, not both", "input, template: give one, not both"},
        {"text: is required", "input: is required"},
        {"text.x: odd", "input.x: odd"},
        {"texts: is required", "texts: is required"},
        {"messages.text: odd", "messages.text: odd"},  // not an index: not the seed messages' text
        {"skip_notifications: must be a boolean", "skipNotifications: must be a boolean"},
        {"annotate: needs at least one of summary, topic, actions_needed, tags, recording_details",
         "annotate: needs at least one of summary, topic, actionsNeeded, tags, recordingDetails"},
    };
    for (const auto &[native, expected] : helloannie) {
        EXPECT_EQ(message_in_format(Format::helloannie, native), expected);
    }
}

TEST(FormatErrors, OutcomesKeepTheirCode) {
    const Outcome natives[] = {Outcome::invalid("user_id: x"), Outcome::precondition("agent_id: x"),
                               Outcome::forbidden("scope: x"), Outcome::not_found("conversation x"),
                               Outcome::conflict("role: x"),   Outcome::storage("x"),
                               Outcome::internal("x"),         Outcome::misuse("session: x")};
    for (const Outcome &native : natives) {
        Outcome o = outcome_in_format(Format::helloannie, native);
        EXPECT_EQ(o.code(), native.code());
        EXPECT_EQ(o.message(), message_in_format(Format::helloannie, native.message()));
    }
    EXPECT_EQ(
        outcome_in_format(Format::helloannie, Outcome::precondition("agent_id: unknown agent 'b'"))
            .message(),
        "botId: unknown agent 'b'");
    EXPECT_TRUE(outcome_in_format(Format::wassist, Outcome::ok()).is_ok());
}

}  // namespace
}  // namespace convo
