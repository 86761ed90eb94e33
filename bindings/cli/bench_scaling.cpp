// Sections 3, 5 and 7: the cost of tick, list, get and dispatch at N/100, N/10 and N stored
// conversations. Each stage grows the one cloned population, then measures convo on it and,
// with the engine closed, the baseline on the same file (reads) and on its own conversations of
// the same file (writes).
#include <algorithm>
#include <functional>
#include <iostream>
#include <random>
#include <set>

#include "bench_raw.h"
#include "bench_sections.h"
#include "bench_workload.h"
#include "capi_client.h"

namespace convo_cli::bench {

namespace {

struct StageRuns {
    int64_t n = 0;
    Run tick, get, list_status, list_metadata, dispatch;
};

// The calls one side makes, each given the index of the call.
struct Side {
    std::function<void(int64_t)> tick, get, list_status, list_metadata, dispatch;
};

// What a stage asks of both sides: the same conversations to read, and as many (distinct,
// never written before) conversations to write to on each side.
struct StageWork {
    int64_t n = 0;
    int64_t tick_calls = 0, list_calls = 0;
    std::vector<int64_t> reads;         // conversations to get, and whose account to list
    std::vector<std::string> read_ids;  // their ids
    std::vector<std::string> convo_writes, raw_writes;  // ids of each side's conversations
    std::vector<std::string> event_ids;                 // one per write

    int64_t writes() const { return static_cast<int64_t>(convo_writes.size()); }
};

// The i-th call's item: calls may outnumber items, and then go round again.
template <typename T>
const T &cyclic(const std::vector<T> &items, int64_t i) {
    return items[static_cast<std::size_t>(i) % items.size()];
}

// Picks conversations uniformly across the whole population, so that no measurement runs on
// a warm corner of the store.
class Picker {
public:
    std::vector<int64_t> any(int64_t n, int64_t count) {
        std::uniform_int_distribution<int64_t> pick(1, n);
        std::vector<int64_t> out;
        for (int64_t i = 0; i < count; ++i) out.push_back(pick(rng_));
        return out;
    }

