/* The fault-injecting VFS shim: see fault_vfs.h. It follows SQLite's own test VFSes
 * (src/test_vfs.c, src/test_devsym.c): a wrapper file object holds the real one right after
 * itself, every method forwards, and the few that can fail consult one armed fault. */
#include "fault_vfs.h"

#include <sqlite3.h>
#include <string.h>

typedef struct FaultFile {
    sqlite3_file base; /* must be first: SQLite sees this */
    fault_file kind;
    sqlite3_file *real; /* points just past this struct, inside the same allocation */
} FaultFile;

static sqlite3_vfs *g_real;
static sqlite3_vfs g_vfs;
static int g_installed;
static int g_forward_sync = 1;
static const fault_vfs_observer *g_observer;

static uint64_t g_counts[FAULT_OP_COUNT][FAULT_FILE_COUNT];

static struct {
    int armed;
    fault_op op;
    uint64_t k;
    uint64_t seen; /* calls of `op` since arming */
    int code;
    int persistent;
    uint64_t injected;
    fault_file first_file;
} g_fault;

/* Counts one call and says whether it must fail (and with which code). */
static int fault_check(fault_op op, fault_file file) {
    g_counts[op][file]++;
    if (!g_fault.armed || g_fault.op != op) return SQLITE_OK;
    g_fault.seen++;
    if (g_fault.seen == g_fault.k || (g_fault.persistent && g_fault.seen > g_fault.k)) {
        if (g_fault.injected == 0) g_fault.first_file = file;
        g_fault.injected++;
        return g_fault.code;
    }
    return SQLITE_OK;
}

static fault_file kind_of_name(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n >= 4 && strcmp(name + n - 4, "-wal") == 0) return FAULT_FILE_WAL;
    if (n >= 8 && strcmp(name + n - 8, "-journal") == 0) return FAULT_FILE_JOURNAL;
    if (n >= 4 && strcmp(name + n - 4, "-shm") == 0) return FAULT_FILE_OTHER;
    return FAULT_FILE_MAIN_DB;
}

static fault_file kind_of_flags(int flags) {
    if (flags & SQLITE_OPEN_MAIN_DB) return FAULT_FILE_MAIN_DB;
    if (flags & SQLITE_OPEN_WAL) return FAULT_FILE_WAL;
    if (flags & SQLITE_OPEN_MAIN_JOURNAL) return FAULT_FILE_JOURNAL;
    return FAULT_FILE_OTHER;
}

#define REAL(f) (((FaultFile *)(f))->real)
#define KIND(f) (((FaultFile *)(f))->kind)

/* ---- sqlite3_io_methods --------------------------------------------------------------- */

