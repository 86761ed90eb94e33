// SQLite storage (SQLiteCpp). One connection, used under the engine's lock. WAL journal,
// exclusive locking (a second engine or process gets CONVO_ECONFLICT), statements prepared once.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <memory>
#include <unordered_map>

#include "details.h"
#include "sqlite_queries.h"
#include "store.h"

namespace convo {
namespace {

// Schema versions, applied in order; PRAGMA user_version says how many ran.
const char *const kMigrations[] = {
    R"sql(
    CREATE TABLE conversations(
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        organization_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        direction TEXT NOT NULL,
        status TEXT NOT NULL,
        user_id TEXT NOT NULL,
        agent_id TEXT,
        agent_version_id TEXT,
        agent_number TEXT,
        web_widget_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        end_reason TEXT,
        user_turn_count INTEGER NOT NULL,
        next_deadline INTEGER,
        details TEXT NOT NULL,
        create_response TEXT,
        create_http_status INTEGER);
    CREATE INDEX conversations_due ON conversations(next_deadline) WHERE next_deadline IS NOT NULL;
    CREATE INDEX conversations_org ON conversations(organization_id, created_at, rid);
    CREATE INDEX conversations_org_status ON conversations(organization_id, status, created_at, rid);
    CREATE INDEX conversations_org_user ON conversations(organization_id, user_id, created_at, rid);
    CREATE INDEX conversations_org_agent ON conversations(organization_id, agent_id, created_at, rid);
    CREATE INDEX conversations_org_version ON conversations(organization_id, agent_version_id, created_at, rid);
    CREATE INDEX conversations_org_number ON conversations(organization_id, agent_number, created_at, rid);
    CREATE TABLE conversation_metadata(
        organization_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        rid INTEGER NOT NULL,
        PRIMARY KEY(organization_id, key, value, created_at, rid)) WITHOUT ROWID;
    CREATE TABLE messages(
        rid INTEGER NOT NULL,
        n INTEGER NOT NULL,
        role TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY(rid, n)) WITHOUT ROWID;
    CREATE TABLE events(
        seq INTEGER PRIMARY KEY,
        organization_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        type TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        reason TEXT,
        at INTEGER NOT NULL,
        data TEXT NOT NULL);
    CREATE INDEX events_org ON events(organization_id, seq);
    CREATE TABLE event_ids(
        rid INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY(rid, event_id)) WITHOUT ROWID;
    CREATE TABLE agents(
        organization_id TEXT NOT NULL,
        id TEXT NOT NULL,
        phone_number TEXT,
        doc TEXT NOT NULL,
        PRIMARY KEY(organization_id, id)) WITHOUT ROWID;
    CREATE INDEX agents_number ON agents(organization_id, phone_number) WHERE phone_number IS NOT NULL;
    CREATE TABLE agent_versions(
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        UNIQUE(organization_id, agent_id, version));
    )sql",
    // 2: WhatsApp template messages; the 24-hour window of each contact.
    R"sql(
    ALTER TABLE messages ADD COLUMN template TEXT;
    CREATE TABLE chat_windows(
        organization_id TEXT NOT NULL,
        business_number TEXT NOT NULL,
        user_number TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY(organization_id, business_number, user_number)) WITHOUT ROWID;
    )sql",
};

const char *const kConversationColumns =
    "rid, id, organization_id, channel, direction, status, user_id, agent_id, agent_version_id, "
    "agent_number, web_widget_id, created_at, updated_at, started_at, ended_at, end_reason, "
    "user_turn_count, details";

