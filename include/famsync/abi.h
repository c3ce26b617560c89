/* famsync/abi.h — the compiler <-> runtime ABI (not a user header).
 *
 * What the famsync LLVM pass emits calls to, and what runtime/ defines. Includes nothing, is
 * extern "C", and every symbol carries the __fams_ prefix. User code includes famsync.h instead.
 *
 * Invariant: an address A is tracked only if (uintptr_t)A - __fams_window_base <
 * __fams_window_size, and (since ABI version 2) the window lies inside the fixed *check range*
 * [FAMS_WINDOW_FIXED_BASE, FAMS_WINDOW_FIXED_BASE + 2^FAMS_WINDOW_CHECK_SHIFT) and is at most
 * FAMS_WINDOW_MAX_SIZE long, or there is no window at all. Before the runtime reserves its
 * window both globals are 0, so the check is false for every address and instrumented code runs
 * as if uninstrumented. The pass emits the check inline and calls a hook only when it is true:
 * by default the immediate test ((uintptr_t)A >> FAMS_WINDOW_CHECK_SHIFT) == FAMS_WINDOW_FIXED_BASE
 * >> FAMS_WINDOW_CHECK_SHIFT (a shift, a compare, a branch; no loads), or, with
 * -famsync-fixed-window=false, the subtract/compare against the two globals. Hooks may be called
 * for any address (they re-check and ignore what is not inside a live mapping).
 *
 * Every hook runs BEFORE the write it describes: the runtime must log the old bytes first.
 *
 * Versioning: an instrumented module's constructor references __fams_abi_version_N (bump the
 * number on any incompatible change), so linking against a stale runtime fails with an
 * "undefined reference to __fams_abi_version_N" error instead of misbehaving at run time.
 * Each version is a superset of the one before, so modules built by an older pass keep linking
 * and working: the runtime still defines __fams_abi_version_1 and _2 and every older symbol.
 * Version 2 added the fixed check range; version 3 renamed the range hooks after when they run
 * (__fams_write_range -> __fams_before_write_range, __fams_wrote_range ->
 * __fams_after_write_range; the old names stay defined, see the end of this file).
 */
#ifndef FAMSYNC_ABI_H
#define FAMSYNC_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

#define FAMS_ABI_VERSION 3

/* Exported from a library otherwise built with hidden visibility. */
#define FAMS_ABI __attribute__((visibility("default")))

/* Defined by the runtime; referenced (never called for effect) by instrumented modules. */
FAMS_ABI extern char __fams_abi_version_1;
FAMS_ABI extern char __fams_abi_version_2;
FAMS_ABI extern char __fams_abi_version_3;

/* The fixed check range (version 2): the runtime reserves its window at FAMS_WINDOW_FIXED_BASE
 * with MAP_FIXED_NOREPLACE (32 TiB: above ASan's shadow, below the mmap area and the stacks) and
 * keeps the rest of the 2 TiB check range reserved too, so that no other mapping lands where the
 * inline check would send it to the runtime. If the range is taken, no window is reserved: every
 * tracked map fails with ENOMEM and a message naming the range (nothing is silently untracked).
 * A window is at most 1 TiB, so the check of the LAST byte of any range shorter than 1 TiB
 * catches every range that starts inside the window or reaches into it from below. */
#define FAMS_WINDOW_FIXED_BASE 0x200000000000UL
#define FAMS_WINDOW_CHECK_SHIFT 41
#define FAMS_WINDOW_MAX_SIZE (1UL << 40)

/* The VA window every tracked working copy lives in. Written once, before any mapping exists. */
FAMS_ABI extern unsigned long __fams_window_base;
FAMS_ABI extern unsigned long __fams_window_size;

/* Store hooks: the instrumented code is about to write N bytes at ADDR (ADDR inside the window). */
FAMS_ABI void __fams_store1(void *addr);
FAMS_ABI void __fams_store2(void *addr);
FAMS_ABI void __fams_store4(void *addr);
FAMS_ABI void __fams_store8(void *addr);
FAMS_ABI void __fams_store16(void *addr);
FAMS_ABI void __fams_store_n(void *addr, unsigned long size);

/* Range hook for memintrinsics and libc writers: [addr, addr+size) is about to be written.
 * Unlike the store hooks this one is called without the inline check (ranges may start outside
 * the window and end inside it); it is a no-op for untracked ranges and for size 0. */
FAMS_ABI void __fams_before_write_range(void *addr, unsigned long size);

/* Post-write range hook, for writers whose range is known only afterwards (sprintf's return
 * value): [addr, addr+size) HAS BEEN written. Lines clean until then are marked dirty without a
 * store-time log entry; their old bytes are logged at commit from the persistent copy, which still
 * holds them. Prefer __fams_before_write_range wherever the range can be computed before the
 * call. The one exception to "every hook runs BEFORE the write". */
FAMS_ABI void __fams_after_write_range(void *addr, unsigned long size);

/* Redirected libc calls. In instrumented code, calls to mmap/mmap64, munmap, msync, mremap,
 * fsync, fdatasync, ftruncate/ftruncate64, write, pwrite/pwrite64, read, pread/pread64 and close
 * are renamed to these (same signatures, LP64: off_t == long, size_t == unsigned long). They
 * behave exactly like libc's for untracked files and mappings. */
FAMS_ABI void *__fams_mmap(void *addr, unsigned long len, int prot, int flags, int fd, long offset);
FAMS_ABI int __fams_munmap(void *addr, unsigned long len);
FAMS_ABI int __fams_msync(void *addr, unsigned long len, int flags);
FAMS_ABI void *__fams_mremap(void *old_addr, unsigned long old_len, unsigned long new_len, int flags,
                    void *new_addr);
FAMS_ABI int __fams_fsync(int fd);
FAMS_ABI int __fams_fdatasync(int fd);
FAMS_ABI int __fams_ftruncate(int fd, long length);
FAMS_ABI long __fams_write(int fd, const void *buf, unsigned long count);
FAMS_ABI long __fams_pwrite(int fd, const void *buf, unsigned long count, long offset);
FAMS_ABI long __fams_read(int fd, void *buf, unsigned long count);
FAMS_ABI long __fams_pread(int fd, void *buf, unsigned long count, long offset);
FAMS_ABI int __fams_close(int fd);

/* Called by the constructor the pass adds to each instrumented module: initialises the runtime
 * (reserves the window, reads FAMSYNC_* options) if it has not been initialised yet. */
FAMS_ABI void __fams_module_init(void);

/* Version-2 names of the range hooks, for modules built by an older pass: the same functions
 * as __fams_before_write_range and __fams_after_write_range. The pass never emits them. */
FAMS_ABI void __fams_write_range(void *addr, unsigned long size);
FAMS_ABI void __fams_wrote_range(void *addr, unsigned long size);

#ifdef __cplusplus
}
#endif

#endif /* FAMSYNC_ABI_H */
