// Every validation rule of the C API, each as its own case: the right code, an error that
// names the field (docs/c-api.md: "<field>: <rule>"), and nothing changed. Also NULL
// handles/arguments, the code tables, convo_last_error(), convo_version() and the clock.
#include "assertions.h"
#include "harness.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

using namespace convo_test;

namespace {

// A pointer no allocator returns: lets us see that a failing call set *out_json to NULL.
char *sentinel() { return reinterpret_cast<char *>(static_cast<uintptr_t>(0x1)); }

struct Raw {
    convo_code code = CONVO_EINTERNAL;
    std::string error;
    bool out_null = false;  // *out_json was set to NULL
};

Raw finish_raw(convo_code code, char *out) {
    Raw r;
    r.code = code;
    r.error = convo_last_error();
    r.out_null = out == nullptr;
    if (out != nullptr && out != sentinel()) convo_free(out);
    return r;
}

Raw create_checked(convo_session *s, const std::string &request) {
    char *out = sentinel();
    int http = 0;
    convo_code code = convo_create(s, request.c_str(), &out, &http);
    return finish_raw(code, out);
}
Raw dispatch_checked(convo_session *s, const std::string &id, const std::string &event) {
    char *out = sentinel();
    convo_code code = convo_dispatch(s, id.c_str(), event.c_str(), &out);
    return finish_raw(code, out);
}
Raw agent_put_checked(convo_session *s, const std::string &agent) {
    char *out = sentinel();
    convo_code code = convo_agent_put(s, agent.c_str(), &out);
    return finish_raw(code, out);
}

// What a failed call must not change: the organization's conversations and its feed.
struct Snapshot {
    json items;
    json feed;
};
Snapshot snapshot(convo_session *s) {
    Call l = list(s, {{"limit", 100}});
    Call e = events(s, 0, 1000);
    EXPECT_TRUE(l.ok()) << l.error;
    EXPECT_TRUE(e.ok()) << e.error;
    return {l.body, e.body};
}
void expect_unchanged(const Snapshot &before, convo_session *s) {
    Snapshot now = snapshot(s);
    EXPECT_EQ(now.items, before.items) << "conversations changed";
    EXPECT_EQ(now.feed, before.feed) << "feed changed";
}

json with(json base, const json &patch) {
    for (auto it = patch.begin(); it != patch.end(); ++it) base[it.key()] = it.value();
    return base;
}
json without(json base, std::initializer_list<const char *> keys) {
    for (const char *k : keys) base.erase(k);
    return base;
}

const char *kSomeUuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

std::string param_name(const std::string &n) { return n; }

// ---------------------------------------------------------------------------------------
// Create: malformed bodies

struct RawCase {
    std::string name;
    std::string body;
};
void PrintTo(const RawCase &c, std::ostream *os) { *os << c.name; }  // names, not bytes, in listings

class ValidationSpecCreateRaw : public ApiTest, public ::testing::WithParamInterface<RawCase> {};

TEST_P(ValidationSpecCreateRaw, IsInvalidAndChangesNothing) {
    Snapshot before = snapshot(s_);
    Raw r = create_checked(s_, GetParam().body);
    EXPECT_EQ(r.code, CONVO_EINVALID) << r.error << " for " << GetParam().body;
    EXPECT_FALSE(r.error.empty());
    EXPECT_TRUE(r.out_null);
    expect_unchanged(before, s_);
}

INSTANTIATE_TEST_SUITE_P(
    ValidationSpec, ValidationSpecCreateRaw,
    ::testing::Values(RawCase{"empty", ""}, RawCase{"truncated", "{\"channel\":\"text\""},
                      RawCase{"not_json", "channel=text"},
                      RawCase{"trailing_comma",
                              R"({"channel":"text","user_id":"u","agent_id":"agent_abc",})"},
                      RawCase{"trailing_garbage",
                              R"({"channel":"text","user_id":"u","agent_id":"agent_abc"} x)"},
                      RawCase{"array", "[]"},
                      RawCase{"array_of_request",
                              R"([{"channel":"text","user_id":"u","agent_id":"agent_abc"}])"},
                      RawCase{"number", "5"}, RawCase{"string", "\"text\""},
                      RawCase{"null", "null"}, RawCase{"bool", "true"}),
    [](const ::testing::TestParamInfo<RawCase> &i) { return param_name(i.param.name); });

// ---------------------------------------------------------------------------------------
// Create: field rules

struct CreateCase {
    std::string name;
    json request;
    std::string field;                  // named as "<field>: ..." ("" = not checked)
    std::vector<std::string> mentions;  // words the error must mention
};
void PrintTo(const CreateCase &c, std::ostream *os) { *os << c.name; }  // names, not bytes, in listings

std::vector<CreateCase> create_cases() {
    const json text = request_for("text");
    const json email = request_for("email");
    const json tel = request_for("telephone");
    const json tel_in = request_for("telephone", "inbound");
    const json rtc = request_for("webrtc");
    const json text_noref = without(text, {"agent_id"});
    const std::vector<std::string> refs{"agent_id", "agent_version_id", "agent_config"};

    std::vector<CreateCase> v{
        {"unknown_field", with(text, {{"foo", 1}}), "foo", {}},
        {"unknown_field_nested_name", with(text, {{"agentId", "agent_abc"}}), "agentId", {}},
        {"channel_missing", without(text, {"channel"}), "channel", {}},
        {"channel_unknown", with(text, {{"channel", "fax"}}), "channel",
         {"telephone", "webrtc", "email", "text", "sms", "whatsapp"}},
        {"channel_wrong_case", with(text, {{"channel", "Text"}}), "channel", {}},
        {"channel_not_string", with(text, {{"channel", 5}}), "channel", {}},
        {"channel_array", with(text, {{"channel", json::array({"text"})}}), "channel", {}},
        {"user_id_missing", without(text, {"user_id"}), "user_id", {}},
        {"user_id_empty", with(text, {{"user_id", ""}}), "user_id", {}},
        {"user_id_not_string", with(text, {{"user_id", 42}}), "user_id", {}},
        {"direction_unknown", with(text, {{"direction", "sideways"}}), "direction", {}},
        {"direction_not_string", with(text, {{"direction", true}}), "direction", {}},
        {"agent_id_not_string", with(text, {{"agent_id", 5}}), "agent_id", {}},
        {"agent_version_id_not_string", with(text_noref, {{"agent_version_id", 5}}),
         "agent_version_id", {}},
        {"agent_config_not_object", with(text_noref, {{"agent_config", "x"}}), "agent_config", {}},
        {"agent_config_array", with(text_noref, {{"agent_config", json::array()}}), "agent_config",
         {}},
        {"agent_config_name_not_string", with(text_noref, {{"agent_config", {{"name", 5}}}}),
         "name", {}},
        {"agent_config_greeting_not_string",
         with(text_noref, {{"agent_config", {{"greeting", 5}}}}), "greeting", {}},
        {"agent_config_speaks_first_not_bool",
         with(text_noref, {{"agent_config", {{"speaks_first", "yes"}}}}), "speaks_first", {}},
        {"agent_config_default_subject_not_string",
         with(text_noref, {{"agent_config", {{"default_subject", 5}}}}), "default_subject", {}},
        {"agent_config_capabilities_not_object",
         with(text_noref, {{"agent_config", {{"capabilities", "all"}}}}), "capabilities", {}},
        {"agent_config_capability_not_bool",
         with(text_noref,
              {{"agent_config", {{"capabilities", {{"supportsVideoInput", "yes"}}}}}}),
         "supportsVideoInput", {}},
        {"version_bool", with(text, {{"version", true}}), "version", {}},
        {"version_zero", with(text, {{"version", 0}}), "version", {}},
        {"version_negative", with(text, {{"version", -1}}), "version", {}},
        {"version_fraction", with(text, {{"version", 1.5}}), "version", {}},
        {"version_abc", with(text, {{"version", "abc"}}), "version", {}},
        {"version_numeric_string", with(text, {{"version", "1"}}), "version", {}},
        {"version_with_agent_config",
         with(text_noref, {{"agent_config", {{"greeting", "x"}}}, {"version", 1}}), "version", {}},
        {"version_with_agent_version_id",
         with(text_noref, {{"agent_version_id", kSomeUuid}, {"version", 1}}), "version", {}},
        {"version_without_any_agent", with(text_noref, {{"version", 1}}), "", {}},
        {"agent_number_not_string", with(tel, {{"agent_number", 5}}), "agent_number", {}},
        {"agent_number_not_e164",
         with(without(tel, {"agent_id"}), {{"agent_number", "18885550000"}}), "agent_number", {}},
        {"agent_number_with_spaces",
         with(without(tel, {"agent_id"}), {{"agent_number", "+1 888 555 0000"}}), "agent_number",
         {}},
        {"to_address_missing", without(email, {"to_address"}), "to_address", {}},
        {"to_address_not_string", with(email, {{"to_address", 5}}), "to_address", {}},
        {"to_address_empty", with(email, {{"to_address", ""}}), "to_address", {}},
        {"to_address_no_at", with(email, {{"to_address", "customer"}}), "to_address", {}},
        {"to_address_no_domain", with(email, {{"to_address", "customer@"}}), "to_address", {}},
        {"to_address_no_local_part", with(email, {{"to_address", "@example.com"}}), "to_address",
         {}},
        {"to_address_with_space", with(email, {{"to_address", "cus tomer@example.com"}}),
         "to_address", {}},
        {"to_address_invalid_on_text", with(text, {{"to_address", "customer"}}), "to_address", {}},
        {"from_address_invalid", with(email, {{"from_address", "nope"}}), "from_address", {}},
        {"from_address_not_string", with(email, {{"from_address", 5}}), "from_address", {}},
        {"subject_not_string", with(email, {{"subject", 5}}), "subject", {}},
        {"initial_context_not_string", with(text, {{"initial_context", 5}}), "initial_context",
         {}},
        {"web_widget_id_not_string", with(text, {{"web_widget_id", 5}}), "web_widget_id", {}},
        {"custom_metadata_string", with(text, {{"custom_metadata", "x"}}), "custom_metadata", {}},
        {"custom_metadata_array", with(text, {{"custom_metadata", json::array({1})}}),
         "custom_metadata", {}},
        {"custom_metadata_number", with(text, {{"custom_metadata", 3}}), "custom_metadata", {}},
        {"id_not_string", with(text, {{"id", 5}}), "id", {}},
        {"id_empty", with(text, {{"id", ""}}), "id", {}},
        {"id_short", with(text, {{"id", "123"}}), "id", {}},
        {"id_words", with(text, {{"id", "not-a-uuid"}}), "id", {}},
        {"id_without_dashes", with(text, {{"id", "0190b8c27d4e4abc8def0123456789ab"}}), "id", {}},
        {"id_last_group_short", with(text, {{"id", "0190b8c2-7d4e-4abc-8def-0123456789a"}}), "id",
         {}},
        {"id_last_group_long", with(text, {{"id", "0190b8c2-7d4e-4abc-8def-0123456789abc"}}), "id",
         {}},
        {"id_non_hex", with(text, {{"id", "0190b8c2-7d4e-4abc-8def-0123456789ag"}}), "id", {}},
        {"id_braces", with(text, {{"id", "{0190b8c2-7d4e-4abc-8def-0123456789ab}"}}), "id", {}},
        {"telephone_user_id_no_plus", with(tel, {{"user_id", "14155551234"}}), "user_id", {}},
        {"telephone_user_id_name", with(tel, {{"user_id", "user_42"}}), "user_id", {}},
        {"telephone_user_id_plus_only", with(tel, {{"user_id", "+"}}), "user_id", {}},
        {"telephone_user_id_leading_zero", with(tel, {{"user_id", "+0155551234"}}), "user_id", {}},
        {"telephone_user_id_too_long", with(tel, {{"user_id", "+1415555123456789"}}), "user_id",
         {}},
        {"telephone_user_id_spaces", with(tel, {{"user_id", "+1 415 555 1234"}}), "user_id", {}},
        {"telephone_user_id_dashes", with(tel, {{"user_id", "+1-415-555-1234"}}), "user_id", {}},
        {"telephone_inbound_user_id_not_e164", with(tel_in, {{"user_id", "user_42"}}), "user_id",
         {}},
        {"no_agent_ref_text", text_noref, "", refs},
        {"no_agent_ref_email", without(email, {"agent_id"}), "", refs},
        {"no_agent_ref_webrtc", without(rtc, {"agent_id"}), "", refs},
        {"no_agent_ref_telephone", without(tel, {"agent_id"}), "", refs},
        {"agent_number_alone_on_text", with(text_noref, {{"agent_number", "+18885550000"}}), "",
         refs},
        {"agent_id_and_agent_version_id", with(text, {{"agent_version_id", kSomeUuid}}), "", refs},
        {"agent_id_and_agent_config", with(text, {{"agent_config", {{"greeting", "x"}}}}), "",
         refs},
        {"agent_version_id_and_agent_config",
         with(text_noref, {{"agent_version_id", kSomeUuid}, {"agent_config", {{"greeting", "x"}}}}),
         "", refs},
        {"all_three_agent_refs",
         with(text, {{"agent_version_id", kSomeUuid}, {"agent_config", {{"greeting", "x"}}}}), "",
         refs},
        {"two_agent_refs_on_telephone", with(tel, {{"agent_version_id", kSomeUuid}}), "", refs},
    };
    for (const char *f : {"idle_timeout_minutes", "max_open_minutes"}) {
        const std::string fs = f;
        v.push_back({fs + "_zero", with(text, {{f, 0}}), fs, {}});
        v.push_back({fs + "_negative", with(text, {{f, -1}}), fs, {}});
        v.push_back({fs + "_fraction", with(text, {{f, 1.5}}), fs, {}});
        v.push_back({fs + "_string", with(text, {{f, "5"}}), fs, {}});
        v.push_back({fs + "_bool", with(text, {{f, true}}), fs, {}});
    }
    return v;
}

class ValidationSpecCreate : public ApiTest, public ::testing::WithParamInterface<CreateCase> {};

TEST_P(ValidationSpecCreate, IsInvalidNamesTheFieldAndChangesNothing) {
    const CreateCase &p = GetParam();
    Snapshot before = snapshot(s_);
    Raw r = create_checked(s_, p.request.dump());
    EXPECT_EQ(r.code, CONVO_EINVALID) << r.error << "\nrequest: " << p.request.dump();
    EXPECT_FALSE(r.error.empty());
    if (!p.field.empty()) {
        EXPECT_TRUE(NamesField(r.error, p.field));
    }
    for (const std::string &m : p.mentions) EXPECT_TRUE(Mentions(r.error, m));
    EXPECT_TRUE(r.out_null) << "*out_json not set to NULL on failure";
    expect_unchanged(before, s_);
}

INSTANTIATE_TEST_SUITE_P(ValidationSpec, ValidationSpecCreate, ::testing::ValuesIn(create_cases()),
                         [](const ::testing::TestParamInfo<CreateCase> &i) {
                             return param_name(i.param.name);
                         });

// The valid counterparts of the boundary cases above are accepted (so the rules are not
// simply "reject everything unusual").
class ValidationSpecCreateAccepts : public ApiTest {};

TEST_F(ValidationSpecCreateAccepts, BoundaryValuesAreValid) {
    json ok_requests = json::array({
        with(request_for("text"), {{"idle_timeout_minutes", 1}, {"max_open_minutes", 1}}),
        with(request_for("text"), {{"version", 1}}),
        with(request_for("text"), {{"version", "latest"}}),
        with(request_for("text"), {{"id", "0190B8C2-7D4E-4ABC-8DEF-0123456789AB"}}),
        with(request_for("telephone"), {{"user_id", "+12"}}),
        with(request_for("telephone"), {{"user_id", "+123456789012345"}}),
        with(request_for("email"), {{"from_address", "support@example.org"}}),
        with(request_for("text"), {{"custom_metadata", json::object()}}),
        with(request_for("text"), {{"initial_context", ""}}),
    });
    for (const json &r : ok_requests) {
        Call c = create(s_, r);
        EXPECT_TRUE(c.ok()) << c.error << "\nrequest: " << r.dump();
    }
}

// ---------------------------------------------------------------------------------------
// Create: understood but cannot be fulfilled

class ValidationSpecPrecondition : public ApiTest {
protected:
    // `fields`: the error names one of them (the request's own spelling).
    void expect_precondition(const json &request, std::vector<std::string> fields) {
        Snapshot before = snapshot(s_);
        Raw r = create_checked(s_, request.dump());
        EXPECT_EQ(r.code, CONVO_EPRECONDITION) << r.error << "\nrequest: " << request.dump();
        EXPECT_FALSE(r.error.empty());
        bool named = false;
        for (const std::string &f : fields) named = named || NamesField(r.error, f);
        EXPECT_TRUE(named) << "error \"" << r.error << "\" names none of "
                           << ::testing::PrintToString(fields) << "\nrequest: " << request.dump();
        EXPECT_TRUE(r.out_null);
        expect_unchanged(before, s_);
    }
    std::string version_id(int n) {
        Call a = agent_get(s_, "agent_abc");
        EXPECT_TRUE(a.ok()) << a.error;
        for (const json &v : a.body["versions"])
            if (v["version"] == n) return v["id"].get<std::string>();
        ADD_FAILURE() << "no version " << n;
        return "";
    }
};

TEST_F(ValidationSpecPrecondition, UnknownAgentId) {
    for (const char *ch : {"text", "email", "webrtc", "telephone"})
        expect_precondition(with(request_for(ch), {{"agent_id", "agent_nope"}}), {"agent_id"});
}

TEST_F(ValidationSpecPrecondition, UnpublishedVersion) {
    expect_precondition(with(request_for("text"), {{"version", 2}}), {"version"});
}

TEST_F(ValidationSpecPrecondition, UnknownVersionNumber) {
    expect_precondition(with(request_for("text"), {{"version", 9}}), {"version"});
}

TEST_F(ValidationSpecPrecondition, AgentWithoutAPublishedVersion) {
    json draft{{"id", "agent_draft"},
               {"name", "Draft"},
               {"versions", json::array({json{{"version", 1}, {"published", false}}})}};
    ASSERT_TRUE(agent_put(s_, draft).ok());
    expect_precondition(with(request_for("text"), {{"agent_id", "agent_draft"}}),
                        {"agent_id", "version"});
    expect_precondition(
        with(request_for("text"), {{"agent_id", "agent_draft"}, {"version", "latest"}}),
        {"agent_id", "version"});
    json empty{{"id", "agent_empty"}, {"name", "Empty"}, {"versions", json::array()}};
    ASSERT_TRUE(agent_put(s_, empty).ok());
    expect_precondition(with(request_for("text"), {{"agent_id", "agent_empty"}}),
                        {"agent_id", "version"});
}

TEST_F(ValidationSpecPrecondition, UnknownAgentVersionId) {
    expect_precondition(without(with(request_for("text"), {{"agent_version_id", kSomeUuid}}),
                                {"agent_id"}),
                        {"agent_version_id"});
}

TEST_F(ValidationSpecPrecondition, UnpublishedAgentVersionId) {
    std::string v2 = version_id(2);
    ASSERT_FALSE(v2.empty());
    // The request has no "version" field: the error names agent_version_id.
    expect_precondition(
        without(with(request_for("webrtc"), {{"agent_version_id", v2}}), {"agent_id"}),
        {"agent_version_id"});
}

TEST_F(ValidationSpecPrecondition, UnknownAgentNumber) {
    for (const char *dir : {"outbound", "inbound"})
        expect_precondition(
            without(with(request_for("telephone", dir), {{"agent_number", "+18885559999"}}),
                    {"agent_id"}),
            {"agent_number"});
}

// ---------------------------------------------------------------------------------------
// Dispatch: event rules

struct DispatchCase {
    std::string name;
    std::string body;
    std::string field;  // "" = not checked
};
void PrintTo(const DispatchCase &c, std::ostream *os) { *os << c.name; }  // names, not bytes, in listings

DispatchCase D(const std::string &name, const json &event, const std::string &field) {
    return {name, event.dump(), field};
}

std::vector<DispatchCase> dispatch_cases() {
    const json msg{{"type", "message"}, {"role", "user"}, {"text", "hello"}};
    return {
        {"empty", "", ""},
        {"not_json", "type=message", ""},
        {"truncated", "{\"type\":\"end\"", ""},
        {"array", "[]", ""},
        {"array_of_event", "[{\"type\":\"end\"}]", ""},
        {"string", "\"end\"", ""},
        {"number", "5", ""},
        {"null", "null", ""},
        D("missing_type", without(msg, {"type"}), "type"),
        D("type_not_string", {{"type", 5}}, "type"),
        D("type_unknown", {{"type", "explode"}}, "type"),
        D("type_wrong_case", {{"type", "End"}}, "type"),
        D("type_empty", {{"type", ""}}, "type"),
        D("message_role_invalid", with(msg, {{"role", "bot"}}), "role"),
        D("message_role_system", with(msg, {{"role", "system"}}), "role"),
        D("message_role_missing", without(msg, {"role"}), "role"),
        D("message_role_not_string", with(msg, {{"role", 1}}), "role"),
        D("message_text_missing", without(msg, {"text"}), "text"),
        D("message_text_empty", with(msg, {{"text", ""}}), "text"),
        D("message_text_not_string", with(msg, {{"text", 5}}), "text"),
        D("message_text_array", with(msg, {{"text", json::array({"a"})}}), "text"),
        D("message_unknown_field", with(msg, {{"foo", 1}}), "foo"),
        D("message_field_of_another_type", with(msg, {{"reason", "x"}}), "reason"),
        D("fail_without_reason", {{"type", "fail"}}, "reason"),
        D("fail_reason_empty", {{"type", "fail"}, {"reason", ""}}, "reason"),
        D("fail_reason_not_string", {{"type", "fail"}, {"reason", 5}}, "reason"),
        D("end_reason_empty", {{"type", "end"}, {"reason", ""}}, "reason"),
        D("end_reason_not_string", {{"type", "end"}, {"reason", 5}}, "reason"),
        D("end_unknown_field", {{"type", "end"}, {"to", "x"}}, "to"),
        D("transfer_without_to", {{"type", "transfer"}}, "to"),
        D("transfer_to_empty", {{"type", "transfer"}, {"to", ""}}, "to"),
        D("transfer_to_not_string", {{"type", "transfer"}, {"to", 5}}, "to"),
        D("annotate_with_nothing", {{"type", "annotate"}}, ""),
        D("annotate_summary_not_string", {{"type", "annotate"}, {"summary", 5}}, "summary"),
        D("annotate_topic_not_string", {{"type", "annotate"}, {"topic", 5}}, "topic"),
        D("annotate_tags_not_array", {{"type", "annotate"}, {"tags", "vip"}}, "tags"),
        D("annotate_tags_not_strings", {{"type", "annotate"}, {"tags", json::array({1})}}, "tags"),
        D("annotate_actions_needed_not_array", {{"type", "annotate"}, {"actions_needed", "call"}},
          "actions_needed"),
        D("annotate_actions_needed_not_strings",
          {{"type", "annotate"}, {"actions_needed", json::array({true})}}, "actions_needed"),
        D("annotate_recording_details_not_object",
          {{"type", "annotate"}, {"recording_details", "url"}}, "recording_details"),
        D("annotate_unknown_field", {{"type", "annotate"}, {"summary", "s"}, {"role", "user"}},
          "role"),
        D("at_not_string", with(msg, {{"at", 5}}), "at"),
        D("at_words", with(msg, {{"at", "yesterday"}}), "at"),
        D("at_date_only", with(msg, {{"at", "2026-01-01"}}), "at"),
        D("at_without_offset", with(msg, {{"at", "2026-01-01T00:00:00"}}), "at"),
        D("at_bad_month", with(msg, {{"at", "2026-13-01T00:00:00Z"}}), "at"),
        D("at_bad_day", with(msg, {{"at", "2026-02-30T00:00:00Z"}}), "at"),
        D("event_id_not_string", with(msg, {{"event_id", 5}}), "event_id"),
        D("event_id_object", with(msg, {{"event_id", json::object()}}), "event_id"),
        D("event_id_empty", with(msg, {{"event_id", ""}}), "event_id"),
        D("event_id_too_long", with(msg, {{"event_id", std::string(257, 'e')}}), "event_id"),
    };
}

class ValidationSpecDispatch : public ApiTest, public ::testing::WithParamInterface<DispatchCase> {
protected:
    void SetUp() override {
        ApiTest::SetUp();
        if (HasFatalFailure()) return;
        id_ = make("text");
        ASSERT_FALSE(id_.empty());
        engine_->advance(5000);  // so an `at` or a change would show in updated_at
    }
    std::string id_;
};

TEST_P(ValidationSpecDispatch, IsInvalidNamesTheFieldAndChangesNothing) {
    const DispatchCase &p = GetParam();
    json before = conv(id_);
    Snapshot snap = snapshot(s_);
    Raw r = dispatch_checked(s_, id_, p.body);
    EXPECT_EQ(r.code, CONVO_EINVALID) << r.error << "\nevent: " << p.body;
    EXPECT_FALSE(r.error.empty());
    if (!p.field.empty()) {
        EXPECT_TRUE(NamesField(r.error, p.field));
    }
    EXPECT_TRUE(r.out_null) << "*out_json not set to NULL on failure";
    EXPECT_EQ(conv(id_), before);
    expect_unchanged(snap, s_);
}

INSTANTIATE_TEST_SUITE_P(ValidationSpec, ValidationSpecDispatch,
                         ::testing::ValuesIn(dispatch_cases()),
                         [](const ::testing::TestParamInfo<DispatchCase> &i) {
                             return param_name(i.param.name);
                         });

class ValidationSpecDispatchAccepts : public ApiTest {};

TEST_F(ValidationSpecDispatchAccepts, BoundaryValuesAreValid) {
    std::string id = make("text");
    ASSERT_FALSE(id.empty());
    for (const json &e : json::array({
             json{{"type", "message"}, {"role", "user"}, {"text", "x"}, {"event_id", "e"}},
             json{{"type", "message"},
                  {"role", "human"},
                  {"text", "x"},
                  {"event_id", std::string(256, 'e')}},
             json{{"type", "message"}, {"role", "agent"}, {"text", "x"}, {"at", kStart}},
             json{{"type", "annotate"}, {"tags", json::array({"vip"})}},
             json{{"type", "annotate"}, {"recording_details", {{"url", "https://r.example/1"}}}},
         })) {
        Call c = dispatch(s_, id, e);
        EXPECT_TRUE(c.ok()) << c.error << "\nevent: " << e.dump();
    }
}

TEST_F(ValidationSpecDispatchAccepts, UnknownConversationIsNotFound) {
    Snapshot before = snapshot(s_);
    Raw r = dispatch_checked(s_, kSomeUuid, R"({"type":"end"})");
    EXPECT_EQ(r.code, CONVO_ENOTFOUND) << r.error;
    EXPECT_TRUE(r.out_null);
    Raw r2 = dispatch_checked(s_, "not-a-uuid", R"({"type":"end"})");
    EXPECT_EQ(r2.code, CONVO_ENOTFOUND) << r2.error;
    expect_unchanged(before, s_);
}

// ---------------------------------------------------------------------------------------
// Engine options

struct OptionsCase {
    std::string name;
    json options;
    std::string field;
};
void PrintTo(const OptionsCase &c, std::ostream *os) { *os << c.name; }  // names, not bytes, in listings

std::vector<OptionsCase> options_cases() {
    std::vector<OptionsCase> v{
        {"unknown_key", {{"foo", 1}}, "foo"},
        {"unknown_key_near_miss", {{"ring_timeout", 60}}, "ring_timeout"},
        {"path_not_string", {{"path", 5}}, "path"},
        {"clock_not_string", {{"clock", 5}}, "clock"},
        {"clock_unknown", {{"clock", "sundial"}}, "clock"},
        {"start_not_string", {{"start", 5}}, "start"},
        {"start_words", {{"start", "yesterday"}}, "start"},
        {"start_date_only", {{"start", "2026-01-01"}}, "start"},
        {"start_without_offset", {{"start", "2026-01-01T00:00:00"}}, "start"},
        {"synchronous_not_string", {{"synchronous", 5}}, "synchronous"},
        {"synchronous_unknown", {{"synchronous", "off"}}, "synchronous"},
        {"webrtc_url_not_string", {{"webrtc_url", 5}}, "webrtc_url"},
        {"timer_thread_not_bool", {{"timer_thread", "yes"}}, "timer_thread"},
        {"timer_thread_number", {{"timer_thread", 1}}, "timer_thread"},
        {"log_level_not_string", {{"log_level", 5}}, "log_level"},
        {"log_level_unknown", {{"log_level", "verbose"}}, "log_level"},
    };
    for (const char *k : {"platform_max_open_minutes", "ring_timeout_seconds",
                          "dial_timeout_seconds", "token_ttl_seconds",
                          "max_open_per_organization"}) {
        const std::string ks = k;
        v.push_back({ks + "_zero", {{k, 0}}, ks});
        v.push_back({ks + "_negative", {{k, -1}}, ks});
        v.push_back({ks + "_fraction", {{k, 1.5}}, ks});
        v.push_back({ks + "_string", {{k, "5"}}, ks});
        v.push_back({ks + "_bool", {{k, true}}, ks});
    }
    return v;
}

class ValidationSpecOptions : public ::testing::TestWithParam<OptionsCase> {};

TEST_P(ValidationSpecOptions, IsInvalidAndNamesTheKey) {
    const OptionsCase &p = GetParam();
    Engine e(p.options);  // path ":memory:" and a manual clock unless the case sets them
    EXPECT_EQ(e.open_code(), CONVO_EINVALID) << e.open_error() << "\noptions: " << p.options.dump();
    EXPECT_TRUE(NamesField(e.open_error(), p.field));
}

INSTANTIATE_TEST_SUITE_P(ValidationSpec, ValidationSpecOptions, ::testing::ValuesIn(options_cases()),
                         [](const ::testing::TestParamInfo<OptionsCase> &i) {
                             return param_name(i.param.name);
                         });

class ValidationSpecOptionsRaw : public ::testing::TestWithParam<RawCase> {};

TEST_P(ValidationSpecOptionsRaw, IsInvalid) {
    convo_engine *e = nullptr;
    convo_code code = convo_engine_open(GetParam().body.c_str(), &e);
    EXPECT_EQ(code, CONVO_EINVALID) << convo_last_error();
    EXPECT_STRNE(convo_last_error(), "");
    convo_engine_close(e);
}

INSTANTIATE_TEST_SUITE_P(ValidationSpec, ValidationSpecOptionsRaw,
                         ::testing::Values(RawCase{"not_json", "{\"path\":\":memory:\""},
                                           RawCase{"array", "[]"}, RawCase{"number", "5"},
                                           RawCase{"string", "\":memory:\""}),
                         [](const ::testing::TestParamInfo<RawCase> &i) {
                             return param_name(i.param.name);
                         });

TEST(ValidationSpecOptionsAccepts, EveryKeyWithAValidValue) {
    Engine e(json{{"path", ":memory:"},
              {"clock", "manual"},
              {"start", "2026-01-01T01:00:00.000+01:00"},
              {"synchronous", "normal"},
              {"platform_max_open_minutes", 1},
              {"ring_timeout_seconds", 1},
              {"dial_timeout_seconds", 1},
              {"token_ttl_seconds", 1},
              {"webrtc_url", "wss://example.com/rtc"},
              {"max_open_per_organization", 1},
              {"timer_thread", false},
              {"log_level", "off"}});
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    // "start" with an offset is the same instant as kStart.
    EXPECT_EQ(e.now(), kStartMs);
    EXPECT_STREQ(convo_last_error(), "");
}

// ---------------------------------------------------------------------------------------
// Agent put

struct AgentCase {
    std::string name;
    std::string body;
    std::string field;                  // "" = not checked
    std::vector<std::string> mentions;  // words the error must mention
};
void PrintTo(const AgentCase &c, std::ostream *os) { *os << c.name; }  // names, not bytes, in listings

AgentCase A(const std::string &name, const json &agent, const std::string &field,
            std::vector<std::string> mentions = {}) {
    return {name, agent.dump(), field, std::move(mentions)};
}

std::vector<AgentCase> agent_cases() {
    const json good = standard_agent();  // id agent_abc: the agent the fixture already put
    auto v0 = [&](const json &patch) {
        json a = good;
        for (auto it = patch.begin(); it != patch.end(); ++it)
            a["versions"][0][it.key()] = it.value();
        return a;
    };
    auto v0_without = [&](const char *key) {
        json a = good;
        a["versions"][0].erase(key);
        return a;
    };
    json dup = good;
    dup["versions"][1]["version"] = 1;
    json entry_not_object = good;
    entry_not_object["versions"][0] = "v1";
    json new_version_with_id = good;
    new_version_with_id["versions"].push_back(
        {{"version", 3}, {"published", true}, {"id", kSomeUuid}});

    return {
        {"not_json", "{\"id\":\"agent_abc\"", "", {}},
        {"array", "[]", "", {}},
        {"string", "\"agent_abc\"", "", {}},
        {"null", "null", "", {}},
        A("id_missing", without(good, {"id"}), "id"),
        A("id_not_string", with(good, {{"id", 5}}), "id"),
        A("id_empty", with(good, {{"id", ""}}), "id"),
        A("id_with_space", with(good, {{"id", "agent abc"}}), "id"),
        A("id_with_slash", with(good, {{"id", "agent/abc"}}), "id"),
        A("id_too_long", with(good, {{"id", std::string(129, 'a')}}), "id"),
        A("name_missing", without(good, {"name"}), "name"),
        A("name_empty", with(good, {{"name", ""}}), "name"),
        A("name_not_string", with(good, {{"name", 5}}), "name"),
        A("versions_missing", without(good, {"versions"}), "versions"),
        A("versions_not_array", with(good, {{"versions", "v1"}}), "versions"),
        A("versions_object", with(good, {{"versions", json::object()}}), "versions"),
        A("version_entry_not_object", entry_not_object, "versions[0]"),
        A("duplicate_version_numbers", dup, "", {"version"}),
        A("version_missing", v0_without("version"), "versions[0].version"),
        A("version_zero", v0({{"version", 0}}), "versions[0].version"),
        A("version_negative", v0({{"version", -1}}), "versions[0].version"),
        A("version_fraction", v0({{"version", 1.5}}), "versions[0].version"),
        A("version_string", v0({{"version", "1"}}), "versions[0].version"),
        A("published_not_bool", v0({{"published", "yes"}}), "versions[0].published"),
        A("greeting_not_string", v0({{"greeting", 5}}), "versions[0].greeting"),
        A("speaks_first_not_bool", v0({{"speaks_first", "no"}}), "versions[0].speaks_first"),
        A("default_subject_not_string", v0({{"default_subject", 5}}),
          "versions[0].default_subject"),
        A("capabilities_not_object", v0({{"capabilities", "all"}}), "versions[0].capabilities"),
        A("capability_not_bool", v0({{"capabilities", {{"supportsVideoInput", "yes"}}}}),
          "supportsVideoInput"),
        A("phone_number_not_string", with(good, {{"phone_number", 5}}), "phone_number"),
        A("phone_number_no_plus", with(good, {{"phone_number", "18885550000"}}), "phone_number"),
        A("phone_number_leading_zero", with(good, {{"phone_number", "+08885550000"}}),
          "phone_number"),
        A("phone_number_spaces", with(good, {{"phone_number", "+1 888 555 0000"}}),
          "phone_number"),
        A("phone_number_too_long", with(good, {{"phone_number", "+1234567890123456"}}),
          "phone_number"),
        A("phone_number_too_short", with(good, {{"phone_number", "+1"}}), "phone_number"),
        A("phone_number_empty", with(good, {{"phone_number", ""}}), "phone_number"),
        A("unknown_field", with(good, {{"foo", 1}}), "foo"),
        A("unknown_version_field", v0({{"bar", 1}}), "bar"),
        A("version_id_mismatch", v0({{"id", kSomeUuid}}), "versions[0].id"),
        A("version_id_not_string", v0({{"id", 5}}), "versions[0].id"),
        A("version_id_for_a_new_version", new_version_with_id, "versions[2].id"),
    };
}

class ValidationSpecAgentPut : public ApiTest, public ::testing::WithParamInterface<AgentCase> {};

TEST_P(ValidationSpecAgentPut, IsInvalidNamesTheFieldAndChangesNothing) {
    const AgentCase &p = GetParam();
    Call before = agent_get(s_, "agent_abc");
    ASSERT_TRUE(before.ok()) << before.error;
    Snapshot snap = snapshot(s_);
    engine_->advance(1000);  // an accidental write would move updated_at
    Raw r = agent_put_checked(s_, p.body);
    EXPECT_EQ(r.code, CONVO_EINVALID) << r.error << "\nagent: " << p.body;
    EXPECT_FALSE(r.error.empty());
    if (!p.field.empty()) {
        EXPECT_TRUE(NamesField(r.error, p.field));
    }
    for (const std::string &m : p.mentions) EXPECT_TRUE(Mentions(r.error, m));
    EXPECT_TRUE(r.out_null) << "*out_json not set to NULL on failure";
    Call after = agent_get(s_, "agent_abc");
    ASSERT_TRUE(after.ok()) << after.error;
    EXPECT_EQ(after.body, before.body) << "agent changed";
    expect_unchanged(snap, s_);
}

INSTANTIATE_TEST_SUITE_P(ValidationSpec, ValidationSpecAgentPut, ::testing::ValuesIn(agent_cases()),
                         [](const ::testing::TestParamInfo<AgentCase> &i) {
                             return param_name(i.param.name);
                         });

class ValidationSpecAgentPutAccepts : public ApiTest {};

TEST_F(ValidationSpecAgentPutAccepts, BoundaryValuesAreValid) {
    const json a = standard_agent("agent_other", "+12");
    for (const json &agent : json::array({
             with(a, {{"id", std::string(128, 'a')}, {"phone_number", nullptr}}),
             with(a, {{"id", "Az09_.:-"}, {"phone_number", "+123456789012345"}}),
             with(a, {{"versions", json::array()}}),
             without(a, {"phone_number"}),
             with(a, {{"versions", json::array({json{{"version", 1}}})}}),
         })) {
        Call c = agent_put(s_, agent);
        EXPECT_TRUE(c.ok()) << c.error << "\nagent: " << agent.dump();
    }
}

// ---------------------------------------------------------------------------------------
// NULL handles and arguments

int g_calls = 0;
void count_event(void *, const char *) { ++g_calls; }

class ValidationSpecMisuse : public ApiTest {
protected:
    void expect_misuse(convo_code code, const char *what) {
        EXPECT_EQ(code, CONVO_EMISUSE) << what << ": " << convo_last_error();
        EXPECT_STRNE(convo_last_error(), "") << what;
    }
};

TEST_F(ValidationSpecMisuse, EngineOpen) {
    expect_misuse(convo_engine_open(R"({"path":":memory:","clock":"manual"})", nullptr),
                  "engine_open(out NULL)");
    convo_engine_close(nullptr);  // NULL-safe
}

TEST_F(ValidationSpecMisuse, SessionOpen) {
    convo_session *s = nullptr;
    expect_misuse(convo_session_open(nullptr, "org_a", kAllScopes, &s), "NULL engine");
    EXPECT_EQ(s, nullptr);
    expect_misuse(convo_session_open(engine_->get(), nullptr, kAllScopes, &s), "NULL org");
    EXPECT_EQ(s, nullptr);
    expect_misuse(convo_session_open(engine_->get(), "org_a", kAllScopes, nullptr), "NULL out");
    convo_session_close(nullptr);  // NULL-safe
}

TEST_F(ValidationSpecMisuse, SessionOpenRejectsInvalidOrganizationIds) {
    for (const std::string &org :
         {std::string(""), std::string("org a"), std::string("org/a"), std::string("org\"a"),
          std::string(129, 'o')}) {
        convo_session *s = nullptr;
        convo_code code = convo_session_open(engine_->get(), org.c_str(), kAllScopes, &s);
        EXPECT_NE(code, CONVO_OK) << "org \"" << org << "\"";
        EXPECT_STRNE(convo_last_error(), "");
        if (code == CONVO_OK) convo_session_close(s);
    }
    for (const std::string &org : {std::string("Az09_.:-"), std::string(128, 'o')}) {
        convo_session *s = nullptr;
        EXPECT_EQ(convo_session_open(engine_->get(), org.c_str(), kAllScopes, &s), CONVO_OK)
            << org << ": " << convo_last_error();
        convo_session_close(s);
    }
}

TEST_F(ValidationSpecMisuse, AgentPut) {
    const std::string agent = standard_agent("agent_new", "+18885550009").dump();
    char *out = sentinel();
    expect_misuse(convo_agent_put(nullptr, agent.c_str(), &out), "NULL session");
    EXPECT_EQ(out, nullptr);
    out = sentinel();
    expect_misuse(convo_agent_put(s_, nullptr, &out), "NULL agent");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_agent_put(s_, agent.c_str(), nullptr), "NULL out");
    EXPECT_EQ(agent_get(s_, "agent_new").code, CONVO_ENOTFOUND) << "agent was stored";
}

