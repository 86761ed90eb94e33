#include <gtest/gtest.h>

#include <random>
#include <set>

#include <date/date.h>

#include "ids.h"
#include "time_format.h"

namespace convo {
namespace {

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
    EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_time(1767225600123), "2026-01-01T00:00:00.123Z");
}

// The hand-written formatter agrees with date::format, and parse_time reads it back, over
// the whole range (leap days, month ends, every millisecond digit).
TEST(TimeFormat, AgreesWithDateFormatAcrossTheRange) {
    std::mt19937_64 rng(7);
    std::vector<TimeMs> samples{0, kMaxTime, 951782400000 /* 2000-02-29 */, 4107542399999 /* 2100-02-28 end */};
    for (int i = 0; i < 20000; ++i) samples.push_back(static_cast<TimeMs>(rng() % (kMaxTime + 1)));
    for (TimeMs ms : samples) {
        const std::string reference =
            date::format("%FT%TZ", date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds{ms}});
        ASSERT_EQ(format_time(ms), reference) << ms;
        ASSERT_EQ(parse_time(reference), ms) << reference;
    }
}

TEST(TimeFormat, ParsesRfc3339Forms) {
    EXPECT_EQ(parse_time("2026-01-01T00:00:00Z"), 1767225600000);
    EXPECT_EQ(parse_time("2026-01-01T00:00:00.5Z"), 1767225600500);
    EXPECT_EQ(parse_time("2026-01-01T00:00:00.123456Z"), 1767225600123);
    EXPECT_EQ(parse_time("2026-01-01T01:00:00+01:00"), 1767225600000);
    EXPECT_EQ(parse_time("2025-12-31T19:00:00-05:00"), 1767225600000);
    EXPECT_EQ(parse_time("2026-01-01t00:00:00z"), 1767225600000);
    for (TimeMs t : {TimeMs(0), TimeMs(1767225600123), TimeMs(4102444800999)}) {
        EXPECT_EQ(parse_time(format_time(t)), t);
    }
}

TEST(TimeFormat, RejectsWhatIsNotRfc3339) {
    for (const char *bad : {"", "2026-01-01", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00",
                            "2026-13-01T00:00:00Z", "2026-01-01T25:00:00Z", "yesterday",
                            "2026-01-01T00:00:00Zjunk", "2026-1-01T00:00:00Z",
                            // Found by fuzzing: a non-digit inside a field, a sign with no digits.
                            "2026-01-01T00:00:X2.000Z", "2026-01-01T0G:00:00Z",
                            "2026-01-01T00:00:00-:00", "2026-01-01T00:00:00-@1:00",
                            "+026-01-01T00:00:00Z", "2026-01-01T00:00:0 Z", "2026-01-01T00:00:00.Z",
                            "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T00:60:00Z",
                            "2026-01-01T00:00:60Z", "2026-01-01T00:00:00+24:00",
                            "2026-01-01T00:00:00+01:60", "2026-01-01T00:00:00+0100",
                            "2026-01-01T00:00:00.1234567890Z"}) {
        EXPECT_FALSE(parse_time(bad).has_value()) << bad;
    }
}

TEST(TimeFormat, AcceptsOnlyTheSupportedRange) {
    EXPECT_EQ(parse_time("1970-01-01T00:00:00Z"), kMinTime);
    EXPECT_EQ(parse_time("9999-12-31T23:59:59.999Z"), kMaxTime);
    EXPECT_EQ(format_time(kMaxTime), "9999-12-31T23:59:59.999Z");
    EXPECT_EQ(parse_time("2028-02-29T12:00:00.000Z"), 1835438400000);
    for (const char *outside : {"1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00+01:00",
                                "1970-01-01T00:30:00+01:00", "9999-12-31T23:00:00-01:00"}) {
        EXPECT_FALSE(parse_time(outside).has_value()) << outside;
    }
    // A deadline past the range is held at its end instead of overflowing.
    EXPECT_EQ(time_after(kMaxTime - 10, 5), kMaxTime - 5);
    EXPECT_EQ(time_after(kMaxTime - 10, 60000), kMaxTime);
    EXPECT_EQ(time_after(kMaxTime, INT64_MAX), kMaxTime);
}

TEST(Ids, UuidV7IsWellFormedAndTimeOrdered) {
    IdSource ids;
    std::string a = ids.uuid_v7(1767225600000);
    std::string b = ids.uuid_v7(1767225600001);
    EXPECT_TRUE(is_uuid(a));
    EXPECT_EQ(a[14], '7');
    EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b') << a;
    EXPECT_LT(a, b);
    // 1767225600000 ms = 0x019b76daa800: the first 48 bits, as 8-4 hex digits.
    EXPECT_EQ(a.substr(0, 13), "019b76da-a800");
}

TEST(Ids, JoinTokensAreLongUrlSafeAndDistinct) {
    std::set<std::string> seen;
    IdSource ids;
    for (int i = 0; i < 200; ++i) {
        std::string t = ids.join_token();
        EXPECT_EQ(t.size(), 43u);  // 258 bits of base64url
        EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        seen.insert(t);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(Ids, ASeedMakesIdsAndTokensRepeat) {
    IdSource a(42), b(42), c(43);
    for (int i = 0; i < 5; ++i) {
        std::string ua = a.uuid_v7(1767225600000 + i), ta = a.join_token();
        EXPECT_EQ(ua, b.uuid_v7(1767225600000 + i));
        EXPECT_EQ(ta, b.join_token());
        EXPECT_NE(ua, c.uuid_v7(1767225600000 + i));
        EXPECT_NE(ta, c.join_token());
    }
}

TEST(Ids, Checks) {
    EXPECT_TRUE(is_uuid("3c90c3cc-0d44-4b50-8888-8dd25736052a"));
    EXPECT_TRUE(is_uuid("3C90C3CC-0D44-4B50-8888-8DD25736052A"));
    EXPECT_FALSE(is_uuid("3c90c3cc0d444b5088888dd25736052a"));
    EXPECT_FALSE(is_uuid("3c90c3cc-0d44-4b50-8888-8dd25736052g"));
    EXPECT_TRUE(is_e164("+14155551234"));
    EXPECT_FALSE(is_e164("14155551234"));
    EXPECT_FALSE(is_e164("+04155551234"));
    EXPECT_FALSE(is_e164("+1415555123456789"));
    EXPECT_FALSE(is_e164("+1 415 555 1234"));
    EXPECT_TRUE(is_email("customer@example.com"));
    EXPECT_FALSE(is_email("customer@example"));
    EXPECT_FALSE(is_email("customer example.com"));
    EXPECT_FALSE(is_email("a@b@example.com"));
    EXPECT_FALSE(is_email("@example.com"));
    EXPECT_TRUE(is_simple_id("org_a:1.x-y"));
    EXPECT_FALSE(is_simple_id(""));
    EXPECT_FALSE(is_simple_id("org a"));
    EXPECT_FALSE(is_simple_id(std::string(129, 'a')));
}

}  // namespace
}  // namespace convo
