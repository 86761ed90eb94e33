#include "demo_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "table.h"

namespace convo_cli {

namespace {

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string percent(std::size_t part, std::size_t whole) {
    return whole == 0
               ? "-"
               : fixed(100.0 * static_cast<double>(part) / static_cast<double>(whole), 1) + "%";
}

// Columns: the lifecycle's channels, then a total.
std::vector<Column> channel_columns(const std::string &first, const LifecycleGraph &lifecycle) {
    std::vector<Column> columns{{first}};
    for (const std::string &c : lifecycle.channels) columns.push_back({c, Align::right});
    columns.push_back({"total", Align::right});
    return columns;
}

void print_statuses(std::ostream &os, const LifecycleGraph &lifecycle,
                    const std::vector<Outcome> &outcomes) {
    std::map<std::pair<std::string, std::string>, std::size_t> counts;
    std::map<std::string, std::size_t> per_channel;
    for (const Outcome &o : outcomes) {
        ++counts[{o.status, o.channel}];
        ++per_channel[o.channel];
    }
    Table table(channel_columns("final status", lifecycle));
    for (const StatusNode &status : lifecycle.statuses) {
        std::vector<std::string> row{status.name};
        std::size_t total = 0;
        for (const std::string &channel : lifecycle.channels) {
            const std::size_t n = counts[{status.name, channel}];
            row.push_back(std::to_string(n));
            total += n;
        }
        row.push_back(std::to_string(total));
        table.add_row(row);
    }
    table.add_rule();
    std::vector<std::string> totals{"total"};
    for (const std::string &channel : lifecycle.channels) {
        totals.push_back(std::to_string(per_channel[channel]));
    }
    totals.push_back(std::to_string(outcomes.size()));
    table.add_row(totals);
    os << "Final status by channel\n";
    table.render(os);
}

void print_end_reasons(std::ostream &os, const std::vector<Outcome> &outcomes) {
    std::map<std::string, std::size_t> counts;
    for (const Outcome &o : outcomes) ++counts[o.end_reason.empty() ? "(open)" : o.end_reason];
    std::vector<std::pair<std::string, std::size_t>> rows(counts.begin(), counts.end());
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    Table table({{"end_reason"}, {"count", Align::right}, {"share", Align::right}});
    for (const auto &[reason, n] : rows) {
        table.add_row({reason, std::to_string(n), percent(n, outcomes.size())});
    }
    os << "End reasons\n";
    table.render(os);
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double> &sorted, double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::max<std::size_t>(rank, 1) - 1];
}

double median(const std::vector<double> &sorted) {
    const std::size_t n = sorted.size();
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

void print_durations(std::ostream &os, const LifecycleGraph &lifecycle,
                     const std::vector<Outcome> &outcomes) {
    Table table({{"channel"},
                 {"count", Align::right},
                 {"mean", Align::right},
                 {"median", Align::right},
                 {"p95", Align::right}});
    for (const std::string &channel : lifecycle.channels) {
        std::vector<double> seconds;
        for (const Outcome &o : outcomes) {
            if (o.channel == channel && o.duration) seconds.push_back(*o.duration);
        }
        if (seconds.empty()) {
            table.add_row({channel, "0", "-", "-", "-"});
            continue;
        }
        std::sort(seconds.begin(), seconds.end());
        const double mean = std::accumulate(seconds.begin(), seconds.end(), 0.0) /
                            static_cast<double>(seconds.size());
        table.add_row({channel, std::to_string(seconds.size()), fixed(mean, 1),
                       fixed(median(seconds), 1), fixed(percentile(seconds, 0.95), 1)});
    }
    os << "Durations in seconds (conversations that started)\n";
    table.render(os);
}

}  // namespace

void print_summary(std::ostream &os, const LifecycleGraph &lifecycle, const DemoRun &run,
                   const std::vector<Outcome> &outcomes) {
    os << "\nconvo demo summary\n"
       << "  conversations  " << run.conversations << " (seed " << run.seed << ", organization "
       << run.organization << ")\n"
       << "  virtual time   " << run.first_at << " .. " << run.last_at << "\n"
       << "  feed events    " << run.events_this_run << " this run; the feed holds "
       << run.feed_last_seq << "\n"
       << "  timers fired   " << run.timers_fired << "\n"
       << "  retries        " << run.retries_ignored << " repeated event_ids ignored\n"
       << "  wall time      " << fixed(run.wall_seconds, 2) << " s\n\n";
    print_statuses(os, lifecycle, outcomes);
    os << '\n';
    print_end_reasons(os, outcomes);
    os << '\n';
    print_durations(os, lifecycle, outcomes);
    os << "\nDatabase left at " << run.database << "\n"
       << "  convo --db " << run.database << " --org " << run.organization << " list --table\n";
}

}  // namespace convo_cli
