// convo_list: every filter, combinations, limits, and cursor paging (issue section 8,
// docs/c-api.md, convo.h).
#include "assertions.h"
#include "harness.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace convo_test;

namespace {

std::vector<std::string> ids_of(const json &items) {
    std::vector<std::string> v;
    for (const json &i : items) v.push_back(i.at("id").get<std::string>());
    return v;
}

// Follows next_cursor from `query` until it is null; returns every id in order.
std::vector<std::string> page_all(convo_session *s, json query, size_t max_pages,
                                  std::vector<size_t> *sizes = nullptr) {
    std::vector<std::string> all;
    for (size_t page = 0; page < max_pages; ++page) {
        Call c = list(s, query);
        EXPECT_TRUE(c.ok()) << c.error << " on page " << page << " query " << query.dump();
        if (!c.ok()) return all;
        const json &items = c.body["items"];
        if (sizes) sizes->push_back(items.size());
        for (const std::string &id : ids_of(items)) all.push_back(id);
        EXPECT_TRUE(c.body.contains("next_cursor"));
        const json &next = c.body["next_cursor"];
        if (next.is_null()) return all;
        EXPECT_TRUE(next.is_string()) << next.dump();
        if (!next.is_string()) return all;
        query["cursor"] = next;
    }
    ADD_FAILURE() << "paging did not end within " << max_pages << " pages";
    return all;
}

// ---------------------------------------------------------------------------------------
// Filters over a fixed set of seven conversations

class ListSpec : public ApiTest {
protected:
    void SetUp() override {
        ApiTest::SetUp();
        if (HasFatalFailure()) return;
        json xyz{{"id", "agent_xyz"},
                 {"name", "Sales"},
                 {"phone_number", "+18885550001"},
                 {"versions", json::array({json{{"version", 1}, {"published", true}, {"greeting", "x1"}},
                                           json{{"version", 2}, {"published", true}, {"greeting", "x2"}}})}};
        Call px = agent_put(s_, xyz);
        ASSERT_TRUE(px.ok()) << px.error;
        for (const json &v : px.body["versions"])
            xyz_v_[v["version"].get<int>()] = v["id"].get<std::string>();
        Call pa = agent_get(s_, "agent_abc");
        ASSERT_TRUE(pa.ok());
        for (const json &v : pa.body["versions"])
            if (v["version"] == 1) abc_v1_ = v["id"].get<std::string>();

        // #0 text outbound agent_abc user_1 {tier gold, region eu}       -> in_progress
        add(with(request_for("text"),
                 {{"user_id", "user_1"}, {"custom_metadata", {{"tier", "gold"}, {"region", "eu"}}}}));
        // #1 email outbound agent_abc user_2 {tier silver}               -> triggered
        add(with(request_for("email"),
                 {{"user_id", "user_2"}, {"custom_metadata", {{"tier", "silver"}}}}));
        // #2 telephone outbound agent_abc (+18885550000)                 -> triggered
        add(with(request_for("telephone"), {{"user_id", "+14155550001"}}));
        // #3 telephone inbound agent_xyz (v2; its number +18885550001)  -> ringing
        add(json{{"channel", "telephone"},
                 {"direction", "inbound"},
                 {"user_id", "+14155550002"},
                 {"agent_id", "agent_xyz"}});
        // #4 webrtc outbound agent_xyz v1 user_1 {tier gold, account {id 7, tags}} -> token_created
        add(with(request_for("webrtc"),
                 {{"agent_id", "agent_xyz"},
                  {"version", 1},
                  {"user_id", "user_1"},
                  {"custom_metadata",
                   {{"tier", "gold"}, {"account", {{"id", 7}, {"tags", json::array({"a", "b"})}}}}}}));
        // #5 text inbound agent_xyz (v2) user_3 {tier gold, account {id 8}} -> completed
        add(with(request_for("text", "inbound"),
                 {{"agent_id", "agent_xyz"},
                  {"user_id", "user_3"},
                  {"custom_metadata", {{"tier", "gold"}, {"account", {{"id", 8}}}}}}));
        // #6 webrtc outbound agent_abc user_2                             -> cancelled
        add(with(request_for("webrtc"), {{"user_id", "user_2"}}));
        ASSERT_EQ(ids_.size(), 7u);

        engine_->advance(1000);
        ASSERT_TRUE(dispatch(s_, ids_[5], {{"type", "end"}}).ok());
        ASSERT_TRUE(dispatch(s_, ids_[6], {{"type", "cancel"}}).ok());
    }