TEST_F(ValidationSpecMisuse, AgentGet) {
    char *out = sentinel();
    expect_misuse(convo_agent_get(nullptr, "agent_abc", &out), "NULL session");
    EXPECT_EQ(out, nullptr);
    out = sentinel();
    expect_misuse(convo_agent_get(s_, nullptr, &out), "NULL id");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_agent_get(s_, "agent_abc", nullptr), "NULL out");
}

TEST_F(ValidationSpecMisuse, Create) {
    Snapshot before = snapshot(s_);
    const std::string req = request_for("text").dump();
    char *out = sentinel();
    int http = 0;
    expect_misuse(convo_create(nullptr, req.c_str(), &out, &http), "NULL session");
    EXPECT_EQ(out, nullptr);
    out = sentinel();
    expect_misuse(convo_create(s_, nullptr, &out, &http), "NULL request");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_create(s_, req.c_str(), nullptr, &http), "NULL out");
    expect_unchanged(before, s_);

    // out_http_status may be NULL.
    out = nullptr;
    EXPECT_EQ(convo_create(s_, req.c_str(), &out, nullptr), CONVO_OK) << convo_last_error();
    EXPECT_NE(out, nullptr);
    convo_free(out);
}

TEST_F(ValidationSpecMisuse, Get) {
    std::string id = make("text");
    char *out = sentinel();
    expect_misuse(convo_get(nullptr, id.c_str(), &out), "NULL session");
    EXPECT_EQ(out, nullptr);
    out = sentinel();
    expect_misuse(convo_get(s_, nullptr, &out), "NULL id");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_get(s_, id.c_str(), nullptr), "NULL out");
}