std::optional<std::string> opt_text(const SQLite::Column &c) {
    if (c.isNull()) return std::nullopt;
    return c.getString();
}
std::optional<int64_t> opt_int(const SQLite::Column &c) {
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}
void bind_opt(SQLite::Statement &st, int i, const std::optional<std::string> &v) {
    if (v) st.bind(i, *v);
    else st.bind(i);
}
void bind_opt(SQLite::Statement &st, int i, const std::optional<int64_t> &v) {
    if (v) st.bind(i, static_cast<int64_t>(*v));
    else st.bind(i);
}
Conversation conversation_from_row(SQLite::Statement &st) {
    Conversation c;
    c.rowid = st.getColumn(0).getInt64();
    c.id = st.getColumn(1).getString();
    c.organization_id = st.getColumn(2).getString();
    c.channel = channel_from_name(st.getColumn(3).getString()).value_or(Channel::text);
    c.direction = direction_from_name(st.getColumn(4).getString()).value_or(Direction::outbound);
    c.status = status_from_name(st.getColumn(5).getString()).value_or(Status::failed);
    c.user_id = st.getColumn(6).getString();
    c.agent_id = opt_text(st.getColumn(7));
    c.agent_version_id = opt_text(st.getColumn(8));
    c.agent_number = opt_text(st.getColumn(9));
    c.web_widget_id = opt_text(st.getColumn(10));
    c.created_at = st.getColumn(11).getInt64();
    c.updated_at = st.getColumn(12).getInt64();
    c.started_at = opt_int(st.getColumn(13));
    c.ended_at = opt_int(st.getColumn(14));
    c.end_reason = opt_text(st.getColumn(15));
    c.user_turn_count = st.getColumn(16).getInt64();
    const SQLite::Column details = st.getColumn(17);
    decode_details(std::string_view(static_cast<const char *>(details.getBlob()),
                                    static_cast<size_t>(details.getBytes())),
                   c);
    return c;
}

class SqliteStore final : public Store {
public:
    explicit SqliteStore(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}

