// The rows convo writes for the bench's operations, captured from databases convo wrote: the
// raw baseline writes these again, and the populations are cloned from them. Nothing here says
// what convo stores; it is read back from what convo stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench_rows.h"

namespace convo_cli::bench {

struct Templates {
    std::string database;   // holds the two conversations below, as convo wrote them
    int64_t open_rid = 0;   // a text conversation after its creation and one user message
    int64_t ended_rid = 0;  // the same request, closed and finalized (wrap-up done)
    RowSet create;          // what one convo_create of workload::create_request writes
    RowSet dispatch;        // what one convo_dispatch of workload::message_event writes
};

// Creates convo's schema in a new database file by opening an engine on it once, so that the
// bench never restates the DDL.
void create_convo_schema(const std::string &path);

// Runs the template scenario through the C API in `dir`/template.db and reads the rows back.
Templates capture_templates(const std::string &dir);

// Every row of one conversation, in every table: taken before an operation, so that what the
// operation wrote can be told apart afterwards.
struct Snapshot {
    int64_t rid = 0;
    std::string id;
    std::vector<StoredRow> rows;  // conversations first
};
Snapshot snapshot(Database &db, const std::string &id);

// What convo wrote to the conversation of `before` since: the moved columns of its row and the
// rows it inserted, as an operation at `time`. Read with the engine closed.
RowSet changes_since(Database &db, const Snapshot &before, int64_t time);

// The tables that hold a conversation's rows (those with a rid or conversation_id column),
// conversations first: what a conversation is made of, found in the schema convo created.
std::vector<std::string> conversation_tables(Database &db);

// The column holding the conversation a row of `table` belongs to: "rid" or "conversation_id".
std::string owner_column(Database &db, const std::string &table);

}  // namespace convo_cli::bench
