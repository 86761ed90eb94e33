#include "table.h"

#include <algorithm>
#include <utility>

namespace convo_cli {

std::size_t display_width(const std::string &text) {
    std::size_t width = 0;
    for (unsigned char c : text) {
        if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
    }
    return width;
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    rows_.push_back(std::move(cells));
}

void Table::add_rule() {
    rows_.emplace_back();
}

std::vector<std::size_t> Table::min_widths() const {
    std::vector<std::size_t> widths;
    for (const Column &c : columns_)
        widths.push_back(std::max(c.min_width, display_width(c.title)));
    return widths;
}

void Table::render(std::ostream &os) const {
    std::vector<std::size_t> widths = min_widths();
    for (const auto &row : rows_) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    std::vector<std::string> titles;
    for (const Column &c : columns_) titles.push_back(c.title);
    print_line(os, titles, widths);
    print_rule(os, widths);
    for (const auto &row : rows_) {
        if (row.empty()) {
            print_rule(os, widths);
        } else {
            print_line(os, row, widths);
        }
    }
}

void Table::print_header(std::ostream &os) const {
    std::vector<std::string> titles;
    for (const Column &c : columns_) titles.push_back(c.title);
    std::vector<std::size_t> widths = min_widths();
    print_line(os, titles, widths);
    print_rule(os, widths);
}

void Table::print_row(std::ostream &os, const std::vector<std::string> &cells) const {
    std::vector<std::string> padded = cells;
    padded.resize(columns_.size());
    print_line(os, padded, min_widths());
}

void Table::print_line(std::ostream &os, const std::vector<std::string> &cells,
                       const std::vector<std::size_t> &widths) const {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const std::size_t width = display_width(cells[i]);
        const std::string pad(widths[i] > width ? widths[i] - width : 0, ' ');
        if (i > 0) line += "  ";
        if (columns_[i].align == Align::right) {
            line += pad + cells[i];
        } else if (i + 1 < cells.size()) {
            line += cells[i] + pad;
        } else {
            line += cells[i];  // no trailing blanks
        }
    }
    os << line << '\n';
}

void Table::print_rule(std::ostream &os, const std::vector<std::size_t> &widths) const {
    std::size_t total = 0;
    for (std::size_t w : widths) total += w;
    total += widths.empty() ? 0 : 2 * (widths.size() - 1);
    os << std::string(total, '-') << '\n';
}

}  // namespace convo_cli
