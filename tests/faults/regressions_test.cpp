// Minimal reproductions of what the fault sweep found, each on its own small database. They
// state the rule the engine must keep; each names the fault kind and k that breaks it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>
#include <vector>

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
        error_ = convo_last_error();
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
    // A user message, with an event_id when one is given.
    convo_code message(const std::string &id, const std::string &text,
                       const std::string &event_id = "") {
        json e{{"type", "message"}, {"role", "user"}, {"text", text}};
        if (!event_id.empty()) e["event_id"] = event_id;
        char *out = nullptr;
        convo_code code = convo_dispatch(session_, id.c_str(), e.dump().c_str(), &out);
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
    json events() {
        char *out = nullptr;
        EXPECT_EQ(convo_events(session_, 0, 1000, &out), CONVO_OK) << convo_last_error();
        json events = out ? json::parse(out)["events"] : json::array();
        convo_free(out);
        return events;
    }
    uint64_t feed_length() { return events().size(); }
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
    // What a host can see of conversation `id`: the conversation (null when unknown) and the
    // whole feed, with the agent's random version id replaced by a stable name.
    json state(const std::string &id) {
        json st{{"conversation", nullptr}, {"feed", events()}};
        char *out = nullptr;
        convo_code code = convo_get(session_, id.c_str(), &out);
        EXPECT_TRUE(code == CONVO_OK || code == CONVO_ENOTFOUND) << convo_last_error();
        if (code == CONVO_OK) st["conversation"] = json::parse(out);
        convo_free(out);
        std::string text = st.dump();
        out = nullptr;
        if (convo_agent_get(session_, "agent_abc", &out) == CONVO_OK) {
            const std::string v = json::parse(out)["versions"][0]["id"].get<std::string>();
            for (size_t at = text.find(v); at != std::string::npos; at = text.find(v, at))
                text.replace(at, v.size(), "<agent_abc/v1>");
        }
        convo_free(out);
        return json::parse(text);
    }
    // Subscribes; every delivered event is kept in delivered().
    void subscribe() {
        uint64_t subscription = 0;
        ASSERT_EQ(convo_subscribe(
                      engine_,
                      [](void *v, const char *e) {
                          static_cast<std::vector<json> *>(v)->push_back(json::parse(e));
                      },
                      &delivered_, &subscription),
                  CONVO_OK);
    }
    const std::vector<json> &delivered() const { return delivered_; }
    convo_engine *engine() { return engine_; }
    convo_session *session() { return session_; }
    const std::string &path() const { return path_; }
    const std::string &error() const { return error_; }

private:
    std::string path_;
    convo_engine *engine_ = nullptr;
    convo_session *session_ = nullptr;
    std::string error_;
    std::vector<json> delivered_;
};

// The message of a failed COMMIT names the cause and says to reopen.
void expect_failed_commit_message(const std::string &m) {
    EXPECT_EQ(m.rfind("database error while trying to commit change: disk I/O error; ", 0), 0u)
        << m;
    EXPECT_NE(m.find("close and reopen the engine"), std::string::npos) << m;
}

// After a failed COMMIT the engine refuses every call, reads and writes, with that message,
// until it is reopened (the disk may work again meanwhile).
void expect_refuses_everything(Db &db, const std::string &message) {
    auto refused = [&](const char *call, convo_code code) {
        EXPECT_EQ(code, CONVO_ESTORAGE) << call << " was not refused after a failed commit";
        EXPECT_EQ(std::string(convo_last_error()), message) << call;
    };
    char *out = nullptr;
    refused("get", convo_get(db.session(), kId, &out));
    refused("events", convo_events(db.session(), 0, 10, &out));
    refused("list", convo_list(db.session(), "{}", &out));
    refused("agent_get", convo_agent_get(db.session(), "agent_abc", &out));
    int64_t ms = 0;
    refused("next_deadline", convo_next_deadline(db.engine(), &ms));
    refused("create",
            convo_create(db.session(), R"({"channel":"text","user_id":"u","agent_id":"agent_abc"})",
                         &out, nullptr));
    refused("dispatch",
            convo_dispatch(db.session(), kId, R"({"type":"annotate","topic":"probe"})", &out));
    refused("agent_put", convo_agent_put(db.session(),
                                         R"({"id":"agent_new","name":"New","versions":[]})", &out));
    unsigned fired = 0;
    refused("tick", convo_tick(db.engine(), &fired));
    EXPECT_EQ(out, nullptr);
}

