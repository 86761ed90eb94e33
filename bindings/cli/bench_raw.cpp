#include "bench_raw.h"

#include "bench_ids.h"
#include "bench_workload.h"

namespace convo_cli::bench {

namespace {

constexpr int kTickBatch = 256;  // rows fired per transaction, as the engine's tick does

// The baseline's own queries. They read what the engine's read (the same columns, through the
// same indexes); the due-timer query is engine/sqlite_queries.h kDue copied by value: it is
// the query the baseline itself needs, and the same text makes the comparison exact.
constexpr const char *kColumns =
    "c.rid, c.id, c.organization_id, c.channel, c.direction, c.status, c.user_id, c.agent_id, "
    "c.agent_version_id, c.agent_number, c.web_widget_id, c.created_at, c.updated_at, "
    "c.started_at, c.ended_at, c.end_reason, c.user_turn_count, c.details";
constexpr const char *kDueQuery =
    "SELECT organization_id, id FROM conversations WHERE next_deadline <= ? "
    "ORDER BY next_deadline, rid LIMIT ?";

std::string columns_from(const char *from) {
    return std::string("SELECT ") + kColumns + " FROM " + from;
}

}  // namespace

struct RawBaseline::Queries {
    explicit Queries(Database &db)
        : begin(db.prepare("BEGIN IMMEDIATE")),
          commit(db.prepare("COMMIT")),
          rollback(db.prepare("ROLLBACK")),
          load(db.prepare(columns_from("conversations c") +
                          " WHERE c.id = ? AND c.organization_id = ?")),
          event_seen(db.prepare("SELECT 1 FROM event_ids WHERE rid = ? AND event_id = ?")),
          transcript(db.prepare("SELECT role, text, at, template FROM messages WHERE rid = ? "
                                "ORDER BY n")),
          max_message(db.prepare("SELECT coalesce(max(n) + 1, 0) FROM messages WHERE rid = ?")),
          due(db.prepare(kDueQuery)),
          // One row more than a page says whether there is a next page, as convo asks for.
          by_status(db.prepare(columns_from("conversations c") +
                               " WHERE c.organization_id = ? AND c.status = ?"
                               " ORDER BY c.created_at DESC, c.rid DESC LIMIT ?")),
          by_metadata(db.prepare(columns_from("conversation_metadata m JOIN conversations c "
                                              "ON c.rid = m.rid") +
                                 " WHERE m.organization_id = ? AND m.key = ? AND m.value = ?"
                                 " ORDER BY m.created_at DESC, m.rid DESC LIMIT ?")) {}

