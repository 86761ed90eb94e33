/*
 * A test-only SQLite VFS that wraps the real "unix" VFS, counts every I/O call the database
 * makes (main db, -wal, -journal and temporary files alike) and fails the k-th call of one kind.
 *
 * fault_vfs_install() registers it as the default VFS of the process, so every connection
 * opened afterwards through the shared libsqlite3 (the one libconvo.so uses) goes through it.
 * Its counters and faults are not thread-safe: the fault tests drive the engine from one
 * thread, without the timer thread. (The threaded crash trials use it only for its observer,
 * whose callbacks lock for themselves.)
 */
#ifndef CONVO_TESTS_FAULT_VFS_H
#define CONVO_TESTS_FAULT_VFS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The calls the shim counts and can fail. */
typedef enum fault_op {
    FAULT_OP_READ,     /* xRead */
    FAULT_OP_WRITE,    /* xWrite */
    FAULT_OP_SYNC,     /* xSync */
    FAULT_OP_TRUNCATE, /* xTruncate */
    FAULT_OP_FILESIZE, /* xFileSize */
    FAULT_OP_LOCK,     /* xLock */
    FAULT_OP_UNLOCK,   /* xUnlock */
    FAULT_OP_OPEN,     /* xOpen (the VFS's) */
    FAULT_OP_DELETE,   /* xDelete (the VFS's) */
    FAULT_OP_ACCESS,   /* xAccess (the VFS's) */
    FAULT_OP_SHM,      /* xShmMap, xShmLock, xShmBarrier, xShmUnmap: counted, never failed */
    FAULT_OP_FETCH,    /* xFetch, xUnfetch (memory-mapped I/O): counted, never failed */
    FAULT_OP_COUNT
} fault_op;

/* The kind of file a call touched, from the flags SQLite opened it with. */
typedef enum fault_file {
    FAULT_FILE_MAIN_DB,
    FAULT_FILE_WAL,
    FAULT_FILE_JOURNAL,
    FAULT_FILE_OTHER, /* temporary databases, statement journals, super-journals */
    FAULT_FILE_COUNT
} fault_file;

/* Registers the shim as the default VFS ("convo_fault"), wrapping "unix". Idempotent.
 * Returns SQLITE_OK or an SQLite error code. */
int fault_vfs_install(void);

/* Whether xSync reaches the disk (default 1). The fault tests turn it off: they test error
 * handling, not power loss, and a killed process leaves the page cache to the next open. */
void fault_vfs_set_forward_sync(int on);

/* Counters since the last reset: calls per op, and calls per op and file kind. */
void fault_vfs_reset_counts(void);
uint64_t fault_vfs_count(fault_op op);
uint64_t fault_vfs_count_file(fault_op op, fault_file file);

/* Arms a fault: the k-th call of `op` (k >= 1, counted from the arming) returns `error_code`
 * (SQLITE_IOERR_READ, SQLITE_IOERR_WRITE, SQLITE_FULL, ...). With `persistent`, every later
 * call of `op` fails the same way until fault_vfs_disarm(), like a disk that stays broken.
 * A failing xWrite that returns SQLITE_FULL first writes the first half of the buffer (a disk
 * that fills up mid-write); any other failing call does nothing. */
void fault_vfs_arm(fault_op op, uint64_t k, int error_code, int persistent);
void fault_vfs_disarm(void);

/* An observer of the changes that reach files and of the syncs that make them durable (the
 * crash trials' power-cut emulation, tests/crash/unsynced.h). `before_write` and
 * `before_truncate` run before the change is forwarded, with the real file, so that the
 * observer can read what is about to be overwritten or cut off; `after_sync` runs after an
 * xSync that succeeded. A call that the armed fault fails is not observed. NULL (the default)
 * removes the observer. The callbacks must be thread-safe if SQLite is used from several
 * threads. */
struct sqlite3_file;
typedef struct fault_vfs_observer {
    void *user;
    void (*before_write)(void *user, fault_file file, struct sqlite3_file *real, int amt,
                         int64_t offset);
    void (*before_truncate)(void *user, fault_file file, struct sqlite3_file *real, int64_t size);
    void (*after_sync)(void *user, fault_file file);
} fault_vfs_observer;
void fault_vfs_set_observer(const fault_vfs_observer *observer);

/* How many calls failed since the last arming, and the kind of file the first one touched. */
uint64_t fault_vfs_injected(void);
fault_file fault_vfs_first_fault_file(void);

const char *fault_op_name(fault_op op);
const char *fault_file_name(fault_file file);

#ifdef __cplusplus
}
#endif

#endif /* CONVO_TESTS_FAULT_VFS_H */
