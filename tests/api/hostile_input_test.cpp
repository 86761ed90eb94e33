// Hostile inputs: each gets a clear CONVO_EINVALID naming what is wrong, memory stays bounded
// (documented limits, adjustable as engine options), and nothing changes.
#include <cstdint>
#include <cstdlib>
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

// Found by fuzzing: a key made of a NUL character left convo_last_error() empty (the message is
// a C string that began with the key). Unknown keys are now quoted JSON-escaped, and cut short.
TEST_F(HostileInputTest, UnknownKeysAreNamedPrintably) {
    size_t before = feed_size();
    Call c = create_raw(s_, R"({"\u0000x":1})");
    expect_refused(c, "\\u0000x: unknown field", before);
    std::string id = make("text");
    before = feed_size();
    expect_refused(dispatch_raw(s_, id, R"({"type":"end","\u0001":1})"), "\\u0001: unknown field",
                   before);
    json r = request_for("text");
    r[std::string(300, 'k')] = 1;
    c = create(s_, r);
    expect_refused(c, std::string(64, 'k') + "...: unknown field", before);
    EXPECT_LT(c.error.size(), 120u) << c.error;
}

// Found by fuzzing: times outside years 1970..9999 overflowed the arithmetic or printed as
// something that is not RFC 3339. They are refused where they enter, naming the range.
TEST_F(HostileInputTest, TimesOutsideTheSupportedRangeAreRefused) {
    const int64_t max_ms = 253402300799999;  // 9999-12-31T23:59:59.999Z
    for (int64_t ms : {int64_t(INT64_MAX), max_ms + 1, int64_t(-1), int64_t(INT64_MIN)}) {
        int64_t before = engine_->now();
        EXPECT_EQ(convo_clock_set(engine_->get(), ms), CONVO_EINVALID) << ms;
        EXPECT_TRUE(Mentions(convo_last_error(), "9999-12-31T23:59:59.999Z")) << convo_last_error();
        EXPECT_EQ(engine_->now(), before);
    }
    Engine early(json{{"start", "1969-12-31T23:59:59Z"}});
    EXPECT_EQ(early.open_code(), CONVO_EINVALID);
    EXPECT_TRUE(Mentions(early.open_error(), "start")) << early.open_error();
    std::string id = make("text");
    size_t before = feed_size();
    expect_refused(dispatch(s_, id, {{"type", "end"}, {"at", "10000-01-01T00:00:00Z"}}), "at", before);
}

// Found by fuzzing: a clock near the end of year 9999 put the max-open deadline in year 10000.
// Deadlines are held at the end of the range; every time still prints as RFC 3339.
TEST(HostileInputs, DeadlinesPastTheRangeAreHeldAtItsEnd) {
    Engine e(json{{"start", "9999-12-31T23:59:59.000Z"}});
    ASSERT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    convo_session *s = e.session();
    ASSERT_TRUE(agent_put(s, standard_agent()).ok());
    Call c = create(s, request_for("text"));
    ASSERT_TRUE(c.ok()) << c.error;
    Call g = get(s, c.body["conversation"]["id"].get<std::string>());
    ASSERT_TRUE(g.ok()) << g.error;
    EXPECT_EQ(g.body["expires_at"], "9999-12-31T23:59:59.999Z") << g.body.dump();
    int64_t next = 0;
    ASSERT_EQ(convo_next_deadline(e.get(), &next), CONVO_OK);
    EXPECT_EQ(next, 253402300799999);
}

TEST(HostileInputs, LongDatabasePathsAreAccepted) {
    // 400 bytes: longer than an identifier, each directory name within NAME_MAX.
    std::string top = ::testing::TempDir() + "convo_long_path";
    std::string dir = top + "/" + std::string(120, 'd') + "/" + std::string(120, 'e') + "/" +
                      std::string(120, 'f');
    ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
    Engine e(json{{"path", dir + "/convo.db"}});
    EXPECT_EQ(e.open_code(), CONVO_OK) << e.open_error();
    e.close();
    EXPECT_EQ(std::system(("rm -rf '" + top + "'").c_str()), 0);
    Engine too_long(json{{"path", std::string(5000, 'p')}});
    EXPECT_EQ(too_long.open_code(), CONVO_EINVALID);
    EXPECT_TRUE(Mentions(too_long.open_error(), "path")) << too_long.open_error();
}

}  // namespace
}  // namespace convo_test
