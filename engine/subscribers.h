// Feed subscribers. Events are queued in seq order while the engine lock is held (right after
// their commit) and delivered after it is released: one thread at a time drains the queue, in
// order; a callback that changes the engine queues more and returns, so delivery never recurses.
#pragma once

#include <convo/convo.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "outcome.h"

namespace convo {

class Subscribers {
public:
    // Called when a callback throws (a C++ host's bug); must not throw.
    using ErrorSink = std::function<void(const std::string &)>;
    explicit Subscribers(ErrorSink on_error) : on_error_(std::move(on_error)) {}

    uint64_t add(convo_event_fn fn, void *user_data);
    // After remove() returns, the subscriber is never called again: from another thread it
    // waits for a call in progress to finish; from inside a delivery it takes effect at once.
    bool remove(uint64_t id);

    // Under the engine lock, in commit order. Returns the ticket to pass to deliver(), 0 when
    // nobody listens.
    uint64_t enqueue(uint64_t seq, std::string event_json);

    // After the engine lock is released: returns once the event with `ticket` (and all before
    // it) has been delivered, delivering them on this thread unless another thread already is.
    void deliver(uint64_t ticket);

    bool empty() const;

private:
    struct Subscriber {
        uint64_t id;
        convo_event_fn fn;
        void *user_data;
    };
    struct Pending {
        uint64_t ticket;
        std::string json;
    };

    ErrorSink on_error_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Subscriber> subscribers_;
    std::deque<Pending> queue_;
    uint64_t next_id_ = 1;
    uint64_t last_ticket_ = 0;
    uint64_t delivered_ = 0;
    bool delivering_ = false;
    uint64_t calling_ = 0;  // the subscriber being called right now (0: none)
};

}  // namespace convo