TEST_F(ValidationSpecMisuse, List) {
    make("text");
    char *out = sentinel();
    expect_misuse(convo_list(nullptr, "{}", &out), "NULL session");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_list(s_, "{}", nullptr), "NULL out");
    // query_json may be NULL.
    out = nullptr;
    ASSERT_EQ(convo_list(s_, nullptr, &out), CONVO_OK) << convo_last_error();
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(json::parse(out)["items"].size(), 1u);
    convo_free(out);
}

TEST_F(ValidationSpecMisuse, Dispatch) {
    std::string id = make("text");
    Snapshot before = snapshot(s_);
    const char *ev = R"({"type":"message","role":"user","text":"hi"})";
    char *out = sentinel();
    expect_misuse(convo_dispatch(nullptr, id.c_str(), ev, &out), "NULL session");
    EXPECT_EQ(out, nullptr);
    out = sentinel();
    expect_misuse(convo_dispatch(s_, nullptr, ev, &out), "NULL id");
    EXPECT_EQ(out, nullptr);
    out = sentinel();
    expect_misuse(convo_dispatch(s_, id.c_str(), nullptr, &out), "NULL event");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_dispatch(s_, id.c_str(), ev, nullptr), "NULL out");
    expect_unchanged(before, s_);
}

TEST_F(ValidationSpecMisuse, Events) {
    char *out = sentinel();
    expect_misuse(convo_events(nullptr, 0, 10, &out), "NULL session");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_events(s_, 0, 10, nullptr), "NULL out");
}

