// The details column: what encode_details writes decode_details reads back; rows written by
// nlohmann (every earlier version) and rows from before schema 2 read as before; anything
// else is a CorruptRow, never a crash.
#include <gtest/gtest.h>

#include <random>

#include "details.h"

namespace convo {
namespace {

std::optional<std::string> maybe_text(std::mt19937 &rng) {
    static const char *const kTexts[] = {"", "plain", "quote \" and \\ backslash", "tab\tnew\nline",
                                         "\x01 control", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
                                         "slash / </script>"};
    if (rng() % 3 == 0) return std::nullopt;
    return std::string(kTexts[rng() % std::size(kTexts)]);
}

Json host_value(std::mt19937 &rng) {
    switch (rng() % 6) {
        case 0: return nullptr;
        case 1: return Json::array();
        case 2: return Json::object();
        case 3: return Json::array({"vip", 2, 2.5, true, nullptr});
        case 4: return Json{{"zeta", 1}, {"alpha", {{"nested", Json::array({"\xC3\xA9", -1})}}}};
        default: return "just a string";
    }
}

Conversation random_conversation(std::mt19937 &rng) {
    Conversation c;
    c.status = static_cast<Status>(rng() % kStatusCount);
    c.agent_name = maybe_text(rng);
    c.to_address = maybe_text(rng);
    c.from_address = maybe_text(rng);
    c.subject = maybe_text(rng);
    c.initial_context = maybe_text(rng);
    c.summary = maybe_text(rng);
    c.topic = maybe_text(rng);
    c.transferred_to = maybe_text(rng);
    c.from_number = maybe_text(rng);
    c.custom_metadata = host_value(rng);
    c.recording_details = host_value(rng);
    c.tags = host_value(rng);
    c.actions_needed = host_value(rng);
    if (rng() % 2) c.idle_timeout_minutes = static_cast<int>(rng() % 100000) - 5;
    c.max_open_minutes = static_cast<int>(rng() % 1000000);
    c.message_count = static_cast<int64_t>(rng()) * 1000;
    for (auto &d : c.deadlines) {
        if (rng() % 2) d = static_cast<TimeMs>(rng()) * 100000 % kMaxTime;
    }
    c.human_takeover = rng() % 2;
    c.takeover_minutes = static_cast<int>(rng() % 100);
    c.wrap_up = static_cast<WrapUp>(rng() % 3);
    return c;
}

// Every field decode_details sets.
void expect_same_details(const Conversation &a, const Conversation &b) {
    EXPECT_EQ(a.agent_name, b.agent_name);
    EXPECT_EQ(a.to_address, b.to_address);
    EXPECT_EQ(a.from_address, b.from_address);
    EXPECT_EQ(a.subject, b.subject);
    EXPECT_EQ(a.initial_context, b.initial_context);
    EXPECT_EQ(a.summary, b.summary);
    EXPECT_EQ(a.topic, b.topic);
    EXPECT_EQ(a.transferred_to, b.transferred_to);
    EXPECT_EQ(a.from_number, b.from_number);
    EXPECT_EQ(a.custom_metadata.dump(), b.custom_metadata.dump());  // key order too
    EXPECT_EQ(a.recording_details.dump(), b.recording_details.dump());
    EXPECT_EQ(a.tags.dump(), b.tags.dump());
    EXPECT_EQ(a.actions_needed.dump(), b.actions_needed.dump());
    EXPECT_EQ(a.idle_timeout_minutes, b.idle_timeout_minutes);
    EXPECT_EQ(a.max_open_minutes, b.max_open_minutes);
    EXPECT_EQ(a.message_count, b.message_count);
    EXPECT_EQ(a.deadlines, b.deadlines);
    EXPECT_EQ(a.human_takeover, b.human_takeover);
    EXPECT_EQ(a.takeover_minutes, b.takeover_minutes);
    EXPECT_EQ(a.wrap_up, b.wrap_up);
}

TEST(Details, WhatIsWrittenReadsBack) {
    std::mt19937 rng(11);
    for (int i = 0; i < 3000; ++i) {
        const Conversation c = random_conversation(rng);
        const std::string text = encode_details(c);
        Json parsed;
        ASSERT_NO_THROW(parsed = Json::parse(text)) << text;
        Conversation back;
        back.status = c.status;
        decode_details(text, back);
        expect_same_details(c, back);
        if (::testing::Test::HasFailure()) FAIL() << text;
    }
}

// Earlier versions wrote the column with nlohmann; a reader must not care how the JSON is
// spaced or escaped.
TEST(Details, ReadsAnyValidSpellingOfTheSameDocument) {
    std::mt19937 rng(12);
    for (int i = 0; i < 500; ++i) {
        const Conversation c = random_conversation(rng);
        const Json doc = Json::parse(encode_details(c));
        for (const std::string &text : {doc.dump(2), doc.dump(-1, ' ', true)}) {
            Conversation back;
            back.status = c.status;
            decode_details(text, back);
            expect_same_details(c, back);
            if (::testing::Test::HasFailure()) FAIL() << text;
        }
    }
    Conversation c;
    decode_details(R"({"agent_name":"\u00e9\/\ud83d\ude00\"\\\b\f\n\r\t","to_address":null,
        "custom_metadata":null,"recording_details":null,"tags":[],"actions_needed":[],
        "idle_timeout_minutes":null,"max_open_minutes":60,"message_count":0,"deadlines":{}})", c);
    EXPECT_EQ(*c.agent_name, "\xC3\xA9/\xF0\x9F\x98\x80\"\\\b\f\n\r\t");
}

TEST(Details, RowsFromBeforeSchemaTwoTakeTheirDefaults) {
    const std::string old = R"({"agent_name":null,"to_address":null,"from_address":null,"subject":null,
        "initial_context":null,"summary":null,"topic":null,"transferred_to":null,
        "custom_metadata":{"a":1},"recording_details":null,"tags":["x"],"actions_needed":[],
        "idle_timeout_minutes":30,"max_open_minutes":1440,"message_count":2,
        "deadlines":{"idle":1767225600000,"a_future_timer":5}})";
    for (Status s : {Status::in_progress, Status::completed}) {
        Conversation c;
        c.status = s;
        decode_details(old, c);
        EXPECT_EQ(c.wrap_up, is_terminal(s) ? WrapUp::done : WrapUp::none);
        EXPECT_FALSE(c.human_takeover);
        EXPECT_FALSE(c.from_number);
        EXPECT_EQ(c.idle_timeout_minutes, 30);
        EXPECT_EQ(c.deadlines[static_cast<int>(Timer::idle)], 1767225600000);
        EXPECT_EQ(c.custom_metadata, Json({{"a", 1}}));
    }
    // Members this version does not know are skipped.
    Conversation c;
    std::string extra = old;
    extra.insert(1, R"("future":{"deep":[1,{"x":"]}"}],"more":null},)");
    decode_details(extra, c);
    EXPECT_EQ(c.message_count, 2);
}

