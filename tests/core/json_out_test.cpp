// JsonOut writes what nlohmann's dump() writes for the same document, byte for byte, and
// refuses a string that is not UTF-8 as dump() does.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

#include "json_out.h"

namespace convo {
namespace {

// A random valid UTF-8 string, heavy on the bytes escaping cares about.
std::string random_text(std::mt19937 &rng) {
    static const char32_t kPicks[] = {U'"', U'\\', U'/', U'\b', U'\f', U'\n', U'\r', U'\t', 0x00,
                                      0x01, 0x1F, 0x20, U'a', 0x7F, 0x80, 0xE9, 0x7FF, 0x800,
                                      0x20AC, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
        char32_t cp = rng() % 3 == 0 ? static_cast<char32_t>(0x20 + rng() % 0x5F)
                                     : kPicks[rng() % std::size(kPicks)];
        auto byte = [&](unsigned b) { s += static_cast<char>(b); };
        if (cp < 0x80) byte(cp);
        else if (cp < 0x800) byte(0xC0 | cp >> 6), byte(0x80 | (cp & 0x3F));
        else if (cp < 0x10000) byte(0xE0 | cp >> 12), byte(0x80 | (cp >> 6 & 0x3F)), byte(0x80 | (cp & 0x3F));
        else byte(0xF0 | cp >> 18), byte(0x80 | (cp >> 12 & 0x3F)), byte(0x80 | (cp >> 6 & 0x3F)), byte(0x80 | (cp & 0x3F));
    }
    return s;
}

TEST(JsonOut, StringsAreEscapedAsDumpEscapesThem) {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
        const std::string s = random_text(rng);
        std::string mine;
        append_json_string(mine, s);
        ASSERT_EQ(mine, Json(s).dump()) << i;
    }
}

TEST(JsonOut, InvalidUtf8ThrowsAsDumpDoes) {
    const char *const bad[] = {"\x80", "a\xBF", "\xC0\x80", "\xC1\xBF", "\xC2", "\xE2\x82",
                               "\xE0\x80\x80", "\xED\xA0\x80", "\xF0\x80\x80\x80", "\xF4\x90\x80\x80",
                               "\xF5\x80\x80\x80", "\xFF", "ok\xE2\x28\xA1"};
    for (const char *s : bad) {
        std::string out;
        EXPECT_THROW(append_json_string(out, s), std::invalid_argument) << s;
        EXPECT_THROW(Json(s).dump(), Json::type_error) << s;
    }
}

TEST(JsonOut, DocumentsMatchDump) {
    Json tags = Json::array({"a", 1.5, nullptr, Json::object({{"k", Json::array()}})});
    JsonOut w;
    w.begin_object()
        .key("s").str("x\"y")
        .key("none").str(std::optional<std::string>())
        .key("some").str(std::optional<std::string>("v"))
        .key("min").num(INT64_MIN)
        .key("max").unsigned_num(UINT64_MAX)
        .key("minutes").num(std::optional<int>(-3))
        .key("t").boolean(true)
        .key("f").boolean(false)
        .key("at").time(TimeMs(1767225600123))
        .key("never").time(std::optional<TimeMs>())
        .key("empty").begin_object().end_object()
        .key("list").begin_array().num(1).begin_array().end_array().null().begin_object().key("z").num(0).end_object().end_array()
        .key("tags").json(tags)
        .key("é\n").null()
        .end_object();
    Json expected = {{"s", "x\"y"},
                     {"none", nullptr},
                     {"some", "v"},
                     {"min", INT64_MIN},
                     {"max", UINT64_MAX},
                     {"minutes", -3},
                     {"t", true},
                     {"f", false},
                     {"at", "2026-01-01T00:00:00.123Z"},
                     {"never", nullptr},
                     {"empty", Json::object()},
                     {"list", Json::array({1, Json::array(), nullptr, Json::object({{"z", 0}})})},
                     {"tags", tags},
                     {"é\n", nullptr}};
    EXPECT_EQ(w.text(), expected.dump());
    JsonOut top;
    top.begin_array().end_array();
    EXPECT_EQ(top.take(), "[]");
}

}  // namespace
}  // namespace convo