    static json with(json base, const json &patch) {
        for (auto it = patch.begin(); it != patch.end(); ++it) base[it.key()] = it.value();
        return base;
    }
    // Creates one conversation one second after the previous one.
    void add(const json &request) {
        engine_->advance(1000);
        Call c = create(s_, request);
        ASSERT_TRUE(c.ok()) << c.error << " for " << request.dump();
        ids_.push_back(c.body.contains("contact_id") ? c.body["contact_id"].get<std::string>()
                                                     : c.body["conversation"]["id"].get<std::string>());
    }
    // Created at kStart + (i + 1) s.
    static std::string created(int i, int ms_extra = 0) {
        char buf[40];
        int total = (i + 1) * 1000 + ms_extra;
        std::snprintf(buf, sizeof buf, "2026-01-01T00:00:%02d.%03dZ", total / 1000, total % 1000);
        return buf;
    }
    std::vector<std::string> expected(std::initializer_list<int> idx) const {
        std::vector<std::string> v;
        for (int i : idx) v.push_back(ids_[static_cast<size_t>(i)]);
        return v;
    }
    std::vector<std::string> listed(const json &query) {
        Call c = list(s_, query);
        EXPECT_TRUE(c.ok()) << c.error << " for " << query.dump();
        if (!c.ok()) return {};
        EXPECT_TRUE(c.body["next_cursor"].is_null()) << query.dump();
        return ids_of(c.body["items"]);
    }
    std::string name(const std::vector<std::string> &got) const {
        std::string s;
        for (const std::string &g : got) {
            auto it = std::find(ids_.begin(), ids_.end(), g);
            s += it == ids_.end() ? "?" : std::to_string(it - ids_.begin());
            s += " ";
        }
        return s;
    }
    void expect_list(const json &query, std::initializer_list<int> idx) {
        std::vector<std::string> got = listed(query);
        std::vector<std::string> want = expected(idx);
        EXPECT_EQ(got, want) << "query " << query.dump() << " gave #" << name(got);
    }

    std::vector<std::string> ids_;
    std::map<int, std::string> xyz_v_;
    std::string abc_v1_;
};

TEST_F(ListSpec, NoFilterListsAllNewestFirst) {
    expect_list(json::object(), {6, 5, 4, 3, 2, 1, 0});
    Call c = convo_test::list(s_);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c.body.contains("items"));
    EXPECT_TRUE(c.body.contains("next_cursor"));
    EXPECT_TRUE(c.body["next_cursor"].is_null());
}

TEST_F(ListSpec, ItemsAreTheConversations) {
    Call c = convo_test::list(s_);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c.body["items"].size(), 7u);
    for (const json &item : c.body["items"]) EXPECT_EQ(item, conv(item["id"].get<std::string>()));
}

TEST_F(ListSpec, StatusAsString) {
    expect_list({{"status", "in_progress"}}, {0});
    expect_list({{"status", "triggered"}}, {2, 1});
    expect_list({{"status", "ringing"}}, {3});
    expect_list({{"status", "token_created"}}, {4});
    expect_list({{"status", "completed"}}, {5});
    expect_list({{"status", "cancelled"}}, {6});
    expect_list({{"status", "unanswered"}}, {});
}

TEST_F(ListSpec, StatusAsArray) {
    expect_list({{"status", json::array({"triggered", "ringing"})}}, {3, 2, 1});
    expect_list({{"status", json::array({"completed", "cancelled"})}}, {6, 5});
    expect_list({{"status", json::array({"in_progress"})}}, {0});
    expect_list({{"status", json::array({"failed", "transferred"})}}, {});
    expect_list({{"status", json::array({"token_created", "in_progress", "completed"})}}, {5, 4, 0});
}

