#include "bench_population.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "bench_ids.h"
#include "capi_client.h"
#include "progress.h"

namespace convo_cli::bench {

namespace layout {

namespace {

constexpr int64_t kCycle = 10;
constexpr std::array<Kind, kCycle> kByResidue = {
    Kind::due_first, Kind::due_second, Kind::convo_writes, Kind::raw_writes, Kind::open,
    Kind::open,      Kind::open,       Kind::open,         Kind::open,       Kind::ended};

}  // namespace

Kind kind(int64_t k) {
    return kByResidue[static_cast<std::size_t>(k % kCycle)];
}

int64_t created_at(int64_t k) {
    return workload::kStartMs + k;
}

std::string id(int64_t k) {
    return uuid_v7(created_at(k), static_cast<uint64_t>(k));
}

std::optional<int64_t> next_deadline(int64_t k) {
    switch (kind(k)) {
        case Kind::due_first:
            return kFirstDueAt;
        case Kind::due_second:
            return kSecondDueAt;
        case Kind::ended:
            return std::nullopt;
        default:
            return kIdleDeadline;
    }
}

int64_t count(Kind of, int64_t n) {
    int64_t total = 0;
    for (int64_t r = 0; r < kCycle; ++r) {
        if (kByResidue[static_cast<std::size_t>(r)] != of) continue;
        // k = r, r + 10, ... up to n (k = 0 is not a conversation).
        const int64_t first = r == 0 ? kCycle : r;
        if (n >= first) total += (n - first) / kCycle + 1;
    }
    return total;
}

int64_t nth(Kind of, int64_t j) {
    for (int64_t r = 0; r < kCycle; ++r) {
        if (kByResidue[static_cast<std::size_t>(r)] == of)
            return (r == 0 ? kCycle : r) + kCycle * j;
    }
    return 0;
}

int64_t newest(Kind of, int64_t n) {
    for (int64_t k = n; k > 0; --k) {
        if (kind(k) == of) return k;
    }
    return 0;
}

}  // namespace layout

namespace {

constexpr int64_t kCloneBatch = 50'000;  // conversations per transaction

// The clone range as rows: k, the template it copies, and the values that vary per clone.
// ?1..?2 is the range, ?3 the feed's next seq, ?4 the max-open deadline.
constexpr const char *kCloneRange = R"sql(
WITH RECURSIVE seq(k) AS (SELECT ?1 UNION ALL SELECT k + 1 FROM seq WHERE k < ?2),
clone AS (SELECT k, bench_template(k) AS template, bench_created(k) AS created,
                 bench_id(k) AS id, bench_user(k) AS user, bench_account(k) AS account,
                 bench_deadline(k) AS deadline, ?3 AS seq_base, ?4 AS max_open FROM seq)
)sql";

// The value a clone gets in one column: the template's value (x) unless the column holds
// something that varies per conversation.
std::string clone_expression(const std::string &table, const std::string &column) {
    std::string x = "x." + column;
    const std::string key = workload::kMetadataKey;
    if (table == "conversations" && column == "next_deadline") return "c.deadline";
    if (table == "conversations" && column == "details") {
        // The deadlines convo reads are these, not the column; keep the two in agreement.
        return "CASE WHEN c.deadline IS NULL THEN json_set(x.details, '$.custom_metadata." + key +
               "', c.account) ELSE json_set(x.details, '$.deadlines.idle', c.deadline, "
               "'$.deadlines.max_open', c.max_open, '$.custom_metadata." +
               key + "', c.account) END";
    }
    if (table == "conversations" && column == "create_response") {
        // The stored answer to a repeated create with the same client id (the bench never
        // repeats one): the clone's id, user and metadata; its other times are the template's.
        return "json_set(x.create_response, '$.conversation.id', c.id, '$.conversation.user_id', "
               "c.user, '$.conversation.custom_metadata." +
               key + "', c.account)";
    }
    if (table == "conversation_metadata" && column == "value") {
        return "CASE WHEN x.key = '" + key + "' THEN json_quote(c.account) ELSE x.value END";
    }
    switch (column_role(table, column)) {
        case ColumnRole::assigned:
        case ColumnRole::rid:
            return "c.k";
        case ColumnRole::conversation_id:
            return "c.id";
        case ColumnRole::user_id:
            return "c.user";
        case ColumnRole::seq:
            return "c.seq_base + row_number() OVER (ORDER BY c.k, x.seq) - 1";
        case ColumnRole::time:
            return "c.created + (" + x + " - t.created_at)";
        case ColumnRole::message_number:
        case ColumnRole::event_id:
        case ColumnRole::copy:
            break;
    }
    return x;
}

// INSERT ... SELECT copying every row of `table` that belongs to a template conversation, once
// per clone in the range.
std::string clone_statement(Database &db, const std::string &table) {
    std::string columns, values;
    for (const std::string &column : table_columns(db, table)) {
        columns += (columns.empty() ? "" : ", ") + column;
        values += (values.empty() ? "" : ", ") + clone_expression(table, column);
    }
    std::string from = " FROM clone c JOIN tmpl.conversations t ON t.rid = c.template";
    if (table == "conversations") {
        from += " JOIN tmpl.conversations x ON x.rid = t.rid";
    } else {
        const std::string owner = owner_column(db, table);
        from +=
            " JOIN tmpl." + table + " x ON x." + owner + " = t." + (owner == "rid" ? "rid" : "id");
    }
    return std::string(kCloneRange) + "INSERT INTO main." + table + "(" + columns + ") SELECT " +
           values + from;
}

}  // namespace

