// Timing for `convo bench`: each call is timed on the steady clock, and a run keeps both the
// per-call latencies (for p50/p99) and the wall time of the whole loop (for calls per second,
// which includes everything between calls, as a host would see it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace convo_cli::bench {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

class Samples {
public:
    void reserve(std::size_t n) { micros_.reserve(n); }
    void add(double micros) { micros_.push_back(micros); }
    void merge(const Samples &other);
    std::size_t size() const { return micros_.size(); }
    // The q-quantile (0..1) in microseconds, nearest rank; 0 with no samples.
    double quantile(double q) const;

private:
    std::vector<double> micros_;
};

struct Run {
    double seconds = 0;  // wall time of the whole run
    Samples latency;     // one sample per call
    double per_second() const {
        return seconds > 0 ? static_cast<double>(latency.size()) / seconds : 0;
    }
    // Adds another part of the same measurement.
    void add(const Run &part);
};

// Calls fn(i) for i in [from, to), timing each call and the whole loop.
Run timed_calls(int64_t from, int64_t to, const std::function<void(int64_t i)> &fn);
inline Run timed_calls(int64_t n, const std::function<void(int64_t i)> &fn) {
    return timed_calls(0, n, fn);
}

// `threads` threads each call fn(thread, i) for i in [from, to) at once, released together
// after all have started. The wall time runs from the release to the last thread's end. An
// exception in any thread is rethrown here after all have been joined.
Run timed_threads(int threads, int64_t from, int64_t to,
                  const std::function<void(int thread, int64_t i)> &fn);

// Two sides of a comparison measured in alternating slices of [0, n), each slice of one side
// next to the same slice of the other (which one goes first alternates too). On a busy machine
// a burst of someone else's I/O then lands on both sides rather than on one, and the ratio
// holds even when the absolute figures wander.
struct Pair {
    Run first, second;
};
using Slice = std::function<Run(int64_t from, int64_t to)>;
Pair alternating(int64_t n, const Slice &first, const Slice &second);

// alternating() over timed_calls and timed_threads.
using Call = std::function<void(int64_t i)>;
using ThreadCall = std::function<void(int thread, int64_t i)>;
Pair alternating_calls(int64_t n, const Call &first, const Call &second);
Pair alternating_threads(int threads, int64_t calls_per_thread, const ThreadCall &first,
                         const ThreadCall &second);

}  // namespace convo_cli::bench