// Whether `got` is exactly `old_state` or exactly `new_state`: "old", "new" or "half".
std::string old_or_new(const json &got, const json &old_state, const json &new_state) {
    if (got == old_state) return "old";
    if (got == new_state) return "new";
    ADD_FAILURE() << "half-applied: against the state before: "
                  << describe_difference(old_state, got)
                  << "; against the state after: " << describe_difference(new_state, got);
    return "half";
}

class IoFaultRegressions : public ::testing::Test {
protected:
    void SetUp() override { dir_ = make_temp_dir("regression"); }
    void TearDown() override {
        fault_vfs_disarm();
        remove_dir(dir_);
    }
    std::string dir_;
};

// sync, k = 1 counted from the create: the WAL sync of the create's COMMIT fails after the
// frames (commit frame included) are in the WAL. The engine cannot tell whether the create was
// saved: it says so, refuses every call until reopened, and the reopen (and the files a
// process killed right then leaves) show no create or the whole create, never part of it.
// Retried with the same client id, the create then exists exactly once.
TEST_F(IoFaultRegressions, FailedSyncAtCommitPoisonsTheEngineUntilReopened) {
    json new_state;  // the create without faults, on another database
    {
        std::string ref_dir = make_temp_dir("regression-ref");
        Db ref(ref_dir);
        ASSERT_EQ(ref.open(), CONVO_OK) << ref.error();
        ASSERT_EQ(ref.put_agent(), CONVO_OK);
        ASSERT_EQ(ref.create_text(kId), CONVO_OK) << ref.error();
        new_state = ref.state(kId);
        ref.close();
        remove_dir(ref_dir);
    }
    Db db(dir_);
    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    ASSERT_EQ(db.put_agent(), CONVO_OK);
    const json old_state = db.state(kId);
    ASSERT_NE(old_state, new_state);

    fault_vfs_arm(FAULT_OP_SYNC, 1, SQLITE_IOERR_FSYNC, 0);
    ASSERT_EQ(db.create_text(kId), CONVO_ESTORAGE);
    fault_vfs_disarm();
    ASSERT_EQ(fault_vfs_injected(), 1u);
    const std::string message = db.error();
    expect_failed_commit_message(message);
    expect_refuses_everything(db, message);

    // The files as a process killed now would leave them.
    std::string image_dir = make_temp_dir("regression-image");
    copy_database_files(db.path(), image_dir + "/convo.db");
    {
        Db image(image_dir);
        ASSERT_EQ(image.open(), CONVO_OK) << image.error();
        const std::string which = old_or_new(image.state(kId), old_state, new_state);
        RecordProperty("crash_image", which);
    }
    remove_dir(image_dir);

    db.close();
    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    const std::string which = old_or_new(db.state(kId), old_state, new_state);
    RecordProperty("reopened", which);
    // The host retries with the same client id: the create happens, once.
    ASSERT_EQ(db.create_text(kId), CONVO_OK) << db.error();
    EXPECT_EQ(db.state(kId), new_state) << "after the retry (reopened to " << which << ")";
}

// sync, k = 1 counted from a dispatch with an event_id, persistent until the engine has
// closed: the close's checkpoint fails too and leaves the WAL, whose commit frame the next
// open replays. Whether the message is there or not, the retried dispatch with the same
// event_id leaves it there exactly once.
TEST_F(IoFaultRegressions, FailedSyncAtCommitOnAFailingDiskIsNeverAppliedTwice) {
    json new_state;
    {
        std::string ref_dir = make_temp_dir("regression-ref");
        Db ref(ref_dir);
        ASSERT_EQ(ref.open(), CONVO_OK) << ref.error();
        ASSERT_EQ(ref.put_agent(), CONVO_OK);
        ASSERT_EQ(ref.create_text(kId), CONVO_OK) << ref.error();
        ASSERT_EQ(ref.message(kId, "hello", "evt-9"), CONVO_OK) << ref.error();
        new_state = ref.state(kId);
        ref.close();
        remove_dir(ref_dir);
    }
    Db db(dir_);
    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    ASSERT_EQ(db.put_agent(), CONVO_OK);
    ASSERT_EQ(db.create_text(kId), CONVO_OK) << db.error();
    const json old_state = db.state(kId);

    fault_vfs_arm(FAULT_OP_SYNC, 1, SQLITE_IOERR_FSYNC, 1);
    ASSERT_EQ(db.message(kId, "hello", "evt-9"), CONVO_ESTORAGE);
    const std::string message = db.error();
    expect_failed_commit_message(message);
    expect_refuses_everything(db, message);  // the disk still fails: refused without I/O
    db.close();
    fault_vfs_disarm();

    ASSERT_EQ(db.open(), CONVO_OK) << db.error();
    const std::string which = old_or_new(db.state(kId), old_state, new_state);
    RecordProperty("reopened", which);
    ASSERT_EQ(db.message(kId, "hello", "evt-9"), CONVO_OK) << db.error();
    EXPECT_EQ(db.state(kId), new_state) << "the dispatch retried with its event_id (reopened to "
                                        << which << ") is not there exactly once";
}

