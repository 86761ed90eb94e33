#include "bench_templates.h"

#include <algorithm>

#include "bench_workload.h"
#include "capi_client.h"
#include "time_text.h"

namespace convo_cli::bench {

namespace {

bool has_column(Database &db, const std::string &table, const std::string &column) {
    const std::vector<std::string> columns = table_columns(db, table);
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

// Every row of the conversation (rid, id) in every table, conversations first.
std::vector<StoredRow> conversation_rows(Database &db, int64_t rid, const std::string &id) {
    std::vector<StoredRow> rows;
    for (const std::string &table : conversation_tables(db)) {
        const bool by_rid = owner_column(db, table) == "rid";
        for (StoredRow &row : read_rows(db, table, by_rid ? "rid = ?" : "conversation_id = ?",
                                        {by_rid ? SqlValue(rid) : SqlValue(id)})) {
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

}  // namespace

std::vector<std::string> conversation_tables(Database &db) {
    std::vector<std::string> tables{"conversations"};
    Statement st = db.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'conversations' ORDER BY name");
    std::vector<std::string> others;
    while (st.step()) others.push_back(st.text(0));
    st.reset();
    for (const std::string &table : others) {
        if (has_column(db, table, "rid") || has_column(db, table, "conversation_id")) {
            tables.push_back(table);
        }
    }
    return tables;
}

std::string owner_column(Database &db, const std::string &table) {
    return has_column(db, table, "rid") ? "rid" : "conversation_id";
}

void create_convo_schema(const std::string &path) {
    Engine engine(workload::engine_options(path, Sync::full, workload::kStartMs));
}

Snapshot snapshot(Database &db, const std::string &id) {
    Statement st = db.prepare("SELECT rid FROM conversations WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) throw SqlError("conversation " + id + " is not in " + db.path());
    Snapshot s{st.int64(0), id, {}};
    st.reset();
    s.rows = conversation_rows(db, s.rid, id);
    return s;
}

RowSet changes_since(Database &db, const Snapshot &before, int64_t time) {
    RowSet changes;
    changes.time = time;
    changes.update = read_moving_columns(db, before.rid);
    for (StoredRow &row : conversation_rows(db, before.rid, before.id)) {
        if (row.table == "conversations") continue;
        if (std::find(before.rows.begin(), before.rows.end(), row) == before.rows.end()) {
            changes.inserts.push_back(std::move(row));
        }
    }
    return changes;
}

Templates capture_templates(const std::string &dir) {
    using namespace workload;
    Templates t;
    t.database = dir + "/template.db";
    const int64_t dispatched_at = kStartMs + 3 * kMsPerMinute;
    std::string open_id, ended_id;
    {
        Engine engine(engine_options(t.database, Sync::full, kStartMs));
        Session session(engine, kOrganization);
        open_id = created_id(session.create(create_request(1)).json);
        engine.set_clock(kStartMs + 1);
        ended_id = created_id(session.create(create_request(2)).json);
        engine.set_clock(kStartMs + kMsPerMinute);
        session.dispatch(ended_id, close_event());
        engine.set_clock(kStartMs + 2 * kMsPerMinute);
        session.dispatch(ended_id, finalize_event());
    }
    Snapshot created;
    {
        Database db(t.database);
        created = snapshot(db, open_id);
        t.open_rid = created.rid;
        t.ended_rid = snapshot(db, ended_id).rid;
        t.create.inserts = created.rows;
        t.create.time = kStartMs;  // when it was created: the clock had not moved yet
    }
    {
        Engine engine(engine_options(t.database, Sync::full, dispatched_at));
        Session session(engine, kOrganization);
        session.dispatch(open_id, message_event("evt-template"));
    }
    Database db(t.database);
    t.dispatch = changes_since(db, created, dispatched_at);
    return t;
}

}  // namespace convo_cli::bench
