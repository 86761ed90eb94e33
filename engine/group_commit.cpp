// Group commit, leader/follower. The commit rate of one SQLite file is bounded by its fsync;
// writers that arrive together share one transaction and one fsync instead of queueing for
// theirs, and each still returns only after its own change is durable.
//
// A writer announces itself (arriving_), takes the engine lock and joins the open group,
// opening one (BEGIN) if none is. It runs its body there: reads see the group's earlier writes,
// and stage() adds its changes, a follower's as one savepoint (undone alone if it fails), the
// leader's, written before anyone joined, without one (if it fails, the group ends with
// nobody else in it). The writer that opened the group leads: after
// its own body it releases the lock while writers join, then commits the group and wakes the
// followers. It waits until every writer that announced has joined, and for the group to grow
// as large as the previous one (writers woken by the previous commit are on their way back) at
// most half the previous commit's duration; never more than kGatherLimit in all. A lone writer
// never waits.
// Readers wait for the open group to end (settled), so nothing reads a change before it is
// durable.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <exception>

#include "engine.h"
#include "render.h"

namespace convo {
namespace {

// How long a leader waits for announced writers to join: far above the microseconds a body
// takes, far below the time a stuck writer could hold a group back.
constexpr std::chrono::microseconds kGatherLimit(2000);

}  // namespace

struct Engine::Group {
    size_t members = 1;        // writers in the group, the leader included
    Outcome intact;            // fails once a batch's failure rolled the transaction back
    Outcome result;            // the commit's; set before done
    uint64_t ticket = 0;       // delivery ticket of the group's last event; set before done
    // Followers wait for done on the group's own mutex, not the engine lock, so waking them
    // does not queue them behind the next group's writers.
    std::mutex done_mu;
    std::condition_variable done_cv;
    bool done = false;         // committed or failed; result says which
    std::vector<std::pair<uint64_t, std::string>> events;  // (seq, json) for subscribers
};

Outcome Engine::write_op(const std::function<Outcome()> &body, uint64_t *ticket) {
    ++arriving_;
    std::unique_lock<std::mutex> lk(mu_);
    --arriving_;
    group_cv_.notify_all();
    const bool leader = group_ == nullptr;
    if (leader) {
        CONVO_TRY(store_->begin_group());
        group_ = std::make_shared<Group>();
    }
    std::shared_ptr<Group> g = group_;
    if (!leader) ++g->members;
    // The group must end whatever the body does; an exception goes on after it has.
    Outcome own;
    std::exception_ptr thrown;
    try {
        own = body();
    } catch (...) {
        thrown = std::current_exception();
    }
    // SQLite rolls a transaction back by itself on some I/O errors, on a read as well as a
    // write: then every batch of the group is lost, and none of its writers may report success.
    if (!own && g->intact && !store_->in_group()) g->intact = own;
    if (leader) {
        using namespace std::chrono;
        // Writers that announced themselves are in line for the lock: wait for them (they
        // join one after another, each waking this wait). Writers that may still come back
        // from the last group are a guess: wait for them only a while.
        const auto start = steady_clock::now();
        const auto limit = start + kGatherLimit;
        const auto hopeful = start + std::min(kGatherLimit, last_commit_ / 2);
        for (;;) {
            const bool joined = arriving_.load() == 0;
            const auto t = steady_clock::now();
            if (!g->intact || t >= limit ||
                (joined && (g->members >= last_group_size_ || t >= hopeful))) {
                break;
            }
            group_cv_.wait_until(lk, joined ? hopeful : limit);
        }
        group_.reset();
        // The followers are released however this ends; until the commit returns, the
        // group's result is a failure, so an exception here never reads as success.
        struct Release {
            Group &g;
            ~Release() {
                {
                    std::lock_guard<std::mutex> dl(g.done_mu);
                    g.done = true;
                }
                g.done_cv.notify_all();
            }
        } release{*g};
        g->result = Outcome::internal("the group's commit did not finish");
        const auto began = steady_clock::now();
        if (!g->intact) {
            store_->end_group(false);
            g->result = g->intact;
        } else {
            g->result = store_->end_group(true);
        }
        last_commit_ = duration_cast<microseconds>(steady_clock::now() - began);
        last_group_size_ = g->members;
        log_->trace("group commit: {} writers, commit {} us", g->members, last_commit_.count());
        if (g->result) {
            for (auto &[seq, json] : g->events) {
                uint64_t t = subscribers_.enqueue(seq, std::move(json));
                if (t != 0) g->ticket = t;
            }
        } else {
            log_->warn("{}", g->result.message());
        }
        group_cv_.notify_all();  // readers waiting in settled()
    } else {
        lk.unlock();
        std::unique_lock<std::mutex> dl(g->done_mu);
        g->done_cv.wait(dl, [&] { return g->done; });
    }
    *ticket = g->ticket;
    if (thrown) std::rethrow_exception(thrown);
    return g->result ? own : g->result;
}

Outcome Engine::stage(std::vector<Change> &batch) {
    Group &g = *group_;
    if (!g.intact) return g.intact;
    // The leader's batches come before anyone joins (it releases the lock only after its
    // body): they are written alone, and a leader whose batch failed gathers nobody (write_op).
    const bool alone = g.members == 1;
    Outcome o = store_->write(batch, alone);
    if (!o) {
        log_->warn("{}", o.message());
        // Alone, the batch took the transaction with it (or left it holding only its leader's
        // writes): end the group (a transaction SQLite rolled back is caught in write_op).
        if (alone) g.intact = o;
        return o;
    }
    if (subscribers_.empty()) return o;
    for (const Change &ch : batch) {
        for (const FeedEvent &e : ch.events) {
            JsonOut w;
            event_json(w, e, true);
            g.events.emplace_back(e.seq, w.take());
        }
    }
    return o;
}

std::unique_lock<std::mutex> Engine::settled() {
    std::unique_lock<std::mutex> lk(mu_);
    group_cv_.wait(lk, [&] { return group_ == nullptr; });
    return lk;
}

}  // namespace convo
