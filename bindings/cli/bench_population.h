// Large stores for `convo bench`, built by cloning. Creating 10^6 conversations through
// convo_create takes many minutes; instead the two conversations convo wrote for the templates
// (one open, one ended) are copied with INSERT ... SELECT in large transactions, each copy with
// its own id (a time-ordered UUID), rid, times, user, metadata value and deadlines (both the
// next_deadline column and the deadline inside the details JSON, which is what convo reads),
// and every row of the conversation in every table. After each growth a few clones are read
// back through the C API, so a population convo could not read fails the run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_templates.h"
#include "bench_workload.h"
#include "time_text.h"

namespace convo_cli::bench {

// Where conversation k (1..n, which is also its rid) of a population stands. The kind goes by
// k mod 10, so every prefix 1..n (every growth stage) has the same mix.
namespace layout {

enum class Kind {
    due_first,     // open; idle deadline kFirstDueAt: what convo's tick fires
    due_second,    // open; idle deadline kSecondDueAt: what the baseline fires
    convo_writes,  // open; the conversations convo dispatches to
    raw_writes,    // open; the conversations the baseline dispatches to
    open,          // open; idle deadline kIdleDeadline
    ended,         // completed and wrapped up: no deadline
};

// The clocks of a population run: nothing is due at kMeasureAt; the two due groups fall due
// later, a minute apart, and before anything else (the other deadlines, and the wrap-up that
// firing arms 5 minutes after the first group).
constexpr int64_t kMeasureAt = workload::kStartMs + kMsPerDay;
constexpr int64_t kFirstDueAt = kMeasureAt + kMsPerHour;
constexpr int64_t kSecondDueAt = kFirstDueAt + kMsPerMinute;
constexpr int64_t kIdleDeadline = kMeasureAt + 2 * kMsPerHour;
constexpr int64_t kMaxOpenDeadline = kMeasureAt + 3 * kMsPerHour;
// created_at runs 1 ms apart from kStartMs, which must stay before kMeasureAt.
constexpr int64_t kMaxConversations = 10'000'000;

Kind kind(int64_t k);
int64_t created_at(int64_t k);
std::string id(int64_t k);
// The next deadline (column and details agree); none for an ended conversation.
std::optional<int64_t> next_deadline(int64_t k);
// How many of 1..n are of `kind`.
int64_t count(Kind kind, int64_t n);
// The j-th (from 0) conversation of a kind that has one residue mod 10.
int64_t nth(Kind kind, int64_t j);
// The highest k <= n of `kind`.
int64_t newest(Kind kind, int64_t n);

}  // namespace layout

class Population {
public:
    // Creates the database's schema by opening a convo engine on it once.
    Population(std::string path, const Templates &templates);

    // Clones conversations size()+1 .. n, then reads some back through the C API.
    void grow_to(int64_t n);

    int64_t size() const { return size_; }
    const std::string &path() const { return path_; }

private:
    void clone(int64_t first, int64_t last);
    void check_through_convo(int64_t first, int64_t last) const;

    std::string path_;
    const Templates &templates_;
    int64_t size_ = 0;
};

}  // namespace convo_cli::bench
