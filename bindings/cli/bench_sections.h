// The measurements of `convo bench`, one function per part of the issue. Each returns the rows
// of its section(s); bench.cpp runs them in order and prints the report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench_population.h"
#include "bench_report.h"
#include "bench_stats.h"
#include "bench_templates.h"

namespace convo_cli::bench {

// The sizes of one run.
struct Plan {
    int64_t scale = 0;  // N: the largest population
    int64_t ops = 0;    // calls per write measurement
    int64_t reads = 0;  // calls per read measurement (tick; fewer for the heavier get and list)
    bool quick = false;

    // The population sizes the scaling measurements run at: N/100, N/10, N.
    std::vector<int64_t> stages() const { return {scale / 100, scale / 10, scale}; }
};

inline Figure rate_figure(const Run &run) {
    return {run.per_second(), std::nullopt};
}
inline Figure latency_figure(const Run &run) {
    return {run.latency.quantile(0.5), run.latency.quantile(0.99)};
}
// "1,000,000"
std::string count_text(int64_t n);

// 1 and 2: create and dispatch, one transaction per call, at synchronous full and normal; then
// dispatch on 1, 2, 4 and 8 threads. Adds the row-count comparison of the databases to `checks`.
struct TransactionSections {
    Section per_transaction, concurrency;
};
TransactionSections run_transaction_sections(const std::string &dir, const Templates &templates,
                                             const Plan &plan, std::vector<CountCheck> &checks);

// 3, 5 and 7: tick, list, get and dispatch at each population size, growing `population`.
struct ScalingSections {
    Section tick, list, growth;
};
ScalingSections run_scaling_sections(Population &population, const Templates &templates,
                                     const Plan &plan);

// 4: a tenth of the population falls due at once; convo's tick against the baseline's.
Section run_timer_section(const Population &population, std::vector<CountCheck> &checks);

// 6: open time and memory of a fresh process on the population (bench_probe.cpp).
Section run_open_section(const Population &population);

}  // namespace convo_cli::bench
