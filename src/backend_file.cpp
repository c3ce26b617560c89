// backend_file.cpp — persistence on ordinary files: page-cache writes + fdatasync.
//
// Data: write() copies into a shared mapping of the data file (pwrite past it), persist() is
//       fdatasync of it: the pages a shared mapping dirties are the file's dirty pages, which
//       fdatasync writes back like any others. Why not pwrite: a write-back is mostly lines
//       scattered over pages, and a pwrite cost 1.1-1.8 us per line here (ext4's buffered-write
//       path per call), the whole excess of a 64-line commit over its floor (issue 14); a
//       store into an already-dirty page costs nothing in the kernel, and ext4 maps large
//       folios writable whole, so a commit takes few faults. The mapping never reaches past
//       the file's size (set_data_size keeps it exact; the region clips write-backs at the
//       size, checks for foreign truncation before each commit, and reserves holes first).
// Log:  entries must not cost a syscall each, so log writes are staged in a DRAM mirror of the
//       log file, and persist() writes the staged header bytes and the staged entry range (one
//       pwrite each), then fdatasync. Entry pages of the mirror are given back to the kernel
//       after a successful persist (except the last, partly used one), so the mirror costs about
//       two pages at rest, not the whole log.
// Invariant: a persist() that fails leaves its error as the region's final word: the staged range
// is not retried (after a failed fdatasync the kernel may have dropped the dirty pages).
#include "backend.hpp"

#include "error.hpp"
#include "log_format.hpp"
#include "hole_reserver.hpp"
#include "os.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {
namespace {

class FileBackend final : public Backend {
 public:
  FileBackend(int data_fd, int log_fd, char *mirror, uint64_t log_size, uint64_t data_size)
      : data_fd_(data_fd), log_fd_(log_fd), mirror_(mirror), log_size_(log_size),
        holes_(data_fd) {
    data_size_ = data_size;  // mapped at the first write
  }
  ~FileBackend() override {
    munmap(mirror_, log_size_);
    unmap_data();
  }

  const char *name() const override { return "file"; }
  // A pwrite costs 1-2 us here whatever its size below a few KiB, and the page cache writes whole
  // pages back anyway: lines on one page or two neighbouring ones go out in one call.
  uint64_t write_merge_gap() const override { return 4096; }

  int write(Medium m, uint64_t off, const void *src, size_t len) override {
    if (m == Medium::data) {
      if (data_map_ == nullptr && data_size_ != 0) map_data(data_size_);
      if (off <= data_mapped_ && len <= data_mapped_ - off) {
        memcpy(data_map_ + off, src, len);
        return 0;
      }
      return os::pwrite_all(data_fd_, src, len, off, "data file");
    }
    if (off > log_size_ || len > log_size_ - off)
      return fail(EINVAL, "internal: log write of %zu bytes at %llu beyond the log", len,
                  (unsigned long long)off);
    memcpy(mirror_ + off, src, len);
    if (off < kLogHeaderSize) note_staged(header_lo_, header_hi_, off, off + len);
    else note_staged(entries_lo_, entries_hi_, off, off + len);
    return 0;
  }

  int stage(Medium m, uint64_t off, const void *src, size_t len) override {
    return write(m, off, src, len);  // log writes are staged in the mirror anyway
  }

  int write_word(Medium m, uint64_t off, uint64_t value) override {
    return write(m, off, &value, sizeof value);
  }

  int read(Medium m, uint64_t off, void *dst, size_t len) override {
    return os::pread_full(m == Medium::data ? data_fd_ : log_fd_, dst, len, off,
                          m == Medium::data ? "data file" : "log");
  }

  int persist(Medium m) override {
    if (m == Medium::data) {
      // Unmapped first, mapped again at the next write: writing back a page that a mapping
      // dirtied write-protects its PTE first (page_mkclean, a TLB flush each on this VM), which
      // made a checkpoint after 4 x 16,384 scattered lines twice as slow as after pwrites;
      // one munmap drops every PTE at once.
      unmap_data();
      return os::datasync(data_fd_, "data file");
    }
    uint64_t hlo = header_lo_.exchange(UINT64_MAX), hhi = header_hi_.exchange(0);
    uint64_t elo = entries_lo_.exchange(UINT64_MAX), ehi = entries_hi_.exchange(0);
    if (elo < ehi) {
      if (int rc = os::pwrite_all(log_fd_, mirror_ + elo, ehi - elo, elo, "log")) return rc;
    }
    if (hlo < hhi) {
      if (int rc = os::pwrite_all(log_fd_, mirror_ + hlo, hhi - hlo, hlo, "log")) return rc;
    }
    if (int rc = os::datasync(log_fd_, "log")) return rc;
    if (elo < ehi) release_mirror_pages(elo, ehi);
    return 0;
  }

  int grow_log(uint64_t new_size) override {
    if (new_size <= log_size_) return 0;
    // Zeros, not posix_fallocate, and synced now: every later commit's fdatasync of the log
    // stays a pure data flush (os.hpp). A partial growth is harmless: the capacity is derived
    // from the file size, and new slots read as zero, which never verifies.
    if (int rc = os::zero_fill(log_fd_, log_size_, new_size, "growing the log")) return rc;
    if (int rc = os::datasync(log_fd_, "log")) return rc;
    void *p = mremap(mirror_, log_size_, new_size, MREMAP_MAYMOVE);  // new pages read as zero
    if (p == MAP_FAILED) return fail_errno("mremap(log mirror, %llu bytes)", (unsigned long long)new_size);
    mirror_ = static_cast<char *>(p);
    log_size_ = new_size;
    return 0;
  }

