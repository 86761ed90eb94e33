#include "subscribers.h"

#include <algorithm>
#include <exception>

namespace convo {
namespace {
// The Subscribers object whose queue this thread is draining (nested changes just enqueue).
thread_local const Subscribers *t_draining = nullptr;
}  // namespace

uint64_t Subscribers::add(convo_event_fn fn, void *user_data) {
    std::lock_guard<std::mutex> lk(mu_);
    uint64_t id = next_id_++;
    subscribers_.push_back(Subscriber{id, fn, user_data});
    return id;
}

bool Subscribers::remove(uint64_t id) {
    std::unique_lock<std::mutex> lk(mu_);
    auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                           [&](const Subscriber &s) { return s.id == id; });
    if (it == subscribers_.end()) return false;
    subscribers_.erase(it);
    // The delivering thread re-checks registration before every call; another thread must also
    // wait out a call already running, so the host may free user_data when this returns.
    if (t_draining != this) cv_.wait(lk, [&] { return calling_ != id; });
    return true;
}

bool Subscribers::empty() const {
    std::lock_guard<std::mutex> lk(mu_);
    return subscribers_.empty();
}

uint64_t Subscribers::enqueue(uint64_t, std::string event_json) {
    std::lock_guard<std::mutex> lk(mu_);
    if (subscribers_.empty()) return 0;
    queue_.push_back(Pending{++last_ticket_, std::move(event_json)});
    return last_ticket_;
}

void Subscribers::deliver(uint64_t ticket) {
    if (ticket == 0 || t_draining == this) return;
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return delivered_ >= ticket || !delivering_; });
    if (delivered_ >= ticket) return;
    delivering_ = true;
    t_draining = this;
    while (!queue_.empty()) {
        Pending p = std::move(queue_.front());
        queue_.pop_front();
        // Subscribers added from here on see the next event, not this one.
        std::vector<uint64_t> targets;
        for (const Subscriber &s : subscribers_) targets.push_back(s.id);
        for (uint64_t id : targets) {
            auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                                   [&](const Subscriber &s) { return s.id == id; });
            if (it == subscribers_.end()) continue;  // removed during this delivery
            Subscriber s = *it;
            calling_ = id;
            lk.unlock();
            try {
                s.fn(s.user_data, p.json.c_str());
            } catch (const std::exception &e) {
                on_error_(std::string("subscriber threw: ") + e.what());
            } catch (...) {
                on_error_("subscriber threw a non-standard exception");
            }
            lk.lock();
            calling_ = 0;
            cv_.notify_all();
        }
        delivered_ = p.ticket;
        cv_.notify_all();
    }
    delivering_ = false;
    t_draining = nullptr;
    cv_.notify_all();
}

}  // namespace convo