TEST(Details, AnythingElseIsACorruptRowNeverACrash) {
    Conversation sample;
    sample.custom_metadata = Json{{"k", "v"}};
    sample.tags = Json::array({"t"});
    sample.agent_name = "caf\xC3\xA9";
    sample.deadlines[0] = 5;
    const std::string good = encode_details(sample);
    // Every proper prefix is cut short.
    for (size_t n = 0; n < good.size(); ++n) {
        Conversation c;
        EXPECT_THROW(decode_details(good.substr(0, n), c), CorruptRow) << good.substr(0, n);
    }
    const std::string body = good.substr(1, good.size() - 2);  // the members, without braces
    const std::string bad[] = {
        "", "[]", "null", "\"text\"", good + "x", good + good,
        "{" + body + ",}",                                  // trailing comma
        R"({"max_open_minutes":1})",                        // required members missing
        "{" + body + R"(,"message_count":"2"})",            // wrong types
        "{" + body + R"(,"message_count":1.5})",
        "{" + body + R"(,"message_count":99999999999999999999})",
        "{" + body + R"(,"max_open_minutes":3000000000})",
        "{" + body + R"(,"human_takeover":1})",
        "{" + body + R"(,"agent_name":5})",
        "{" + body + R"(,"deadlines":{"idle":"soon"}})",
        "{" + body + R"(,"deadlines":[]})",
        "{" + body + R"(,"tags":[1,}})",                    // a bad host value
        "{" + body + R"(,"tags":{"a"}})",
        "{" + body + R"(,"agent_name":"\x"})",              // bad escapes
        "{" + body + R"(,"agent_name":"\u12"})",
        "{" + body + R"(,"agent_name":"\ud800"})",          // lone surrogates
        "{" + body + R"(,"agent_name":"\udc00"})",
        "{" + body + R"(,"agent_name":"\ud800\u0041"})",
        "{" + body + ",\"agent_name\":\"a\nb\"}",           // a raw control character
    };
    for (const std::string &text : bad) {
        Conversation c;
        EXPECT_THROW(decode_details(text, c), CorruptRow) << text;
    }
}

}  // namespace
}  // namespace convo
