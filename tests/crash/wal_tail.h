// Reads the SQLite write-ahead log a killed process left behind, without SQLite: how many frames
// are committed and whether a transaction was cut off mid-write (valid frames after the last
// commit frame). Format: https://www.sqlite.org/fileformat2.html#walformat
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crash {

struct WalTail {
    bool exists = false;
    uint32_t page_size = 0;
    uint64_t committed_frames = 0;      // valid frames up to and including the last commit frame
    uint64_t uncommitted_frames = 0;    // valid frames after it: a transaction cut off mid-write
    std::vector<uint64_t> commit_ends;  // byte offset just past each commit frame, in order
};

WalTail inspect_wal(const std::string &wal_path);

// Test of the checks themselves: truncates the log to drop its last `n` committed transactions,
// as a storage layer that lost commits would. With n = 2 at least one of them was acknowledged
// (only one operation is ever in flight). True if that many were there to drop.
bool drop_last_commits(const std::string &wal_path, size_t n);

}  // namespace crash
