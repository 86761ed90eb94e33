// Section 4: timers fired per second when a tenth of the population falls due at once. One
// convo_tick fires the first due group (the engine commits 256 per transaction); the baseline
// then fires the second group, a minute later, writing the rows convo wrote for the first
// (captured from the database after the tick): the same row updates and feed inserts, 256 per
// transaction.
#include <iostream>

#include "bench_raw.h"
#include "bench_sections.h"
#include "bench_workload.h"
#include "capi_client.h"

namespace convo_cli::bench {

namespace {

RowCounts counts_of(const std::string &path) {
    Database db(path);
    return table_row_counts(db);
}

// What happened between two counts: rows added per table.
RowCounts added(const RowCounts &before, const RowCounts &after) {
    RowCounts out;
    for (const auto &[table, rows] : after) {
        auto it = before.find(table);
        out[table] = rows - (it == before.end() ? 0 : it->second);
    }
    return out;
}

struct Fired {
    int64_t count = 0;
    double seconds = 0;
    Figure rate() const {
        return {seconds > 0 ? static_cast<double>(count) / seconds : 0, std::nullopt};
    }
};

}  // namespace

Section run_timer_section(const Population &population, std::vector<CountCheck> &checks) {
    const int64_t n = population.size();
    const std::string &path = population.path();
    std::cerr << "bench: firing " << count_text(layout::count(layout::Kind::due_first, n))
              << " timers due at once\n";

    const RowCounts before = counts_of(path);
    // One conversation of convo's group, to see afterwards what firing wrote to it.
    Snapshot sample;
    {
        Database db(path);
        sample = snapshot(db, layout::id(layout::nth(layout::Kind::due_first, 0)));
    }
    Fired convo;
    {
        Engine engine(workload::engine_options(path, Sync::full, layout::kMeasureAt));
        engine.set_clock(layout::kFirstDueAt);
        const Clock::time_point start = Clock::now();
        convo.count = engine.tick();
        convo.seconds = seconds_since(start);
    }
    const RowCounts between = counts_of(path);

    // convo's rows for one fired conversation are the baseline's template.
    RowSet fire;
    {
        Database db(path);
        fire = changes_since(db, sample, layout::kFirstDueAt);
    }
    Fired raw;
    {
        RawBaseline baseline(path, Sync::full);
        const Clock::time_point start = Clock::now();
        raw.count = baseline.fire_due(fire, layout::kSecondDueAt);
        raw.seconds = seconds_since(start);
    }
    const RowCounts after = counts_of(path);

    const std::string what = "timers fired at " + count_text(n) + " stored";
    checks.push_back({what,
                      "conversations fired (expected " +
                          count_text(layout::count(layout::Kind::due_first, n)) + ")",
                      convo.count, raw.count});
    add_count_checks(checks, what + ", rows added", added(before, between), added(between, after));

    Section section{"timers", "4. timers due at once", {}};
    section.rows.push_back(
        {"timers fired, " + count_text(convo.count) + " due at once, " + count_text(n) + " stored",
         Unit::per_second, convo.rate(), raw.rate(), Target::at_least(20'000)});
    return section;
}

}  // namespace convo_cli::bench
