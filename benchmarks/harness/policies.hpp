// policies.hpp — the persistence policies the data structures are instantiated with.
//
// A policy owns the arena's memory and defines what "make this write unit durable" means:
//   open(path, size, storage)   create the backing store and return the arena base (64-B aligned)
//   begin()                     start a write unit (PMDK: pmemobj_tx_begin(pop, NULL, TX_PARAM_NONE))
//   will_write(p, n)            about to modify n committed bytes at p (see arena.hpp)
//   will_init(p, n)             about to fill a freshly allocated block
//   commit()                    end the unit durably
//   close()                     release everything (files are removed by the caller)
//   files()                     the files that hold its state, for the on-disk byte count
//
// Which policies exist depends on the build: FAMSYNC_HARNESS_INSTRUMENTED is defined only in the
// executable compiled with famsync-c++ (the pass instruments every store in it), which has
// `famsync` and `none-instr`; the plain clang++ build has `pmdk`, `msync` and `none`. msync must
// not live in the instrumented build: there the pass would redirect msync() to famsync.
// Invariant: a policy's commit() returns only after the unit is durable on its medium (or, for
// msync, after MS_SYNC returned; for none, immediately), and it aborts the process on any error,
// so a benchmark number never comes from a run that silently failed to persist.
#ifndef FAMSYNC_BENCH_HARNESS_POLICIES_HPP
#define FAMSYNC_BENCH_HARNESS_POLICIES_HPP

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/xattr.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#ifdef FAMSYNC_HARNESS_INSTRUMENTED
#include <famsync/famsync.h>
#else
#include <libpmemobj.h>
#endif

namespace harness {

[[noreturn]] inline void fatal(const char *what, const char *detail) {
  fprintf(stderr, "harness: %s: %s\n", what, detail);
  exit(2);
}

// A preallocated file of SIZE bytes (ENOSPC through a mapping would be SIGBUS).
inline void make_file(const std::string &path, size_t size) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fatal(path.c_str(), strerror(errno));
  if (int rc = posix_fallocate(fd, 0, static_cast<off_t>(size))) fatal(path.c_str(), strerror(rc));
  close(fd);
}

// No persistence: anonymous memory. The upper bound; in the instrumented build it also measures
// the pass's cost on untracked memory (every store pays the inline window check). Its pages are
// populated at open (MAP_POPULATE), as PMDK's pool pages are (populate_pages): a first touch
// costs neither a fault in the measured phases (issue 14 item 3: a lazily faulted `none` was
// slower than PMDK on workload D, which inserts into fresh memory).
struct NonePolicy {
#ifdef FAMSYNC_HARNESS_INSTRUMENTED
  static constexpr const char *kName = "none-instr";
#else
  static constexpr const char *kName = "none";
#endif
  void *open(const std::string &, size_t size, bool) {
    size_ = size;
    base_ = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);
    if (base_ == MAP_FAILED) fatal("mmap", strerror(errno));
    return base_;
  }
  void begin() {}
  void will_write(void *, size_t) {}
  void will_init(void *, size_t) {}
  void commit() {}
  void close() { munmap(base_, size_); }
  std::vector<std::string> files() const { return {}; }
  void *base_ = nullptr;
  size_t size_ = 0;
};

#ifdef FAMSYNC_HARNESS_INSTRUMENTED

// famsync: the arena is a tracked region (fams_map); the pass instruments the data structure's
// plain stores, so will_write/will_init do nothing; commit is fams_msync. PMEM=true forces the
// pmem backend (redo log by default, FAMSYNC_PMEM_PROTOCOL), else the file backend (redo log).
struct FamsyncPolicy {
  static constexpr const char *kName = "famsync";
  void *open(const std::string &path, size_t size, bool pmem) {
    path_ = path;
    make_file(path, size);
    if (int rc = fams_map(path.c_str(), pmem ? FAMS_MAP_FORCE_PMEM : FAMS_MAP_FORCE_FILE, &r_))
      fatal("fams_map", (std::string(fams_strerror(rc)) + " " + fams_last_error_message()).c_str());
    return fams_region_addr(r_);
  }
  void begin() {}
  void will_write(void *, size_t) {}
  void will_init(void *, size_t) {}
  void commit() {
    if (int rc = fams_msync(r_))
      fatal("fams_msync", (std::string(fams_strerror(rc)) + " " + fams_last_error_message()).c_str());
  }
  void close() {
    if (int rc = fams_unmap(r_)) fatal("fams_unmap", fams_strerror(rc));
  }
  // The log (named by the file's identity attribute, "famsync1 <id> <dir>") exists while mapped;
  // a clean unmap removes it.
  std::vector<std::string> files() const {
    char v[4200];
    ssize_t n = getxattr(path_.c_str(), "user.famsync", v, sizeof v - 1);
    if (n < 42) return {path_};
    v[n] = '\0';
    return {path_, std::string(v + 42) + "/.famsync-" + std::string(v + 9, 32) + ".log"};
  }
  fams_region *r_ = nullptr;
  std::string path_;
};

