// Hostile inputs: each gets a clear CONVO_EINVALID naming what is wrong, memory stays bounded
// (documented limits, adjustable as engine options), and nothing changes.
#include <string>

#include "assertions.h"
#include "harness.h"

namespace convo_test {
namespace {

class HostileInputTest : public ApiTest {
protected:
    json options() const override {
        return json{{"max_request_bytes", 4096}, {"max_message_bytes", 64}, {"max_metadata_bytes", 128}};
    }
    // The call failed as EINVALID, named `what`, and left the feed as it was.
    void expect_refused(const Call &c, const std::string &what, size_t feed_before) {
        EXPECT_EQ(c.code, CONVO_EINVALID) << c.error;
        EXPECT_TRUE(c.body.is_null());
        EXPECT_TRUE(Mentions(c.error, what)) << c.error;
        EXPECT_EQ(events(s_).body["events"].size(), feed_before);
    }
    size_t feed_size() { return events(s_).body["events"].size(); }
};

TEST_F(HostileInputTest, DeeplyNestedJsonIsRefusedBeforeParsing) {
    size_t before = feed_size();
    std::string deep(100000, '[');
    expect_refused(create_raw(s_, deep.c_str()), "request", before);
    std::string nested = "{\"custom_metadata\":" + std::string(70, '[') + std::string(70, ']') + "}";
    expect_refused(create_raw(s_, nested.c_str()), "request", before);
}

TEST_F(HostileInputTest, RequestsOverMaxRequestBytesAreRefused) {
    size_t before = feed_size();
    json r = request_for("text");
    r["initial_context"] = std::string(5000, 'x');
    Call c = create(s_, r);
    expect_refused(c, "max_request_bytes", before);
}

TEST_F(HostileInputTest, FreeTextOverMaxMessageBytesIsRefused) {
    std::string id = make("text");
    size_t before = feed_size();
    Call c = dispatch(s_, id, {{"type", "message"}, {"role", "user"}, {"text", std::string(65, 'a')}});
    expect_refused(c, "text", before);
    EXPECT_TRUE(Mentions(c.error, "max_message_bytes")) << c.error;
    EXPECT_TRUE(dispatch(s_, id, {{"type", "message"}, {"role", "user"}, {"text", std::string(64, 'a')}}).ok());
}

TEST_F(HostileInputTest, IdentifiersOverTheirLimitAreRefused) {
    size_t before = feed_size();
    json r = request_for("text");
    r["user_id"] = std::string(257, 'u');
    expect_refused(create(s_, r), "user_id", before);
    r["user_id"] = std::string(256, 'u');
    EXPECT_TRUE(create(s_, r).ok());
}

TEST_F(HostileInputTest, ObjectsOverMaxMetadataBytesAreRefused) {
    size_t before = feed_size();
    json r = request_for("text");
    r["custom_metadata"] = {{"blob", std::string(200, 'm')}};
    expect_refused(create(s_, r), "custom_metadata", before);
}

TEST_F(HostileInputTest, InvalidUtf8AndLoneSurrogatesAreRefused) {
    size_t before = feed_size();
    std::string bad = R"({"channel":"text","user_id":"u)" + std::string("\xff\xfe") +
                      R"(","agent_id":"agent_abc"})";
    expect_refused(create_raw(s_, bad.c_str()), "request", before);
    std::string surrogate = R"({"channel":"text","user_id":"\ud800","agent_id":"agent_abc"})";
    expect_refused(create_raw(s_, surrogate.c_str()), "request", before);
}

TEST_F(HostileInputTest, AnEmbeddedNulEndsTheCString) {
    size_t before = feed_size();
    std::string with_nul = std::string(R"({"channel":"text",)") + '\0' + R"("user_id":"u"})";
    expect_refused(create_raw(s_, with_nul.c_str()), "request", before);  // "{...," is not JSON
}

TEST_F(HostileInputTest, NumbersOutOfRangeAreRefused) {
    size_t before = feed_size();
    for (const char *n : {"1e300", "-1", "18446744073709551616", "4294967297", "1.5", "0"}) {
        std::string body = std::string(R"({"channel":"text","user_id":"u","agent_id":"agent_abc",)") +
                           R"("idle_timeout_minutes":)" + n + "}";
        expect_refused(create_raw(s_, body.c_str()), "idle_timeout_minutes", before);
    }
}

TEST_F(HostileInputTest, LimitsAreOptionsWithBounds) {
    Engine bad(json{{"max_request_bytes", 10}});
    EXPECT_EQ(bad.open_code(), CONVO_EINVALID);
    EXPECT_TRUE(Mentions(bad.open_error(), "max_request_bytes")) << bad.open_error();
    Engine defaults;  // 1 MiB requests, 64 KiB text and objects
    ASSERT_EQ(defaults.open_code(), CONVO_OK);
    convo_session *s = defaults.session();
    ASSERT_TRUE(agent_put(s, standard_agent()).ok());
    json r = request_for("text");
    r["initial_context"] = std::string(65536, 'c');
    EXPECT_TRUE(create(s, r).ok());
    r["initial_context"] = std::string(65537, 'c');
    EXPECT_EQ(create(s, r).code, CONVO_EINVALID);
}

}  // namespace
}  // namespace convo_test