TEST_F(ListSpec, Channel) {
    expect_list({{"channel", "text"}}, {5, 0});
    expect_list({{"channel", "email"}}, {1});
    expect_list({{"channel", "telephone"}}, {3, 2});
    expect_list({{"channel", "webrtc"}}, {6, 4});
}

TEST_F(ListSpec, Direction) {
    expect_list({{"direction", "inbound"}}, {5, 3});
    expect_list({{"direction", "outbound"}}, {6, 4, 2, 1, 0});
}

TEST_F(ListSpec, AgentId) {
    expect_list({{"agent_id", "agent_xyz"}}, {5, 4, 3});
    expect_list({{"agent_id", "agent_abc"}}, {6, 2, 1, 0});
    expect_list({{"agent_id", "agent_nope"}}, {});
}

TEST_F(ListSpec, AgentVersionId) {
    ASSERT_EQ(xyz_v_.size(), 2u);
    ASSERT_FALSE(abc_v1_.empty());
    expect_list({{"agent_version_id", xyz_v_[1]}}, {4});
    expect_list({{"agent_version_id", xyz_v_[2]}}, {5, 3});
    expect_list({{"agent_version_id", abc_v1_}}, {6, 2, 1, 0});
    expect_list({{"agent_version_id", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}}, {});
}

TEST_F(ListSpec, UserId) {
    expect_list({{"user_id", "user_1"}}, {4, 0});
    expect_list({{"user_id", "user_2"}}, {6, 1});
    expect_list({{"user_id", "+14155550002"}}, {3});
    expect_list({{"user_id", "user_9"}}, {});
}

TEST_F(ListSpec, AgentNumber) {
    expect_list({{"agent_number", "+18885550000"}}, {2});
    expect_list({{"agent_number", "+18885550001"}}, {3});
    expect_list({{"agent_number", "+18885550009"}}, {});
}

TEST_F(ListSpec, CustomMetadataOneKey) {
    expect_list({{"custom_metadata", {{"tier", "gold"}}}}, {5, 4, 0});
    expect_list({{"custom_metadata", {{"tier", "silver"}}}}, {1});
    expect_list({{"custom_metadata", {{"tier", "bronze"}}}}, {});
    expect_list({{"custom_metadata", {{"missing", "x"}}}}, {});
}

TEST_F(ListSpec, CustomMetadataEveryGivenKeyMustEqual) {
    expect_list({{"custom_metadata", {{"tier", "gold"}, {"region", "eu"}}}}, {0});
    expect_list({{"custom_metadata", {{"tier", "gold"}, {"region", "us"}}}}, {});
    expect_list({{"custom_metadata", {{"tier", "silver"}, {"region", "eu"}}}}, {});
}

TEST_F(ListSpec, CustomMetadataNestedValues) {
    expect_list({{"custom_metadata", {{"account", {{"id", 7}, {"tags", json::array({"a", "b"})}}}}}},
                {4});
    expect_list({{"custom_metadata", {{"account", {{"id", 8}}}}}}, {5});
    expect_list({{"custom_metadata", {{"account", {{"id", 9}}}}}}, {});
    expect_list({{"custom_metadata",
                  {{"tier", "gold"}, {"account", {{"id", 7}, {"tags", json::array({"a", "b"})}}}}}},
                {4});
    // Types matter: 8 is not "8".
    expect_list({{"custom_metadata", {{"account", {{"id", "8"}}}}}}, {});
}