static int f_close(sqlite3_file *f) {
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    f->pMethods = NULL;
    return rc;
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
    int rc = fault_check(FAULT_OP_READ, KIND(f));
    if (rc != SQLITE_OK) return rc;
    return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
    int rc = fault_check(FAULT_OP_WRITE, KIND(f));
    if (rc == SQLITE_FULL) {
        /* The disk filled up part way: the first half reached the file. */
        if (amt / 2 > 0) REAL(f)->pMethods->xWrite(REAL(f), buf, amt / 2, off);
        return rc;
    }
    if (rc != SQLITE_OK) return rc;
    if (g_observer && g_observer->before_write) {
        g_observer->before_write(g_observer->user, KIND(f), REAL(f), amt, off);
    }
    return REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
    int rc = fault_check(FAULT_OP_TRUNCATE, KIND(f));
    if (rc != SQLITE_OK) return rc;
    if (g_observer && g_observer->before_truncate) {
        g_observer->before_truncate(g_observer->user, KIND(f), REAL(f), size);
    }
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags) {
    int rc = fault_check(FAULT_OP_SYNC, KIND(f));
    if (rc != SQLITE_OK) return rc;
    if (!g_forward_sync) return SQLITE_OK;
    rc = REAL(f)->pMethods->xSync(REAL(f), flags);
    if (rc == SQLITE_OK && g_observer && g_observer->after_sync) {
        g_observer->after_sync(g_observer->user, KIND(f));
    }
    return rc;
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size) {
    int rc = fault_check(FAULT_OP_FILESIZE, KIND(f));
    if (rc != SQLITE_OK) return rc;
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int level) {
    int rc = fault_check(FAULT_OP_LOCK, KIND(f));
    if (rc != SQLITE_OK) return rc;
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int f_unlock(sqlite3_file *f, int level) {
    int rc = fault_check(FAULT_OP_UNLOCK, KIND(f));
    if (rc != SQLITE_OK) return rc;
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int f_check_reserved_lock(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector_size(sqlite3_file *f) {
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device_characteristics(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out) {
    fault_check(FAULT_OP_SHM, KIND(f));
    return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
    fault_check(FAULT_OP_SHM, KIND(f));
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f) {
    fault_check(FAULT_OP_SHM, KIND(f));
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int delete_flag) {
    fault_check(FAULT_OP_SHM, KIND(f));
    return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out) {
    fault_check(FAULT_OP_FETCH, KIND(f));
    return REAL(f)->pMethods->xFetch(REAL(f), off, amt, out);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
    fault_check(FAULT_OP_FETCH, KIND(f));
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* One table per io_methods version, so SQLite never calls a method the real file lacks. */
static sqlite3_io_methods g_methods[3];

/* ---- sqlite3_vfs ------------------------------------------------------------------------ */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                  int *out_flags) {
    FaultFile *ff = (FaultFile *)file;
    int rc;
    (void)vfs;
    memset(ff, 0, sizeof(*ff));
    ff->kind = kind_of_flags(flags);
    ff->real = (sqlite3_file *)&ff[1];
    rc = fault_check(FAULT_OP_OPEN, ff->kind);
    if (rc != SQLITE_OK) {
        file->pMethods = NULL;
        return rc;
    }
    rc = g_real->xOpen(g_real, name, ff->real, flags, out_flags);
    if (ff->real->pMethods != NULL) {
        int v = ff->real->pMethods->iVersion;
        file->pMethods = &g_methods[(v < 1 ? 1 : v > 3 ? 3 : v) - 1];
    } else {
        file->pMethods = NULL;
    }
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    int rc = fault_check(FAULT_OP_DELETE, kind_of_name(name));
    (void)vfs;
    if (rc != SQLITE_OK) return rc;
    return g_real->xDelete(g_real, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    int rc = fault_check(FAULT_OP_ACCESS, kind_of_name(name));
    (void)vfs;
    if (rc != SQLITE_OK) return rc;
    return g_real->xAccess(g_real, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    (void)vfs;
    return g_real->xFullPathname(g_real, name, n, out);
}
static void *v_dl_open(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return g_real->xDlOpen(g_real, name);
}
static void v_dl_error(sqlite3_vfs *vfs, int n, char *msg) {
    (void)vfs;
    g_real->xDlError(g_real, n, msg);
}
static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
    (void)vfs;
    return g_real->xDlSym(g_real, h, sym);
}
static void v_dl_close(sqlite3_vfs *vfs, void *h) {
    (void)vfs;
    g_real->xDlClose(g_real, h);
}
static int v_randomness(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return g_real->xRandomness(g_real, n, out);
}
static int v_sleep(sqlite3_vfs *vfs, int us) {
    (void)vfs;
    return g_real->xSleep(g_real, us);
}
static int v_current_time(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    return g_real->xCurrentTime(g_real, out);
}
static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return g_real->xGetLastError(g_real, n, out);
}
static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    (void)vfs;
    return g_real->xCurrentTimeInt64(g_real, out);
}
static int v_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p) {
    (void)vfs;
    return g_real->xSetSystemCall(g_real, name, p);
}
static sqlite3_syscall_ptr v_get_system_call(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return g_real->xGetSystemCall(g_real, name);
}
static const char *v_next_system_call(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return g_real->xNextSystemCall(g_real, name);
}

int fault_vfs_install(void) {
    int i;
    if (g_installed) return SQLITE_OK;
    g_real = sqlite3_vfs_find("unix");
    if (g_real == NULL) return SQLITE_ERROR;

    for (i = 0; i < 3; ++i) {
        sqlite3_io_methods *m = &g_methods[i];
        memset(m, 0, sizeof(*m));
        m->iVersion = i + 1;
        m->xClose = f_close;
        m->xRead = f_read;
        m->xWrite = f_write;
        m->xTruncate = f_truncate;
        m->xSync = f_sync;
        m->xFileSize = f_file_size;
        m->xLock = f_lock;
        m->xUnlock = f_unlock;
        m->xCheckReservedLock = f_check_reserved_lock;
        m->xFileControl = f_file_control;
        m->xSectorSize = f_sector_size;
        m->xDeviceCharacteristics = f_device_characteristics;
        if (i >= 1) {
            m->xShmMap = f_shm_map;
            m->xShmLock = f_shm_lock;
            m->xShmBarrier = f_shm_barrier;
            m->xShmUnmap = f_shm_unmap;
        }
        if (i >= 2) {
            m->xFetch = f_fetch;
            m->xUnfetch = f_unfetch;
        }
    }

    memset(&g_vfs, 0, sizeof(g_vfs));
    g_vfs.iVersion = g_real->iVersion < 3 ? g_real->iVersion : 3;
    g_vfs.szOsFile = (int)sizeof(FaultFile) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "convo_fault";
    g_vfs.xOpen = v_open;
    g_vfs.xDelete = v_delete;
    g_vfs.xAccess = v_access;
    g_vfs.xFullPathname = v_full_pathname;
    g_vfs.xDlOpen = g_real->xDlOpen ? v_dl_open : NULL;
    g_vfs.xDlError = g_real->xDlError ? v_dl_error : NULL;
    g_vfs.xDlSym = g_real->xDlSym ? v_dl_sym : NULL;
    g_vfs.xDlClose = g_real->xDlClose ? v_dl_close : NULL;
    g_vfs.xRandomness = v_randomness;
    g_vfs.xSleep = v_sleep;
    g_vfs.xCurrentTime = v_current_time;
    g_vfs.xGetLastError = v_get_last_error;
    if (g_vfs.iVersion >= 2) g_vfs.xCurrentTimeInt64 = v_current_time_int64;
    if (g_vfs.iVersion >= 3) {
        g_vfs.xSetSystemCall = v_set_system_call;
        g_vfs.xGetSystemCall = v_get_system_call;
        g_vfs.xNextSystemCall = v_next_system_call;
    }
    {
        int rc = sqlite3_vfs_register(&g_vfs, 1);
        if (rc != SQLITE_OK) return rc;
    }
    g_installed = 1;
    return SQLITE_OK;
}

void fault_vfs_set_forward_sync(int on) {
    g_forward_sync = on;
}

void fault_vfs_set_observer(const fault_vfs_observer *observer) {
    g_observer = observer;
}

void fault_vfs_reset_counts(void) {
    memset(g_counts, 0, sizeof(g_counts));
}

uint64_t fault_vfs_count(fault_op op) {
    uint64_t n = 0;
    int f;
    for (f = 0; f < FAULT_FILE_COUNT; ++f) n += g_counts[op][f];
    return n;
}

uint64_t fault_vfs_count_file(fault_op op, fault_file file) {
    return g_counts[op][file];
}

void fault_vfs_arm(fault_op op, uint64_t k, int error_code, int persistent) {
    memset(&g_fault, 0, sizeof(g_fault));
    g_fault.armed = 1;
    g_fault.op = op;
    g_fault.k = k;
    g_fault.code = error_code;
    g_fault.persistent = persistent;
}

void fault_vfs_disarm(void) {
    g_fault.armed = 0;
}

uint64_t fault_vfs_injected(void) {
    return g_fault.injected;
}

fault_file fault_vfs_first_fault_file(void) {
    return g_fault.first_file;
}

const char *fault_op_name(fault_op op) {
    static const char *const names[FAULT_OP_COUNT] = {"read",     "write",  "sync",   "truncate",
                                                      "filesize", "lock",   "unlock", "open",
                                                      "delete",   "access", "shm",    "fetch"};
    return (unsigned)op < FAULT_OP_COUNT ? names[op] : "?";
}

const char *fault_file_name(fault_file file) {
    static const char *const names[FAULT_FILE_COUNT] = {"db", "wal", "journal", "other"};
    return (unsigned)file < FAULT_FILE_COUNT ? names[file] : "?";
}