TEST_F(ValidationSpecMisuse, SubscribeAndUnsubscribe) {
    g_calls = 0;
    uint64_t sub = 0;
    expect_misuse(convo_subscribe(nullptr, count_event, nullptr, &sub), "NULL engine");
    expect_misuse(convo_subscribe(engine_->get(), nullptr, nullptr, &sub), "NULL fn");
    expect_misuse(convo_subscribe(engine_->get(), count_event, nullptr, nullptr), "NULL out");
    expect_misuse(convo_unsubscribe(nullptr, 1), "unsubscribe NULL engine");
    // None of the failed calls registered a subscriber.
    make("text");
    EXPECT_EQ(g_calls, 0);
}

TEST_F(ValidationSpecMisuse, TimersAndClock) {
    unsigned fired = 0;
    int64_t ms = 0;
    char *out = sentinel();
    expect_misuse(convo_tick(nullptr, &fired), "tick NULL engine");
    expect_misuse(convo_next_deadline(nullptr, &ms), "next_deadline NULL engine");
    expect_misuse(convo_next_deadline(engine_->get(), nullptr), "next_deadline NULL out");
    expect_misuse(convo_clock_now(nullptr, &ms), "clock_now NULL engine");
    expect_misuse(convo_clock_now(engine_->get(), nullptr), "clock_now NULL out");
    expect_misuse(convo_clock_set(nullptr, kStartMs + 1), "clock_set NULL engine");
    expect_misuse(convo_describe(nullptr, &out), "describe NULL engine");
    EXPECT_EQ(out, nullptr);
    expect_misuse(convo_describe(engine_->get(), nullptr), "describe NULL out");
    // out_fired may be NULL.
    EXPECT_EQ(convo_tick(engine_->get(), nullptr), CONVO_OK) << convo_last_error();
    EXPECT_EQ(engine_->now(), kStartMs);
}

