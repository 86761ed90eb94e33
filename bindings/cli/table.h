// Plain-text tables for humans: aligned columns, a header rule, nothing else.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace convo_cli {

enum class Align { left, right };

struct Column {
    std::string title;
    Align align = Align::left;
    std::size_t min_width = 0;  // streaming output (print_header/print_row) uses only this
};

class Table {
public:
    explicit Table(std::vector<Column> columns);

    void add_row(std::vector<std::string> cells);
    // A horizontal rule before the next row (e.g. before a "total" row).
    void add_rule();
    bool empty() const { return rows_.empty(); }

    // The whole table, each column as wide as its widest cell.
    void render(std::ostream &os) const;

    // Row by row for output that never ends (watch --follow): widths are the min_widths.
    void print_header(std::ostream &os) const;
    void print_row(std::ostream &os, const std::vector<std::string> &cells) const;

private:
    void print_line(std::ostream &os, const std::vector<std::string> &cells,
                    const std::vector<std::size_t> &widths) const;
    void print_rule(std::ostream &os, const std::vector<std::size_t> &widths) const;
    std::vector<std::size_t> min_widths() const;

    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

// Display width of UTF-8 text (code points; the CLI prints no wide characters).
std::size_t display_width(const std::string &text);

}  // namespace convo_cli