TEST_F(ListSpec, CreatedAfterAndBefore) {
    const std::string mid = created(2, 500);  // between #2 and #3
    expect_list({{"created_after", mid}}, {6, 5, 4, 3});
    expect_list({{"created_before", mid}}, {2, 1, 0});
    expect_list({{"created_after", created(0, 500)}, {"created_before", created(3, 500)}}, {3, 2, 1});
    expect_list({{"created_after", created(6, 500)}}, {});
    expect_list({{"created_before", created(0, -500)}}, {});
    // Any RFC 3339 offset is accepted: 01:00:03.500+01:00 is 00:00:03.500Z.
    expect_list({{"created_after", "2026-01-01T01:00:03.500+01:00"}}, {6, 5, 4, 3});
    // created_at, not updated_at: #5 and #6 changed later but keep their place.
    expect_list({{"created_before", created(5, 500)}}, {5, 4, 3, 2, 1, 0});
}

TEST_F(ListSpec, FiltersCombine) {
    expect_list({{"channel", "text"}, {"status", "in_progress"}}, {0});
    expect_list({{"channel", "text"}, {"status", "completed"}}, {5});
    expect_list({{"agent_id", "agent_abc"}, {"direction", "outbound"}, {"user_id", "user_2"}}, {6, 1});
    expect_list({{"custom_metadata", {{"tier", "gold"}}}, {"channel", "webrtc"}}, {4});
    expect_list({{"custom_metadata", {{"tier", "gold"}}}, {"direction", "inbound"}}, {5});
    expect_list({{"status", json::array({"triggered", "ringing"})}, {"channel", "telephone"}}, {3, 2});
    expect_list({{"agent_id", "agent_xyz"}, {"created_after", created(3, 500)},
                 {"status", json::array({"token_created", "completed"})}},
                {5, 4});
    expect_list({{"channel", "email"}, {"direction", "inbound"}}, {});
}

TEST_F(ListSpec, LimitOutOfRangeIsInvalid) {
    for (const json &limit : json::array({0, 101, -1, 1000, 1.5, "5", true})) {
        char *out = reinterpret_cast<char *>(static_cast<uintptr_t>(0x1));
        json q{{"limit", limit}};
        convo_code code = convo_list(s_, q.dump().c_str(), &out);
        EXPECT_EQ(code, CONVO_EINVALID) << "limit " << limit.dump();
        EXPECT_TRUE(NamesField(convo_last_error(), "limit")) << "limit " << limit.dump();
        EXPECT_EQ(out, nullptr) << "limit " << limit.dump();
        if (out != nullptr && out != reinterpret_cast<char *>(static_cast<uintptr_t>(0x1)))
            convo_free(out);
    }
}

TEST_F(ListSpec, LimitBoundsAreAccepted) {
    Call one = convo_test::list(s_, {{"limit", 1}});
    ASSERT_TRUE(one.ok()) << one.error;
    EXPECT_EQ(ids_of(one.body["items"]), expected({6}));
    EXPECT_TRUE(one.body["next_cursor"].is_string());
    Call hundred = convo_test::list(s_, {{"limit", 100}});
    ASSERT_TRUE(hundred.ok()) << hundred.error;
    EXPECT_EQ(hundred.body["items"].size(), 7u);
    EXPECT_TRUE(hundred.body["next_cursor"].is_null());
}

TEST_F(ListSpec, UnknownKeyIsInvalid) {
    for (const char *k : {"foo", "sort", "statuses", "offset", "page"}) {
        Call c = convo_test::list(s_, {{k, 1}});
        EXPECT_EQ(c.code, CONVO_EINVALID) << k;
        EXPECT_TRUE(NamesField(c.error, k));
        EXPECT_TRUE(c.body.is_null());
    }
}

TEST_F(ListSpec, WrongTypesAreInvalid) {
    const json cases = json::array({
        json{{"status", 5}},
        json{{"status", json::array({5})}},
        json{{"status", {{"in", "x"}}}},
        json{{"channel", 5}},
        json{{"direction", true}},
        json{{"agent_id", 5}},
        json{{"agent_version_id", 5}},
        json{{"user_id", 5}},
        json{{"agent_number", 5}},
        json{{"custom_metadata", "tier=gold"}},
        json{{"custom_metadata", json::array({"tier"})}},
        json{{"created_after", 5}},
        json{{"created_after", "yesterday"}},
        json{{"created_before", "2026-01-01"}},
        json{{"cursor", 5}},
    });
    for (const json &q : cases) {
        Call c = convo_test::list(s_, q);
        EXPECT_EQ(c.code, CONVO_EINVALID) << q.dump();
        EXPECT_TRUE(NamesField(c.error, q.begin().key())) << q.dump();
    }
}

