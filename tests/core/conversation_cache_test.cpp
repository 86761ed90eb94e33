// The conversation cache: bounded, least recently used out first, a find refreshes an entry,
// a put replaces one, and what it hands back is what was put.
#include <gtest/gtest.h>

#include "conversation_cache.h"

namespace convo {
namespace {

Conversation named(const std::string &id, int64_t turns = 0) {
    Conversation c;
    c.id = id;
    c.organization_id = "org";
    c.user_turn_count = turns;
    return c;
}

TEST(ConversationCache, HoldsAtMostItsCapacityDroppingTheLeastRecentlyUsed) {
    ConversationCache cache(3);
    for (const char *id : {"a", "b", "c"}) cache.put(named(id));
    ASSERT_NE(cache.find("a"), nullptr);  // a is now the most recent; b the least
    cache.put(named("d"));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.find("b"), nullptr);
    for (const char *id : {"a", "c", "d"}) EXPECT_NE(cache.find(id), nullptr) << id;
}

TEST(ConversationCache, PutReplacesAndEraseForgets) {
    ConversationCache cache(2);
    cache.put(named("a", 1));
    cache.put(named("a", 2));
    EXPECT_EQ(cache.size(), 1u);
    ASSERT_NE(cache.find("a"), nullptr);
    EXPECT_EQ(cache.find("a")->user_turn_count, 2);
    cache.erase("a");
    cache.erase("never there");
    EXPECT_EQ(cache.find("a"), nullptr);
    EXPECT_EQ(cache.size(), 0u);
    cache.put(named("b"));
    cache.clear();
    EXPECT_EQ(cache.find("b"), nullptr);
}

TEST(ConversationCache, ManyIdsThroughASmallCacheKeepTheNewest) {
    ConversationCache cache(64);
    for (int i = 0; i < 10000; ++i) cache.put(named("id-" + std::to_string(i), i));
    EXPECT_EQ(cache.size(), 64u);
    for (int i = 10000 - 64; i < 10000; ++i) {
        const Conversation *c = cache.find("id-" + std::to_string(i));
        ASSERT_NE(c, nullptr) << i;
        EXPECT_EQ(c->user_turn_count, i);
    }
    EXPECT_EQ(cache.find("id-0"), nullptr);
    ConversationCache none(0);
    none.put(named("x"));
    EXPECT_EQ(none.find("x"), nullptr);
}

}  // namespace
}  // namespace convo
