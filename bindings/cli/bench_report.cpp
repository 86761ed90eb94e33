#include "bench_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "table.h"

namespace convo_cli::bench {

std::optional<double> Row::ratio() const {
    if (!convo || !raw || unit == Unit::factor || raw->value <= 0) return std::nullopt;
    return convo->value / raw->value;
}

std::optional<bool> Row::met() const {
    if (!convo) return std::nullopt;
    switch (target.kind) {
        case Target::Kind::none:
            return std::nullopt;
        case Target::Kind::ratio_at_least:
            if (!ratio()) return std::nullopt;
            return *ratio() >= target.bound;
        case Target::Kind::at_most:
            return convo->value <= target.bound;
        case Target::Kind::at_least:
            return convo->value >= target.bound;
    }
    return std::nullopt;
}

void add_count_checks(std::vector<CountCheck> &checks, const std::string &what,
                      const RowCounts &convo, const RowCounts &raw) {
    RowCounts tables = convo;
    tables.insert(raw.begin(), raw.end());
    auto count = [](const RowCounts &counts, const std::string &table) -> int64_t {
        auto it = counts.find(table);
        return it == counts.end() ? -1 : it->second;  // -1: the table is missing on that side
    };
    for (const auto &entry : tables) {
        checks.push_back({what, entry.first, count(convo, entry.first), count(raw, entry.first)});
    }
}

bool Report::checks_pass() const {
    return std::all_of(checks.begin(), checks.end(),
                       [](const CountCheck &c) { return c.convo == c.raw; });
}

namespace {

// 1234567 → "1,234,567"
std::string grouped(double value) {
    const auto whole = static_cast<long long>(std::llround(value));
    std::string digits = std::to_string(whole < 0 ? -whole : whole);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return (whole < 0 ? "-" : "") + digits;
}

// Three significant figures for small values, whole numbers (grouped) from 100 on.
std::string number(double value) {
    if (std::fabs(value) >= 100) return grouped(value);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, std::fabs(value) >= 10 ? "%.1f" : "%.2f", value);
    return buffer;
}

// How each unit is written after a number, and named in JSON.
struct UnitText {
    const char *suffix, *name;
};
UnitText unit_text(Unit unit) {
    switch (unit) {
        case Unit::per_second:
            return {"/s", "per_second"};
        case Unit::micros:
            return {" µs", "microseconds"};
        case Unit::millis:
            return {" ms", "milliseconds"};
        case Unit::megabytes:
            return {" MB", "megabytes"};
        case Unit::factor:
            return {"×", "factor"};
    }
    return {"", ""};
}

const char *unit_suffix(Unit unit) {
    return unit_text(unit).suffix;
}

std::string cell(const std::optional<Figure> &figure, Unit unit) {
    if (!figure) return "-";
    std::string text = number(figure->value);
    if (figure->p99) text += " / " + number(*figure->p99);
    return text + unit_suffix(unit);
}

std::string target_text(const Row &row) {
    const Target &t = row.target;
    std::string caveat = t.basis.empty() ? "" : " " + t.basis;
    switch (t.kind) {
        case Target::Kind::none:
            return "";
        case Target::Kind::ratio_at_least:
            return "≥ " + number(t.bound) + "×" + caveat;
        case Target::Kind::at_most:
            return "≤ " + number(t.bound) + unit_suffix(row.unit) + caveat;
        case Target::Kind::at_least:
            return "≥ " + number(t.bound) + unit_suffix(row.unit) + caveat;
    }
    return "";
}

std::string met_text(const Row &row) {
    const std::optional<bool> met = row.met();
    if (!met) return "";
    return *met ? "yes" : "NO";
}

// Rounded for JSON: the figures are noisy well before the third decimal.
double rounded(double value) {
    return std::round(value * 1000) / 1000;
}

nlohmann::ordered_json figure_json(const std::optional<Figure> &figure) {
    if (!figure) return nullptr;
    nlohmann::ordered_json j{{"value", rounded(figure->value)}};
    if (figure->p99) j["p99"] = rounded(*figure->p99);
    return j;
}

}  // namespace