    // Up to `count` conversations of `kind` in 1..n that no earlier call returned.
    std::vector<int64_t> fresh(layout::Kind kind, int64_t n, int64_t count) {
        std::vector<int64_t> unused;
        for (int64_t j = 0; j < layout::count(kind, n); ++j) {
            const int64_t k = layout::nth(kind, j);
            if (used_.count(k) == 0) unused.push_back(k);
        }
        std::shuffle(unused.begin(), unused.end(), rng_);
        unused.resize(static_cast<std::size_t>(
            std::min<int64_t>(count, static_cast<int64_t>(unused.size()))));
        used_.insert(unused.begin(), unused.end());
        return unused;
    }

private:
    std::mt19937_64 rng_{20260101};  // fixed: runs pick the same conversations
    std::set<int64_t> used_;
};

StageRuns measure(const Side &side, const StageWork &work) {
    StageRuns runs;
    runs.n = work.n;
    runs.tick = timed_calls(work.tick_calls, side.tick);
    runs.get = timed_calls(static_cast<int64_t>(work.reads.size()), side.get);
    runs.list_status = timed_calls(work.list_calls, side.list_status);
    runs.list_metadata = timed_calls(work.list_calls, side.list_metadata);
    runs.dispatch = timed_calls(work.writes(), side.dispatch);
    return runs;
}

StageRuns measure_convo(const Population &population, const StageWork &work) {
    using namespace workload;
    Engine engine(engine_options(population.path(), Sync::full, layout::kMeasureAt));
    Session session(engine, kOrganization);
    Session writer(engine, kOrganization, kWriterScopes);
    std::vector<std::string> metadata_queries, events;
    for (int64_t k : work.reads) metadata_queries.push_back(metadata_query(k));
    for (const std::string &id : work.event_ids) events.push_back(message_event(id));
    const std::string by_status = status_query();
    Side side;
    side.tick = [&](int64_t) {
        if (engine.tick() != 0) {
            throw std::runtime_error("bench: a timer fired in a tick that should find none due");
        }
    };
    side.get = [&](int64_t i) { session.get(cyclic(work.read_ids, i)); };
    side.list_status = [&](int64_t) { session.list(by_status); };
    side.list_metadata = [&](int64_t i) { session.list(cyclic(metadata_queries, i)); };
    side.dispatch = [&](int64_t i) {
        writer.dispatch(cyclic(work.convo_writes, i), cyclic(events, i));
    };
    return measure(side, work);
}

StageRuns measure_raw(const Population &population, const Templates &templates,
                      const StageWork &work) {
    using namespace workload;
    RawBaseline raw(population.path(), Sync::full);
    std::vector<std::string> accounts;
    for (int64_t k : work.reads) accounts.push_back(stored_account(k));
    Side side;
    side.tick = [&](int64_t) {
        if (raw.due_count(layout::kMeasureAt) != 0) {
            throw std::runtime_error("bench: rows are due that should not be");
        }
    };
    side.get = [&](int64_t i) { raw.get(cyclic(work.read_ids, i)); };
    side.list_status = [&](int64_t) { raw.list_by_status(kEndedStatus); };
    side.list_metadata = [&](int64_t i) {
        raw.list_by_metadata(kMetadataKey, cyclic(accounts, i));
    };
    side.dispatch = [&](int64_t i) {
        raw.dispatch(templates.dispatch, cyclic(work.raw_writes, i), layout::kMeasureAt,
                     cyclic(work.event_ids, i));
    };
    return measure(side, work);
}

// The work of stage n; `picker` keeps the written conversations fresh across stages.
StageWork work_for(int64_t n, const Plan &plan, Picker &picker) {
    StageWork work;
    work.n = n;
    work.tick_calls = plan.reads;
    work.list_calls = std::max<int64_t>(plan.reads / 20, 20);
    work.reads = picker.any(n, std::max<int64_t>(plan.reads / 4, 20));
    for (int64_t k : work.reads) work.read_ids.push_back(layout::id(k));
    // Both sides write to as many conversations, each to its own.
    const int64_t wanted = std::max<int64_t>(plan.ops / 4, 10);
    std::vector<int64_t> convo = picker.fresh(layout::Kind::convo_writes, n, wanted);
    std::vector<int64_t> raw = picker.fresh(layout::Kind::raw_writes, n, wanted);
    const std::size_t writes = std::min(convo.size(), raw.size());
    for (std::size_t i = 0; i < writes; ++i) {
        work.convo_writes.push_back(layout::id(convo[i]));
        work.raw_writes.push_back(layout::id(raw[i]));
        work.event_ids.push_back("stage-" + std::to_string(n) + "-" + std::to_string(i));
    }
    return work;
}

std::string stored_text(int64_t n) {
    return count_text(n) + " stored";
}

}  // namespace

std::string count_text(int64_t n) {
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return digits;
}

ScalingSections run_scaling_sections(Population &population, const Templates &templates,
                                     const Plan &plan) {
    Picker picker;
    std::vector<StageRuns> convo, raw;
    for (int64_t n : plan.stages()) {
        std::cerr << "bench: population of " << count_text(n) << " conversations (cloned)\n";
        population.grow_to(n);
        const StageWork work = work_for(n, plan, picker);
        std::cerr << "bench: tick, get, list and dispatch at " << stored_text(n) << "\n";
        convo.push_back(measure_convo(population, work));
        raw.push_back(measure_raw(population, templates, work));
    }

    ScalingSections out;
    out.tick = {"tick", "3. tick, nothing due", {}};
    out.list = {"list", "5. list (a page of 20)", {}};
    out.growth = {"growth", "7. cost against n", {}};
    const bool at_issue_scale = plan.scale == 1'000'000;
    for (std::size_t s = 0; s < convo.size(); ++s) {
        const StageRuns &c = convo[s], &r = raw[s];
        const bool largest = s + 1 == convo.size();
        const std::string stored = stored_text(c.n);
        const int64_t open = c.n - layout::count(layout::Kind::ended, c.n);
        out.tick.rows.push_back(
            {"tick, " + stored + " (" + count_text(open) + " open)", Unit::micros,
             latency_figure(c.tick), latency_figure(r.tick),
             largest ? Target::at_most(10, at_issue_scale ? "" : "(for 10^6)") : Target{}});
        out.list.rows.push_back({"list by status, " + stored,
                                 Unit::micros,
                                 latency_figure(c.list_status),
                                 latency_figure(r.list_status),
                                 {}});
        out.list.rows.push_back({"list by metadata, " + stored,
                                 Unit::micros,
                                 latency_figure(c.list_metadata),
                                 latency_figure(r.list_metadata),
                                 {}});
        out.growth.rows.push_back({"dispatch, " + stored,
                                   Unit::per_second,
                                   rate_figure(c.dispatch),
                                   rate_figure(r.dispatch),
                                   {}});
        out.growth.rows.push_back(
            {"get, " + stored, Unit::micros, latency_figure(c.get), latency_figure(r.get), {}});
    }
    // How much each median grew from the smallest population to the largest (100× more rows).
    // O(log n) predicts at most log(N)/log(N/100), 1.5× at 10^6; a scan would grow 100×.
    using Pick = std::function<const Run &(const StageRuns &)>;
    const std::pair<const char *, Pick> costs[] = {
        {"tick", [](const StageRuns &s) -> const Run & { return s.tick; }},
        {"get", [](const StageRuns &s) -> const Run & { return s.get; }},
        {"list by status", [](const StageRuns &s) -> const Run & { return s.list_status; }},
        {"list by metadata", [](const StageRuns &s) -> const Run & { return s.list_metadata; }},
        {"dispatch", [](const StageRuns &s) -> const Run & { return s.dispatch; }}};
    auto growth = [](const std::vector<StageRuns> &runs, const Pick &pick) {
        const double first = pick(runs.front()).latency.quantile(0.5);
        const double last = pick(runs.back()).latency.quantile(0.5);
        return Figure{first > 0 ? last / first : 0, std::nullopt};
    };
    const std::string span = "N/100 → N";
    for (const auto &[name, pick] : costs) {
        out.growth.rows.push_back({std::string(name) + " median, growth " + span, Unit::factor,
                                   growth(convo, pick), growth(raw, pick),
                                   Target::at_most(2, "(O(log n))")});
    }
    return out;
}

}  // namespace convo_cli::bench
