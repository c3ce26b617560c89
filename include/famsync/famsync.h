/* famsync/famsync.h — public C API: failure-atomic msync for mapped files.
 *
 * A region is a tracked, writable mapping of a whole regular file. The program reads and writes a
 * DRAM working copy at fams_region_addr(); the file itself changes only inside fams_msync(), which
 * commits ALL changes made since the previous commit, atomically: after a crash at any instant the
 * next fams_map()/fams_recover() of the file yields exactly the last committed state (or the one
 * being committed, if the crash came after its commit point). Never a mix.
 *
 * Code compiled with the famsync pass reports its writes automatically. Code that is not must call
 * fams_will_write() before each write to the working copy (as with pmemobj_tx_add_range); a write
 * that was not announced is not committed reliably (FAMSYNC_VERIFY=1 reports such writes).
 *
 * Errors: every function returns 0 on success or an error code: a positive errno value for
 * failures of the system (ENOENT, EACCES, EIO, ENOSPC, ...) or one of the FAMS_E* codes below
 * (reserved range -30999..-30900). fams_strerror() names any of them; fams_last_error_message()
 * gives the calling thread's detailed message for its last failed call (path, syscall, offset).
 *
 * Threading: any number of threads may write to a region (and call fams_will_write) at once.
 * fams_msync/fams_rollback/fams_unmap should not run concurrently with writes to the same region
 * (the application orders them, as with PMDK transactions); writes that race them anyway belong
 * to that commit or the next, line by line (famsync(7)). They may be called from any thread and
 * serialise against each other.
 *
 * One process at a time: a file tracked by one process cannot be tracked by another (EBUSY).
 */
#ifndef FAMSYNC_FAMSYNC_H
#define FAMSYNC_FAMSYNC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; only what is marked FAMS_API is exported. */
#define FAMS_API __attribute__((visibility("default")))

/* ---- Error codes (besides positive errno values) ------------------------------------------- */
#define FAMS_EPOISONED   (-30900) /* an earlier persistence error: no commit can succeed; remap */
#define FAMS_ECORRUPT    (-30901) /* the log's header is invalid; nothing was changed */
#define FAMS_EFOREIGN    (-30902) /* the log belongs to another file or is not trusted (owner,
                                     mode, links); nothing was changed */
#define FAMS_ETRACKED    (-30903) /* this process already tracks that file */
#define FAMS_ENOTTRACKED (-30904) /* the address/region is not a live tracked region */
#define FAMS_EVERIFY     (-30905) /* verify mode found writes that bypassed tracking */
#define FAMS_ENOTREGULAR (-30906) /* the path is not a regular file */
#define FAMS_EEMPTY      (-30907) /* the file is empty: there is nothing to map */
#define FAMS_ERANGE      (-30908) /* the log refers to bytes beyond the end of the data file */

/* ---- Map flags -------------------------------------------------------------------------------- */
#define FAMS_MAP_FORCE_PMEM 0x1u /* use the pmem backend even if the file is not DAX */
#define FAMS_MAP_FORCE_FILE 0x2u /* use the ordinary-file backend even on pmem */
#define FAMS_MAP_ALL_FLAGS  (FAMS_MAP_FORCE_PMEM | FAMS_MAP_FORCE_FILE)

typedef struct fams_region fams_region;

/* Maps the whole file at PATH for failure-atomic updates, first recovering it if a crash left an
 * uncommitted change. The log is a hidden file .famsync-ID.log in the file's directory (or in
 * $FAMSYNC_LOG_DIR), where ID is the identity the file carries in its user.famsync extended
 * attribute (given at the first map), so the log follows the file through renames and links; it
 * exists while the file is mapped and is removed by a clean fams_unmap. FLAGS is 0 or one
 * FAMS_MAP_FORCE_* flag.
 * Errors: EINVAL (null argument, unknown or conflicting flags), ENOENT, EACCES (file or log not
 * writable), FAMS_ENOTREGULAR, FAMS_EEMPTY, EBUSY (another process tracks the file),
 * FAMS_ETRACKED, FAMS_ECORRUPT, FAMS_EFOREIGN (a copy's log with an interrupted commit, or an
 * untrusted log), FAMS_ERANGE (recovery refused; file untouched),
 * ENOSPC (log preallocation), ENOMEM (window full), EIO. */
FAMS_API int fams_map(const char *path, unsigned flags, fams_region **out);

/* Address of the working copy, and the file's size (at map time, or as set by fams_resize, which
 * also resizes the working copy and may move it: ask again after fams_resize). A null or stale
 * handle: NULL/0.
 * Handles are not pointers: a handle is never reused, so one kept after fams_unmap gets
 * FAMS_ENOTTRACKED from every call and never names a region mapped later. */
FAMS_API void *fams_region_addr(const fams_region *region);
FAMS_API size_t fams_region_size(const fams_region *region);

/* The live region whose working copy contains ADDR, or NULL. */
FAMS_API fams_region *fams_region_of(const void *addr);

/* Announces that [ADDR, ADDR+LEN) of a region is about to be written: logs the old bytes of every
 * line written for the first time since the last commit. Call before writing.
 * Errors: EINVAL (null ADDR), FAMS_ENOTTRACKED (range not inside one live region). */
FAMS_API int fams_will_write(void *addr, size_t len);

