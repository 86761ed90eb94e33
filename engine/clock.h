// Time is injected: the system clock in production, a manual clock that only moves when the
// host says so in tests and simulations.
#pragma once

#include <atomic>
#include <memory>

#include "outcome.h"
#include "time_format.h"

namespace convo {

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimeMs now() const = 0;
    virtual bool is_manual() const = 0;
    // Manual clocks only; never backwards.
    virtual Outcome set(TimeMs ms) = 0;
};

std::unique_ptr<Clock> make_system_clock();
std::unique_ptr<Clock> make_manual_clock(TimeMs start);

}  // namespace convo