// ---------------------------------------------------------------------------------------
// Codes, last error, version, clock

TEST(ValidationSpecCodes, NamesOfEveryCode) {
    EXPECT_STREQ(convo_code_name(CONVO_OK), "CONVO_OK");
    EXPECT_STREQ(convo_code_name(CONVO_EINVALID), "CONVO_EINVALID");
    EXPECT_STREQ(convo_code_name(CONVO_EPRECONDITION), "CONVO_EPRECONDITION");
    EXPECT_STREQ(convo_code_name(CONVO_EFORBIDDEN), "CONVO_EFORBIDDEN");
    EXPECT_STREQ(convo_code_name(CONVO_ENOTFOUND), "CONVO_ENOTFOUND");
    EXPECT_STREQ(convo_code_name(CONVO_ECONFLICT), "CONVO_ECONFLICT");
    EXPECT_STREQ(convo_code_name(CONVO_ESTORAGE), "CONVO_ESTORAGE");
    EXPECT_STREQ(convo_code_name(CONVO_EINTERNAL), "CONVO_EINTERNAL");
    EXPECT_STREQ(convo_code_name(CONVO_EMISUSE), "CONVO_EMISUSE");
    EXPECT_STREQ(convo_code_name(static_cast<convo_code>(9)), "CONVO_UNKNOWN");
    EXPECT_STREQ(convo_code_name(static_cast<convo_code>(1000)), "CONVO_UNKNOWN");
    EXPECT_STREQ(convo_code_name(static_cast<convo_code>(-1)), "CONVO_UNKNOWN");
}

