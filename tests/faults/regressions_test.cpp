// Minimal reproductions of what the fault sweep found, each on its own small database. They
// state the rule the engine must keep; each names the fault kind and k that breaks it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "fault_vfs.h"
#include "workload.h"

namespace faults {
namespace {

constexpr unsigned kAll =
    CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;
const char *const kId = "00000000-0000-4000-8000-00000000c0de";

std::string options_for(const std::string &path) {
    return json{{"path", path},
                {"clock", "manual"},
                {"start", "2026-01-01T00:00:00.000Z"},
                {"log_level", "off"}}
        .dump();
}

// One engine with an org_a session and an agent that can take text conversations.
class Db {
public:
    explicit Db(const std::string &dir) : path_(dir + "/convo.db") {}
    ~Db() { close(); }
    convo_code open() {
        convo_code code = convo_engine_open(options_for(path_).c_str(), &engine_);
        error_ = convo_last_error();
        if (code == CONVO_OK) convo_session_open(engine_, "org_a", kAll, &session_);
        return code;
    }
    void close() {
        convo_session_close(session_);
        session_ = nullptr;
        convo_engine_close(engine_);
        engine_ = nullptr;
    }
    convo_code put_agent() {
        char *out = nullptr;
        convo_code code = convo_agent_put(
            session_,
            R"({"id":"agent_abc","name":"Support","versions":[{"version":1,"published":true}]})",
            &out);
        convo_free(out);
        return code;
    }
    convo_code create_text(const std::string &id, int idle_minutes = 0) {
        json r{{"id", id}, {"channel", "text"}, {"user_id", "user_1"}, {"agent_id", "agent_abc"}};
        if (idle_minutes > 0) r["idle_timeout_minutes"] = idle_minutes;
        char *out = nullptr;
        convo_code code = convo_create(session_, r.dump().c_str(), &out, nullptr);
        error_ = convo_last_error();
        convo_free(out);
        return code;
    }
    convo_code get(const std::string &id) {
        char *out = nullptr;
        convo_code code = convo_get(session_, id.c_str(), &out);
        convo_free(out);
        return code;
    }
    uint64_t feed_length() {
        char *out = nullptr;
        EXPECT_EQ(convo_events(session_, 0, 1000, &out), CONVO_OK) << convo_last_error();
        uint64_t n = out ? json::parse(out)["events"].size() : 0;
        convo_free(out);
        return n;
    }
    uint64_t count_status(const std::string &status) {
        uint64_t n = 0;
        std::string cursor;
        for (;;) {
            json q{{"status", status}, {"limit", 100}};
            if (!cursor.empty()) q["cursor"] = cursor;
            char *out = nullptr;
            EXPECT_EQ(convo_list(session_, q.dump().c_str(), &out), CONVO_OK) << convo_last_error();
            if (out == nullptr) return n;
            json page = json::parse(out);
            convo_free(out);
            n += page["items"].size();
            if (page["next_cursor"].is_null()) return n;
            cursor = page["next_cursor"].get<std::string>();
        }
    }
    convo_engine *engine() { return engine_; }
    const std::string &path() const { return path_; }
    const std::string &error() const { return error_; }

private:
    std::string path_;
    convo_engine *engine_ = nullptr;
    convo_session *session_ = nullptr;
    std::string error_;
};

class IoFaultRegressions : public ::testing::Test {
protected:
    void SetUp() override { dir_ = make_temp_dir("regression"); }
    void TearDown() override {
        fault_vfs_disarm();
        remove_dir(dir_);
    }
    std::string dir_;
};

// sync, k = 1 counted from the create: the WAL sync of the create's COMMIT fails. The call
// says CONVO_ESTORAGE ("nothing was changed") and the live engine agrees, but the WAL already
// holds the transaction's frames and its commit frame: a process that dies before its next
// commit or a clean close comes back with the conversation (and its feed event and timers).
TEST_F(IoFaultRegressions, FailedSyncAtCommitLeavesNothingForTheNextOpen) {
    Db db(dir_);
    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    ASSERT_EQ(db.put_agent(), CONVO_OK);

    fault_vfs_arm(FAULT_OP_SYNC, 1, SQLITE_IOERR_FSYNC, 0);
    ASSERT_EQ(db.create_text(kId), CONVO_ESTORAGE);
    fault_vfs_disarm();
    EXPECT_EQ(db.error(), "database error while trying to commit change: disk I/O error");
    EXPECT_EQ(db.get(kId), CONVO_ENOTFOUND);  // the live engine: nothing changed

    // The files as a process killed now would leave them.
    std::string image_dir = make_temp_dir("regression-image");
    copy_database_files(db.path(), image_dir + "/convo.db");
    {
        Db image(image_dir);
        ASSERT_EQ(image.open(), CONVO_OK) << image.error();
        EXPECT_EQ(image.get(kId), CONVO_ENOTFOUND)
            << "the create that returned CONVO_ESTORAGE is in the database after a crash";
        EXPECT_EQ(image.feed_length(), 0u);
    }
    remove_dir(image_dir);
}

// sync, k = 1 counted from the create, persistent until the engine has closed: the same
// frames survive a clean close when the disk is still failing (the close's checkpoint fails
// and leaves the WAL), and the next open applies the create that returned CONVO_ESTORAGE.
TEST_F(IoFaultRegressions, FailedSyncAtCommitStaysUndoneAfterCloseOnAFailingDisk) {
    Db db(dir_);
    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    ASSERT_EQ(db.put_agent(), CONVO_OK);

    fault_vfs_arm(FAULT_OP_SYNC, 1, SQLITE_IOERR_FSYNC, 1);
    ASSERT_EQ(db.create_text(kId), CONVO_ESTORAGE);
    EXPECT_EQ(db.get(kId), CONVO_ENOTFOUND);
    db.close();  // the disk still fails
    fault_vfs_disarm();

    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    EXPECT_EQ(db.get(kId), CONVO_ENOTFOUND)
        << "the create that returned CONVO_ESTORAGE is in the database after close and reopen";
    EXPECT_EQ(db.feed_length(), 0u);
}

// write k = 4..44 (full likewise; sync k = 4, 5) of the first open of a new database: the
// migration's COMMIT fails, SQLite rolls the transaction back itself, and the engine's own
// ROLLBACK then throws "cannot rollback - no transaction is active", which replaces the real
// cause ("disk I/O error", "database or disk is full") in convo_last_error().
TEST_F(IoFaultRegressions, FailedOpenNamesTheCause) {
    int failed_opens = 0;
    for (uint64_t k = 1; k <= 12; ++k) {
        std::string dir = make_temp_dir("regression-open");
        Db db(dir);
        fault_vfs_arm(FAULT_OP_WRITE, k, SQLITE_IOERR_WRITE, 0);
        convo_code code = db.open();
        fault_vfs_disarm();
        if (code != CONVO_OK) {
            ++failed_opens;
            EXPECT_EQ(code, CONVO_ESTORAGE) << "write k=" << k;
            EXPECT_NE(db.error().find("disk I/O error"), std::string::npos)
                << "write k=" << k << ": '" << db.error() << "'";
        }
        db.close();
        remove_dir(dir);
    }
    EXPECT_GT(failed_opens, 0);
}

// sync, k = 2 counted from the tick: a tick with more due conversations than one batch (256)
// commits a batch per transaction. When the second batch's COMMIT fails, the call returns
// CONVO_ESTORAGE although the first 256 timeouts are committed, in the feed and delivered.
TEST_F(IoFaultRegressions, FailedTickChangesNothing) {
    Db db(dir_);
    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    ASSERT_EQ(db.put_agent(), CONVO_OK);
    const int n = 300;
    for (int i = 0; i < n; ++i) {
        char id[40];
        std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
        ASSERT_EQ(db.create_text(id, 1), CONVO_OK) << db.error();
    }
    const uint64_t feed_before = db.feed_length();
    ASSERT_EQ(convo_clock_set(db.engine(), 1767225600000 + 2 * 60 * 1000), CONVO_OK);
    unsigned delivered = 0;
    uint64_t subscription = 0;
    ASSERT_EQ(convo_subscribe(
                  db.engine(), [](void *n, const char *) { ++*static_cast<unsigned *>(n); },
                  &delivered, &subscription),
              CONVO_OK);

    fault_vfs_arm(FAULT_OP_SYNC, 2, SQLITE_IOERR_FSYNC, 0);
    unsigned fired = 0;
    convo_code code = convo_tick(db.engine(), &fired);
    fault_vfs_disarm();
    ASSERT_EQ(fault_vfs_injected(), 1u);
    EXPECT_EQ(code, CONVO_ESTORAGE);
    EXPECT_EQ(db.count_status("completed"), 0u)
        << "the tick failed, yet conversations were closed by it (out_fired " << fired << ")";
    EXPECT_EQ(db.feed_length(), feed_before);
    EXPECT_EQ(delivered, 0u) << "subscribers got events of a tick that failed";

    // Retried, it fires every one of them.
    ASSERT_EQ(convo_tick(db.engine(), &fired), CONVO_OK) << convo_last_error();
    EXPECT_EQ(db.count_status("completed"), static_cast<uint64_t>(n));
}

}  // namespace
}  // namespace faults