// Without an event_id the engine cannot tell a retry from a second message, so the host
// must: after the reopen the state is exactly the one before the dispatch (no message: retry)
// or the one after it (the message in the transcript and the feed: do not retry). Both
// happen: a failed sync at COMMIT with a clean close (the close's checkpoint drops the
// frames) and with a close on the still failing disk (the next open replays them).
TEST_F(IoFaultRegressions, FailedSyncAtCommitWithoutEventIdShowsWhichHappened) {
    json new_state;
    {
        std::string ref_dir = make_temp_dir("regression-ref");
        Db ref(ref_dir);
        ASSERT_EQ(ref.open(), CONVO_OK) << ref.error();
        ASSERT_EQ(ref.put_agent(), CONVO_OK);
        ASSERT_EQ(ref.create_text(kId), CONVO_OK) << ref.error();
        ASSERT_EQ(ref.message(kId, "hello"), CONVO_OK) << ref.error();
        new_state = ref.state(kId);
        ref.close();
        remove_dir(ref_dir);
    }
    std::set<std::string> seen;
    for (const bool close_on_failing_disk : {false, true}) {
        SCOPED_TRACE(close_on_failing_disk ? "closed on the failing disk" : "closed cleanly");
        std::string dir = make_temp_dir("regression-no-event-id");
        {
            Db db(dir);
            ASSERT_EQ(db.open(), CONVO_OK) << db.error();
            ASSERT_EQ(db.put_agent(), CONVO_OK);
            ASSERT_EQ(db.create_text(kId), CONVO_OK) << db.error();
            const json old_state = db.state(kId);
            ASSERT_NE(old_state, new_state);

            fault_vfs_arm(FAULT_OP_SYNC, 1, SQLITE_IOERR_FSYNC, close_on_failing_disk ? 1 : 0);
            ASSERT_EQ(db.message(kId, "hello"), CONVO_ESTORAGE);
            expect_failed_commit_message(db.error());
            if (!close_on_failing_disk) fault_vfs_disarm();
            db.close();
            fault_vfs_disarm();

            ASSERT_EQ(db.open(), CONVO_OK) << db.error();
            const std::string which = old_or_new(db.state(kId), old_state, new_state);
            seen.insert(which);
            if (which == "old") {
                ASSERT_EQ(db.message(kId, "hello"), CONVO_OK) << db.error();
            }
            EXPECT_EQ(db.state(kId), new_state) << "reopened to " << which;
        }
        remove_dir(dir);
    }
    EXPECT_EQ(seen, (std::set<std::string>{"old", "new"}));
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

// convo_tick commits due timers in batches of 256, one transaction each. On CONVO_ESTORAGE its
// *out_fired counts the timers of the batches committed before the failure: those are in the
// feed and delivered to subscribers, once each; nothing else changed. Here 300 conversations
// fall idle at once, and a fault hits the second batch.
class IoFaultTickBatches : public IoFaultRegressions {
protected:
    static constexpr int kConversations = 300, kBatch = 256;
    static constexpr int64_t kStart = 1767225600000;  // the options' start

    static std::string conversation_id(int i) {
        char id[40];
        std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
        return id;
    }
    // A closed database with 300 text conversations, each idle for 1 minute.
    void SetUp() override {
        IoFaultRegressions::SetUp();
        Db db(dir_);
        ASSERT_EQ(db.open(), CONVO_OK) << db.error();
        ASSERT_EQ(db.put_agent(), CONVO_OK);
        for (int i = 0; i < kConversations; ++i)
            ASSERT_EQ(db.create_text(conversation_id(i), 1), CONVO_OK) << db.error();
        feed_before_ = db.feed_length();
        ASSERT_EQ(feed_before_, static_cast<uint64_t>(kConversations));
    }
    // Opens a copy of that database with every timer due and a subscriber.
    void open_copy(Db &db) {
        copy_database_files(dir_ + "/convo.db", db.path());
        ASSERT_EQ(db.open(), CONVO_OK) << db.error();
        ASSERT_EQ(convo_clock_set(db.engine(), kStart + 2 * 60 * 1000), CONVO_OK);
        db.subscribe();
    }

    // Where the second batch's I/O is, from a tick that succeeds: the syncs of the whole tick
    // (the last is the second batch's COMMIT), and the reads and writes up to the delivery of
    // the first batch's events, which comes after its COMMIT returned and before the second
    // batch begins.
    struct Calibration {
        uint64_t syncs = 0, reads_in_first = 0, writes_in_first = 0;
        bool first_delivered = false;
    };
    Calibration calibrate() {
        Calibration c;
        std::string dir = make_temp_dir("tick-calibration");
        {
            Db db(dir);
            open_copy(db);
            uint64_t subscription = 0;
            EXPECT_EQ(convo_subscribe(
                          db.engine(),
                          [](void *v, const char *) {
                              auto *c = static_cast<Calibration *>(v);
                              if (c->first_delivered) return;
                              c->first_delivered = true;
                              c->reads_in_first = fault_vfs_count(FAULT_OP_READ);
                              c->writes_in_first = fault_vfs_count(FAULT_OP_WRITE);
                          },
                          &c, &subscription),
                      CONVO_OK);
            fault_vfs_reset_counts();
            unsigned fired = 0;
            EXPECT_EQ(convo_tick(db.engine(), &fired), CONVO_OK) << convo_last_error();
            EXPECT_EQ(fired, static_cast<unsigned>(kConversations));
            EXPECT_TRUE(c.first_delivered);
            c.syncs = fault_vfs_count(FAULT_OP_SYNC);
        }
        remove_dir(dir);
        return c;
    }

    // The events the tick appended to the feed, after the 300 `created` events.
    json tail(Db &db) {
        json all = db.events();
        return json(std::vector<json>(all.begin() + static_cast<long>(feed_before_), all.end()));
    }
    // One idle timeout each, of distinct conversations, seqs following the feed before.
    void expect_timeouts(const json &events, uint64_t first_seq) {
        std::set<std::string> conversations;
        uint64_t seq = first_seq;
        for (const json &e : events) {
            EXPECT_EQ(e["seq"], seq++);
            EXPECT_EQ(e["type"], "status_changed");
            EXPECT_EQ(e["to"], "completed");
            EXPECT_EQ(e["reason"], "idle_timeout");
            conversations.insert(e["conversation_id"].get<std::string>());
        }
        EXPECT_EQ(conversations.size(), events.size()) << "a conversation timed out twice";
    }
    // The feed's tail begins with exactly the delivered events.
    static void expect_delivered_first(const std::vector<json> &delivered, const json &events) {
        ASSERT_GE(events.size(), delivered.size());
        for (size_t i = 0; i < delivered.size(); ++i) {
            for (const char *field : {"seq", "type", "conversation_id", "to", "reason"})
                EXPECT_EQ(delivered[i][field], events[i][field])
                    << "delivery " << i << ": " << field;
        }
    }
    // The retried tick fires the rest, and then every conversation timed out exactly once.
    void expect_retry_fires_the_rest(Db &db, uint64_t committed) {
        unsigned fired = 0;
        ASSERT_EQ(convo_tick(db.engine(), &fired), CONVO_OK) << convo_last_error();
        EXPECT_EQ(fired, kConversations - committed);
        EXPECT_EQ(db.count_status("completed"), static_cast<uint64_t>(kConversations));
        json events = tail(db);
        EXPECT_EQ(events.size(), static_cast<size_t>(kConversations));
        expect_timeouts(events, feed_before_ + 1);
    }

    uint64_t feed_before_ = 0;
};

// A read of the second batch fails (before its COMMIT): CONVO_ESTORAGE without a word of a
// reopen, *out_fired = 256, those 256 timeouts committed, in the feed and delivered; the 44
// others still in progress; the engine usable, and the retried tick fires the 44.
TEST_F(IoFaultTickBatches, FailedReadInSecondBatchKeepsTheFirst) {
    const Calibration c = calibrate();
    const std::string dir = make_temp_dir("tick-read");
    Db db(dir);
    open_copy(db);
    fault_vfs_reset_counts();
    fault_vfs_arm(FAULT_OP_READ, c.reads_in_first + 1, SQLITE_IOERR_READ, 0);
    unsigned fired = 0;
    const convo_code code = convo_tick(db.engine(), &fired);
    const std::string error = convo_last_error();
    fault_vfs_disarm();
    ASSERT_EQ(fault_vfs_injected(), 1u) << "the second batch made no read";
    RecordProperty("error", error);
    EXPECT_EQ(code, CONVO_ESTORAGE);
    EXPECT_EQ(error.rfind("database error while trying to ", 0), 0u) << error;
    EXPECT_EQ(error.find("reopen"), std::string::npos) << error;
    EXPECT_EQ(fired, static_cast<unsigned>(kBatch));

    json events = tail(db);
    EXPECT_EQ(events.size(), static_cast<size_t>(fired)) << "the feed has other than the fired";
    expect_timeouts(events, feed_before_ + 1);
    EXPECT_EQ(db.delivered().size(), static_cast<size_t>(fired));
    expect_delivered_first(db.delivered(), events);
    EXPECT_EQ(db.count_status("completed"), static_cast<uint64_t>(fired));
    EXPECT_EQ(db.count_status("in_progress"), static_cast<uint64_t>(kConversations - fired));
    expect_retry_fires_the_rest(db, fired);
    db.close();
    remove_dir(dir);
}

// The second batch's COMMIT fails: at its first WAL write (nothing of it reaches the file), or
// at its sync with the disk failing through the close (all of it is in the WAL, and the
// close's checkpoint fails too). *out_fired = 256, delivered once each; the engine refuses
// every call until reopened; then the feed holds those 256 and either none or all of the
// other 44 timeouts, never some; the retried tick fires whatever is left.
TEST_F(IoFaultTickBatches, FailedCommitOfSecondBatchKeepsTheFirstAndReopensToOldOrNew) {
    const Calibration c = calibrate();
    struct Case {
        const char *name;
        fault_op op;
        uint64_t k;
        int code;
        bool close_while_failing;
    };
    std::set<std::string> seen;
    for (const Case &f :
         {Case{"first write", FAULT_OP_WRITE, c.writes_in_first + 1, SQLITE_IOERR_WRITE, false},
          Case{"sync", FAULT_OP_SYNC, c.syncs, SQLITE_IOERR_FSYNC, true}}) {
        SCOPED_TRACE(f.name);
        const std::string dir = make_temp_dir("tick-commit");
        {
            Db db(dir);
            open_copy(db);
            fault_vfs_reset_counts();
            fault_vfs_arm(f.op, f.k, f.code, f.close_while_failing ? 1 : 0);
            unsigned fired = 0;
            const convo_code code = convo_tick(db.engine(), &fired);
            const std::string error = convo_last_error();
            if (!f.close_while_failing) fault_vfs_disarm();
            ASSERT_EQ(fault_vfs_injected(), 1u);
            EXPECT_EQ(code, CONVO_ESTORAGE);
            expect_failed_commit_message(error);
            EXPECT_EQ(fired, static_cast<unsigned>(kBatch));
            const std::vector<json> delivered = db.delivered();
            EXPECT_EQ(delivered.size(), static_cast<size_t>(fired));
            expect_refuses_everything(db, error);

            db.close();
            fault_vfs_disarm();
            ASSERT_EQ(db.open(), CONVO_OK) << db.error();  // the clock restarts at the start
            ASSERT_EQ(convo_clock_set(db.engine(), kStart + 2 * 60 * 1000), CONVO_OK);
            json events = tail(db);
            const uint64_t completed = db.count_status("completed");
            EXPECT_TRUE(events.size() == fired || events.size() == kConversations)
                << "after the reopen the feed has " << events.size() << " timeouts";
            EXPECT_EQ(completed, events.size());
            seen.insert(events.size() == fired ? "old" : "new");
            RecordProperty(f.name, events.size() == fired ? "old" : "new");
            expect_timeouts(events, feed_before_ + 1);
            expect_delivered_first(delivered, events);
            expect_retry_fires_the_rest(db, completed);
        }
        remove_dir(dir);
    }
    EXPECT_EQ(seen, (std::set<std::string>{"old", "new"}));
}

}  // namespace
}  // namespace faults