void print_table(const Report &report, std::ostream &os) {
    const Context &c = report.context;
    os << "convo bench: convo " << c.convo_version << " beside raw SQLite " << c.sqlite_version
       << "\n"
       << "machine: " << c.cpu_model << ", " << c.cores << " cores, " << c.os << "\n"
       << "scale: " << grouped(static_cast<double>(c.scale)) << " conversations, "
       << grouped(static_cast<double>(c.ops)) << " writes per measurement"
       << (c.quick ? " (--quick)" : "") << "\n\n";
    Table table({{"section"},
                 {"measurement"},
                 {"convo", Align::right},
                 {"raw", Align::right},
                 {"ratio", Align::right},
                 {"target"},
                 {"met?"}});
    for (std::size_t s = 0; s < report.sections.size(); ++s) {
        const Section &section = report.sections[s];
        if (s > 0) table.add_rule();
        for (std::size_t r = 0; r < section.rows.size(); ++r) {
            const Row &row = section.rows[r];
            const std::optional<double> ratio = row.ratio();
            table.add_row({r == 0 ? section.title : "", row.measurement, cell(row.convo, row.unit),
                           cell(row.raw, row.unit), ratio ? number(*ratio) + "×" : "",
                           target_text(row), met_text(row)});
        }
    }
    table.render(os);
    os << "\nLatencies are median / p99 per call. ratio = convo ÷ raw: above 1 is better for "
          "rates, worse for latencies.\n";
    for (const std::string &note : report.notes) os << note << "\n";
    if (report.checks_pass()) {
        os << "Self-check: convo and the baseline wrote the same number of rows in every table.\n";
    } else {
        os << "WARNING: the baseline did not write the same rows as convo, so its figures are not "
              "comparable:\n";
        for (const CountCheck &check : report.checks) {
            if (check.convo == check.raw) continue;
            os << "  " << check.what << ", " << check.table << ": convo " << check.convo << ", raw "
               << check.raw << "\n";
        }
    }
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.1f", report.wall_seconds);
    os << "Total wall time: " << wall << " s\n";
}

void print_json(const Report &report, std::ostream &os) {
    using json = nlohmann::ordered_json;
    const Context &c = report.context;
    json sections = json::array();
    for (const Section &section : report.sections) {
        json rows = json::array();
        for (const Row &row : section.rows) {
            const std::optional<double> ratio = row.ratio();
            const std::optional<bool> met = row.met();
            const std::string target = target_text(row);
            rows.push_back({{"measurement", row.measurement},
                            {"unit", unit_text(row.unit).name},
                            {"convo", figure_json(row.convo)},
                            {"raw", figure_json(row.raw)},
                            {"ratio", ratio ? json(rounded(*ratio)) : json(nullptr)},
                            {"target", target.empty() ? json(nullptr) : json(target)},
                            {"met", met ? json(*met) : json(nullptr)}});
        }
        sections.push_back({{"id", section.id}, {"title", section.title}, {"rows", rows}});
    }
    json counts = json::array();
    for (const CountCheck &check : report.checks) {
        counts.push_back({{"what", check.what},
                          {"table", check.table},
                          {"convo", check.convo},
                          {"raw", check.raw}});
    }
    json doc{{"context",
              {{"convo_version", c.convo_version},
               {"sqlite_version", c.sqlite_version},
               {"cpu_model", c.cpu_model},
               {"cores", c.cores},
               {"os", c.os},
               {"started_at", c.started_at},
               {"command_line", c.command_line},
               {"directory", c.directory},
               {"scale", c.scale},
               {"ops", c.ops},
               {"quick", c.quick}}},
             {"sections", sections},
             {"self_check", {{"row_counts_match", report.checks_pass()}, {"counts", counts}}},
             {"notes", report.notes},
             {"wall_seconds", rounded(report.wall_seconds)}};
    os << doc.dump(2) << "\n";
}

}  // namespace convo_cli::bench
