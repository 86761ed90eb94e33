#include "wal_tail.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <vector>

namespace crash {
namespace {

uint32_t be32(const unsigned char *p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
uint32_t le32(const unsigned char *p) {
    return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}

// SQLite's WAL checksum: over 32-bit words, in the byte order the header's magic names.
void checksum(bool big_endian, const unsigned char *p, size_t n, uint32_t &s1, uint32_t &s2) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint32_t a = big_endian ? be32(p + i) : le32(p + i);
        uint32_t b = big_endian ? be32(p + i + 4) : le32(p + i + 4);
        s1 += a + s2;
        s2 += b + s1;
    }
}

}  // namespace

WalTail inspect_wal(const std::string &wal_path) {
    WalTail t;
    std::ifstream in(wal_path, std::ios::binary);
    if (!in) return t;
    std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
    t.exists = true;
    if (d.size() < 32) return t;
    uint32_t magic = be32(d.data());
    if (magic != 0x377f0682 && magic != 0x377f0683) return t;
    const bool big = (magic & 1) != 0;
    t.page_size = be32(d.data() + 8);
    if (t.page_size < 512 || t.page_size > 65536) return t;
    const uint32_t salt1 = be32(d.data() + 16), salt2 = be32(d.data() + 20);
    uint32_t s1 = 0, s2 = 0;
    checksum(big, d.data(), 24, s1, s2);
    if (s1 != be32(d.data() + 24) || s2 != be32(d.data() + 28)) return t;

    const size_t frame = 24 + t.page_size;
    uint64_t valid = 0;
    for (size_t off = 32; off + frame <= d.size(); off += frame) {
        const unsigned char *h = d.data() + off;
        if (be32(h + 8) != salt1 || be32(h + 12) != salt2) break;
        uint32_t c1 = s1, c2 = s2;
        checksum(big, h, 8, c1, c2);
        checksum(big, h + 24, t.page_size, c1, c2);
        if (c1 != be32(h + 16) || c2 != be32(h + 20)) break;
        s1 = c1;
        s2 = c2;
        ++valid;
        if (be32(h + 4) != 0) {  // a commit frame: the database size after the commit
            t.committed_frames = valid;
            t.commit_ends.push_back(off + frame);
        }
    }
    t.uncommitted_frames = valid - t.committed_frames;
    return t;
}

bool drop_last_commits(const std::string &wal_path, size_t n) {
    WalTail t = inspect_wal(wal_path);
    if (n == 0 || t.commit_ends.size() < n) return false;
    const size_t keep = t.commit_ends.size() - n;
    const uint64_t end = keep == 0 ? 32 : t.commit_ends[keep - 1];
    return ::truncate(wal_path.c_str(), static_cast<off_t>(end)) == 0;
}

}  // namespace crash