  uint64_t log_size() const override { return log_size_; }

  int set_data_size(uint64_t new_size) override {
    if (::ftruncate(data_fd_, static_cast<off_t>(new_size)) != 0)
      return fail_errno("ftruncate(data file, %llu)", (unsigned long long)new_size);
    if (::fsync(data_fd_) != 0) return fail_errno("fsync(data file)");
    map_data(new_size);
    holes_.size_changed();
    return 0;
  }

  // A write-back into a hole on a full disk would fail after the commit point (poisoning, and
  // recovery's replay would meet the same full disk): the commit reserves its runs first.
  int reserve_data(uint64_t off, uint64_t len) override { return holes_.reserve(off, len); }
  bool data_has_no_holes() const override { return holes_.known_without_holes(); }

 private:
  static void note_staged(std::atomic<uint64_t> &lo_bound, std::atomic<uint64_t> &hi_bound,
                          uint64_t lo, uint64_t hi) {
    uint64_t cur = lo_bound.load(std::memory_order_relaxed);
    while (lo < cur && !lo_bound.compare_exchange_weak(cur, lo, std::memory_order_relaxed)) {
    }
    cur = hi_bound.load(std::memory_order_relaxed);
    while (hi > cur && !hi_bound.compare_exchange_weak(cur, hi, std::memory_order_relaxed)) {
    }
  }

  // The entry bytes in [lo, hi) are durable in the file. Both protocols stage entries
  // contiguously from where the previous persist stopped (redo) or from slot 0 (undo), and a
  // persisted range is always restaged before it is persisted again, so every mirror page below
  // the one holding HI is dead: drop them (the page holding HI is likely written again next).
  // released_to_ remembers how far pages are already gone, so each is dropped once. Dead pages
  // are dropped kReleaseBatch bytes at a time: a commit whose group crossed a page boundary made
  // one madvise (and, multi-threaded, a TLB shootdown) per commit, about 1 per commit in Kyoto's
  // tree at k = 1; the mirror keeps at most that much more memory.
  static constexpr uint64_t kReleaseBatch = 64 * 1024;
  void release_mirror_pages(uint64_t lo, uint64_t hi) {
    const uint64_t page = 4096;
    uint64_t from = std::max<uint64_t>(std::min(released_to_, lo / page * page), kLogHeaderSize);
    uint64_t to = hi / page * page;
    if (from >= to) {
      released_to_ = std::max(to, kLogHeaderSize);
      return;
    }
    if (to - from < kReleaseBatch) {
      released_to_ = from;  // dead but kept: dropped with the next batch
      return;
    }
    madvise(mirror_ + from, to - from, MADV_DONTNEED);
    released_to_ = to;
  }

  // Maps the data file's first SIZE bytes (whole pages: the last page's tail past SIZE is never
  // written) in place of the old mapping. If mmap fails, write() falls back to pwrite.
  void map_data(uint64_t size) {
    unmap_data();
    data_size_ = size;
    if (size == 0) return;
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, data_fd_, 0);
    if (p == MAP_FAILED) return;
    data_map_ = static_cast<char *>(p);
    data_mapped_ = size;
  }

  void unmap_data() {
    if (data_map_ != nullptr) munmap(data_map_, data_mapped_);
    data_map_ = nullptr;
    data_mapped_ = 0;
  }

  int data_fd_;
  int log_fd_;
  char *data_map_ = nullptr;  // shared mapping of the data file's [0, data_mapped_), or null
  uint64_t data_mapped_ = 0;
  uint64_t data_size_ = 0;    // the data file's size (what map_data maps)
  char *mirror_;
  uint64_t log_size_;
  HoleReserver holes_;  // storage for the data file's holes before a write-back
  // Staged-but-not-persisted byte ranges, header page and entries kept apart so that a persist
  // never rewrites a released (zeroed) mirror page between them.
  std::atomic<uint64_t> header_lo_{UINT64_MAX}, header_hi_{0};
  std::atomic<uint64_t> entries_lo_{UINT64_MAX}, entries_hi_{0};
  uint64_t released_to_ = kLogHeaderSize;  // mirror pages in [header, released_to_) are dropped
};

}  // namespace

namespace {
std::atomic<BackendFactory> g_test_factory{nullptr};
}  // namespace

void set_backend_factory_for_testing(BackendFactory factory) { g_test_factory.store(factory); }
BackendFactory backend_factory_for_testing() { return g_test_factory.load(); }

int make_file_backend(int data_fd, int log_fd, uint64_t log_size, std::unique_ptr<Backend> *out) {
  // Anonymous and untouched until staged into: only the pages of entries written cost DRAM.
  void *mirror = mmap(nullptr, log_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mirror == MAP_FAILED) return fail_errno("mmap(log mirror, %llu bytes)", (unsigned long long)log_size);
  if (int rc = os::pread_full(log_fd, mirror, kLogHeaderSize, 0, "log header")) {
    munmap(mirror, log_size);
    return rc;
  }
  struct stat st;
  if (fstat(data_fd, &st) != 0) {
    int rc = fail_errno("fstat(data file)");
    munmap(mirror, log_size);
    return rc;
  }
  *out = std::make_unique<FileBackend>(data_fd, log_fd, static_cast<char *>(mirror), log_size,
                                       static_cast<uint64_t>(st.st_size));
  return 0;
}

}  // namespace famsync
