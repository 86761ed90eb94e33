#include "unsynced.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "../faults/fault_vfs.h"

namespace crash {

namespace {

constexpr size_t kRegionBytes = size_t(48) << 20;  // per file; touched pages only are allocated

// One saved write: the file's size before it, and what it was about to overwrite (or, for a
// truncation, cut off) from `offset` on; `saved` bytes follow the header, padded to 8.
struct RecordHeader {
    int64_t offset;
    int64_t old_size;
    int64_t saved;
};

}  // namespace

// The writes of one file since its last completed sync.
struct UnsyncedRegion {
    std::atomic<uint64_t> used{0};      // bytes of complete records
    std::atomic<uint32_t> overflow{0};  // a record did not fit or could not be read
    alignas(8) unsigned char data[kRegionBytes];
};

struct UnsyncedLog {
    UnsyncedRegion regions[2];  // the database file, its WAL
};

namespace {

const char *const kSuffix[2] = {"", "-wal"};

std::mutex g_mu;  // the child's: SQLite may call from any thread
UnsyncedLog *g_log = nullptr;

UnsyncedRegion *region_of(fault_file file) {
    if (g_log == nullptr) return nullptr;
    if (file == FAULT_FILE_MAIN_DB) return &g_log->regions[0];
    if (file == FAULT_FILE_WAL) return &g_log->regions[1];
    return nullptr;  // journals, temporary files: not the database's durable state in WAL mode
}

// Saves [offset, end) of `real` as it is now, and its size. The record counts only once
// whole: a kill while saving leaves it out, and the write it precedes has not happened.
void save(fault_file file, sqlite3_file *real, int64_t offset, int64_t end) {
    UnsyncedRegion *r = region_of(file);
    if (r == nullptr) return;
    std::lock_guard<std::mutex> lk(g_mu);
    sqlite3_int64 size = 0;
    if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) {
        r->overflow.store(1);
        return;
    }
    const int64_t saved = std::max<int64_t>(0, std::min<int64_t>(end, size) - offset);
    const uint64_t at = r->used.load();
    const uint64_t total =
        sizeof(RecordHeader) + ((static_cast<uint64_t>(saved) + 7) & ~uint64_t(7));
    if (at + total > kRegionBytes || saved > INT_MAX) {
        r->overflow.store(1);
        return;
    }
    const RecordHeader h{offset, size, saved};
    std::memcpy(r->data + at, &h, sizeof h);
    if (saved > 0 && real->pMethods->xRead(real, r->data + at + sizeof h, static_cast<int>(saved),
                                           offset) != SQLITE_OK) {
        r->overflow.store(1);
        return;
    }
    r->used.store(at + total);
}

void before_write(void *, fault_file file, sqlite3_file *real, int amt, int64_t offset) {
    save(file, real, offset, offset + amt);
}

void before_truncate(void *, fault_file file, sqlite3_file *real, int64_t size) {
    save(file, real, size, INT64_MAX);
}

void after_sync(void *, fault_file file) {
    UnsyncedRegion *r = region_of(file);
    if (r == nullptr) return;
    std::lock_guard<std::mutex> lk(g_mu);
    r->used.store(0);  // everything written so far is on the disk
}

const fault_vfs_observer kObserver{nullptr, before_write, before_truncate, after_sync};

}  // namespace

UnsyncedLog *map_unsynced_log(std::string *error) {
    void *p = mmap(nullptr, sizeof(UnsyncedLog), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        *error = std::string("mmap: ") + std::strerror(errno);
        return nullptr;
    }
    return new (p) UnsyncedLog;  // not value-initialized: untouched pages stay unallocated
}

void unmap_unsynced_log(UnsyncedLog *log) {
    if (log == nullptr) return;
    log->~UnsyncedLog();
    munmap(log, sizeof(UnsyncedLog));
}

bool record_unsynced_writes(UnsyncedLog *log, std::string *error) {
    g_log = log;
    int rc = fault_vfs_install();
    if (rc != SQLITE_OK) {
        *error = std::string("installing the VFS shim: ") + sqlite3_errstr(rc);
        return false;
    }
    fault_vfs_set_observer(&kObserver);
    return true;
}

bool lose_unsynced_writes(const UnsyncedLog *log, const std::string &db_path, UnsyncedUndo *undo,
                          std::string *error) {
    for (int i = 0; i < 2; ++i) {
        const UnsyncedRegion &r = log->regions[i];
        const std::string path = db_path + kSuffix[i];
        if (r.overflow.load() != 0) {
            *error = "the record of unsynced writes to " + path +
                     " is incomplete (overflow or read error)";
            return false;
        }
        std::vector<const RecordHeader *> records;
        const uint64_t used = r.used.load();
        for (uint64_t at = 0; at < used;) {
            const auto *h = reinterpret_cast<const RecordHeader *>(r.data + at);
            records.push_back(h);
            at += sizeof(RecordHeader) + ((static_cast<uint64_t>(h->saved) + 7) & ~uint64_t(7));
        }
        if (records.empty()) continue;
        int fd = ::open(path.c_str(), O_RDWR);
        if (fd < 0) {
            *error = "opening " + path + " to undo its unsynced writes: " + std::strerror(errno);
            return false;
        }
        bool ok = true;
        for (auto it = records.rbegin(); it != records.rend() && ok; ++it) {
            const RecordHeader &h = **it;
            const unsigned char *bytes = reinterpret_cast<const unsigned char *>(&h + 1);
            for (int64_t done = 0; done < h.saved && ok;) {
                ssize_t w = ::pwrite(fd, bytes + done, static_cast<size_t>(h.saved - done),
                                     h.offset + done);
                if (w < 0 && errno == EINTR) continue;
                ok = w > 0;
                done += w > 0 ? w : 0;
            }
            ok = ok && ::ftruncate(fd, h.old_size) == 0;
            undo->writes += 1;
            undo->bytes += static_cast<uint64_t>(h.saved);
        }
        if (!ok) *error = "undoing the unsynced writes to " + path + ": " + std::strerror(errno);
        ::close(fd);
        if (!ok) return false;
    }
    return true;
}

}  // namespace crash
