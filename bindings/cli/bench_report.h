// The results of `convo bench`: sections of rows, each row a measurement of convo beside the
// raw baseline with their ratio and the target; printed as a table or as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace convo_cli::bench {

struct Figure {
    double value = 0;           // for latencies, the median
    std::optional<double> p99;  // latencies only
};

enum class Unit { per_second, micros, millis, megabytes, factor };

struct Target {
    enum class Kind { none, ratio_at_least, at_most, at_least };
    Kind kind = Kind::none;
    double bound = 0;
    std::string basis;  // what a ratio target compares with, e.g. "raw"; or a caveat

    static Target ratio_at_least(double bound, std::string basis = "raw") {
        return {Kind::ratio_at_least, bound, std::move(basis)};
    }
    static Target at_most(double bound, std::string caveat = {}) {
        return {Kind::at_most, bound, std::move(caveat)};
    }
    static Target at_least(double bound, std::string caveat = {}) {
        return {Kind::at_least, bound, std::move(caveat)};
    }
};

struct Row {
    std::string measurement;
    Unit unit = Unit::per_second;
    std::optional<Figure> convo, raw;
    Target target;

    std::optional<double> ratio() const;  // convo ÷ raw
    std::optional<bool> met() const;
};

struct Section {
    std::string id;  // stable, for readers of --json
    std::string title;
    std::vector<Row> rows;
};

// One comparison of the self-check: what convo and the baseline wrote should be the same rows.
struct CountCheck {
    std::string what;   // e.g. "synchronous=full, after create/dispatch"
    std::string table;  // a table, or a count such as "timers fired"
    int64_t convo = 0, raw = 0;
};

using RowCounts = std::map<std::string, int64_t>;  // table → rows

// Adds one check per table of either side: convo's rows against the baseline's.
void add_count_checks(std::vector<CountCheck> &checks, const std::string &what,
                      const RowCounts &convo, const RowCounts &raw);

struct Context {
    std::string cpu_model, os, sqlite_version, convo_version, command_line, started_at, directory;
    unsigned cores = 0;
    int64_t scale = 0, ops = 0;
    bool quick = false;
};

struct Report {
    Context context;
    std::vector<Section> sections;
    std::vector<CountCheck> checks;
    std::vector<std::string> notes;
    double wall_seconds = 0;

    bool checks_pass() const;
};

void print_table(const Report &report, std::ostream &os);
void print_json(const Report &report, std::ostream &os);

}  // namespace convo_cli::bench
