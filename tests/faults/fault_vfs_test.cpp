// The shim itself, on a bare SQLite connection: it is the default VFS, it counts, and it fails
// exactly the call it was told to.
#include "fault_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "workload.h"

namespace {

class FaultVfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(fault_vfs_install(), SQLITE_OK);
        dir_ = faults::make_temp_dir("vfs");
        ASSERT_EQ(sqlite3_open((dir_ + "/t.db").c_str(), &db_), SQLITE_OK);
        ASSERT_EQ(exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(x)"),
                  SQLITE_OK);
    }
    void TearDown() override {
        fault_vfs_disarm();
        sqlite3_close(db_);
        faults::remove_dir(dir_);
    }
    int exec(const char *sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
    int insert() { return exec("INSERT INTO t VALUES (randomblob(100))"); }

    std::string dir_;
    sqlite3 *db_ = nullptr;
};

TEST_F(FaultVfsTest, IsTheDefaultVfs) {
    sqlite3_vfs *vfs = sqlite3_vfs_find(nullptr);
    ASSERT_NE(vfs, nullptr);
    EXPECT_STREQ(vfs->zName, "convo_fault");
}

TEST_F(FaultVfsTest, CountsWritesAndSyncsPerFile) {
    fault_vfs_reset_counts();
    ASSERT_EQ(insert(), SQLITE_OK);
    EXPECT_GT(fault_vfs_count_file(FAULT_OP_WRITE, FAULT_FILE_WAL), 0u);
    EXPECT_EQ(fault_vfs_count_file(FAULT_OP_WRITE, FAULT_FILE_MAIN_DB), 0u);
    EXPECT_GE(fault_vfs_count(FAULT_OP_SYNC), 1u);  // synchronous=FULL syncs the WAL at commit
}

TEST_F(FaultVfsTest, FailsTheKthWriteOnly) {
    fault_vfs_reset_counts();
    ASSERT_EQ(insert(), SQLITE_OK);
    const uint64_t per_insert = fault_vfs_count(FAULT_OP_WRITE);
    ASSERT_GT(per_insert, 1u);

    fault_vfs_arm(FAULT_OP_WRITE, per_insert + 1, SQLITE_IOERR_WRITE, 0);
    EXPECT_EQ(insert(), SQLITE_OK);  // the first insert's writes are below k
    EXPECT_EQ(fault_vfs_injected(), 0u);
    EXPECT_EQ(insert(), SQLITE_IOERR);
    EXPECT_EQ(sqlite3_extended_errcode(db_), SQLITE_IOERR_WRITE);
    EXPECT_EQ(fault_vfs_injected(), 1u);
    EXPECT_EQ(fault_vfs_first_fault_file(), FAULT_FILE_WAL);
    EXPECT_EQ(insert(), SQLITE_OK);  // transient: the next call goes through
}

TEST_F(FaultVfsTest, FullReturnsSqliteFull) {
    fault_vfs_arm(FAULT_OP_WRITE, 1, SQLITE_FULL, 0);
    EXPECT_EQ(insert(), SQLITE_FULL);
    EXPECT_STREQ(sqlite3_errmsg(db_), "database or disk is full");
}

TEST_F(FaultVfsTest, PersistentFaultFailsUntilDisarmed) {
    fault_vfs_arm(FAULT_OP_SYNC, 1, SQLITE_IOERR_FSYNC, 1);
    EXPECT_EQ(insert(), SQLITE_IOERR);
    EXPECT_EQ(insert(), SQLITE_IOERR);
    EXPECT_GE(fault_vfs_injected(), 2u);
    fault_vfs_disarm();
    EXPECT_EQ(insert(), SQLITE_OK);
}

}  // namespace