TEST(ValidationSpecCodes, HttpStatusOfEveryCode) {
    EXPECT_EQ(convo_http_status(CONVO_OK), 200);
    EXPECT_EQ(convo_http_status(CONVO_EINVALID), 422);
    EXPECT_EQ(convo_http_status(CONVO_EPRECONDITION), 400);
    EXPECT_EQ(convo_http_status(CONVO_EFORBIDDEN), 403);
    EXPECT_EQ(convo_http_status(CONVO_ENOTFOUND), 404);
    EXPECT_EQ(convo_http_status(CONVO_ECONFLICT), 409);
    EXPECT_EQ(convo_http_status(CONVO_ESTORAGE), 503);
    EXPECT_EQ(convo_http_status(CONVO_EINTERNAL), 500);
    EXPECT_EQ(convo_http_status(CONVO_EMISUSE), 500);
    EXPECT_EQ(convo_http_status(static_cast<convo_code>(9)), 500);
    EXPECT_EQ(convo_http_status(static_cast<convo_code>(1000)), 500);
    EXPECT_EQ(convo_http_status(static_cast<convo_code>(-1)), 500);
}

TEST(ValidationSpecCodes, VersionMatchesTheHeader) {
    ASSERT_NE(convo_version(), nullptr);
    EXPECT_STREQ(convo_version(), CONVO_VERSION);
}

