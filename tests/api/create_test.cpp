// convo_create as a host sees it: each channel's response, agent resolution, and the
// conversation JSON a create produces (docs/c-api.md "Create" and "The conversation").
#include "harness.h"

#include <cstdio>
#include <ctime>
#include <regex>
#include <set>
#include <string>

using namespace convo_test;

namespace {

const std::regex kTimeRe(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
const std::regex kUuidRe(
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
const std::regex kUuidV7Re(
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$");

// Unix ms -> "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string iso(int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    int rem = static_cast<int>(ms % 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char head[32];
    std::strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", head, rem);
    return out;
}

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

std::set<std::string> keys_of(const json &j) {
    std::set<std::string> k;
    for (auto it = j.begin(); it != j.end(); ++it) k.insert(it.key());
    return k;
}

bool url_safe_token(const std::string &t) {
    // base64url: [A-Za-z0-9_-], optionally '=' padding; >= 22 symbols is >= 128 bits.
    static const std::regex re("^([A-Za-z0-9_-]{22,})=*$");
    return std::regex_match(t, re);
}

// An agent with two published versions (listed out of order) and an unpublished third.
json multi_agent() {
    return json{{"id", "agent_multi"},
                {"name", "Multi"},
                {"versions",
                 json::array({json{{"version", 2},
                                   {"published", true},
                                   {"greeting", "v2 hello"},
                                   {"speaks_first", true},
                                   {"default_subject", "Subject v2"},
                                   {"capabilities",
                                    {{"supportsVideoInput", false}, {"supportsScreenShare", false}}}},
                              json{{"version", 3},
                                   {"published", false},
                                   {"greeting", "v3 hello"},
                                   {"speaks_first", true}},
                              json{{"version", 1},
                                   {"published", true},
                                   {"greeting", "v1 hello"},
                                   {"speaks_first", true},
                                   {"default_subject", "Subject v1"},
                                   {"capabilities",
                                    {{"supportsVideoInput", true},
                                     {"supportsScreenShare", false}}}}})}};
}

// The "id" of version `n` in an agent put/get output ("" if absent).
std::string version_id(const json &agent, int n) {
    for (const json &v : agent.at("versions"))
        if (v.at("version") == n) return v.value("id", std::string());
    return "";
}

class CreateSpec : public ApiTest {
protected:
    void SetUp() override {
        ApiTest::SetUp();
        if (HasFatalFailure()) return;
        Call a = agent_get(s_, "agent_abc");
        ASSERT_TRUE(a.ok()) << a.error;
        abc_ = a.body;
        Call m = agent_put(s_, multi_agent());
        ASSERT_TRUE(m.ok()) << m.error;
        multi_ = m.body;
    }
    // Creates and returns the whole call; fails the test if not OK.
    Call must_create(const json &request) {
        Call c = create(s_, request);
        EXPECT_TRUE(c.ok()) << c.error << " for " << request.dump();
        return c;
    }
    json abc_;
    json multi_;
};

// ---------------------------------------------------------------------------------------
// Per-channel responses

TEST_F(CreateSpec, TextIs200WithConversationAndGreeting) {
    Call c = must_create(request_for("text"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(keys_of(c.body), (std::set<std::string>{"conversation", "starting_message"}));
    EXPECT_EQ(c.body["starting_message"], "Hi! How can I help?");
    const json &cv = c.body["conversation"];
    EXPECT_EQ(cv["status"], "in_progress");
    EXPECT_EQ(cv["channel"], "text");
    EXPECT_EQ(cv["direction"], "outbound");
    EXPECT_EQ(cv["started_at"], kStart);
    ASSERT_TRUE(cv["conversation"]["messages"].is_array());
    ASSERT_EQ(cv["conversation"]["messages"].size(), 1u);
    const json &m = cv["conversation"]["messages"][0];
    EXPECT_EQ(m["role"], "agent");
    EXPECT_EQ(m["text"], "Hi! How can I help?");
    EXPECT_EQ(m["at"], kStart);
    // The response's conversation is the stored conversation.
    EXPECT_EQ(cv, conv(cv["id"].get<std::string>()));
}

TEST_F(CreateSpec, TextInboundAlsoStartsInProgress) {
    Call c = must_create(request_for("text", "inbound"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(c.body["conversation"]["status"], "in_progress");
    EXPECT_EQ(c.body["conversation"]["direction"], "inbound");
}

TEST_F(CreateSpec, TextStartingMessageNullWhenAgentDoesNotSpeakFirst) {
    json quiet{{"id", "agent_quiet"},
               {"name", "Quiet"},
               {"versions", json::array({json{{"version", 1},
                                              {"published", true},
                                              {"greeting", "You should not see this"},
                                              {"speaks_first", false}}})}};
    ASSERT_TRUE(agent_put(s_, quiet).ok());
    json r = request_for("text");
    r["agent_id"] = "agent_quiet";
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    ASSERT_TRUE(c.body.contains("starting_message"));
    EXPECT_TRUE(c.body["starting_message"].is_null());
    EXPECT_EQ(c.body["conversation"]["status"], "in_progress");
    EXPECT_EQ(c.body["conversation"]["conversation"]["messages"], json::array());
}

TEST_F(CreateSpec, TextStartingMessageNullWhenAgentHasNoGreeting) {
    json r{{"channel", "text"},
           {"user_id", "user_42"},
           {"agent_config", {{"name", "Inline"}, {"speaks_first", true}}}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.body.contains("starting_message"));
    EXPECT_TRUE(c.body["starting_message"].is_null());
    EXPECT_EQ(c.body["conversation"]["conversation"]["messages"], json::array());
}

TEST_F(CreateSpec, EmailIs200WithNullStartingMessageAndDefaultSubject) {
    Call c = must_create(request_for("email"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(keys_of(c.body), (std::set<std::string>{"conversation", "starting_message"}));
    // Null even though the agent speaks first: the email greeting is sent asynchronously.
    EXPECT_TRUE(c.body["starting_message"].is_null());
    const json &cv = c.body["conversation"];
    EXPECT_EQ(cv["status"], "triggered");
    EXPECT_EQ(cv["channel"], "email");
    EXPECT_EQ(cv["subject"], "Hello from Support");
    EXPECT_EQ(cv["to_address"], "customer@example.com");
    EXPECT_TRUE(cv["from_address"].is_null());
    EXPECT_TRUE(cv["started_at"].is_null());
    EXPECT_EQ(cv, conv(cv["id"].get<std::string>()));
}

TEST_F(CreateSpec, EmailSubjectAndFromAddressFromRequest) {
    json r = request_for("email");
    r["subject"] = "About your order";
    r["from_address"] = "support@example.org";
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["conversation"]["subject"], "About your order");
    EXPECT_EQ(c.body["conversation"]["from_address"], "support@example.org");
}

TEST_F(CreateSpec, EmailSubjectFromTheChosenVersionsDefault) {
    json r = request_for("email");
    r["agent_id"] = "agent_multi";
    r["version"] = 1;
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["conversation"]["subject"], "Subject v1");
}

TEST_F(CreateSpec, EmailSubjectNullWhenNeitherRequestNorAgentHasOne) {
    json r{{"channel", "email"},
           {"user_id", "user_42"},
           {"to_address", "customer@example.com"},
           {"agent_config", {{"greeting", "Hello"}}}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c.body["conversation"]["subject"].is_null());
}

TEST_F(CreateSpec, EmailInboundIsTriggered) {
    Call c = must_create(request_for("email", "inbound"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(c.body["conversation"]["status"], "triggered");
    EXPECT_TRUE(c.body["starting_message"].is_null());
}

TEST_F(CreateSpec, WebrtcIs200WithConnectionDetailsAndCapabilities) {
    Call c = must_create(request_for("webrtc"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(keys_of(c.body),
              (std::set<std::string>{"conversation", "connection_details", "capabilities"}));
    const json &cd = c.body["connection_details"];
    ASSERT_TRUE(cd.is_object());
    EXPECT_EQ(cd["url"], "wss://localhost/rtc");
    ASSERT_TRUE(cd["token"].is_string());
    EXPECT_TRUE(url_safe_token(cd["token"].get<std::string>())) << cd["token"];
    EXPECT_EQ(c.body["capabilities"],
              (json{{"supportsVideoInput", false}, {"supportsScreenShare", true}}));
    const json &cv = c.body["conversation"];
    EXPECT_EQ(cv["status"], "token_created");
    EXPECT_EQ(cv["channel"], "webrtc");
    EXPECT_TRUE(cv["started_at"].is_null());
    EXPECT_EQ(cv, conv(cv["id"].get<std::string>()));
}

TEST_F(CreateSpec, WebrtcTokensAreDistinct) {
    std::set<std::string> tokens;
    for (int i = 0; i < 20; ++i) {
        Call c = must_create(request_for("webrtc"));
        ASSERT_TRUE(c.ok());
        std::string t = c.body["connection_details"]["token"].get<std::string>();
        EXPECT_TRUE(url_safe_token(t)) << t;
        tokens.insert(t);
    }
    EXPECT_EQ(tokens.size(), 20u);
}

TEST_F(CreateSpec, WebrtcCapabilitiesComeFromTheChosenVersion) {
    json r = request_for("webrtc");
    r["agent_id"] = "agent_multi";
    r["version"] = 1;
    Call c1 = must_create(r);
    ASSERT_TRUE(c1.ok());
    EXPECT_EQ(c1.body["capabilities"],
              (json{{"supportsVideoInput", true}, {"supportsScreenShare", false}}));
    r.erase("version");  // latest = version 2
    Call c2 = must_create(r);
    ASSERT_TRUE(c2.ok());
    EXPECT_EQ(c2.body["capabilities"],
              (json{{"supportsVideoInput", false}, {"supportsScreenShare", false}}));
}

TEST_F(CreateSpec, WebrtcCapabilitiesDefaultToFalse) {
    json r{{"channel", "webrtc"}, {"user_id", "user_42"}, {"agent_config", {{"greeting", "Hi"}}}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["capabilities"],
              (json{{"supportsVideoInput", false}, {"supportsScreenShare", false}}));
    r["agent_config"]["capabilities"] = {{"supportsVideoInput", true}};
    Call c2 = must_create(r);
    ASSERT_TRUE(c2.ok());
    EXPECT_EQ(c2.body["capabilities"],
              (json{{"supportsVideoInput", true}, {"supportsScreenShare", false}}));
}

TEST_F(CreateSpec, WebrtcInboundIsTokenCreated) {
    Call c = must_create(request_for("webrtc", "inbound"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(c.body["conversation"]["status"], "token_created");
}

class CreateSpecWebrtcUrl : public CreateSpec {
protected:
    json options() const override { return {{"webrtc_url", "wss://rtc.example.com/join"}}; }
};

TEST_F(CreateSpecWebrtcUrl, UrlComesFromTheOption) {
    Call c = must_create(request_for("webrtc"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["connection_details"]["url"], "wss://rtc.example.com/join");
}

TEST_F(CreateSpec, TelephoneOutboundIs202WithContactIdAndTriggered) {
    Call c = must_create(request_for("telephone"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 202);
    ASSERT_EQ(keys_of(c.body), (std::set<std::string>{"contact_id"}));
    ASSERT_TRUE(c.body["contact_id"].is_string());
    std::string id = c.body["contact_id"];
    EXPECT_TRUE(std::regex_match(id, kUuidRe)) << id;
    json cv = conv(id);
    EXPECT_EQ(cv["id"], id);
    EXPECT_EQ(cv["status"], "triggered");
    EXPECT_EQ(cv["channel"], "telephone");
    EXPECT_EQ(cv["direction"], "outbound");
    EXPECT_EQ(cv["user_id"], "+14155551234");
    // agent_id without agent_number: the agent's phone_number.
    EXPECT_EQ(cv["agent_number"], "+18885550000");
    EXPECT_EQ(cv["agent_id"], "agent_abc");
    EXPECT_EQ(cv["agent_version_id"], version_id(abc_, 1));
    EXPECT_TRUE(cv["started_at"].is_null());
}

TEST_F(CreateSpec, TelephoneInboundIsRinging) {
    Call c = must_create(request_for("telephone", "inbound"));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 202);
    ASSERT_EQ(keys_of(c.body), (std::set<std::string>{"contact_id"}));
    json cv = conv(c.body["contact_id"].get<std::string>());
    EXPECT_EQ(cv["status"], "ringing");
    EXPECT_EQ(cv["direction"], "inbound");
}

TEST_F(CreateSpec, TelephoneAgentNumberAloneSelectsThatAgent) {
    json xyz = standard_agent("agent_xyz", "+18885550001");
    xyz["name"] = "Sales";
    Call put = agent_put(s_, xyz);
    ASSERT_TRUE(put.ok()) << put.error;

    for (std::string dir : {"outbound", "inbound"}) {
        json r{{"channel", "telephone"},
               {"direction", dir},
               {"user_id", "+14155551234"},
               {"agent_number", "+18885550001"}};
        Call c = must_create(r);
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(c.http, 202);
        json cv = conv(c.body["contact_id"].get<std::string>());
        EXPECT_EQ(cv["agent_id"], "agent_xyz");
        EXPECT_EQ(cv["agent_version_id"], version_id(put.body, 1));
        EXPECT_EQ(cv["agent_number"], "+18885550001");
        EXPECT_EQ(cv["agent"], (json{{"id", "agent_xyz"}, {"name", "Sales"}}));
        EXPECT_EQ(cv["status"], dir == "outbound" ? "triggered" : "ringing");
    }
    json r{{"channel", "telephone"}, {"user_id", "+14155551234"}, {"agent_number", "+18885550000"}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(conv(c.body["contact_id"].get<std::string>())["agent_id"], "agent_abc");
}

// ---------------------------------------------------------------------------------------
// Agent resolution

TEST_F(CreateSpec, AgentIdAloneUsesTheHighestPublishedVersion) {
    json r = request_for("text");
    r["agent_id"] = "agent_multi";
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["starting_message"], "v2 hello");
    EXPECT_EQ(c.body["conversation"]["agent_id"], "agent_multi");
    EXPECT_EQ(c.body["conversation"]["agent_version_id"], version_id(multi_, 2));
}

TEST_F(CreateSpec, AgentIdWithVersionNumber) {
    json r = request_for("text");
    r["agent_id"] = "agent_multi";
    r["version"] = 1;
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["starting_message"], "v1 hello");
    EXPECT_EQ(c.body["conversation"]["agent_version_id"], version_id(multi_, 1));
}

TEST_F(CreateSpec, AgentIdWithVersionLatest) {
    json r = request_for("text");
    r["agent_id"] = "agent_multi";
    r["version"] = "latest";
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["starting_message"], "v2 hello");
    EXPECT_EQ(c.body["conversation"]["agent_version_id"], version_id(multi_, 2));
}

TEST_F(CreateSpec, AgentVersionIdSelectsThatVersionAndItsAgent) {
    json r{{"channel", "text"}, {"user_id", "user_42"}, {"agent_version_id", version_id(multi_, 1)}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["starting_message"], "v1 hello");
    EXPECT_EQ(c.body["conversation"]["agent_id"], "agent_multi");
    EXPECT_EQ(c.body["conversation"]["agent_version_id"], version_id(multi_, 1));
    EXPECT_EQ(c.body["conversation"]["agent"], (json{{"id", "agent_multi"}, {"name", "Multi"}}));
}

TEST_F(CreateSpec, AgentConfigInlineIsUsed) {
    json r{{"channel", "text"},
           {"user_id", "user_42"},
           {"agent_config", {{"name", "Inline Bot"}, {"greeting", "Inline hi"}, {"speaks_first", true}}}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.http, 200);
    EXPECT_EQ(c.body["starting_message"], "Inline hi");
    ASSERT_EQ(c.body["conversation"]["conversation"]["messages"].size(), 1u);
    EXPECT_EQ(c.body["conversation"]["conversation"]["messages"][0]["text"], "Inline hi");
}

TEST_F(CreateSpec, AgentConfigAllowsExtraPropertiesButChecksKnownOnes) {
    // AnyReach: agent_config has additionalProperties: true.
    json r{{"channel", "text"},
           {"user_id", "user_42"},
           {"agent_config", {{"greeting", "Hi"}, {"prompt", "Be brief."}, {"voice", {{"id", "v1"}}}}}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["starting_message"], "Hi");

    r["agent_config"]["speaks_first"] = "yes";
    Call bad = create(s_, r);
    EXPECT_EQ(bad.code, CONVO_EINVALID);
    EXPECT_NE(bad.error.find("agent_config.speaks_first"), std::string::npos) << bad.error;
}

TEST_F(CreateSpec, AgentConfigSpeaksFirstDefaultsToTrue) {
    json r{{"channel", "text"}, {"user_id", "user_42"}, {"agent_config", {{"greeting", "Default hi"}}}};
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["starting_message"], "Default hi");
}

// ---------------------------------------------------------------------------------------
// The conversation JSON

TEST_F(CreateSpec, EveryConversationFieldIsPresentWithItsType) {
    Call c = must_create(request_for("text"));
    ASSERT_TRUE(c.ok());
    const json cv = c.body["conversation"];
    const char *all[] = {"id", "organization_id", "direction", "channel", "status", "user_id",
                         "agent_id", "agent_version_id", "agent_number", "web_widget_id",
                         "duration", "user_turn_count", "created_at", "updated_at", "agent",
                         "summary", "initial_context", "custom_metadata", "conversation",
                         "recording_details", "end_reason", "started_at", "ended_at",
                         "idle_timeout_minutes", "max_open_minutes", "expires_at", "to_address",
                         "from_address", "subject", "tags", "topic", "actions_needed",
                         "transferred_to"};
    for (const char *k : all) EXPECT_TRUE(cv.contains(k)) << "missing key " << k;

    ASSERT_TRUE(cv["id"].is_string());
    EXPECT_TRUE(std::regex_match(cv["id"].get<std::string>(), kUuidRe)) << cv["id"];
    EXPECT_EQ(cv["organization_id"], "org_a");
    EXPECT_EQ(cv["direction"], "outbound");
    EXPECT_EQ(cv["channel"], "text");
    EXPECT_EQ(cv["status"], "in_progress");
    EXPECT_EQ(cv["user_id"], "user_42");
    EXPECT_EQ(cv["agent_id"], "agent_abc");
    ASSERT_TRUE(cv["agent_version_id"].is_string());
    EXPECT_EQ(cv["agent_version_id"], version_id(abc_, 1));
    EXPECT_TRUE(std::regex_match(cv["agent_version_id"].get<std::string>(), kUuidRe));
    EXPECT_TRUE(cv["agent_number"].is_null());
    EXPECT_TRUE(cv["web_widget_id"].is_null());
    EXPECT_TRUE(cv["duration"].is_number_integer());
    EXPECT_EQ(cv["duration"], 0);
    EXPECT_TRUE(cv["user_turn_count"].is_number_integer());
    EXPECT_EQ(cv["user_turn_count"], 0);
    EXPECT_EQ(cv["created_at"], kStart);
    EXPECT_EQ(cv["updated_at"], kStart);
    EXPECT_EQ(cv["started_at"], kStart);
    EXPECT_TRUE(cv["ended_at"].is_null());
    EXPECT_TRUE(cv["end_reason"].is_null());
    EXPECT_TRUE(cv["idle_timeout_minutes"].is_null());
    EXPECT_EQ(cv["max_open_minutes"], 1440);
    EXPECT_TRUE(cv["max_open_minutes"].is_number_integer());
    EXPECT_EQ(cv["expires_at"], iso(kStartMs + 1440 * kMin));
    EXPECT_TRUE(cv["to_address"].is_null());
    EXPECT_TRUE(cv["from_address"].is_null());
    EXPECT_TRUE(cv["subject"].is_null());
    EXPECT_EQ(cv["tags"], json::array());
    EXPECT_TRUE(cv["topic"].is_null());
    EXPECT_EQ(cv["actions_needed"], json::array());
    EXPECT_TRUE(cv["transferred_to"].is_null());
    EXPECT_EQ(cv["agent"], (json{{"id", "agent_abc"}, {"name", "Support"}}));
    EXPECT_TRUE(cv["summary"].is_null());
    EXPECT_TRUE(cv["initial_context"].is_null());
    EXPECT_TRUE(cv["custom_metadata"].is_null());
    ASSERT_TRUE(cv["conversation"].is_object());
    EXPECT_TRUE(cv["conversation"]["messages"].is_array());
    EXPECT_TRUE(cv["recording_details"].is_null());
}

TEST_F(CreateSpec, EveryChannelHasEveryFieldWithItsType) {
    const char *times[] = {"created_at", "updated_at", "started_at", "ended_at", "expires_at"};
    const char *nullable_strings[] = {"agent_number", "web_widget_id", "end_reason",
                                      "to_address",   "from_address",  "subject",
                                      "topic",        "transferred_to", "summary",
                                      "initial_context"};
    for (const char *ch : {"text", "email", "webrtc", "telephone"}) {
        for (const char *dir : {"outbound", "inbound"}) {
            json cv = conv(make(ch, dir));
            SCOPED_TRACE(std::string(ch) + " " + dir);
            EXPECT_EQ(cv["channel"], ch);
            EXPECT_EQ(cv["direction"], dir);
            EXPECT_EQ(cv["organization_id"], "org_a");
            EXPECT_EQ(cv["agent_id"], "agent_abc");
            EXPECT_EQ(cv["agent_version_id"], version_id(abc_, 1));
            EXPECT_EQ(cv["agent"], (json{{"id", "agent_abc"}, {"name", "Support"}}));
            EXPECT_TRUE(cv["user_id"].is_string());
            EXPECT_TRUE(cv["status"].is_string());
            EXPECT_TRUE(cv["duration"].is_null() || cv["duration"].is_number_integer());
            EXPECT_EQ(cv["user_turn_count"], 0);
            EXPECT_TRUE(cv["idle_timeout_minutes"].is_null());
            EXPECT_EQ(cv["max_open_minutes"], 1440);
            EXPECT_EQ(cv["tags"], json::array());
            EXPECT_EQ(cv["actions_needed"], json::array());
            EXPECT_TRUE(cv["custom_metadata"].is_null());
            EXPECT_TRUE(cv["recording_details"].is_null());
            ASSERT_TRUE(cv["conversation"].is_object());
            EXPECT_TRUE(cv["conversation"]["messages"].is_array());
            for (const char *k : times) {
                ASSERT_TRUE(cv.contains(k)) << k;
                if (cv[k].is_null()) continue;
                ASSERT_TRUE(cv[k].is_string()) << k;
                EXPECT_TRUE(std::regex_match(cv[k].get<std::string>(), kTimeRe)) << k;
            }
            EXPECT_EQ(cv["created_at"], kStart);
            EXPECT_TRUE(cv["ended_at"].is_null());
            EXPECT_TRUE(cv["expires_at"].is_string());
            for (const char *k : nullable_strings) {
                ASSERT_TRUE(cv.contains(k)) << k;
                EXPECT_TRUE(cv[k].is_null() || cv[k].is_string()) << k << "=" << cv[k];
            }
        }
    }
}

TEST_F(CreateSpec, GeneratedIdsAreUuidV7AndDistinct) {
    std::set<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        engine_->advance(1);
        std::string id = make("text");
        EXPECT_TRUE(std::regex_match(id, kUuidV7Re)) << id;
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 5u);
}

TEST_F(CreateSpec, ClientIdIsTheConversationId) {
    const std::string id = "0190b8c2-7d4e-4abc-8def-0123456789ab";
    json r = request_for("text");
    r["id"] = id;
    Call c = must_create(r);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["conversation"]["id"], id);
    EXPECT_EQ(conv(id)["id"], id);

    const std::string tid = "7d4e0190-b8c2-1abc-9def-0123456789ab";
    json t = request_for("telephone");
    t["id"] = tid;
    Call ct = must_create(t);
    ASSERT_TRUE(ct.ok());
    EXPECT_EQ(ct.body, (json{{"contact_id", tid}}));
}

TEST_F(CreateSpec, TimesAreRfc3339WithMillisecondsAndZ) {
    engine_->advance(1234);
    Call c = must_create(request_for("text"));
    ASSERT_TRUE(c.ok());
    const json &cv = c.body["conversation"];
    const std::string t = "2026-01-01T00:00:01.234Z";
    EXPECT_EQ(cv["created_at"], t);
    EXPECT_EQ(cv["updated_at"], t);
    EXPECT_EQ(cv["started_at"], t);
    EXPECT_EQ(cv["conversation"]["messages"][0]["at"], t);
    for (const char *k : {"created_at", "updated_at", "started_at", "expires_at"}) {
        ASSERT_TRUE(cv[k].is_string()) << k;
        EXPECT_TRUE(std::regex_match(cv[k].get<std::string>(), kTimeRe)) << k << "=" << cv[k];
    }
    EXPECT_EQ(cv["expires_at"], "2026-01-02T00:00:01.234Z");
}

TEST_F(CreateSpec, ExpiresAtIsTheEarliestClosingDeadlinePerChannel) {
    // text: max-open only (no idle given).
    EXPECT_EQ(conv(make("text"))["expires_at"], iso(kStartMs + 1440 * kMin));
    // text with idle: the idle deadline.
    EXPECT_EQ(conv(make("text", "outbound", {{"idle_timeout_minutes", 5}}))["expires_at"],
              iso(kStartMs + 5 * kMin));
    // email waits in triggered: idle is not armed there, so max-open.
    EXPECT_EQ(conv(make("email", "outbound", {{"idle_timeout_minutes", 5}}))["expires_at"],
              iso(kStartMs + 1440 * kMin));
    // telephone outbound: the dial timeout (300 s).
    EXPECT_EQ(conv(make("telephone"))["expires_at"], iso(kStartMs + 300 * kSec));
    // telephone inbound: the ring timeout (60 s).
    EXPECT_EQ(conv(make("telephone", "inbound"))["expires_at"], iso(kStartMs + 60 * kSec));
    // webrtc: the join token's ttl (600 s).
    EXPECT_EQ(conv(make("webrtc"))["expires_at"], iso(kStartMs + 600 * kSec));
    // a max-open shorter than the dial timeout wins.
    EXPECT_EQ(conv(make("telephone", "outbound", {{"max_open_minutes", 3}}))["expires_at"],
              iso(kStartMs + 3 * kMin));
}

class CreateSpecTimeouts : public CreateSpec {
protected:
    json options() const override {
        return {{"ring_timeout_seconds", 30},
                {"dial_timeout_seconds", 45},
                {"token_ttl_seconds", 90},
                {"platform_max_open_minutes", 60}};
    }
};

TEST_F(CreateSpecTimeouts, DeadlinesFollowTheEngineOptions) {
    EXPECT_EQ(conv(make("telephone", "inbound"))["expires_at"], iso(kStartMs + 30 * kSec));
    EXPECT_EQ(conv(make("telephone"))["expires_at"], iso(kStartMs + 45 * kSec));
    EXPECT_EQ(conv(make("webrtc"))["expires_at"], iso(kStartMs + 90 * kSec));
    json t = conv(make("text"));
    EXPECT_EQ(t["max_open_minutes"], 60);
    EXPECT_EQ(t["expires_at"], iso(kStartMs + 60 * kMin));
}

TEST_F(CreateSpecTimeouts, MinutesAreClampedToThePlatformMax) {
    json t = conv(make("text", "outbound", {{"idle_timeout_minutes", 90}, {"max_open_minutes", 61}}));
    EXPECT_EQ(t["idle_timeout_minutes"], 60);
    EXPECT_EQ(t["max_open_minutes"], 60);
    json u = conv(make("text", "outbound", {{"idle_timeout_minutes", 60}, {"max_open_minutes", 59}}));
    EXPECT_EQ(u["idle_timeout_minutes"], 60);
    EXPECT_EQ(u["max_open_minutes"], 59);
}

TEST_F(CreateSpec, IdleAndMaxOpenMinutesAreEchoedAndClamped) {
    json a = conv(make("text", "outbound", {{"idle_timeout_minutes", 7}, {"max_open_minutes", 30}}));
    EXPECT_EQ(a["idle_timeout_minutes"], 7);
    EXPECT_EQ(a["max_open_minutes"], 30);
    EXPECT_EQ(a["expires_at"], iso(kStartMs + 7 * kMin));
    json b = conv(make("text", "outbound", {{"max_open_minutes", 30}}));
    EXPECT_TRUE(b["idle_timeout_minutes"].is_null());
    EXPECT_EQ(b["expires_at"], iso(kStartMs + 30 * kMin));
    json c = conv(make("text", "outbound", {{"idle_timeout_minutes", 5000}, {"max_open_minutes", 5000}}));
    EXPECT_EQ(c["idle_timeout_minutes"], 1440);
    EXPECT_EQ(c["max_open_minutes"], 1440);
    json d = conv(make("text", "outbound", {{"idle_timeout_minutes", 1}, {"max_open_minutes", 1}}));
    EXPECT_EQ(d["idle_timeout_minutes"], 1);
    EXPECT_EQ(d["max_open_minutes"], 1);
}

TEST_F(CreateSpec, CustomMetadataIsEchoed) {
    json meta{{"tier", "gold"},
              {"n", 3},
              {"flag", true},
              {"nested", {{"a", json::array({1, "two", nullptr})}, {"b", {{"c", 1.5}}}}}};
    Call c = must_create([&] {
        json r = request_for("text");
        r["custom_metadata"] = meta;
        return r;
    }());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.body["conversation"]["custom_metadata"], meta);
    EXPECT_EQ(conv(c.body["conversation"]["id"].get<std::string>())["custom_metadata"], meta);

    // Empty object is echoed as an empty object.
    json e = request_for("webrtc");
    e["custom_metadata"] = json::object();
    Call ce = must_create(e);
    ASSERT_TRUE(ce.ok());
    EXPECT_EQ(ce.body["conversation"]["custom_metadata"], json::object());
}

TEST_F(CreateSpec, InitialContextAndWebWidgetIdAreEchoed) {
    std::string id = make("text", "outbound",
                          {{"initial_context", "Customer is a returning VIP."},
                           {"web_widget_id", "widget_9"}});
    json cv = conv(id);
    EXPECT_EQ(cv["initial_context"], "Customer is a returning VIP.");
    EXPECT_EQ(cv["web_widget_id"], "widget_9");
}

// ---------------------------------------------------------------------------------------
// duration

TEST_F(CreateSpec, DurationOfTextRunsFromCreationUntilEnd) {
    std::string id = make("text");
    EXPECT_EQ(conv(id)["duration"], 0);
    engine_->advance(90 * kSec);
    EXPECT_EQ(conv(id)["duration"], 90);
    Call e = dispatch(s_, id, {{"type", "end"}});
    ASSERT_TRUE(e.ok()) << e.error;
    EXPECT_EQ(e.body["duration"], 90);
    EXPECT_EQ(e.body["ended_at"], iso(kStartMs + 90 * kSec));
    engine_->advance(1000 * kSec);
    EXPECT_EQ(conv(id)["duration"], 90);
}

TEST_F(CreateSpec, DurationIsNullUntilTheConversationStarts) {
    std::string tel = make("telephone");
    std::string rtc = make("webrtc");
    std::string mail = make("email");
    EXPECT_TRUE(conv(tel)["duration"].is_null());
    EXPECT_TRUE(conv(rtc)["duration"].is_null());
    EXPECT_TRUE(conv(mail)["duration"].is_null());
    engine_->advance(10 * kSec);
    EXPECT_TRUE(conv(tel)["duration"].is_null());
    EXPECT_TRUE(conv(rtc)["duration"].is_null());
    EXPECT_TRUE(conv(mail)["duration"].is_null());

    ASSERT_TRUE(dispatch(s_, tel, {{"type", "answered"}}).ok());
    ASSERT_TRUE(dispatch(s_, rtc, {{"type", "joined"}}).ok());
    ASSERT_TRUE(dispatch(s_, mail, {{"type", "delivered"}}).ok());
    for (const std::string &id : {tel, rtc, mail}) {
        json cv = conv(id);
        EXPECT_EQ(cv["started_at"], iso(kStartMs + 10 * kSec));
        EXPECT_EQ(cv["duration"], 0);
    }
    engine_->advance(45 * kSec);
    EXPECT_EQ(conv(tel)["duration"], 45);
    EXPECT_EQ(conv(rtc)["duration"], 45);
    EXPECT_EQ(conv(mail)["duration"], 45);
}

TEST_F(CreateSpec, DurationStaysNullWhenEndedBeforeStarting) {
    std::string tel = make("telephone");
    engine_->advance(5 * kSec);
    Call c = dispatch(s_, tel, {{"type", "cancel"}});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_TRUE(c.body["duration"].is_null());
    EXPECT_TRUE(c.body["started_at"].is_null());
    EXPECT_EQ(c.body["ended_at"], iso(kStartMs + 5 * kSec));
    engine_->advance(5 * kSec);
    EXPECT_TRUE(conv(tel)["duration"].is_null());
}

// ---------------------------------------------------------------------------------------
// max_open_per_organization

class CreateSpecUsageLimit : public CreateSpec {
protected:
    json options() const override { return {{"max_open_per_organization", 2}}; }
};

TEST_F(CreateSpecUsageLimit, CreateBeyondTheLimitIsAPreconditionFailure) {
    std::string a = make("text");
    std::string b = make("telephone");
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    Call before = events(s_);
    ASSERT_TRUE(before.ok());

    for (const char *ch : {"text", "email", "webrtc", "telephone"}) {
        Call c = create(s_, request_for(ch));
        EXPECT_EQ(c.code, CONVO_EPRECONDITION) << ch;
        EXPECT_NE(c.error.find("usage limit reached"), std::string::npos) << c.error;
        EXPECT_TRUE(c.body.is_null());
    }
    Call l = list(s_);
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l.body["items"].size(), 2u);
    EXPECT_EQ(events(s_).body, before.body);

    // The limit is per organization.
    convo_session *other = engine_->session("org_b");
    ASSERT_TRUE(agent_put(other, standard_agent()).ok());
    EXPECT_TRUE(create(other, request_for("text")).ok());
}

TEST_F(CreateSpecUsageLimit, ClosingAConversationFreesItsSlot) {
    std::string a = make("text");
    make("text");
    ASSERT_EQ(create(s_, request_for("text")).code, CONVO_EPRECONDITION);
    ASSERT_TRUE(dispatch(s_, a, {{"type", "end"}}).ok());
    Call c = create(s_, request_for("text"));
    EXPECT_TRUE(c.ok()) << c.error;
}

}  // namespace
