// The fault tests' main: installs the VFS shim before anything opens a database, reads the
// sweep options, runs the tests, prints the totals.
//
//   convo_fault_tests                       sampled sweep (ctest)
//   convo_fault_tests --every-k             every fault point of every kind
//   convo_fault_tests --every-k --kinds=write,full --verbose
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "fault_vfs.h"
#include "sweep_config.h"

namespace faults {

SweepConfig &sweep_config() {
    static SweepConfig c;
    return c;
}

const Golden &golden() {
    static const Golden g = record_golden();
    return g;
}

std::vector<uint64_t> sample_points(uint64_t total) {
    const SweepConfig &c = sweep_config();
    std::set<uint64_t> ks;
    if (c.every_k || total <= c.sample) {
        for (uint64_t k = 1; k <= total; ++k) ks.insert(k);
    } else {
        for (uint64_t k = 1; k <= 3; ++k) ks.insert(k);
        for (uint64_t k = total - 2; k <= total; ++k) ks.insert(k);
        const uint64_t spread = c.sample > 6 ? c.sample - 6 : 1;
        for (uint64_t i = 0; i < spread; ++i)
            ks.insert(1 + (total - 1) * (2 * i + 1) / (2 * spread));
    }
    return {ks.begin(), ks.end()};
}

Tally &process_tally() {
    static Tally t;
    return t;
}

}  // namespace faults

int main(int argc, char **argv) {
    ::testing::InitGoogleTest(&argc, argv);
    faults::SweepConfig &c = faults::sweep_config();
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--every-k") {
            c.every_k = true;
        } else if (a.rfind("--sample=", 0) == 0) {
            c.sample = std::strtoull(a.c_str() + 9, nullptr, 10);
        } else if (a.rfind("--kinds=", 0) == 0) {
            std::stringstream ss(a.substr(8));
            for (std::string k; std::getline(ss, k, ',');) {
                if (!faults::find_fault_kind(k)) {
                    std::fprintf(stderr, "unknown fault kind '%s'\n", k.c_str());
                    return 2;
                }
                c.kinds.push_back(k);
            }
        } else if (a == "--verbose") {
            c.verbose = true;
        } else {
            std::fprintf(
                stderr,
                "usage: %s [gtest flags] [--every-k] [--sample=N] [--kinds=a,b] [--verbose]\n",
                argv[0]);
            return 2;
        }
    }
    if (const char *e = std::getenv("CONVO_FAULTS_EVERY_K"); e && *e && std::strcmp(e, "0") != 0) {
        c.every_k = true;
    }
    // Before any database opens: libconvo.so and this program share the system libsqlite3, so
    // the engine's connections go through the shim.
    if (fault_vfs_install() != SQLITE_OK) {
        std::fprintf(stderr, "cannot install the fault VFS\n");
        return 2;
    }
    // The trials test error handling, not power loss: a sync is counted and can fail, but
    // does not reach the disk (a killed process leaves the page cache to the next open).
    fault_vfs_set_forward_sync(0);

    int rc = RUN_ALL_TESTS();
    const faults::Tally &t = faults::process_tally();
    if (t.trials > 0) std::printf("\n%s", t.summary().c_str());
    return rc;
}