#else  // !FAMSYNC_HARNESS_INSTRUMENTED

// Maps every page of [P, P+LEN) of a shared mapping writable now (no content changes), so that
// no first touch faults in the measured phases: the `none` policy's memory gets MAP_POPULATE.
inline void populate_pages(void *p, size_t len) {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
  if (madvise(p, len, MADV_POPULATE_WRITE) != 0) fatal("madvise(MADV_POPULATE_WRITE)", strerror(errno));
}

// PMDK libpmemobj: the arena is the pool's root object; one transaction per write unit, every
// modification snapshotted first with pmemobj_tx_add_range_direct (PMDK deduplicates ranges
// already added in the transaction), fresh blocks added with POBJ_XADD_NO_SNAPSHOT so they are
// flushed at commit without an undo copy (what pmemobj_tx_alloc'd memory gets).
struct PmdkPolicy {
  static constexpr const char *kName = "pmdk";
  void *open(const std::string &path, size_t size, bool) {
    path_ = path;
    unlink(path.c_str());
    size_t pool = size + size / 32 + (48u << 20);
    pop_ = pmemobj_create(path.c_str(), "famsync-harness", pool, 0644);
    if (pop_ == nullptr) fatal("pmemobj_create", pmemobj_errormsg());
    PMEMoid root = pmemobj_root(pop_, size + 64);
    if (OID_IS_NULL(root)) fatal("pmemobj_root", pmemobj_errormsg());
    populate_pages(pop_, pool);
    auto p = reinterpret_cast<uintptr_t>(pmemobj_direct(root));
    return reinterpret_cast<void *>((p + 63) & ~uintptr_t{63});
  }
  void begin() {
    if (pmemobj_tx_begin(pop_, nullptr, TX_PARAM_NONE) != 0) fatal("pmemobj_tx_begin", pmemobj_errormsg());
  }
  void will_write(void *p, size_t n) {
    if (pmemobj_tx_add_range_direct(p, n) != 0) fatal("pmemobj_tx_add_range_direct", pmemobj_errormsg());
  }
  void will_init(void *p, size_t n) {
    if (pmemobj_tx_xadd_range_direct(p, n, POBJ_XADD_NO_SNAPSHOT) != 0)
      fatal("pmemobj_tx_xadd_range_direct", pmemobj_errormsg());
  }
  void commit() {
    pmemobj_tx_commit();
    if (pmemobj_tx_end() != 0) fatal("pmemobj_tx_end", pmemobj_errormsg());
  }
  void close() { pmemobj_close(pop_); }
  std::vector<std::string> files() const { return {path_}; }
  PMEMobjpool *pop_ = nullptr;
  std::string path_;
};

// Plain msync(MS_SYNC) of the whole MAP_SHARED mapping per unit. NOT failure-atomic (the kernel
// may write back any dirty page, torn, at any time): a reference point, meaningful on ext4 only
// (tmpfs msync persists nothing).
struct MsyncPolicy {
  static constexpr const char *kName = "msync";
  void *open(const std::string &path, size_t size, bool) {
    path_ = path;
    size_ = size;
    make_file(path, size);
    int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) fatal(path.c_str(), strerror(errno));
    base_ = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (base_ == MAP_FAILED) fatal("mmap", strerror(errno));
    return base_;
  }
  void begin() {}
  void will_write(void *, size_t) {}
  void will_init(void *, size_t) {}
  void commit() {
    if (msync(base_, size_, MS_SYNC) != 0) fatal("msync", strerror(errno));
  }
  void close() { munmap(base_, size_); }
  std::vector<std::string> files() const { return {path_}; }
  void *base_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

#endif  // FAMSYNC_HARNESS_INSTRUMENTED

}  // namespace harness

#endif  // FAMSYNC_BENCH_HARNESS_POLICIES_HPP
