// The store from the inside: the hot queries run on indexes, a second engine on the same file
// is refused, and a reopened store continues the feed's sequence.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdio>
#include <string>

#include "engine.h"
#include "sqlite_queries.h"

namespace convo {
namespace {

std::string temp_db(const char *name) {
    std::string path = ::testing::TempDir() + "convo_store_" + name + ".db";
    for (const char *suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    return path;
}

std::string plan(SQLite::Database &db, const std::string &query) {
    SQLite::Statement st(db, "EXPLAIN QUERY PLAN " + query);
    std::string out;
    while (st.executeStep()) out += st.getColumn(3).getString() + "\n";
    return out;
}

TEST(SqliteStore, HotQueriesUseIndexes) {
    std::string path = temp_db("plans");
    {
        std::unique_ptr<Engine> e;
        ASSERT_TRUE(Engine::open(("{\"path\":\"" + path + "\"}").c_str(), &e).is_ok());
    }
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    std::string due = plan(db, sql::kDue);
    EXPECT_NE(due.find("USING INDEX conversations_due"), std::string::npos) << due;
    EXPECT_EQ(due.find("SCAN conversations\n"), std::string::npos) << due;
    EXPECT_EQ(due.find("TEMP B-TREE"), std::string::npos) << due;
    std::string next = plan(db, sql::kNextDeadline);
    EXPECT_NE(next.find("conversations_due"), std::string::npos) << next;
    std::string events = plan(db, sql::kReadEvents);
    EXPECT_NE(events.find("USING INDEX events_org"), std::string::npos) << events;
    std::string open = plan(db, sql::kCountOpen);
    EXPECT_NE(open.find("conversations_org_status"), std::string::npos) << open;
}

TEST(SqliteStore, ListQueriesSearchAnIndexInListOrder) {
    std::string path = temp_db("list_plans");
    {
        std::unique_ptr<Engine> e;
        ASSERT_TRUE(Engine::open(("{\"path\":\"" + path + "\"}").c_str(), &e).is_ok());
    }
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    std::vector<std::pair<const char *, ListQuery>> queries;
    ListQuery q;
    queries.emplace_back("newest first", q);
    q.cursor = std::make_pair(TimeMs(1767225600000), int64_t(42));
    queries.emplace_back("next page", q);
    q = ListQuery{};
    q.statuses = {Status::in_progress};
    queries.emplace_back("one status", q);
    q = ListQuery{};
    q.user_id = "u1";
    q.cursor = std::make_pair(TimeMs(1767225600000), int64_t(42));
    queries.emplace_back("user, next page", q);
    q = ListQuery{};
    q.agent_id = "a";
    queries.emplace_back("agent", q);
    q = ListQuery{};
    q.metadata = {{"tier", "\"gold\""}};
    q.cursor = std::make_pair(TimeMs(1767225600000), int64_t(42));
    queries.emplace_back("metadata, next page", q);
    q.metadata.emplace_back("region", "\"eu\"");
    q.statuses = {Status::completed, Status::failed};
    queries.emplace_back("two metadata keys and statuses", q);
    for (const auto &[name, query] : queries) {
        sql::ListSql built = sql::list_query("id, created_at", "org", query);
        std::string p = plan(db, built.text);
        EXPECT_EQ(p.find("SCAN c"), std::string::npos) << name << "\n" << p;
        EXPECT_EQ(p.find("SCAN m"), std::string::npos) << name << "\n" << p;
        EXPECT_EQ(p.find("TEMP B-TREE"), std::string::npos) << name << "\n" << p;
        EXPECT_NE(p.find("USING"), std::string::npos) << name << "\n" << p;
    }
}

TEST(SqliteStore, SecondEngineOnTheSameFileIsAConflict) {
    std::string path = temp_db("conflict");
    std::string options = "{\"path\":\"" + path + "\"}";
    std::unique_ptr<Engine> first, second;
    ASSERT_TRUE(Engine::open(options.c_str(), &first).is_ok());
    Outcome o = Engine::open(options.c_str(), &second);
    EXPECT_EQ(o.code(), CONVO_ECONFLICT) << o.message();
    EXPECT_NE(o.message().find("in use"), std::string::npos) << o.message();
    first.reset();
    EXPECT_TRUE(Engine::open(options.c_str(), &second).is_ok());
}

// Reads that leave a statement mid-result hold a read transaction open, and SQLite then never
// checkpoints the WAL: it grew past 100 MB over 4,000 messages before the fix.
TEST(SqliteStore, WalStaysBoundedWhileTheEngineRuns) {
    std::string path = temp_db("wal_bound");
    std::unique_ptr<Engine> e;
    ASSERT_TRUE(Engine::open(("{\"path\":\"" + path + "\",\"clock\":\"manual\"}").c_str(), &e).is_ok());
    Session s;
    ASSERT_TRUE(e->open_session("org", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_ADMIN, &s).is_ok());
    std::string out;
    int http = 0;
    ASSERT_TRUE(e->agent_put(s, R"({"id":"a","name":"A","versions":[{"version":1,"published":true}]})", &out).is_ok());
    ASSERT_TRUE(e->create(s, R"({"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","channel":"text","user_id":"u","agent_id":"a"})",
                          &out, &http).is_ok());
    const std::string id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    for (int i = 0; i < 3000; ++i) {
        ASSERT_TRUE(e->dispatch(s, id, R"({"type":"message","role":"user","text":"hello there"})", &out).is_ok());
        if (i % 500 == 0) ASSERT_TRUE(e->get(s, id, &out).is_ok());
    }
    FILE *wal = std::fopen((path + "-wal").c_str(), "rb");
    ASSERT_NE(wal, nullptr);
    std::fseek(wal, 0, SEEK_END);
    long size = std::ftell(wal);
    std::fclose(wal);
    // SQLite checkpoints every 1000 pages (4 MB); 3000 commits unchecked make ~25 MB.
    EXPECT_LT(size, 8L << 20) << "the -wal file is " << size << " bytes";
}

TEST(SqliteStore, SchemaVersionIsRecorded) {
    std::string path = temp_db("version");
    {
        std::unique_ptr<Engine> e;
        ASSERT_TRUE(Engine::open(("{\"path\":\"" + path + "\"}").c_str(), &e).is_ok());
    }
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    // 1: the first schema; 2: issue 3's template messages and WhatsApp chat windows.
    EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 2);
    EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

}  // namespace
}  // namespace convo

namespace convo {
namespace {

// Loads see what the store's transaction holds: a group that does not commit leaves nothing
// behind, a batch that fails is undone alone, leaving the group's earlier batches, and a batch
// written alone takes the transaction with it when it fails.
TEST(SqliteStore, LoadsSeeOnlyWhatTheTransactionHolds) {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(open_sqlite_store({temp_db("cache"), false}, &store).is_ok());
    auto commit = [&](std::vector<Change> batch) {
        ASSERT_TRUE(store->begin_group().is_ok());
        ASSERT_TRUE(store->write(batch, false).is_ok());
        ASSERT_TRUE(store->end_group(true).is_ok());
    };
    auto turns = [&](const char *id) {
        std::optional<Conversation> c;
        EXPECT_TRUE(store->load("org", id, &c).is_ok());
        return c ? c->user_turn_count : -1;
    };
    auto changed = [&](const char *id, int64_t to) {
        std::optional<Conversation> c;
        EXPECT_TRUE(store->load("org", id, &c).is_ok());
        Change ch;
        ch.conversation = *c;
        ch.conversation.user_turn_count = to;
        return std::vector<Change>{ch};
    };
    for (const char *id : {"a", "b"}) {
        Change ch;
        ch.insert = true;
        ch.conversation.id = id;
        ch.conversation.organization_id = "org";
        ch.conversation.user_id = "u";
        commit({ch});
    }
    EXPECT_EQ(turns("a"), 0);

    // Rolled back: the change is gone, though the group read it.
    ASSERT_TRUE(store->begin_group().is_ok());
    std::vector<Change> batch = changed("a", 5);
    ASSERT_TRUE(store->write(batch, false).is_ok());
    EXPECT_EQ(turns("a"), 5);
    ASSERT_TRUE(store->end_group(false).is_ok());
    EXPECT_EQ(turns("a"), 0);

    // A failed batch (its second change names a row that does not exist) is undone alone.
    ASSERT_TRUE(store->begin_group().is_ok());
    batch = changed("a", 7);
    ASSERT_TRUE(store->write(batch, false).is_ok());
    batch = changed("b", 9);
    Change missing = batch[0];
    missing.conversation.id = "gone";
    missing.conversation.rowid = 999;
    batch.push_back(missing);
    EXPECT_FALSE(store->write(batch, false).is_ok());
    EXPECT_EQ(turns("a"), 7);
    EXPECT_EQ(turns("b"), 0);
    ASSERT_TRUE(store->end_group(true).is_ok());
    EXPECT_EQ(turns("a"), 7);
    EXPECT_EQ(turns("b"), 0);
    // Alone (the leader's batch before anyone joined): no savepoint; a success commits as
    // usual, a failure takes the whole transaction with it.
    ASSERT_TRUE(store->begin_group().is_ok());
    batch = changed("a", 11);
    ASSERT_TRUE(store->write(batch, true).is_ok());
    ASSERT_TRUE(store->end_group(true).is_ok());
    EXPECT_EQ(turns("a"), 11);
    ASSERT_TRUE(store->begin_group().is_ok());
    batch = changed("b", 12);
    batch.push_back(missing);
    EXPECT_FALSE(store->write(batch, true).is_ok());
    EXPECT_FALSE(store->in_group());
    // Committing a transaction that is gone is a failure, never a silent success.
    EXPECT_EQ(store->end_group(true).code(), CONVO_ESTORAGE);
    ASSERT_TRUE(store->begin_group().is_ok());
    ASSERT_TRUE(store->end_group(false).is_ok());
    EXPECT_EQ(turns("b"), 0);
    EXPECT_EQ(store->last_seq(), 0u);  // these changes carry no feed events
    // Another organization does not see it.
    std::optional<Conversation> other;
    ASSERT_TRUE(store->load("other-org", "a", &other).is_ok());
    EXPECT_FALSE(other);
}

}  // namespace
}  // namespace convo
