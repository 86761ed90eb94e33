// Power-cut emulation for the crash trials. A kill -9 leaves the page cache to the next open,
// so by itself it cannot tell a call that returned after its fsync from one that returned after
// its COMMIT's write but before the fsync. Here the child's SQLite goes through the
// tests/faults VFS shim, whose observer records, for the database file and its WAL, the bytes
// each write is about to overwrite (and the size before it) since that file's last completed
// xSync, in a shared mapping. After the kill the parent puts those bytes back in reverse order:
// the files as a power cut at that moment may have left them, in the most pessimistic case
// (nothing written since the last sync reached the disk). A change acknowledged before its
// sync is then lost, and the checks catch it.
#pragma once

#include <cstdint>
#include <string>

namespace crash {

struct UnsyncedLog;

// The shared mapping (parent, before the fork); nullptr on failure.
UnsyncedLog *map_unsynced_log(std::string *error);
void unmap_unsynced_log(UnsyncedLog *log);

// Child, before convo_engine_open: every SQLite connection opened afterwards records its
// unsynced writes in `log`. False (with `error`) if the shim could not be installed.
bool record_unsynced_writes(UnsyncedLog *log, std::string *error);

struct UnsyncedUndo {
    uint64_t writes = 0;  // writes (and truncations) undone
    uint64_t bytes = 0;   // bytes put back
};

// Parent, after the kill: undoes every write since each file's last sync in the database at
// `db_path` (the file and its -wal). False (with `error`) when that cannot be done faithfully:
// the log overflowed, or a file could not be written.
bool lose_unsynced_writes(const UnsyncedLog *log, const std::string &db_path, UnsyncedUndo *undo,
                          std::string *error);

}  // namespace crash