    Statement begin, commit, rollback, load, event_seen, transcript, max_message, due, by_status,
        by_metadata;
};

RawBaseline::RawBaseline(const std::string &path, Sync sync) : db_(path) {
    apply_engine_pragmas(db_, sync);
    q_ = std::make_unique<Queries>(db_);
    next_seq_ = db_.scalar("SELECT coalesce(max(seq), 0) + 1 FROM events");
}

RawBaseline::~RawBaseline() = default;

template <typename Fn>
void RawBaseline::transaction(Fn &&fn) {
    q_->begin.run();
    try {
        fn();
        q_->commit.run();
    } catch (...) {
        try {
            q_->rollback.run();
        } catch (...) {
            // SQLite may have rolled back by itself; the first error is the one to report.
        }
        throw;
    }
}

RowWriter &RawBaseline::writer_for(const RowSet &rows) {
    std::unique_ptr<RowWriter> &writer = writers_[&rows];
    if (!writer) writer = std::make_unique<RowWriter>(db_, rows);
    return *writer;
}

int64_t RawBaseline::load(const std::string &id) {
    Statement &st = q_->load;
    st.bind(1, id).bind(2, std::string(workload::kOrganization));
    if (!st.step()) {
        st.reset();
        throw SqlError("raw baseline: conversation " + id + " not found");
    }
    st.consume_row();
    const int64_t rid = st.int64(0);
    st.reset();
    return rid;
}

void RawBaseline::transcript(int64_t rid) {
    Statement &st = q_->transcript;
    st.bind(1, rid);
    while (st.step()) st.consume_row();
    st.reset();
}

int64_t RawBaseline::next_message_number(int64_t rid) {
    auto it = next_message_.find(rid);
    if (it != next_message_.end()) return it->second;
    // A conversation this baseline did not create: read where its transcript ends (convo reads
    // the same from the row it loaded).
    Statement &st = q_->max_message;
    st.bind(1, rid);
    st.step();
    const int64_t n = st.int64(0);
    st.reset();
    return n;
}

std::string RawBaseline::create(const RowSet &rows, int64_t now, const std::string &user_id) {
    std::lock_guard<std::mutex> lk(mu_);
    RowWriter &writer = writer_for(rows);
    Fill fill;
    fill.conversation_id = uuid_v7(now, static_cast<uint64_t>(++created_));
    fill.user_id = user_id;
    fill.time = now;
    fill.next_seq = &next_seq_;
    transaction([&] { writer.write(fill); });
    next_message_[fill.rid] = fill.message_number;
    return fill.conversation_id;
}

void RawBaseline::dispatch(const RowSet &rows, const std::string &id, int64_t now,
                           const std::string &event_id) {
    std::lock_guard<std::mutex> lk(mu_);
    RowWriter &writer = writer_for(rows);
    Fill fill;
    bool written = false;
    transaction([&] {
        fill.rid = load(id);
        Statement &seen = q_->event_seen;
        seen.bind(1, fill.rid).bind(2, event_id);
        const bool repeated = seen.step();
        seen.reset();
        if (repeated) return;  // a retried delivery changes nothing, as in convo
        fill.conversation_id = id;
        fill.time = now;
        fill.message_number = next_message_number(fill.rid);
        fill.event_id = event_id;
        fill.next_seq = &next_seq_;
        writer.write(fill);
        written = true;
    });
    if (written) next_message_[fill.rid] = fill.message_number;
}

int64_t RawBaseline::fire_due(const RowSet &rows, int64_t now) {
    std::lock_guard<std::mutex> lk(mu_);
    RowWriter &writer = writer_for(rows);
    int64_t fired = 0;
    for (bool more = true; more;) {
        transaction([&] {
            std::vector<std::string> due;
            Statement &st = q_->due;
            st.bind(1, now).bind(2, int64_t{kTickBatch});
            while (st.step()) due.push_back(st.text(1));
            st.reset();
            more = static_cast<int>(due.size()) == kTickBatch;
            for (const std::string &id : due) {
                Fill fill;
                fill.rid = load(id);
                fill.conversation_id = id;
                fill.time = now;
                fill.next_seq = &next_seq_;
                writer.write(fill);
            }
            fired += static_cast<int64_t>(due.size());
        });
    }
    return fired;
}

int RawBaseline::due_count(int64_t now) {
    std::lock_guard<std::mutex> lk(mu_);
    Statement &st = q_->due;
    st.bind(1, now).bind(2, int64_t{kTickBatch});
    int due = 0;
    while (st.step()) ++due;
    st.reset();
    return due;
}

void RawBaseline::get(const std::string &id) {
    std::lock_guard<std::mutex> lk(mu_);
    transcript(load(id));
}

void RawBaseline::list(Statement &st) {
    std::vector<int64_t> rids;
    while (st.step()) {
        st.consume_row();
        rids.push_back(st.int64(0));
    }
    st.reset();
    if (rids.size() > static_cast<std::size_t>(workload::kListLimit)) rids.pop_back();
    for (int64_t rid : rids) transcript(rid);
}

void RawBaseline::list_by_status(const std::string &status) {
    std::lock_guard<std::mutex> lk(mu_);
    Statement &st = q_->by_status;
    st.bind(1, std::string(workload::kOrganization))
        .bind(2, status)
        .bind(3, int64_t{workload::kListLimit + 1});
    list(st);
}

void RawBaseline::list_by_metadata(const std::string &key, const std::string &value) {
    std::lock_guard<std::mutex> lk(mu_);
    Statement &st = q_->by_metadata;
    st.bind(1, std::string(workload::kOrganization))
        .bind(2, key)
        .bind(3, value)
        .bind(4, int64_t{workload::kListLimit + 1});
    list(st);
}

}  // namespace convo_cli::bench
