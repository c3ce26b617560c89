// dirty_map.hpp — per-line state of a region's working copy since the last commit.
//
// Each 64-byte line has two bits: CLAIMED (some thread took on logging it) and LOGGED (its old
// bytes are safely recorded; stores may proceed). States: clean (0,0) -> logging (1,0) ->
// logged (1,1). Exactly one thread wins the clean -> logging transition and logs the line; any
// other thread that finds the line claimed but not logged waits, so no store lands before the old
// bytes are recorded. The fast path is one acquire load and a bit test (a plain load on x86).
// Memory: 2 bits per 64 bytes = 0.4% of the mapping, in lazily-touched anonymous pages.
#pragma once

#include "solo_rmw.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <sys/mman.h>

namespace famsync {

class DirtyMap {
 public:
  DirtyMap() = default;
  DirtyMap(const DirtyMap &) = delete;
  DirtyMap &operator=(const DirtyMap &) = delete;
  ~DirtyMap() { release(); }

  // Allocates zeroed state for NLINES lines. Returns false when out of memory.
  bool init(uint64_t nlines) {
    words_ = (nlines + 63) / 64;
    claimed_ = allocate(words_);
    logged_ = allocate(words_);
    return claimed_ != nullptr && logged_ != nullptr;
  }

  // Extends the state to NLINES lines (new lines clean), moving the arrays if needed. Only with
  // no concurrent store. Returns false when out of memory (the old state is kept).
  bool grow(uint64_t nlines) {
    uint64_t words = (nlines + 63) / 64;
    if (words <= words_) return true;
    void *c = mremap(claimed_, words_ * 8, words * 8, MREMAP_MAYMOVE);
    if (c == MAP_FAILED) return false;
    claimed_ = static_cast<std::atomic<uint64_t> *>(c);
    void *l = mremap(logged_, words_ * 8, words * 8, MREMAP_MAYMOVE);
    if (l == MAP_FAILED) return false;  // claimed_ is merely larger than needed
    logged_ = static_cast<std::atomic<uint64_t> *>(l);
    words_ = words;
    return true;
  }

  bool is_logged(uint64_t line) const {
    return (logged_[line / 64].load(std::memory_order_acquire) >> (line % 64)) & 1;
  }

  bool is_claimed(uint64_t line) const {
    return (claimed_[line / 64].load(std::memory_order_acquire) >> (line % 64)) & 1;
  }

  // True if the caller won the right (and duty) to log LINE.
  bool try_claim(uint64_t line) {
    uint64_t bit = 1ull << (line % 64);
    return (claimed_[line / 64].fetch_or(bit, std::memory_order_acq_rel) & bit) == 0;
  }

  void set_logged(uint64_t line) {
    logged_[line / 64].fetch_or(1ull << (line % 64), std::memory_order_release);
  }

  // The same two, while the process has one thread (solo_rmw.hpp: no lock prefix).
  bool try_claim_solo(uint64_t line) {
    return solo::claim_bit(claimed_[line / 64], 1ull << (line % 64));
  }
  void set_logged_solo(uint64_t line) { solo::or_bits(logged_[line / 64], 1ull << (line % 64)); }

  // Waits until the thread that claimed LINE has logged it. Logging takes well under a
  // microsecond (a 128-byte copy), so spinning with a pause beats blocking.
  void wait_logged(uint64_t line) const {
    while (!is_logged(line)) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }

  // Returns LINE to clean. Only at commit/rollback, with no concurrent store (contract), so a
  // plain load/store pair suffices: a locked RMW right after the commit's final sfence would wait
  // for it and cost more than the rest of a one-line commit.
  void clear(uint64_t line) {
    uint64_t mask = ~(1ull << (line % 64));
    auto &c = claimed_[line / 64], &l = logged_[line / 64];
    c.store(c.load(std::memory_order_relaxed) & mask, std::memory_order_relaxed);
    l.store(l.load(std::memory_order_relaxed) & mask, std::memory_order_relaxed);
  }

  // Gives the map's memory back: MADV_DONTNEED pages read as zeros, i.e. every line clean. Only
  // while every line IS clean and no thread can claim one (a commit or rollback, its EpochGate
  // closed, nothing relisted): a bit set meanwhile would be lost. A large mapping touched sparsely
  // would otherwise keep a page of this map per few written pages, for good (working_set.hpp).
  // Returns false if madvise failed (nothing is lost: the pages stay).
  bool give_back_clean() {
    if (words_ == 0) return true;
    bool ok = madvise(claimed_, words_ * 8, MADV_DONTNEED) == 0;
    return madvise(logged_, words_ * 8, MADV_DONTNEED) == 0 && ok;
  }

  // Bytes of DRAM this map can occupy (for the memory report).
  size_t footprint() const { return words_ * 8 * 2; }

 private:
  static std::atomic<uint64_t> *allocate(uint64_t words) {
    void *p = mmap(nullptr, words * 8, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<std::atomic<uint64_t> *>(p);
  }
  void release() {
    if (claimed_ != nullptr) munmap(claimed_, words_ * 8);
    if (logged_ != nullptr) munmap(logged_, words_ * 8);
    claimed_ = logged_ = nullptr;
  }

  std::atomic<uint64_t> *claimed_ = nullptr;
  std::atomic<uint64_t> *logged_ = nullptr;
  uint64_t words_ = 0;
};

}  // namespace famsync
