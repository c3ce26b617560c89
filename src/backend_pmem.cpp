// backend_pmem.cpp — persistence on (real or emulated) persistent memory through libpmem.
//
// The persistence sequences (x86):
//   write():      NT stores (pmem_memcpy with PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NONTEMPORAL): bypass the cache,
//                 durable once an sfence has drained the write-combining buffers. A write of up
//                 to four whole lines (a scattered commit's write-back: one call per line) does
//                 the same NT stores here: pmem_memcpy's dispatch cost about 150 instructions
//                 per call, more than twice the copy. Not with PMEM_NO_MOVNT=1 (libpmem then
//                 uses cached stores and flushes; so do we, through it).
//   stage():      ordinary stores (memcpy) into the cached mapping, no flush: the store path's
//                 log entries. flush() (clwb per line, by the committing thread) + persist()
//                 make them durable. NT stores here would leave data in the staging core's
//                 write-combining buffers, which only that core's fence drains.
//   write_word(): one 8-byte store + clwb of its line (pmem_flush): durable after an sfence.
//   persist():    pmem_drain() = sfence. It drains both media at once; the protocol still calls
//                 it once per ordering point, since that is where ordering is needed.
// Invariant: the data and log files are mapped MAP_SHARED once, for the backend's lifetime
// (MAP_SYNC when the file is DAX, so the page tables never hide dirty metadata), and remapped
// only by grow_log(), which runs with no concurrent writer.
#include "backend.hpp"

#include "error.hpp"
#include "os.hpp"
#include "hole_reserver.hpp"
#include "lines.hpp"
#include "pmem_lib.hpp"

#include <libpmem.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

namespace famsync {
namespace {

// Maps FD shared, with MAP_SYNC when the file is DAX so that stores reach media without msync.
// POPULATE: fault every page in now (the log: a redo log's commits walk through it, and a page
// fault inside a commit costs more than a small commit itself).
void *map_shared(int fd, uint64_t size, bool populate = false) {
  int extra = populate ? MAP_POPULATE : 0;
  void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC | extra,
                 fd, 0);
  if (p != MAP_FAILED) return p;
  return mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | extra, fd, 0);
}

class PmemBackend final : public Backend {
 public:
  PmemBackend(const PmemLib *lib, int data_fd, int log_fd, char *data, uint64_t data_size,
              uint64_t data_mapped, char *log, uint64_t log_size)
      : lib_(lib), data_fd_(data_fd), log_fd_(log_fd), data_(data), data_size_(data_size),
        data_mapped_(data_mapped), log_(log), log_size_(log_size), holes_(data_fd) {}
  ~PmemBackend() override {
    munmap(data_, data_mapped_);
    munmap(log_, log_size_);
  }

  const char *name() const override { return "pmem"; }

  int write(Medium m, uint64_t off, const void *src, size_t len) override {
    char *dst = target(m, off, len);
    if (dst == nullptr) return out_of_range(m, off, len);
#if defined(__x86_64__)
    if (len % kLineSize == 0 && len <= kOwnNtMaxBytes && off % kLineSize == 0 && own_nt_lines_) {
      nt_copy_lines(dst, static_cast<const char *>(src), len);
      return 0;
    }
#endif
    lib_->memcpy(dst, src, len, PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NONTEMPORAL);
    return 0;
  }

  int stage(Medium m, uint64_t off, const void *src, size_t len) override {
    char *dst = target(m, off, len);
    if (dst == nullptr) return out_of_range(m, off, len);
    copy_line_or_bytes(dst, src, len);  // one line: a scattered commit's cached write-back
    return 0;
  }

  bool stage_needs_flush() const override { return true; }

  int flush(Medium m, uint64_t off, size_t len) override {
    char *dst = target(m, off, len);
    if (dst == nullptr) return out_of_range(m, off, len);
    lib_->flush(dst, len);
    return 0;
  }

  int write_word(Medium m, uint64_t off, uint64_t value) override {
    char *dst = target(m, off, sizeof value);
    if (dst == nullptr || off % 8 != 0) return out_of_range(m, off, sizeof value);
    __atomic_store_n(reinterpret_cast<uint64_t *>(dst), value, __ATOMIC_RELAXED);
    lib_->flush(dst, sizeof value);
    return 0;
  }

  int read(Medium m, uint64_t off, void *dst, size_t len) override {
    uint64_t size = m == Medium::data ? data_size_ : log_size_;
    const char *base = m == Medium::data ? data_ : log_;
    size_t avail = off >= size ? 0 : static_cast<size_t>(size - off < len ? size - off : len);
    memcpy(dst, base + off, avail);
    memset(static_cast<char *>(dst) + avail, 0, len - avail);
    return 0;
  }

  int grow_log(uint64_t new_size) override {
    if (new_size <= log_size_) return 0;
    // Zeros, not posix_fallocate: on a DAX file system the first store into an unwritten
    // extent would fault and convert it in the middle of a commit (os.hpp).
    if (int rc = os::zero_fill(log_fd_, log_size_, new_size, "growing the log")) return rc;
    void *p = map_shared(log_fd_, new_size, /*populate=*/true);
    if (p == MAP_FAILED) return fail_errno("mmap(log, %llu bytes)", (unsigned long long)new_size);
    lib_->drain();  // NT stores to the old mapping must not be in flight when it goes away
    munmap(log_, log_size_);
    log_ = static_cast<char *>(p);
    log_size_ = new_size;
    return 0;
  }

