// How much of the fault space a run covers: set from the command line by faults_main.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trials.h"

namespace faults {

struct SweepConfig {
    bool every_k = false;            // --every-k: every fault point; else a sample per kind
    uint64_t sample = 64;            // --sample=N: points per kind and mode when sampling
    std::vector<std::string> kinds;  // --kinds=write,sync: only these (empty: all)
    bool verbose = false;            // --verbose: one line per trial
};

SweepConfig &sweep_config();

// The fault-free run, recorded once per process.
const Golden &golden();

// The k's a sweep of `total` calls visits: all of them with --every-k, else the first and
// last few and an even spread in between.
std::vector<uint64_t> sample_points(uint64_t total);

// Everything swept in this process, printed at exit.
Tally &process_tally();

}  // namespace faults
