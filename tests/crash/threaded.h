// The threaded mode of the kill -9 crash trials (crash_trials --threads T): several threads of
// the child dispatch at once, so that an engine with group commit batches their changes into
// shared transactions; the parent checks that every acknowledged change survived the kill whole,
// and every unacknowledged one is there whole or not at all. See threaded.cpp.
#pragma once

#include "trial.h"

namespace crash {

constexpr int kMinThreads = 2;
constexpr int kMaxThreads = 16;

// Runs cfg.trials threaded trials (cfg.threads threads each) and prints what they checked;
// returns crash_trials' exit status (0: every trial passed and, with --inject, every trial that
// lost acknowledged commits on purpose was caught).
int run_threaded_trials(const Options &cfg, const char *argv0);

}  // namespace crash