    Outcome init(const StoreSettings &settings) {
        return guard("open", [&] {
            db_->exec("PRAGMA locking_mode=EXCLUSIVE");
            db_->exec("PRAGMA journal_mode=WAL");
            db_->exec(settings.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
            db_->exec("PRAGMA foreign_keys=OFF");
            // A follower's batch in a group commit is a savepoint; its undo journal stays in
            // memory.
            db_->exec("PRAGMA temp_store=MEMORY");
            // A 32 MB page cache (SQLite's default is 2 MB): at 10^6 conversations the hot index
            // pages stay in memory; bounded, so RSS stays well under 64 MB (docs/performance.md).
            db_->exec("PRAGMA cache_size=-32768");
            // Takes the exclusive lock now, so a second engine fails at open, not later.
            db_->exec("BEGIN IMMEDIATE");
            try {
                int version = db_->execAndGet("PRAGMA user_version").getInt();
                int target = static_cast<int>(std::size(kMigrations));
                for (int v = version; v < target; ++v) db_->exec(kMigrations[v]);
                if (version != target) db_->exec("PRAGMA user_version=" + std::to_string(target));
                db_->exec("COMMIT");
            } catch (...) {
                rollback_quietly();
                throw;
            }
            last_seq_ = static_cast<uint64_t>(
                db_->execAndGet("SELECT coalesce(max(seq), 0) FROM events").getInt64());
            history_at_open_ = last_seq_ + static_cast<uint64_t>(db_->execAndGet(
                "SELECT coalesce((SELECT max(rid) FROM conversations), 0) + "
                "coalesce((SELECT max(rowid) FROM agent_versions), 0)").getInt64());
            prepare();
            return Outcome::ok();
        });
    }

    Outcome load(const std::string &org, const std::string &id,
                 std::optional<Conversation> *out) override {
        return guard("load conversation", [&] {
            Use use(*load_);
            SQLite::Statement &st = *use;
            st.bind(1, id);
            st.bind(2, org);
            out->reset();
            if (st.executeStep()) *out = conversation_from_row(st);
            if (*out) read_window(**out);
            return Outcome::ok();
        });
    }

    Outcome find_owner(const std::string &id, std::optional<std::string> *org,
                       std::optional<StoredResponse> *response) override {
        return guard("find conversation", [&] {
            Use use(*owner_);
            SQLite::Statement &st = *use;
            st.bind(1, id);
            org->reset();
            response->reset();
            if (st.executeStep()) {
                *org = st.getColumn(0).getString();
                if (!st.getColumn(1).isNull()) {
                    *response = StoredResponse{st.getColumn(1).getString(),
                                               st.getColumn(2).getInt()};
                }
            }
            return Outcome::ok();
        });
    }

    Outcome transcript(const Conversation &c, std::vector<Message> *out) override {
        return guard("read transcript", [&] {
            Use use(*transcript_);
            SQLite::Statement &st = *use;
            st.bind(1, static_cast<int64_t>(c.rowid));
            out->clear();
            while (st.executeStep()) {
                Message m{role_from_name(st.getColumn(0).getString()).value_or(Role::user),
                          st.getColumn(1).getString(), st.getColumn(2).getInt64()};
                if (!st.getColumn(3).isNull()) m.template_ = Json::parse(st.getColumn(3).getString());
                out->push_back(std::move(m));
            }
            return Outcome::ok();
        });
    }

    Outcome chat_window(const std::string &org, const std::string &business_number,
                        const std::string &user_number, std::optional<TimeMs> *out) override {
        return guard("read chat window", [&] {
            *out = window_of(org, business_number, user_number);
            return Outcome::ok();
        });
    }

    Outcome list(const std::string &org, const ListQuery &q, std::vector<Conversation> *out,
                 std::optional<std::string> *next) override {
        return guard("list conversations", [&] {
            sql::ListSql query = sql::list_query(kConversationColumns, org, q);
            Use use(list_statement(query.text));
            SQLite::Statement &st = *use;
            for (size_t i = 0; i < query.params.size(); ++i) {
                std::visit([&](const auto &v) { st.bind(static_cast<int>(i) + 1, v); }, query.params[i]);
            }
            out->clear();
            while (st.executeStep()) out->push_back(conversation_from_row(st));
            for (Conversation &c : *out) read_window(c);
            next->reset();
            if (static_cast<int>(out->size()) > q.limit) {
                out->pop_back();
                *next = encode_cursor(out->back().created_at, out->back().rowid);
            }
            return Outcome::ok();
        });
    }

    Outcome count_open(const std::string &org, int64_t *out) override {
        return guard("count open conversations", [&] {
            Use use(*count_open_);
            SQLite::Statement &st = *use;
            st.bind(1, org);
            st.executeStep();
            *out = st.getColumn(0).getInt64();
            return Outcome::ok();
        });
    }

    Outcome event_seen(const Conversation &c, const std::string &event_id, bool *seen) override {
        return guard("look up event id", [&] {
            Use use(*event_seen_);
            SQLite::Statement &st = *use;
            st.bind(1, static_cast<int64_t>(c.rowid));
            st.bind(2, event_id);
            *seen = st.executeStep();
            return Outcome::ok();
        });
    }

    Outcome read_events(const std::string &org, uint64_t after, unsigned limit,
                        std::vector<FeedEvent> *out) override {
        return guard("read events", [&] {
            Use use(*read_events_);
            SQLite::Statement &st = *use;
            st.bind(1, org);
            st.bind(2, static_cast<int64_t>(after > uint64_t(INT64_MAX) ? INT64_MAX : after));
            st.bind(3, static_cast<int64_t>(limit));
            out->clear();
            while (st.executeStep()) {
                FeedEvent e;
                e.seq = static_cast<uint64_t>(st.getColumn(0).getInt64());
                e.organization_id = org;
                e.conversation_id = st.getColumn(1).getString();
                e.type = feed_type_from_name(st.getColumn(2).getString()).value_or(FeedType::annotated);
                if (!st.getColumn(3).isNull()) e.from = status_from_name(st.getColumn(3).getString());
                if (!st.getColumn(4).isNull()) e.to = status_from_name(st.getColumn(4).getString());
                e.reason = opt_text(st.getColumn(5));
                e.at = st.getColumn(6).getInt64();
                e.data = Json::parse(st.getColumn(7).getString());
                out->push_back(std::move(e));
            }
            return Outcome::ok();
        });
    }

    Outcome due(TimeMs now, int limit, std::vector<DueTimer> *out) override {
        return guard("find due timers", [&] {
            Use use(*due_);
            SQLite::Statement &st = *use;
            st.bind(1, static_cast<int64_t>(now));
            st.bind(2, limit);
            out->clear();
            while (st.executeStep()) {
                out->push_back(DueTimer{st.getColumn(0).getString(), st.getColumn(1).getString()});
            }
            return Outcome::ok();
        });
    }

    Outcome next_deadline(std::optional<TimeMs> *out) override {
        return guard("find next deadline", [&] {
            Use use(*next_deadline_);
            SQLite::Statement &st = *use;
            out->reset();
            if (st.executeStep() && !st.getColumn(0).isNull()) *out = st.getColumn(0).getInt64();
            return Outcome::ok();
        });
    }

    Outcome agent(const std::string &org, const std::string &id,
                  std::optional<Agent> *out) override {
        return guard("load agent", [&] { return read_agent(*agent_, org, id, out); });
    }
    Outcome agent_by_number(const std::string &org, const std::string &number,
                            std::optional<Agent> *out) override {
        return guard("load agent", [&] { return read_agent(*agent_by_number_, org, number, out); });
    }
    Outcome agent_by_version_id(const std::string &org, const std::string &version_id,
                                std::optional<Agent> *out) override {
        return guard("load agent", [&] { return read_agent(*agent_by_version_, org, version_id, out); });
    }

    Outcome version_ids(const std::string &org, const std::string &agent_id,
                        std::map<int, std::string> *out) override {
        return guard("read agent versions", [&] {
            Use use(*version_ids_);
            SQLite::Statement &st = *use;
            st.bind(1, org);
            st.bind(2, agent_id);
            out->clear();
            while (st.executeStep()) (*out)[st.getColumn(0).getInt()] = st.getColumn(1).getString();
            return Outcome::ok();
        });
    }

    Outcome put_agent(const std::string &org, const Agent &a) override {
        return transaction("store agent", [&] {
            SQLite::Statement &st = reset(*put_agent_);
            st.bind(1, org);
            st.bind(2, a.id);
            bind_opt(st, 3, a.phone_number);
            st.bind(4, agent_to_json(a).dump());
            st.exec();
            for (const AgentVersion &v : a.versions) {
                SQLite::Statement &vs = reset(*put_version_);
                vs.bind(1, v.id);
                vs.bind(2, org);
                vs.bind(3, a.id);
                vs.bind(4, v.version);
                vs.exec();
            }
        });
    }

    Outcome begin_group() override {
        return guard("begin a transaction", [&] {
            reset(*begin_).exec();
            group_start_seq_ = last_seq_;
            return Outcome::ok();
        });
    }

    Outcome write(std::vector<Change> &batch, bool alone) override {
        uint64_t seq = last_seq_;
        // Alone, a batch needs no savepoint (whose page copies and release were 12% of a
        // dispatch's instructions): if it fails, the whole transaction goes.
        Outcome o = guard("commit change", [&] {
            if (!alone) reset(*savepoint_).exec();
            try {
                for (Change &ch : batch) write(ch, seq);
                if (!alone) reset(*release_).exec();
            } catch (...) {
                if (alone) rollback_quietly();
                else undo_batch();
                throw;
            }
            return Outcome::ok();
        });
        if (o) {
            last_seq_ = seq;
            return o;
        }
        for (Change &ch : batch) {
            for (FeedEvent &e : ch.events) e.seq = 0;
        }
        if (!in_group()) last_seq_ = group_start_seq_;
        return o;
    }

    Outcome end_group(bool commit) override {
        if (commit && in_group()) {
            return guard("commit change", [&] { return commit_or_break("commit change"); });
        }
        rollback_quietly();
        last_seq_ = group_start_seq_;
        if (!commit) return Outcome::ok();
        // SQLite rolled the transaction back by itself (some I/O errors do, on a read as well
        // as a write): whatever the group wrote is gone, so no member may report success.
        return Outcome::storage("database error while trying to commit change: the transaction "
                                "was rolled back by SQLite before its commit; nothing of it was "
                                "saved");
    }

    bool in_group() const override { return sqlite3_get_autocommit(db_->getHandle()) == 0; }

    uint64_t last_seq() const override { return last_seq_; }
    uint64_t history_at_open() const override { return history_at_open_; }

private:
    template <typename Fn>
    Outcome guard(const char *what, Fn &&fn) {
        if (!broken_.empty()) return Outcome::storage(broken_);
        try {
            return fn();
        } catch (const SQLite::Exception &e) {
            return Outcome::storage(std::string("database error while trying to ") + what + ": " + e.what());
        } catch (const Json::exception &e) {
            return corrupt(what, e);
        } catch (const CorruptRow &e) {
            return corrupt(what, e);
        }
    }
    static Outcome corrupt(const char *what, const std::exception &e) {
        return Outcome::storage(std::string("corrupt row while trying to ") + what + ": " + e.what());
    }

    // Runs `fn` inside BEGIN IMMEDIATE … COMMIT; rolls back on any failure.
    template <typename Fn>
    Outcome transaction(const char *what, Fn &&fn) {
        return guard(what, [&] {
            reset(*begin_).exec();
            group_start_seq_ = last_seq_;
            try {
                fn();
            } catch (...) {
                rollback_quietly();
                throw;
            }
            return commit_or_break(what);
        });
    }

    // COMMITs the open transaction. A failed COMMIT (say, fsync) may still have put a complete
    // commit frame in the WAL, which the next open replays: this connection cannot tell whether
    // the change was saved. Refuse everything until the host reopens the engine, which reads the
    // truth from the file.
    Outcome commit_or_break(const char *what) {
        try {
            reset(*commit_).exec();
        } catch (const SQLite::Exception &e) {
            rollback_quietly();
            last_seq_ = group_start_seq_;
            broken_ = std::string("database error while trying to ") + what + ": " + e.what() +
                      "; the commit failed, so whether that change was saved is unknown "
                      "until the database is reopened: close and reopen the engine";
            return Outcome::storage(broken_);
        }
        return Outcome::ok();
    }

    // Undoes a failed batch, keeping the group's other batches; when SQLite has already rolled
    // the whole transaction back there is nothing left to undo.
    void undo_batch() noexcept {
        if (!in_group()) return;
        try {
            reset(*rollback_to_).exec();
            reset(*release_).exec();
        } catch (...) {
        }
    }

    // Readies a cached statement. sqlite3_reset reports the error of the statement's previous
    // step, already handled when it happened: tryReset() ignores it, where reset() would throw
    // it again and fail an unrelated later call.
    // After a failure SQLite may already have rolled back by itself; the original error is
    // the one to report, not "no transaction is active".
    void rollback_quietly() noexcept {
        try {
            db_->exec("ROLLBACK");
        } catch (...) {
        }
    }

    static SQLite::Statement &reset(SQLite::Statement &st) {
        st.tryReset();
        st.clearBindings();
        return st;
    }

    // A cached query readied for one use and reset when the use ends. A query left mid-result
    // keeps its read transaction open, and while one is open SQLite cannot checkpoint the WAL,
    // which then grows without bound (found by the crash trials).
    class Use {
    public:
        explicit Use(SQLite::Statement &st) : st_(reset(st)) {}
        ~Use() { st_.tryReset(); }
        Use(const Use &) = delete;
        Use &operator=(const Use &) = delete;
        SQLite::Statement &operator*() const { return st_; }

    private:
        SQLite::Statement &st_;
    };

    // The prepared statement of one list query shape. Which filters a query has decides its
    // text, so there are few shapes; preparing one took a seventh of a list call. Bounded
    // all the same, since the filters are the host's to choose.
    SQLite::Statement &list_statement(const std::string &text) {
        auto it = list_statements_.find(text);
        if (it != list_statements_.end()) return *it->second;
        if (list_statements_.size() >= kListStatements) list_statements_.clear();
        auto st = std::make_unique<SQLite::Statement>(*db_, text);
        return *list_statements_.emplace(text, std::move(st)).first->second;
    }

    std::optional<TimeMs> window_of(const std::string &org, const std::string &business_number,
                                    const std::string &user_number) {
        Use use(*window_);
        SQLite::Statement &st = *use;
        st.bind(1, org);
        st.bind(2, business_number);
        st.bind(3, user_number);
        if (!st.executeStep()) return std::nullopt;
        return st.getColumn(0).getInt64();
    }

    // A WhatsApp conversation carries its contact's window.
    void read_window(Conversation &c) {
        if (c.channel != Channel::whatsapp) return;
        c.chat_window_expires_at = window_of(c.organization_id, c.from_number.value_or(""), c.user_id);
    }

    Outcome read_agent(SQLite::Statement &stmt, const std::string &org, const std::string &key,
                       std::optional<Agent> *out) {
        Use use(stmt);
        SQLite::Statement &st = *use;
        st.bind(1, org);
        st.bind(2, key);
        out->reset();
        if (st.executeStep()) *out = agent_from_json(Json::parse(st.getColumn(0).getString()));
        return Outcome::ok();
    }

    // The eight columns a change can move, bound from `first` on (insert and update share them).
    static void bind_mutable(SQLite::Statement &st, int first, const Conversation &c) {
        std::optional<int64_t> next;
        if (auto t = c.next_timer()) next = t->first;
        st.bind(first, std::string(status_name(c.status)));
        st.bind(first + 1, static_cast<int64_t>(c.updated_at));
        bind_opt(st, first + 2, c.started_at);
        bind_opt(st, first + 3, c.ended_at);
        bind_opt(st, first + 4, c.end_reason);
        st.bind(first + 5, static_cast<int64_t>(c.user_turn_count));
        bind_opt(st, first + 6, next);
        st.bind(first + 7, encode_details(c));
    }

    void write(Change &ch, uint64_t &seq) {
        Conversation &c = ch.conversation;
        if (ch.insert) {
            SQLite::Statement &st = reset(*insert_);
            st.bind(1, c.id);
            st.bind(2, c.organization_id);
            st.bind(3, std::string(channel_name(c.channel)));
            st.bind(4, std::string(direction_name(c.direction)));
            st.bind(5, c.user_id);
            bind_opt(st, 6, c.agent_id);
            bind_opt(st, 7, c.agent_version_id);
            bind_opt(st, 8, c.agent_number);
            bind_opt(st, 9, c.web_widget_id);
            st.bind(10, static_cast<int64_t>(c.created_at));
            bind_mutable(st, 11, c);
            if (ch.response) {
                st.bind(19, ch.response->body);
                st.bind(20, ch.response->http_status);
            }
            st.exec();
            c.rowid = db_->getLastInsertRowid();
            if (c.custom_metadata.is_object()) {
                for (auto it = c.custom_metadata.begin(); it != c.custom_metadata.end(); ++it) {
                    SQLite::Statement &ms = reset(*insert_metadata_);
                    ms.bind(1, c.organization_id);
                    ms.bind(2, it.key());
                    ms.bind(3, canonical_json(it.value()));
                    ms.bind(4, static_cast<int64_t>(c.created_at));
                    ms.bind(5, static_cast<int64_t>(c.rowid));
                    ms.exec();
                }
            }
        } else {
            SQLite::Statement &st = reset(*update_);
            bind_mutable(st, 1, c);
            st.bind(9, static_cast<int64_t>(c.rowid));
            if (st.exec() != 1) throw SQLite::Exception("conversation row " + c.id + " is missing");
        }
        int64_t n = c.message_count - static_cast<int64_t>(ch.messages.size());
        for (const Message &m : ch.messages) {
            SQLite::Statement &st = reset(*insert_message_);
            st.bind(1, static_cast<int64_t>(c.rowid));
            st.bind(2, static_cast<int64_t>(n++));
            st.bind(3, std::string(role_name(m.role)));
            st.bind(4, m.text);
            st.bind(5, static_cast<int64_t>(m.at));
            if (!m.template_.is_null()) st.bind(6, m.template_.dump());
            st.exec();
        }
        if (c.channel == Channel::whatsapp && c.chat_window_expires_at) {
            SQLite::Statement &st = reset(*put_window_);
            st.bind(1, c.organization_id);
            st.bind(2, c.from_number.value_or(""));
            st.bind(3, c.user_id);
            st.bind(4, static_cast<int64_t>(*c.chat_window_expires_at));
            st.exec();
        }
        for (FeedEvent &e : ch.events) {
            e.seq = ++seq;
            e.conversation_id = c.id;
            SQLite::Statement &st = reset(*insert_event_);
            st.bind(1, static_cast<int64_t>(e.seq));
            st.bind(2, e.organization_id);
            st.bind(3, e.conversation_id);
            st.bind(4, std::string(feed_type_name(e.type)));
            if (e.from) st.bind(5, std::string(status_name(*e.from)));
            if (e.to) st.bind(6, std::string(status_name(*e.to)));
            bind_opt(st, 7, e.reason);
            st.bind(8, static_cast<int64_t>(e.at));
            st.bind(9, e.data.dump());
            st.exec();
        }
        if (ch.event_id) {
            SQLite::Statement &st = reset(*insert_event_id_);
            st.bind(1, static_cast<int64_t>(c.rowid));
            st.bind(2, *ch.event_id);
            st.exec();
        }
    }

    void prepare() {
        auto p = [&](const std::string &sql) { return std::make_unique<SQLite::Statement>(*db_, sql); };
        begin_ = p("BEGIN IMMEDIATE");
        commit_ = p("COMMIT");
        savepoint_ = p("SAVEPOINT batch");
        release_ = p("RELEASE batch");
        rollback_to_ = p("ROLLBACK TO batch");
        load_ = p(std::string("SELECT ") + kConversationColumns +
                  " FROM conversations WHERE id = ? AND organization_id = ?");
        owner_ = p("SELECT organization_id, create_response, create_http_status FROM conversations WHERE id = ?");
        transcript_ = p("SELECT role, text, at, template FROM messages WHERE rid = ? ORDER BY n");
        window_ = p("SELECT expires_at FROM chat_windows "
                    "WHERE organization_id = ? AND business_number = ? AND user_number = ?");
        // The window only moves forward: a conversation loaded earlier cannot shorten it.
        put_window_ = p("INSERT INTO chat_windows(organization_id, business_number, user_number, "
                        "expires_at) VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET "
                        "expires_at = max(expires_at, excluded.expires_at)");
        count_open_ = p(sql::kCountOpen);
        event_seen_ = p("SELECT 1 FROM event_ids WHERE rid = ? AND event_id = ?");
        read_events_ = p(sql::kReadEvents);
        due_ = p(sql::kDue);
        next_deadline_ = p(sql::kNextDeadline);
        agent_ = p("SELECT doc FROM agents WHERE organization_id = ? AND id = ?");
        agent_by_number_ = p("SELECT doc FROM agents WHERE organization_id = ? AND phone_number = ? "
                             "ORDER BY id LIMIT 1");
        agent_by_version_ = p("SELECT a.doc FROM agent_versions v JOIN agents a "
                              "ON a.organization_id = v.organization_id AND a.id = v.agent_id "
                              "WHERE v.organization_id = ? AND v.id = ?");
        version_ids_ = p("SELECT version, id FROM agent_versions WHERE organization_id = ? AND agent_id = ?");
        put_agent_ = p("INSERT OR REPLACE INTO agents(organization_id, id, phone_number, doc) VALUES (?,?,?,?)");
        // A version put again keeps its row; an id given to another version fails the put.
        put_version_ = p("INSERT INTO agent_versions(id, organization_id, agent_id, version) "
                         "VALUES (?,?,?,?) ON CONFLICT(organization_id, agent_id, version) DO NOTHING");
        insert_ = p("INSERT INTO conversations(id, organization_id, channel, direction, user_id, "
                    "agent_id, agent_version_id, agent_number, web_widget_id, created_at, "
                    "status, updated_at, started_at, ended_at, end_reason, user_turn_count, "
                    "next_deadline, details, create_response, create_http_status) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        update_ = p("UPDATE conversations SET status = ?, updated_at = ?, started_at = ?, ended_at = ?, "
                    "end_reason = ?, user_turn_count = ?, next_deadline = ?, details = ? WHERE rid = ?");
        insert_metadata_ = p("INSERT OR IGNORE INTO conversation_metadata(organization_id, key, value, "
                             "created_at, rid) VALUES (?,?,?,?,?)");
        insert_message_ = p("INSERT INTO messages(rid, n, role, text, at, template) VALUES (?,?,?,?,?,?)");
        insert_event_ = p("INSERT INTO events(seq, organization_id, conversation_id, type, from_status, "
                          "to_status, reason, at, data) VALUES (?,?,?,?,?,?,?,?,?)");
        insert_event_id_ = p("INSERT INTO event_ids(rid, event_id) VALUES (?,?)");
    }

    std::unique_ptr<SQLite::Database> db_;
    uint64_t last_seq_ = 0;
    uint64_t history_at_open_ = 0;
    uint64_t group_start_seq_ = 0;  // last_seq_ when the open group began
    std::string broken_;  // set when a COMMIT failed: every call refuses until reopened
    static constexpr size_t kListStatements = 64;
    std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> list_statements_;
    std::unique_ptr<SQLite::Statement> begin_, commit_, savepoint_, release_, rollback_to_, load_, owner_, transcript_, count_open_,
        event_seen_, read_events_, due_, next_deadline_, agent_, agent_by_number_,
        agent_by_version_, version_ids_, put_agent_, put_version_, insert_, update_,
        insert_metadata_, insert_message_, insert_event_, insert_event_id_, window_, put_window_;
};

}  // namespace

Outcome open_sqlite_store(const StoreSettings &settings, std::unique_ptr<Store> *out) {
    std::unique_ptr<SQLite::Database> db;
    try {
        // No SQLite mutex: the engine lock already serializes every use of the connection.
        db = std::make_unique<SQLite::Database>(
            settings.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
    } catch (const SQLite::Exception &e) {
        return Outcome::storage("path: cannot open database '" + settings.path + "': " + e.what());
    }
    auto store = std::make_unique<SqliteStore>(std::move(db));
    Outcome o = store->init(settings);
    if (!o) {
        if (o.message().find("locked") != std::string::npos ||
            o.message().find("busy") != std::string::npos) {
            return Outcome::conflict("path: database '" + settings.path +
                                     "' is in use by another engine or process");
        }
        return o;
    }
    *out = std::move(store);
    return Outcome::ok();
}

}  // namespace convo
