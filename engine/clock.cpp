#include "clock.h"

#include <chrono>
#include <string>

namespace convo {
namespace {

class SystemClock final : public Clock {
public:
    TimeMs now() const override {
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }
    bool is_manual() const override { return false; }
    Outcome set(TimeMs) override {
        return Outcome::misuse("clock: convo_clock_set needs the manual clock (option clock: \"manual\")");
    }
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(TimeMs start) : now_(start) {}
    TimeMs now() const override { return now_.load(); }
    bool is_manual() const override { return true; }
    Outcome set(TimeMs ms) override {
        if (!in_time_range(ms)) {
            return Outcome::invalid("unix_ms: " + std::to_string(ms) + " is outside the supported range " +
                                    kTimeRange);
        }
        TimeMs cur = now_.load();
        do {
            if (ms < cur) {
                return Outcome::invalid("unix_ms: the manual clock never goes backwards (now " +
                                        format_time(cur) + ", asked " + format_time(ms) + ")");
            }
        } while (!now_.compare_exchange_weak(cur, ms));
        return Outcome::ok();
    }

private:
    std::atomic<TimeMs> now_;
};

}  // namespace

std::unique_ptr<Clock> make_system_clock() { return std::make_unique<SystemClock>(); }
std::unique_ptr<Clock> make_manual_clock(TimeMs start) { return std::make_unique<ManualClock>(start); }

}  // namespace convo