class ValidationSpecLastError : public ApiTest {
protected:
    void fail_once() {
        EXPECT_EQ(get(s_, kSomeUuid).code, CONVO_ENOTFOUND);
        EXPECT_STRNE(convo_last_error(), "");
    }
};

TEST_F(ValidationSpecLastError, IsNeverNull) { EXPECT_NE(convo_last_error(), nullptr); }

TEST_F(ValidationSpecLastError, IsEmptyAfterEverySuccess) {
    std::string id = make("text");
    ASSERT_FALSE(id.empty());

    fail_once();
    EXPECT_TRUE(create(s_, request_for("email")).ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_create";

    fail_once();
    EXPECT_TRUE(get(s_, id).ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_get";

    fail_once();
    EXPECT_TRUE(list(s_).ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_list";

    fail_once();
    EXPECT_TRUE(dispatch(s_, id, {{"type", "message"}, {"role", "user"}, {"text", "x"}}).ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_dispatch";

    fail_once();
    EXPECT_TRUE(events(s_).ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_events";

    fail_once();
    EXPECT_TRUE(agent_get(s_, "agent_abc").ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_agent_get";

    fail_once();
    EXPECT_TRUE(agent_put(s_, standard_agent()).ok());
    EXPECT_STREQ(convo_last_error(), "") << "after convo_agent_put";

    int64_t ms = 0;
    fail_once();
    EXPECT_EQ(convo_clock_now(engine_->get(), &ms), CONVO_OK);
    EXPECT_STREQ(convo_last_error(), "") << "after convo_clock_now";

    fail_once();
    EXPECT_EQ(convo_clock_set(engine_->get(), ms + 1), CONVO_OK);
    EXPECT_STREQ(convo_last_error(), "") << "after convo_clock_set";

    fail_once();
    EXPECT_EQ(convo_tick(engine_->get(), nullptr), CONVO_OK);
    EXPECT_STREQ(convo_last_error(), "") << "after convo_tick";

    fail_once();
    convo_session *s = nullptr;
    EXPECT_EQ(convo_session_open(engine_->get(), "org_z", CONVO_SCOPE_READ, &s), CONVO_OK);
    EXPECT_STREQ(convo_last_error(), "") << "after convo_session_open";
    convo_session_close(s);

    fail_once();
    Engine other;
    EXPECT_EQ(other.open_code(), CONVO_OK);
    EXPECT_EQ(other.open_error(), "") << "after convo_engine_open";
}

TEST_F(ValidationSpecLastError, IsThreadLocal) {
    EXPECT_TRUE(list(s_).ok());
    ASSERT_STREQ(convo_last_error(), "");
    std::string other_error;
    std::thread t([&] {
        Call c = get(s_, kSomeUuid);
        EXPECT_EQ(c.code, CONVO_ENOTFOUND);
        other_error = convo_last_error();
    });
    t.join();
    EXPECT_FALSE(other_error.empty());
    EXPECT_STREQ(convo_last_error(), "") << "another thread's failure leaked into this thread";
}

TEST(ValidationSpecClock, SetOnASystemClockIsMisuse) {
    Engine e(json{{"clock", "system"}});
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    int64_t now = 0;
    ASSERT_EQ(convo_clock_now(e.get(), &now), CONVO_OK);
    EXPECT_EQ(convo_clock_set(e.get(), now + 3600 * 1000), CONVO_EMISUSE);
    EXPECT_STRNE(convo_last_error(), "");
    int64_t after = 0;
    ASSERT_EQ(convo_clock_now(e.get(), &after), CONVO_OK);
    EXPECT_LT(after, now + 3600 * 1000) << "the system clock was moved";
}

TEST(ValidationSpecClock, ManualClockNeverGoesBackwards) {
    Engine e;
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    EXPECT_EQ(e.now(), kStartMs);
    EXPECT_EQ(convo_clock_set(e.get(), kStartMs - 1), CONVO_EINVALID);
    EXPECT_STRNE(convo_last_error(), "");
    EXPECT_EQ(e.now(), kStartMs);
    EXPECT_EQ(convo_clock_set(e.get(), kStartMs + 5000), CONVO_OK) << convo_last_error();
    EXPECT_EQ(e.now(), kStartMs + 5000);
    EXPECT_EQ(convo_clock_set(e.get(), kStartMs + 4999), CONVO_EINVALID);
    EXPECT_EQ(e.now(), kStartMs + 5000);
}

}  // namespace