/* Commits every change to REGION since the last commit, failure-atomically; durable on return 0.
 * With nothing to commit it returns 0 without any I/O.
 * Errors: EINVAL (null region), FAMS_ENOTTRACKED (stale handle, or inherited across fork),
 * FAMS_EPOISONED (an earlier failure), FAMS_EVERIFY (verify mode: nothing written), and errno
 * values (EIO, ENOSPC, ...) from the storage. A failure before the log of this commit was made
 * durable (e.g. ENOSPC or EIO while growing or filling the log) changes nothing: the changes stay
 * pending and a later call may succeed. A failure after that poisons the region: every later
 * commit fails, and after unmap + map (recovery) the file holds the last committed state — or,
 * if the failure came after the commit's data was durable, this commit's state, exactly as after
 * a crash at that instant. */
FAMS_API int fams_msync(fams_region *region);

/* Discards every change since the last commit: the working copy returns to the committed state,
 * and a file grown since then is cut back to its committed size.
 * Errors: EINVAL, FAMS_ENOTTRACKED, FAMS_EPOISONED, EIO (reading the committed bytes back),
 * errors of ftruncate/fsync. After a rollback that fails part-way every commit (fams_unmap's
 * included) fails with FAMS_EPOISONED and writes nothing, until a retried rollback succeeds: a
 * half-rolled-back working copy never reaches the file, which keeps its last committed state. */
FAMS_API int fams_rollback(fams_region *region);

/* Sets the size of REGION's file to NEW_SIZE bytes, like ftruncate(2) (programs built with
 * famsync-cc get this from ftruncate itself), and resizes the working copy to match (page
 * granularity; at least one page). The working copy grows in place while its 2 MiB window slot
 * has room and moves otherwise: take fams_region_addr() again after a growth.
 *  - Growth: the new bytes read as zero at once and may be written; the new size is committed by
 *    the next fams_msync() (even with nothing else to commit). A crash before that, or
 *    fams_rollback(), cuts the file back to its committed size.
 *  - Shrinking: committed at once (the bytes past the new end are gone, whatever happens next).
 *    If a pending change lies past the new end, everything pending is committed first; other
 *    pending changes stay pending.
 * Errors: EINVAL (null region, NEW_SIZE above INT64_MAX), FAMS_ENOTTRACKED, FAMS_EPOISONED,
 * EFBIG/ENOSPC/EIO (ftruncate, fsync: these poison the region), those of fams_msync when a
 * shrink commits first, and ENOMEM (the file was resized but the working copy could not follow:
 * the window is full). */
FAMS_API int fams_resize(fams_region *region, uint64_t new_size);

/* Commits (like fams_msync) and unmaps. The region is released even when the commit fails; the
 * error is returned and the file keeps its last committed state. Errors: as fams_msync. */
FAMS_API int fams_unmap(fams_region *region);

/* Recovers the file at PATH without mapping it (what fams_map does first). Idempotent.
 * Errors: as fams_map. A missing log is not an error (nothing to recover). */
FAMS_API int fams_recover(const char *path);

/* ---- Statistics ------------------------------------------------------------------------------- */
typedef struct fams_stat_counters {
  uint64_t commits;            /* successful commits that wrote something */
  uint64_t empty_commits;      /* commits with nothing dirty (no I/O) */
  uint64_t rollbacks;
  uint64_t dirty_lines;        /* 64-byte lines committed, summed over commits */
  uint64_t logged_at_store;    /* lines undo-logged on first write */
  uint64_t logged_at_commit;   /* lines logged at commit because the log was full */
  uint64_t log_bytes;          /* bytes written to logs */
  uint64_t writeback_bytes;    /* bytes written back to data files */
  uint64_t writeback_runs;     /* contiguous runs written back */
  uint64_t log_grows;          /* times a log file was enlarged */
  uint64_t checkpoints;        /* redo log (files; pmem by default): data made durable, log emptied */
  uint64_t commit_ns_p50, commit_ns_p90, commit_ns_p99, commit_ns_max; /* of non-empty commits */
  /* Working copy (FAMSYNC_WORKING_SET_MB; added in 0.2, after the fields above): */
  uint64_t working_set_bytes;  /* private (written) working-copy pages held now, live regions */
  uint64_t pages_given_back;   /* clean private pages returned to the page cache over the budget */
  uint64_t first_write_pages;  /* pages that became private (a copy-on-write fault each) */
  uint64_t pending_bytes_peak; /* largest set of pages written in one epoch (between commits) */
  /* Added in 0.3: */
  uint64_t racing_lines;       /* lines written by other threads while a commit or rollback copied
                                  them: kept pending for the next commit (see famsync(7)) */
  uint64_t joined_commits;     /* commit calls served by a commit another thread ran meanwhile
                                  (group commit: one flush for all of them) */
  /* Added in 0.4: */
  uint64_t unchanged_lines;    /* famsync run (preload mode): lines of written pages whose bytes
                                  equalled the committed ones at commit, so were neither logged
                                  nor written back */
} fams_stat_counters;

/* Fills OUT with REGION's counters, or with the process totals when REGION is NULL (including
 * regions already unmapped). Errors: EINVAL (null OUT). FAMSYNC_STATS=1 prints the totals to
 * stderr at exit. */
FAMS_API int fams_stats(const fams_region *region, fams_stat_counters *out);

/* Static text naming an error code returned by any fams_ function (never NULL). */
FAMS_API const char *fams_strerror(int err);

/* The calling thread's message for its last failed fams_ call ("" if none). Valid until the
 * thread's next fams_ call. */
FAMS_API const char *fams_last_error_message(void);

#ifdef __cplusplus
}
#endif

#endif /* FAMSYNC_FAMSYNC_H */