TEST_F(ListSpec, MalformedQueryIsInvalid) {
    for (const char *q : {"{", "[]", "5", "\"status\""}) {
        char *out = nullptr;
        EXPECT_EQ(convo_list(s_, q, &out), CONVO_EINVALID) << q;
        EXPECT_EQ(out, nullptr);
        convo_free(out);
    }
}

TEST_F(ListSpec, InvalidCursorIsInvalid) {
    for (const char *cur : {"not a cursor", "%%%", "eyJmb28iOjF9"}) {
        Call c = convo_test::list(s_, {{"cursor", cur}});
        EXPECT_EQ(c.code, CONVO_EINVALID) << "cursor " << cur;
        EXPECT_TRUE(NamesField(c.error, "cursor")) << "cursor " << cur;
        EXPECT_TRUE(c.body.is_null());
    }
}

// ---------------------------------------------------------------------------------------
// Paging

class ListSpecPaging : public ApiTest {
protected:
    // n conversations of `channel`, `step_ms` apart; returns their ids newest first.
    std::vector<std::string> seed(int n, int64_t step_ms = 1000, const std::string &channel = "text") {
        std::vector<std::string> ids;
        for (int i = 0; i < n; ++i) {
            if (step_ms > 0) engine_->advance(step_ms);
            ids.push_back(make(channel));
        }
        std::reverse(ids.begin(), ids.end());
        return ids;
    }
};

TEST_F(ListSpecPaging, DefaultLimitIsTwenty) {
    std::vector<std::string> all = seed(25);
    Call first = convo_test::list(s_);
    ASSERT_TRUE(first.ok()) << first.error;
    EXPECT_EQ(ids_of(first.body["items"]),
              std::vector<std::string>(all.begin(), all.begin() + 20));
    ASSERT_TRUE(first.body["next_cursor"].is_string());
    EXPECT_FALSE(first.body["next_cursor"].get<std::string>().empty());
    Call second = convo_test::list(s_, {{"cursor", first.body["next_cursor"]}});
    ASSERT_TRUE(second.ok()) << second.error;
    EXPECT_EQ(ids_of(second.body["items"]), std::vector<std::string>(all.begin() + 20, all.end()));
    EXPECT_TRUE(second.body["next_cursor"].is_null());
    // A null query is the same as {}.
    char *out = nullptr;
    ASSERT_EQ(convo_list(s_, nullptr, &out), CONVO_OK);
    EXPECT_EQ(json::parse(out)["items"].size(), 20u);
    convo_free(out);
}

TEST_F(ListSpecPaging, PagesThroughEverythingNewestFirstWithoutDuplicatesOrGaps) {
    std::vector<std::string> all = seed(25);
    std::vector<size_t> sizes;
    std::vector<std::string> got = page_all(s_, {{"limit", 7}}, 10, &sizes);
    EXPECT_EQ(got, all);
    EXPECT_EQ(sizes, (std::vector<size_t>{7, 7, 7, 4}));
}

TEST_F(ListSpecPaging, PagesThatDivideEvenly) {
    std::vector<std::string> all = seed(10);
    std::vector<size_t> sizes;
    std::vector<std::string> got = page_all(s_, {{"limit", 5}}, 5, &sizes);
    EXPECT_EQ(got, all);
    ASSERT_GE(sizes.size(), 2u);
    EXPECT_EQ(sizes[0], 5u);
    EXPECT_EQ(sizes[1], 5u);
    if (sizes.size() == 3) {
        EXPECT_EQ(sizes[2], 0u);
    }
    EXPECT_LE(sizes.size(), 3u);
}

