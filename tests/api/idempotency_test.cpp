// Idempotency and event time: repeated event_id, repeated client `id` on create, and the `at` rule
// (issue 2, sections 4 and 6; docs/c-api.md "Events" and "Create").
#include "lifecycle_support.h"

namespace convo_test {
namespace {

using lc::at;
using lc::kSec;

class IdempotencyTest : public ApiTest {
protected:
    void clock(int64_t offset) { engine_->set_clock(kStartMs + offset); }
    json apply(const std::string &id, const json &ev) {
        Call c = dispatch(s_, id, ev);
        EXPECT_EQ(c.code, CONVO_OK) << ev.dump() << ": " << c.error;
        return c.body;
    }
    static json msg(const std::string &text, const std::string &event_id = "") {
        json m{{"type", "message"}, {"role", "user"}, {"text", text}};
        if (!event_id.empty()) m["event_id"] = event_id;
        return m;
    }
    // Expects `ev` to be taken as a repeat: OK, the conversation as it stands, nothing appended.
    void expect_repeat(const std::string &id, const json &ev) {
        json before = conv(id);
        uint64_t seq = lc::feed_end(s_);
        Call c = dispatch(s_, id, ev);
        EXPECT_EQ(c.code, CONVO_OK) << ev.dump() << ": " << c.error;
        EXPECT_EQ(c.error, "");
        EXPECT_EQ(c.body, before) << "returns the conversation unchanged";
        EXPECT_EQ(conv(id), before);
        EXPECT_EQ(lc::feed_end(s_), seq) << "no new feed entry";
    }
};

// ---- event_id ------------------------------------------------------------------------------

TEST_F(IdempotencyTest, RepeatedEventIdIsOkAndChangesNothing) {
    std::string id = make("text");
    clock(5 * kSec);
    json first = apply(id, msg("hello", "evt-1"));
    EXPECT_EQ(first["user_turn_count"], 1);
    clock(9 * kSec);
    expect_repeat(id, msg("hello", "evt-1"));
    json c = conv(id);
    EXPECT_EQ(c["user_turn_count"], 1);
    EXPECT_EQ(c["updated_at"], at(5 * kSec));
    EXPECT_EQ(c["conversation"]["messages"].size(), first["conversation"]["messages"].size());
}

TEST_F(IdempotencyTest, RepeatedEventIdWithADifferentBodyIsStillARepeat) {
    std::string id = make("text");
    clock(5 * kSec);
    apply(id, msg("hello", "evt-1"));
    expect_repeat(id, msg("something else", "evt-1"));
    expect_repeat(id, json{{"type", "end"}, {"event_id", "evt-1"}});
    EXPECT_EQ(status(id), "in_progress");
}

TEST_F(IdempotencyTest, RepeatedStatusChangeIsOk) {
    std::string id = make("telephone");
    clock(2 * kSec);
    apply(id, {{"type", "ringing"}, {"event_id", "cb-ringing"}});
    clock(4 * kSec);
    apply(id, {{"type", "answered"}, {"event_id", "cb-answered"}});
    clock(6 * kSec);
    // Without its event_id a late ringing is a conflict; with it, a retried delivery.
    expect_repeat(id, {{"type", "ringing"}, {"event_id", "cb-ringing"}});
    expect_repeat(id, {{"type", "answered"}, {"event_id", "cb-answered"}});
    EXPECT_EQ(dispatch(s_, id, {{"type", "ringing"}}).code, CONVO_ECONFLICT);
    EXPECT_EQ(conv(id)["started_at"], at(4 * kSec));
}

TEST_F(IdempotencyTest, RepeatAfterATerminalStatusIsOkNotAConflict) {
    std::string id = make("telephone");
    clock(1 * kSec);
    apply(id, {{"type", "answered"}, {"event_id", "a-1"}});
    clock(2 * kSec);
    apply(id, msg("hi", "m-1"));
    clock(3 * kSec);
    apply(id, {{"type", "end"}, {"reason", "hangup"}, {"event_id", "e-1"}});
    clock(10 * kSec);
    ASSERT_EQ(status(id), "completed");
    expect_repeat(id, {{"type", "end"}, {"reason", "hangup"}, {"event_id", "e-1"}});
    expect_repeat(id, msg("hi", "m-1"));
    expect_repeat(id, {{"type", "answered"}, {"event_id", "a-1"}});
    // a new event id is still absorbed by the terminal status
    Call c = dispatch(s_, id, {{"type", "end"}, {"event_id", "e-2"}});
    EXPECT_EQ(c.code, CONVO_ECONFLICT);
    json conv_now = conv(id);
    EXPECT_EQ(conv_now["end_reason"], "hangup");
    EXPECT_EQ(conv_now["ended_at"], at(3 * kSec));
}

TEST_F(IdempotencyTest, RepeatOfATimerClosedConversationIsOk) {
    std::string id = make("telephone", "inbound");
    clock(1 * kSec);
    apply(id, {{"type", "annotate"}, {"topic", "x"}, {"event_id", "ann-1"}});
    clock(60 * kSec);
    ASSERT_EQ(engine_->tick(), 1u);
    ASSERT_EQ(status(id), "unanswered");
    expect_repeat(id, {{"type", "annotate"}, {"topic", "x"}, {"event_id", "ann-1"}});
}

TEST_F(IdempotencyTest, EventIdIsPerConversation) {
    std::string a = make("text");
    std::string b = make("text");
    clock(1 * kSec);
    apply(a, msg("to a", "same-id"));
    uint64_t seq = lc::feed_end(s_);
    json c = apply(b, msg("to b", "same-id"));
    EXPECT_EQ(c["user_turn_count"], 1) << "applied to the other conversation";
    EXPECT_EQ(c["conversation"]["messages"].back()["text"], "to b");
    EXPECT_EQ(lc::feed(s_, seq).size(), 1u);
}

TEST_F(IdempotencyTest, RefusedEventDoesNotRecordItsEventId) {
    std::string id = make("telephone");
    Call c = dispatch(s_, id, {{"type", "end"}, {"event_id", "late-end"}});
    ASSERT_EQ(c.code, CONVO_ECONFLICT) << "end is not allowed while triggered";
    Call bad = dispatch(s_, id, {{"type", "message"}, {"role", "robot"}, {"text", "x"}, {"event_id", "bad-1"}});
    ASSERT_EQ(bad.code, CONVO_EINVALID);
    clock(1 * kSec);
    apply(id, {{"type", "answered"}});
    clock(2 * kSec);
    uint64_t seq = lc::feed_end(s_);
    json done = apply(id, {{"type", "end"}, {"event_id", "late-end"}});
    EXPECT_EQ(done["status"], "completed") << "the id was not consumed by the refused call";
    EXPECT_EQ(lc::feed(s_, seq).size(), 1u);
}

TEST_F(IdempotencyTest, DistinctEventIdsAreDistinctEvents) {
    std::string id = make("text");
    apply(id, msg("one", "x-1"));
    apply(id, msg("one", "x-2"));
    EXPECT_EQ(conv(id)["user_turn_count"], 2);
}

// ---- client id on create -------------------------------------------------------------------

constexpr const char *kUuid = "0190a5c4-1d2e-7f00-8abc-0123456789ab";

class IdempotencyCreateTest : public IdempotencyTest,
                              public ::testing::WithParamInterface<std::string> {};
INSTANTIATE_TEST_SUITE_P(Channels, IdempotencyCreateTest,
                         ::testing::Values("text", "email", "webrtc", "telephone"));

TEST_P(IdempotencyCreateTest, SameIdSameOrganizationReturnsTheStoredResponse) {
    json r = request_for(GetParam());
    r["id"] = kUuid;
    Call first = create(s_, r);
    ASSERT_TRUE(first.ok()) << first.error;
    EXPECT_EQ(first.http, GetParam() == "telephone" ? 202 : 200);
    std::string id = first.body.contains("contact_id") ? first.body["contact_id"].get<std::string>()
                                                       : first.body["conversation"]["id"].get<std::string>();
    EXPECT_EQ(id, kUuid) << "the client id is the conversation id";
    uint64_t seq = lc::feed_end(s_);

    clock(30 * kSec);
    Call again = create(s_, r);
    ASSERT_EQ(again.code, CONVO_OK) << again.error;
    EXPECT_EQ(again.error, "");
    EXPECT_EQ(again.http, first.http);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(lc::feed_end(s_), seq) << "no new event";
    Call l = list(s_);
    ASSERT_TRUE(l.ok()) << l.error;
    EXPECT_EQ(l.body["items"].size(), 1u);

    // Still the stored response after the conversation has moved on.
    apply(id, {{"type", "annotate"}, {"topic", "later"}});
    Call third = create(s_, r);
    ASSERT_EQ(third.code, CONVO_OK) << third.error;
    EXPECT_EQ(third.http, first.http);
    EXPECT_EQ(third.body, first.body);
}

TEST_F(IdempotencyTest, SameIdWithAnotherRequestStillReturnsTheStoredResponse) {
    json r = request_for("text");
    r["id"] = kUuid;
    Call first = create(s_, r);
    ASSERT_TRUE(first.ok()) << first.error;
    uint64_t seq = lc::feed_end(s_);
    json other = request_for("telephone");
    other["id"] = kUuid;
    Call again = create(s_, other);
    EXPECT_EQ(again.code, CONVO_OK) << again.error;
    EXPECT_EQ(again.http, 200);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(lc::feed_end(s_), seq);
}

TEST_F(IdempotencyTest, SameIdInAnotherOrganizationIsAConflict) {
    json r = request_for("text");
    r["id"] = kUuid;
    ASSERT_TRUE(create(s_, r).ok());
    convo_session *b = engine_->session("org_b");
    ASSERT_TRUE(agent_put(b, standard_agent()).ok());
    uint64_t seq_a = lc::feed_end(s_);
    Call c = create(b, r);
    EXPECT_EQ(c.code, CONVO_ECONFLICT) << c.error;
    EXPECT_NE(c.error, "");
    EXPECT_TRUE(c.body.is_null());
    EXPECT_EQ(lc::feed(b).size(), 0u) << "nothing appended for org_b";
    EXPECT_EQ(lc::feed_end(s_), seq_a);
    EXPECT_EQ(list(b).body["items"].size(), 0u);
    EXPECT_EQ(get(b, kUuid).code, CONVO_ENOTFOUND) << "never revealed";
    EXPECT_EQ(conv(kUuid)["organization_id"], "org_a");
}

// ---- the `at` rule -------------------------------------------------------------------------

class IdempotencyAtTest : public IdempotencyTest {
protected:
    // A telephone conversation created at kStart (updated_at kStart) with the clock at +60 s.
    std::string prepared() {
        std::string id = make("telephone");
        clock(60 * kSec);
        return id;
    }
    void expect_event_time(const std::string &id, const json &answered, int64_t offset) {
        uint64_t seq = lc::feed_end(s_);
        json c = apply(id, answered);
        EXPECT_EQ(c["started_at"], at(offset)) << answered.dump();
        EXPECT_EQ(c["updated_at"], at(offset)) << answered.dump();
        json f = lc::feed(s_, seq);
        ASSERT_EQ(f.size(), 1u);
        EXPECT_EQ(f[0]["at"], at(offset)) << answered.dump();
    }
};

TEST_F(IdempotencyAtTest, InsideTheWindowItIsUsed) {
    std::string id = prepared();
    expect_event_time(id, {{"type", "answered"}, {"at", at(30 * kSec + 250)}}, 30 * kSec + 250);
}

TEST_F(IdempotencyAtTest, EqualToUpdatedAtIsUsed) {
    std::string id = prepared();
    expect_event_time(id, {{"type", "answered"}, {"at", at(0)}}, 0);
}

TEST_F(IdempotencyAtTest, EqualToNowIsUsed) {
    std::string id = prepared();
    expect_event_time(id, {{"type", "answered"}, {"at", at(60 * kSec)}}, 60 * kSec);
}

TEST_F(IdempotencyAtTest, BeforeTheLastChangeIsReplacedByNow) {
    std::string id = prepared();
    expect_event_time(id, {{"type", "answered"}, {"at", at(-1)}}, 60 * kSec);
}

TEST_F(IdempotencyAtTest, AfterNowIsReplacedByNow) {
    std::string id = prepared();
    expect_event_time(id, {{"type", "answered"}, {"at", at(60 * kSec + 1)}}, 60 * kSec);
}

TEST_F(IdempotencyAtTest, AnyOffsetIsAccepted) {
    std::string id = prepared();
    // 01:00:30.500+01:00 is 00:00:30.500Z
    expect_event_time(id, {{"type", "answered"}, {"at", "2026-01-01T01:00:30.500+01:00"}}, 30 * kSec + 500);
}

TEST_F(IdempotencyAtTest, TheWindowStartsAtTheLastChange) {
    std::string id = prepared();
    apply(id, {{"type", "ringing"}, {"at", at(40 * kSec)}});  // updated_at is now +40 s
    expect_event_time(id, {{"type", "answered"}, {"at", at(35 * kSec)}}, 60 * kSec);
}

TEST_F(IdempotencyAtTest, MessageTimeAndEndTimeFollowAt) {
    std::string id = make("text");
    clock(100 * kSec);
    json c = apply(id, {{"type", "message"}, {"role", "user"}, {"text", "late"}, {"at", at(20 * kSec)}});
    EXPECT_EQ(c["conversation"]["messages"].back()["at"], at(20 * kSec));
    c = apply(id, {{"type", "end"}, {"at", at(50 * kSec)}});
    EXPECT_EQ(c["ended_at"], at(50 * kSec));
    EXPECT_EQ(c["duration"], 50);
}

TEST_F(IdempotencyAtTest, AnInvalidAtIsRejected) {
    std::string id = prepared();
    json before = conv(id);
    Call c = dispatch(s_, id, {{"type", "answered"}, {"at", "yesterday"}});
    EXPECT_EQ(c.code, CONVO_EINVALID);
    EXPECT_NE(c.error.find("at"), std::string::npos) << c.error;
    EXPECT_EQ(conv(id), before);
}

}  // namespace
}  // namespace convo_test
