/* famsync/abi.h — the compiler <-> runtime ABI (not a user header).
 *
 * What the famsync LLVM pass emits calls to, and what runtime/ defines. Includes nothing, is
 * extern "C", and every symbol carries the __fams_ prefix. User code includes famsync.h instead.
 *
 * Invariant: an address A is tracked only if (uintptr_t)A - __fams_window_base <
 * __fams_window_size. Before the runtime reserves its window both globals are 0, so the check is
 * false for every address and instrumented code runs as if uninstrumented. The pass emits this
 * check inline (one load pair, one subtract, one compare, one branch) and calls a hook only when
 * it is true; the hooks may therefore assume the address is inside the window, but not that it is
 * inside a live mapping (holes are ignored).
 *
 * Every hook runs BEFORE the write it describes: the runtime must log the old bytes first.
 *
 * Versioning: an instrumented module's constructor references __fams_abi_version_1 (bump the
 * number on any incompatible change), so linking against a stale runtime fails with an
 * "undefined reference to __fams_abi_version_N" error instead of misbehaving at run time.
 */
#ifndef FAMSYNC_ABI_H
#define FAMSYNC_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

#define FAMS_ABI_VERSION 1

/* Exported from a library otherwise built with hidden visibility. */
#define FAMS_ABI __attribute__((visibility("default")))

/* Defined by the runtime; referenced (never called for effect) by instrumented modules. */
FAMS_ABI extern char __fams_abi_version_1;

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
FAMS_ABI void __fams_write_range(void *addr, unsigned long size);

/* Post-write range hook, for writers whose range is known only afterwards (sprintf's return
 * value): [addr, addr+size) HAS BEEN written. Lines clean until then are marked dirty without a
 * store-time log entry; their old bytes are logged at commit from the persistent copy, which still
 * holds them. Prefer __fams_write_range wherever the range can be computed before the call. */
FAMS_ABI void __fams_wrote_range(void *addr, unsigned long size);

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

#ifdef __cplusplus
}
#endif

#endif /* FAMSYNC_ABI_H */
