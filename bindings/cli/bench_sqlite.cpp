#include "bench_sqlite.h"

#include <utility>

namespace convo_cli::bench {

Statement::Statement(sqlite3 *db, const std::string &sql) : db_(db) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
        throw SqlError("cannot prepare \"" + sql + "\": " + sqlite3_errmsg(db_));
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement &&other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

void Statement::fail(const char *what) const {
    std::string message =
        std::string(what) + " \"" + sqlite3_sql(stmt_) + "\": " + sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    throw SqlError(message);
}

Statement &Statement::bind(int index, int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail("cannot bind to");
    return *this;
}

Statement &Statement::bind(int index, const std::string &value) {
    if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK) {
        fail("cannot bind to");
    }
    return *this;
}

Statement &Statement::bind(int index, const SqlValue &value) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(value)) {
        rc = sqlite3_bind_null(stmt_, index);
    } else if (const auto *i = std::get_if<int64_t>(&value)) {
        rc = sqlite3_bind_int64(stmt_, index, *i);
    } else if (const auto *d = std::get_if<double>(&value)) {
        rc = sqlite3_bind_double(stmt_, index, *d);
    } else {
        return bind(index, std::get<std::string>(value));
    }
    if (rc != SQLITE_OK) fail("cannot bind to");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("cannot run");
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    // sqlite3_reset repeats the error of a failed step, which fail() has already reported.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const {
    return sqlite3_column_count(stmt_);
}

std::string Statement::column_name(int column) const {
    return sqlite3_column_name(stmt_, column);
}

int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
    const unsigned char *text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char *>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

SqlValue Statement::value(int column) const {
    switch (sqlite3_column_type(stmt_, column)) {
        case SQLITE_NULL:
            return std::monostate{};
        case SQLITE_INTEGER:
            return int64(column);
        case SQLITE_FLOAT:
            return sqlite3_column_double(stmt_, column);
        default:
            return text(column);
    }
}

std::size_t Statement::consume_row() const {
    std::size_t bytes = 0;
    for (int i = 0; i < column_count(); ++i) {
        if (sqlite3_column_type(stmt_, i) == SQLITE_INTEGER) {
            (void)sqlite3_column_int64(stmt_, i);
            bytes += sizeof(int64_t);
        } else if (sqlite3_column_text(stmt_, i) != nullptr) {
            bytes += static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i));
        }
    }
    return bytes;
}

Database::Database(const std::string &path) : path_(path) {
    // Opened as convo opens its own (engine/sqlite_store.cpp): without SQLite's mutex, every
    // use serialized by the caller (RawBaseline's mutex).
    const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw SqlError("cannot open database '" + path + "': " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
    // Statements are finalized by their owners first; close_v2 tolerates stragglers.
    sqlite3_close_v2(db_);
}

void Database::exec(const std::string &sql) {
    char *error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
        sqlite3_free(error);
        throw SqlError("cannot run \"" + sql + "\" on '" + path_ + "': " + message);
    }
}

Statement Database::prepare(const std::string &sql) {
    return Statement(db_, sql);
}

int64_t Database::scalar(const std::string &sql) {
    Statement st = prepare(sql);
    if (!st.step()) throw SqlError("\"" + sql + "\" returned no row on '" + path_ + "'");
    return st.int64(0);
}

int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

namespace {

void call_int_function(sqlite3_context *context, int argc, sqlite3_value **argv) {
    const auto &fn = *static_cast<const Database::IntFunction *>(sqlite3_user_data(context));
    std::vector<int64_t> args;
    args.reserve(static_cast<std::size_t>(argc));
    for (int i = 0; i < argc; ++i) args.push_back(sqlite3_value_int64(argv[i]));
    try {
        const SqlValue result = fn(args);
        if (const auto *i = std::get_if<int64_t>(&result)) {
            sqlite3_result_int64(context, *i);
        } else if (const auto *s = std::get_if<std::string>(&result)) {
            sqlite3_result_text(context, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
        } else if (const auto *d = std::get_if<double>(&result)) {
            sqlite3_result_double(context, *d);
        } else {
            sqlite3_result_null(context);
        }
    } catch (const std::exception &e) {
        // No exception may unwind through SQLite's C frames.
        sqlite3_result_error(context, e.what(), -1);
    }
}

}  // namespace

void Database::define_function(const std::string &name, int arity, IntFunction fn) {
    functions_.push_back(std::make_unique<IntFunction>(std::move(fn)));
    const int rc = sqlite3_create_function_v2(
        db_, name.c_str(), arity, SQLITE_UTF8 | SQLITE_DETERMINISTIC, functions_.back().get(),
        call_int_function, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        throw SqlError("cannot define SQL function " + name + ": " + sqlite3_errmsg(db_));
    }
}

const char *sync_name(Sync sync) {
    return sync == Sync::full ? "full" : "normal";
}

void apply_engine_pragmas(Database &db, Sync sync) {
    db.exec("PRAGMA locking_mode=EXCLUSIVE");
    db.exec("PRAGMA journal_mode=WAL");
    db.exec(sync == Sync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA foreign_keys=OFF");
    db.exec("PRAGMA temp_store=MEMORY");
    db.exec("PRAGMA cache_size=-32768");
}

std::vector<std::string> table_columns(Database &db, const std::string &table) {
    std::vector<std::string> columns;
    Statement st = db.prepare("SELECT name FROM pragma_table_info(?)");
    st.bind(1, table);
    while (st.step()) columns.push_back(st.text(0));
    st.reset();
    return columns;
}

std::map<std::string, int64_t> table_row_counts(Database &db) {
    std::vector<std::string> tables;
    Statement names = db.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name");
    while (names.step()) tables.push_back(names.text(0));
    names.reset();
    std::map<std::string, int64_t> counts;
    for (const std::string &table : tables) {
        counts[table] = db.scalar("SELECT count(*) FROM \"" + table + "\"");
    }
    return counts;
}

}  // namespace convo_cli::bench
