// The crash-trial child: a seeded random workload through the C API. After each operation's
// calls have returned, it writes one JSON line to the acknowledgement pipe; the parent trusts
// nothing else as acknowledged.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace crash {

// An anonymous MAP_SHARED page the child writes before and after each operation, so that after
// the kill the parent knows which operation was in flight. It is an intent record, not an
// acknowledgement: the parent uses it only to explain changes it finds beyond the last
// acknowledged line, never to expect any.
struct InFlight {
    std::atomic<uint64_t> started{0};   // k of the last operation begun
    std::atomic<uint64_t> finished{0};  // k of the last operation whose calls all returned
    std::atomic<uint32_t> in_call{0};   // 1 while the operation's main (writing) call runs
    std::atomic<uint32_t> length{0};
    char intent[16384];  // the operation begun last, as JSON
};

// Opens an engine on `db_path`, puts agents, then runs up to `max_ops` random operations and
// waits to be killed. Never returns.
[[noreturn]] void run_workload(const std::string &db_path, uint64_t seed, int ack_fd,
                               InFlight *in_flight, int max_ops);

}  // namespace crash