  uint64_t log_size() const override { return log_size_; }

  int set_data_size(uint64_t new_size) override {
    lib_->drain();  // no NT store may still be in flight to a page the truncation removes
    if (::ftruncate(data_fd_, static_cast<off_t>(new_size)) != 0)
      return fail_errno("ftruncate(data file, %llu)", (unsigned long long)new_size);
    if (::fsync(data_fd_) != 0) return fail_errno("fsync(data file)");
    if (new_size > data_mapped_) {  // beyond the mapping: map the whole file anew
      void *p = map_shared(data_fd_, new_size);
      if (p == MAP_FAILED) return fail_errno("mmap(data file, %llu bytes)", (unsigned long long)new_size);
      lib_->drain();
      munmap(data_, data_mapped_);
      data_ = static_cast<char *>(p);
      data_mapped_ = new_size;
    }
    data_size_ = new_size;  // bytes past it are never touched (SIGBUS)
    holes_.size_changed();  // a growth is a hole
    return 0;
  }

  // A hole's page gets its storage when the write-back's store reaches it, and a full file
  // system answers that with SIGBUS: the commit reserves its runs first (hole_reserver.hpp).
  int reserve_data(uint64_t off, uint64_t len) override {
    return holes_.reserve(off, len);
  }
  bool data_has_no_holes() const override { return holes_.known_without_holes(); }

  int persist(Medium) override {
    lib_->drain();
    return 0;
  }

 private:
  char *target(Medium m, uint64_t off, size_t len) {
    uint64_t size = m == Medium::data ? data_size_ : log_size_;
    if (off > size || len > size - off) return nullptr;
    return (m == Medium::data ? data_ : log_) + off;
  }
  static int out_of_range(Medium m, uint64_t off, size_t len) {
    return fail(EINVAL, "internal: %s write of %zu bytes at %llu is out of range",
                m == Medium::data ? "data" : "log", len, (unsigned long long)off);
  }

#if defined(__x86_64__)
  // LEN (a multiple of 64, at a 64-byte aligned DST: the mappings are page-aligned) with SSE2
  // non-temporal stores, as pmem_memcpy's NT path writes them; unordered until persist().
  static void nt_copy_lines(char *dst, const char *src, size_t len) {
    for (size_t at = 0; at < len; at += kLineSize) {
      auto *d = reinterpret_cast<__m128i *>(dst + at);
      auto *s = reinterpret_cast<const __m128i *>(src + at);
      __m128i a = _mm_loadu_si128(s), b = _mm_loadu_si128(s + 1);
      __m128i c = _mm_loadu_si128(s + 2), e = _mm_loadu_si128(s + 3);
      _mm_stream_si128(d, a);
      _mm_stream_si128(d + 1, b);
      _mm_stream_si128(d + 2, c);
      _mm_stream_si128(d + 3, e);
    }
  }
#endif
  static constexpr size_t kOwnNtMaxBytes = 4 * kLineSize;
  // libpmem's own switch for non-temporal stores (its documented environment variable).
  static bool movnt_allowed() {
    const char *v = getenv("PMEM_NO_MOVNT");
    return v == nullptr || strcmp(v, "1") != 0;
  }

  const PmemLib *lib_;  // libpmem, loaded on first use (pmem_lib.hpp)
  const bool own_nt_lines_ = movnt_allowed();
  int data_fd_;
  int log_fd_;
  char *data_;
  uint64_t data_size_;    // the file's size: reads past it are zeros, writes past it refused
  uint64_t data_mapped_;  // bytes mapped (>= data_size_, may exceed the file)
  char *log_;
  uint64_t log_size_;
  HoleReserver holes_;  // storage for the data file's holes before a write-back
};

}  // namespace

bool file_is_dax(int fd, uint64_t size) {
  void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
  if (p == MAP_FAILED) return false;  // EOPNOTSUPP on page-cache files
  munmap(p, size);
  return true;
}

int make_pmem_backend(int data_fd, uint64_t data_size, int log_fd, uint64_t log_size,
                      std::unique_ptr<Backend> *out) {
  return make_pmem_backend(data_fd, data_size, data_size, log_fd, log_size, out);
}

int make_pmem_backend(int data_fd, uint64_t data_size, uint64_t map_bytes, int log_fd,
                      uint64_t log_size, std::unique_ptr<Backend> *out) {
  const PmemLib *lib = nullptr;
  if (int rc = load_pmem_lib(&lib)) return rc;
  if (map_bytes < data_size) map_bytes = data_size;
  if (map_bytes == 0) map_bytes = 4096;  // an empty file that will grow
  void *data = map_shared(data_fd, map_bytes);
  if (data == MAP_FAILED) return fail_errno("mmap(data file, %llu bytes)", (unsigned long long)map_bytes);
  void *log = map_shared(log_fd, log_size, /*populate=*/true);
  if (log == MAP_FAILED) {
    int rc = fail_errno("mmap(log, %llu bytes)", (unsigned long long)log_size);
    munmap(data, map_bytes);  // all of it: the data file is mapped MAP_BYTES long
    return rc;
  }
  *out = std::make_unique<PmemBackend>(lib, data_fd, log_fd, static_cast<char *>(data), data_size,
                                       map_bytes, static_cast<char *>(log), log_size);
  return 0;
}

}  // namespace famsync
