// The raw baseline: what convo's operations cost when written straight against the sqlite3 C
// API, on the same schema (created by convo), with the same pragmas and the same rows (captured
// from convo, see bench_rows.h). It does what any correct implementation must and nothing
// more: it reads the row it changes, checks an event id before recording it, and writes the
// rows in one transaction per operation; it keeps no cache of rows between calls.
//
// One connection, serialized by a mutex: with several threads this is the "single-transaction
// baseline" convo's group commit is measured against (every call pays its own commit).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_rows.h"
#include "bench_sqlite.h"

namespace convo_cli::bench {

class RawBaseline {
public:
    RawBaseline(const std::string &path, Sync sync);
    ~RawBaseline();
    RawBaseline(const RawBaseline &) = delete;
    RawBaseline &operator=(const RawBaseline &) = delete;

    // Creates one conversation as convo_create writes it; returns its id.
    std::string create(const RowSet &rows, int64_t now, const std::string &user_id);
    // Records one event on conversation `id` as convo_dispatch writes it.
    void dispatch(const RowSet &rows, const std::string &id, int64_t now,
                  const std::string &event_id);
    // Fires every conversation due at `now`, kTickBatch per transaction, writing `rows` for
    // each (the conversation's moved columns and its feed events). Returns how many fired.
    int64_t fire_due(const RowSet &rows, int64_t now);

    // The due-timer query alone: how many rows are due at `now` (at most one batch).
    int due_count(int64_t now);
    // A conversation and its transcript, as convo_get reads them.
    void get(const std::string &id);
    // One page (newest first, with the transcripts) of the conversations with `status`, and of
    // those whose metadata `key` has the stored JSON text `value`.
    void list_by_status(const std::string &status);
    void list_by_metadata(const std::string &key, const std::string &value);

private:
    // Reads conversation `id` as convo loads it; returns its rid.
    int64_t load(const std::string &id);
    void transcript(int64_t rid);
    int64_t next_message_number(int64_t rid);
    void list(Statement &st);
    RowWriter &writer_for(const RowSet &rows);
    template <typename Fn>
    void transaction(Fn &&fn);

    struct Queries;  // prepared once the pragmas are set, as the engine does

    std::mutex mu_;
    Database db_;  // declared first: destroyed after everything prepared on it
    std::unique_ptr<Queries> q_;
    std::unordered_map<const RowSet *, std::unique_ptr<RowWriter>> writers_;
    std::unordered_map<int64_t, int64_t> next_message_;  // rid → next messages.n
    int64_t next_seq_ = 0;
    int64_t created_ = 0;  // conversations this baseline created (makes ids unique)
};

}  // namespace convo_cli::bench
