#include "bench_stats.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace convo_cli::bench {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void Samples::merge(const Samples &other) {
    micros_.insert(micros_.end(), other.micros_.begin(), other.micros_.end());
}

double Samples::quantile(double q) const {
    if (micros_.empty()) return 0;
    std::vector<double> sorted = micros_;
    const auto rank = static_cast<std::size_t>(
        std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size())));
    const std::size_t index = rank == 0 ? 0 : rank - 1;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(index),
                     sorted.end());
    return sorted[index];
}

void Run::add(const Run &part) {
    seconds += part.seconds;
    latency.merge(part.latency);
}

namespace {

constexpr int64_t kSlices = 10;

// Times calls [from, to) of fn into `samples`.
void time_each(int64_t from, int64_t to, const std::function<void(int64_t)> &fn, Samples &samples) {
    samples.reserve(static_cast<std::size_t>(to - from));
    for (int64_t i = from; i < to; ++i) {
        const Clock::time_point start = Clock::now();
        fn(i);
        samples.add(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
}

}  // namespace

Run timed_calls(int64_t from, int64_t to, const std::function<void(int64_t)> &fn) {
    Run run;
    const Clock::time_point start = Clock::now();
    time_each(from, to, fn, run.latency);
    run.seconds = seconds_since(start);
    return run;
}

Run timed_threads(int threads, int64_t from, int64_t to,
                  const std::function<void(int, int64_t)> &fn) {
    std::vector<Samples> samples(static_cast<std::size_t>(threads));
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
    std::mutex mu;
    std::condition_variable cv;
    int ready = 0;
    bool go = false;
    bool cancelled = false;  // a thread could not be started: the others do nothing
    std::vector<std::thread> pool;
    auto release = [&](bool cancel) {
        {
            std::lock_guard<std::mutex> lk(mu);
            go = true;
            cancelled = cancel;
        }
        cv.notify_all();
    };
    try {
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                {
                    std::unique_lock<std::mutex> lk(mu);
                    ++ready;
                    cv.notify_all();
                    cv.wait(lk, [&] { return go; });
                    if (cancelled) return;
                }
                try {
                    time_each(
                        from, to, [&](int64_t i) { fn(t, i); },
                        samples[static_cast<std::size_t>(t)]);
                } catch (...) {
                    errors[static_cast<std::size_t>(t)] = std::current_exception();
                }
            });
    } catch (...) {
        release(true);
        for (std::thread &thread : pool) thread.join();
        throw;
    }
    {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return ready == threads; });
    }
    const Clock::time_point start = Clock::now();
    release(false);
    for (std::thread &thread : pool) thread.join();
    Run run;
    run.seconds = seconds_since(start);
    for (const std::exception_ptr &error : errors) {
        if (error) std::rethrow_exception(error);
    }
    for (const Samples &s : samples) run.latency.merge(s);
    return run;
}

Pair alternating(int64_t n, const Slice &first, const Slice &second) {
    Pair pair;
    const int64_t slices = std::min(kSlices, n);
    for (int64_t s = 0; s < slices; ++s) {
        const int64_t from = n * s / slices, to = n * (s + 1) / slices;
        if (s % 2 == 0) {
            pair.first.add(first(from, to));
            pair.second.add(second(from, to));
        } else {
            pair.second.add(second(from, to));
            pair.first.add(first(from, to));
        }
    }
    return pair;
}

Pair alternating_calls(int64_t n, const Call &first, const Call &second) {
    return alternating(
        n, [&](int64_t from, int64_t to) { return timed_calls(from, to, first); },
        [&](int64_t from, int64_t to) { return timed_calls(from, to, second); });
}

Pair alternating_threads(int threads, int64_t calls_per_thread, const ThreadCall &first,
                         const ThreadCall &second) {
    return alternating(
        calls_per_thread,
        [&](int64_t from, int64_t to) { return timed_threads(threads, from, to, first); },
        [&](int64_t from, int64_t to) { return timed_threads(threads, from, to, second); });
}

}  // namespace convo_cli::bench