Population::Population(std::string path, const Templates &templates)
    : path_(std::move(path)), templates_(templates) {
    create_convo_schema(path_);
}

void Population::grow_to(int64_t n) {
    if (n <= size_) return;
    clone(size_ + 1, n);
    check_through_convo(size_ + 1, n);
    size_ = n;
}

void Population::clone(int64_t first, int64_t last) {
    Database db(path_);
    // Building is not measured: no fsync, a large cache, the rollback journal in memory. The
    // database goes back to WAL (what convo uses) at the end.
    db.exec("PRAGMA locking_mode=EXCLUSIVE");
    db.exec("PRAGMA journal_mode=MEMORY");
    db.exec("PRAGMA synchronous=OFF");
    db.exec("PRAGMA cache_size=-262144");
    db.exec("PRAGMA temp_store=MEMORY");
    Statement attach = db.prepare("ATTACH DATABASE ? AS tmpl");
    attach.bind(1, templates_.database).run();
    const int64_t open_rid = templates_.open_rid, ended_rid = templates_.ended_rid;
    db.define_function("bench_template", 1, [=](const std::vector<int64_t> &a) -> SqlValue {
        return layout::kind(a[0]) == layout::Kind::ended ? ended_rid : open_rid;
    });
    db.define_function("bench_created", 1, [](const std::vector<int64_t> &a) -> SqlValue {
        return layout::created_at(a[0]);
    });
    db.define_function("bench_id", 1,
                       [](const std::vector<int64_t> &a) -> SqlValue { return layout::id(a[0]); });
    db.define_function("bench_user", 1, [](const std::vector<int64_t> &a) -> SqlValue {
        return workload::user_id(a[0]);
    });
    db.define_function("bench_account", 1, [](const std::vector<int64_t> &a) -> SqlValue {
        return workload::account(a[0]);
    });
    db.define_function("bench_deadline", 1, [](const std::vector<int64_t> &a) -> SqlValue {
        const std::optional<int64_t> deadline = layout::next_deadline(a[0]);
        return deadline ? SqlValue(*deadline) : SqlValue();
    });

    std::vector<Statement> statements;
    for (const std::string &table : conversation_tables(db)) {
        statements.push_back(db.prepare(clone_statement(db, table)));
    }
    Progress progress(
        "bench: cloning conversations " + std::to_string(first) + ".." + std::to_string(last),
        static_cast<std::size_t>(last - first + 1));
    for (int64_t from = first; from <= last; from += kCloneBatch) {
        const int64_t to = std::min(last, from + kCloneBatch - 1);
        db.exec("BEGIN IMMEDIATE");
        const int64_t seq_base = db.scalar("SELECT coalesce(max(seq), 0) + 1 FROM events");
        for (Statement &st : statements) {
            st.bind(1, from).bind(2, to).bind(3, seq_base).bind(4, layout::kMaxOpenDeadline);
            st.run();
        }
        db.exec("COMMIT");
        progress.update(static_cast<std::size_t>(to - first + 1), "");
    }
    progress.finish("");
    statements.clear();
    db.exec("DETACH DATABASE tmpl");
    db.exec("PRAGMA journal_mode=WAL");
}

void Population::check_through_convo(int64_t first, int64_t last) const {
    using nlohmann::json;
    Engine engine(workload::engine_options(path_, Sync::full, layout::kMeasureAt));
    Session session(engine, workload::kOrganization);
    auto fail = [&](const std::string &what) {
        throw std::runtime_error("bench: the cloned population in " + path_ +
                                 " does not read back through convo: " + what);
    };
    const std::array<std::pair<int64_t, const char *>, 3> samples = {
        std::pair{first, layout::kind(first) == layout::Kind::ended ? "completed" : "in_progress"},
        std::pair{last, layout::kind(last) == layout::Kind::ended ? "completed" : "in_progress"},
        std::pair{layout::newest(layout::Kind::ended, last), "completed"}};
    for (const auto &[k, status] : samples) {
        if (k < 1) continue;
        const json got = json::parse(session.get(layout::id(k)));
        if (got.at("status") != status || got.at("user_id") != workload::user_id(k)) {
            fail("conversation " + std::to_string(k) + " reads as " + got.dump());
        }
    }
    const json by_status = json::parse(session.list(workload::status_query()));
    const int64_t ended = layout::newest(layout::Kind::ended, last);
    if (ended > 0 &&
        (by_status.at("items").empty() || by_status.at("items")[0].at("id") != layout::id(ended))) {
        fail("the newest ended conversation is not first in convo_list by status");
    }
    const json by_metadata = json::parse(session.list(workload::metadata_query(last)));
    if (by_metadata.at("items").empty() ||
        by_metadata.at("items")[0].at("id") != layout::id(last)) {
        fail("the newest conversation is not first in convo_list by metadata");
    }
    if (engine.tick() != 0) fail("timers are due at the measuring time; none should be");
}

}  // namespace convo_cli::bench
