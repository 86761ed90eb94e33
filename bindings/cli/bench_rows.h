// Rows as convo wrote them, read back from a database convo wrote, and written again by the raw
// baseline for other conversations at other times. This is how the baseline writes exactly the
// rows convo writes (same tables, columns and bytes) without restating what convo stores: the
// rows are captured from convo, not described here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_sqlite.h"

namespace convo_cli::bench {

struct StoredRow {
    std::string table;
    std::vector<std::string> columns;
    std::vector<SqlValue> values;

    bool operator==(const StoredRow &other) const {
        return table == other.table && columns == other.columns && values == other.values;
    }
};

// What one operation wrote: maybe an update of the conversation row, then inserted rows in the
// order convo inserts them (the conversation row first when the operation creates it).
struct RowSet {
    std::optional<StoredRow> update;  // conversations, the columns a change can move
    std::vector<StoredRow> inserts;
    int64_t time = 0;  // when the operation happened; time columns are kept relative to it
};

// What a column holds, so that a captured row can be written for another conversation.
enum class ColumnRole {
    copy,             // written as captured
    assigned,         // conversations.rid: SQLite assigns it on insert, as it does for convo
    rid,              // the conversation's row number
    conversation_id,  // the conversation's id (conversations.id, events.conversation_id)
    user_id,
    seq,             // the feed's sequence number, one more per event
    message_number,  // messages.n, one more per message
    event_id,        // the dispatched event's id
    time,            // a Unix ms time, moved with the operation's time
};
ColumnRole column_role(const std::string &table, const std::string &column);

// Every row of `table` matching `where` (SQL after WHERE, with ? bound to `params` in order).
std::vector<StoredRow> read_rows(Database &db, const std::string &table, const std::string &where,
                                 const std::vector<SqlValue> &params);

// The conversation row's columns a change can move, as convo's UPDATE sets them.
StoredRow read_moving_columns(Database &db, int64_t rid);

// The values one write of a RowSet fills in for its roles.
struct Fill {
    int64_t rid = 0;  // set from the inserted conversation row when the set inserts one
    std::string conversation_id;
    std::string user_id;
    int64_t time = 0;
    int64_t message_number = 0;  // of the first message row; advanced per message row
    std::string event_id;
    int64_t *next_seq = nullptr;  // the feed's next seq; advanced per event row
};

// Writes one RowSet again and again on one connection, each time with the Fill's values in the
// columns whose role says so. Time columns move with the operation's time, so one that convo
// would have left alone (a moved started_at, say) may hold another value than convo's; never
// another size or shape, which is what the cost depends on. Its statements are prepared once, when
// the writer is made (as convo caches its own), so a write only binds and steps. The caller
// holds the transaction; `rows` must outlive the writer.
class RowWriter {
public:
    RowWriter(Database &db, const RowSet &rows);

    void write(Fill &fill);

private:
    struct Prepared {
        const StoredRow *row;
        std::vector<std::pair<std::size_t, ColumnRole>> columns;  // the written ones, by index
        Statement statement;
        bool update;
    };
    void put(Prepared &p, Fill &fill);

    Database &db_;
    const RowSet &rows_;
    std::vector<Prepared> prepared_;
};

}  // namespace convo_cli::bench