TEST_F(ListSpecPaging, LimitOneWalksEveryItem) {
    std::vector<std::string> all = seed(6);
    EXPECT_EQ(page_all(s_, {{"limit", 1}}, 10), all);
}

TEST_F(ListSpecPaging, CursorKeepsTheFilter) {
    std::vector<std::string> texts, emails;
    for (int i = 0; i < 12; ++i) {
        engine_->advance(1000);
        texts.push_back(make("text"));
        engine_->advance(1000);
        emails.push_back(make("email"));
    }
    std::reverse(texts.begin(), texts.end());
    std::reverse(emails.begin(), emails.end());
    EXPECT_EQ(page_all(s_, {{"channel", "email"}, {"limit", 5}}, 6), emails);
    EXPECT_EQ(page_all(s_, {{"channel", "text"}, {"limit", 4}}, 6), texts);
}

TEST_F(ListSpecPaging, StableUnderInsertsBetweenPages) {
    std::vector<std::string> all = seed(15);
    Call p1 = convo_test::list(s_, {{"limit", 5}});
    ASSERT_TRUE(p1.ok());
    EXPECT_EQ(ids_of(p1.body["items"]), std::vector<std::string>(all.begin(), all.begin() + 5));
    ASSERT_TRUE(p1.body["next_cursor"].is_string());

    std::vector<std::string> fresh = seed(3);  // newer than everything listed so far

    Call p2 = convo_test::list(s_, {{"limit", 5}, {"cursor", p1.body["next_cursor"]}});
    ASSERT_TRUE(p2.ok()) << p2.error;
    EXPECT_EQ(ids_of(p2.body["items"]), std::vector<std::string>(all.begin() + 5, all.begin() + 10));
    ASSERT_TRUE(p2.body["next_cursor"].is_string());

    std::vector<std::string> fresh2 = seed(2);

    std::vector<std::string> rest =
        page_all(s_, {{"limit", 5}, {"cursor", p2.body["next_cursor"]}}, 4);
    EXPECT_EQ(rest, std::vector<std::string>(all.begin() + 10, all.end()));

    // A new first page sees the inserts on top.
    Call top = convo_test::list(s_, {{"limit", 5}});
    ASSERT_TRUE(top.ok());
    std::vector<std::string> want{fresh2[0], fresh2[1], fresh[0], fresh[1], fresh[2]};
    EXPECT_EQ(ids_of(top.body["items"]), want);
}

TEST_F(ListSpecPaging, ItemsCreatedInTheSameMillisecondArePagedOnce) {
    std::vector<std::string> all = seed(12, 0);
    std::vector<std::string> got = page_all(s_, {{"limit", 5}}, 6);
    EXPECT_EQ(got.size(), 12u);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()),
              std::set<std::string>(all.begin(), all.end()));
}

TEST_F(ListSpecPaging, SameMillisecondInsertsBetweenPagesNeitherDuplicateNorSkip) {
    std::vector<std::string> all = seed(12, 0);
    Call p1 = convo_test::list(s_, {{"limit", 5}});
    ASSERT_TRUE(p1.ok());
    ASSERT_TRUE(p1.body["next_cursor"].is_string());
    std::vector<std::string> got = ids_of(p1.body["items"]);
    seed(4, 0);  // same created_at as everything else
    std::vector<std::string> rest =
        page_all(s_, {{"limit", 5}, {"cursor", p1.body["next_cursor"]}}, 8);
    got.insert(got.end(), rest.begin(), rest.end());
    std::multiset<std::string> seen(got.begin(), got.end());
    for (const std::string &id : all) EXPECT_EQ(seen.count(id), 1u) << id;
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << "duplicates";
}

TEST_F(ListSpecPaging, EmptyListHasNoCursor) {
    Call c = convo_test::list(s_);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.body["items"], json::array());
    ASSERT_TRUE(c.body.contains("next_cursor"));
    EXPECT_TRUE(c.body["next_cursor"].is_null());
}

}  // namespace
