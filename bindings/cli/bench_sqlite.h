// A thin RAII layer over the sqlite3 C API for `convo bench`: the raw baseline and the
// population builder talk to SQLite directly, never through the engine. Every failure throws
// SqlError naming what was being done and SQLite's own message, so the bench can report it and
// exit non-zero instead of carrying on with half-written rows.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace convo_cli::bench {

class SqlError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One SQLite value as read from or bound to a statement (blobs are not used by the schema).
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

class Statement {
public:
    Statement(sqlite3 *db, const std::string &sql);
    ~Statement();
    Statement(Statement &&other) noexcept;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    Statement &operator=(Statement &&) = delete;

    Statement &bind(int index, int64_t value);
    Statement &bind(int index, const std::string &value);
    Statement &bind(int index, const SqlValue &value);

    // One step: true when it produced a row. On an error it resets and throws.
    bool step();
    // Steps to the end, then readies the statement for the next use.
    void run();
    // Ends the current use (a read left mid-result would hold its read transaction open) and
    // clears the bindings.
    void reset();

    int column_count() const;
    std::string column_name(int column) const;
    int64_t int64(int column) const;
    std::string text(int column) const;
    SqlValue value(int column) const;
    // Reads every column of the current row the way a real reader would (text materialized),
    // so a measured query pays for the data it returns. Returns the bytes read.
    std::size_t consume_row() const;

private:
    [[noreturn]] void fail(const char *what) const;

    sqlite3 *db_;
    sqlite3_stmt *stmt_ = nullptr;
};

class Database {
public:
    // Opens (creating if needed) a database file, read-write.
    explicit Database(const std::string &path);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    void exec(const std::string &sql);
    Statement prepare(const std::string &sql);
    // The first column of the first row of a query that returns one integer.
    int64_t scalar(const std::string &sql);
    int64_t last_insert_rowid() const;

    // Registers a deterministic SQL function of `arity` integer arguments.
    using IntFunction = std::function<SqlValue(const std::vector<int64_t> &args)>;
    void define_function(const std::string &name, int arity, IntFunction fn);

    const std::string &path() const { return path_; }
    sqlite3 *handle() const { return db_; }

private:
    std::string path_;
    sqlite3 *db_ = nullptr;
    std::vector<std::unique_ptr<IntFunction>> functions_;  // owned here, called by SQLite
};

// The `synchronous` setting of a run: the engine option and the pragma share it.
enum class Sync { full, normal };
const char *sync_name(Sync sync);  // "full" | "normal"

// The pragmas engine/sqlite_store.cpp init() sets on its connection, so the baseline works under
// the same rules as convo. Keep the two in step: a baseline with other pragmas measures
// something else.
void apply_engine_pragmas(Database &db, Sync sync);

// The column names of `table`, in order.
std::vector<std::string> table_columns(Database &db, const std::string &table);

// Row counts of every table of a database, by name.
std::map<std::string, int64_t> table_row_counts(Database &db);

}  // namespace convo_cli::bench
