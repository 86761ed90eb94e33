#include "bench_rows.h"

#include <algorithm>
#include <array>

namespace convo_cli::bench {

namespace {

// The columns convo's UPDATE of a conversation sets (engine/sqlite_store.cpp bind_mutable).
const std::array<const char *, 8> kMovingColumns = {
    "status",     "updated_at",      "started_at",    "ended_at",
    "end_reason", "user_turn_count", "next_deadline", "details"};

bool is_time_column(const std::string &column) {
    static const std::array<const char *, 7> kTimes = {
        "created_at", "updated_at", "started_at", "ended_at", "next_deadline", "at", "expires_at"};
    return std::any_of(kTimes.begin(), kTimes.end(),
                       [&](const char *name) { return column == name; });
}

std::string joined(const std::vector<std::string> &columns, const std::string &suffix) {
    std::string out;
    for (const std::string &c : columns) out += (out.empty() ? "" : ", ") + c + suffix;
    return out;
}

}  // namespace

ColumnRole column_role(const std::string &table, const std::string &column) {
    if (table == "conversations" && column == "rid") return ColumnRole::assigned;
    if (table == "conversations" && column == "id") return ColumnRole::conversation_id;
    if (column == "rid") return ColumnRole::rid;
    if (column == "conversation_id") return ColumnRole::conversation_id;
    if (column == "user_id") return ColumnRole::user_id;
    if (table == "events" && column == "seq") return ColumnRole::seq;
    if (table == "messages" && column == "n") return ColumnRole::message_number;
    if (column == "event_id") return ColumnRole::event_id;
    if (is_time_column(column)) return ColumnRole::time;
    return ColumnRole::copy;
}

std::vector<StoredRow> read_rows(Database &db, const std::string &table, const std::string &where,
                                 const std::vector<SqlValue> &params) {
    Statement st = db.prepare("SELECT * FROM " + table + " WHERE " + where);
    for (std::size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i) + 1, params[i]);
    std::vector<StoredRow> rows;
    while (st.step()) {
        StoredRow row{table, {}, {}};
        for (int c = 0; c < st.column_count(); ++c) {
            row.columns.push_back(st.column_name(c));
            row.values.push_back(st.value(c));
        }
        rows.push_back(std::move(row));
    }
    st.reset();
    return rows;
}

StoredRow read_moving_columns(Database &db, int64_t rid) {
    std::vector<std::string> columns(kMovingColumns.begin(), kMovingColumns.end());
    Statement st =
        db.prepare("SELECT " + joined(columns, "") + " FROM conversations WHERE rid = ?");
    st.bind(1, rid);
    if (!st.step()) throw SqlError("conversation row " + std::to_string(rid) + " is missing");
    StoredRow row{"conversations", columns, {}};
    for (int c = 0; c < st.column_count(); ++c) row.values.push_back(st.value(c));
    st.reset();
    return row;
}

RowWriter::RowWriter(Database &db, const RowSet &rows) : db_(db), rows_(rows) {
    auto prepare = [&](const StoredRow &row, bool update) {
        std::vector<std::pair<std::size_t, ColumnRole>> written;
        std::vector<std::string> names;
        for (std::size_t i = 0; i < row.columns.size(); ++i) {
            const ColumnRole role = column_role(row.table, row.columns[i]);
            if (role == ColumnRole::assigned) continue;
            written.emplace_back(i, role);
            names.push_back(row.columns[i]);
        }
        const std::string sql =
            update ? "UPDATE " + row.table + " SET " + joined(names, " = ?") + " WHERE rid = ?"
                   : "INSERT INTO " + row.table + "(" + joined(names, "") + ") VALUES (" +
                         joined(std::vector<std::string>(names.size(), "?"), "") + ")";
        prepared_.push_back(Prepared{&row, std::move(written), db_.prepare(sql), update});
    };
    if (rows.update) prepare(*rows.update, true);
    for (const StoredRow &row : rows.inserts) prepare(row, false);
}

void RowWriter::write(Fill &fill) {
    for (Prepared &p : prepared_) put(p, fill);
}

void RowWriter::put(Prepared &p, Fill &fill) {
    const StoredRow &row = *p.row;
    Statement &st = p.statement;
    int index = 0;
    for (const auto &[i, role] : p.columns) {
        const SqlValue &captured = row.values[i];
        ++index;
        switch (role) {
            case ColumnRole::assigned:
            case ColumnRole::copy:
                st.bind(index, captured);
                break;
            case ColumnRole::rid:
                st.bind(index, fill.rid);
                break;
            case ColumnRole::conversation_id:
                st.bind(index, fill.conversation_id);
                break;
            case ColumnRole::user_id:
                st.bind(index, fill.user_id);
                break;
            case ColumnRole::seq:
                st.bind(index, (*fill.next_seq)++);
                break;
            case ColumnRole::message_number:
                st.bind(index, fill.message_number++);
                break;
            case ColumnRole::event_id:
                st.bind(index, fill.event_id);
                break;
            case ColumnRole::time:
                if (const auto *t = std::get_if<int64_t>(&captured)) {
                    st.bind(index, *t - rows_.time + fill.time);
                } else {
                    st.bind(index, captured);
                }
                break;
        }
    }
    if (p.update) st.bind(index + 1, fill.rid);
    st.run();
    if (p.update && sqlite3_changes(db_.handle()) != 1) {
        throw SqlError("conversation row " + std::to_string(fill.rid) + " is missing");
    }
    if (!p.update && row.table == "conversations") fill.rid = db_.last_insert_rowid();
}

}  // namespace convo_cli::bench
