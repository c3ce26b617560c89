// working_set.hpp — the budget that bounds the DRAM working copies of a process.
//
// A working copy is a MAP_PRIVATE mapping of the file: a page becomes private (anonymous memory)
// at its first write and stays so. Once such a page is clean again (every byte equals the
// committed file, i.e. right after a commit or a rollback), dropping it with MADV_DONTNEED is
// invisible to the program: the next access reads the page cache (or pmem), which holds the
// committed state (DESIGN.md §2, "Working copy"). The working set keeps the private pages of
// one region that are clean, oldest first, and gives the oldest back while the process's
// private pages exceed the budget.
//
// Invariants:
//  - Only pages that are clean are given back: they are queued after a commit or rollback, with
//    the region's lock held and no store in flight (contract 6), and a page written again is
//    queued again at its next commit (given back now, it would lose pending changes; so pages
//    are never dropped outside a commit/rollback).
//  - The process-wide count of private pages (resident_pages) only counts queued pages plus the
//    pages of the epoch in flight; it is an estimate of what MADV_DONTNEED can give back, not RSS.
//  - The region's dirty map (2 bits per line, one page of it per 2 MiB of mapping and array) is
//    given back whole once the pages commits touched in it since the last time exceed
//    max(1 MiB, 1/8 of the region's queued pages) (the 1 MiB is less under a budget < 16 MiB):
//    random writes to a large file would otherwise keep up to two map pages per written page,
//    up to 0.4% of the file, never given back. Only
//    from after_clean with MAY_GIVE_BACK: every line is clean then and the region's EpochGate is
//    closed (commit, rollback), so no bit can be set meanwhile (dirty_map.hpp give_back_clean).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

namespace famsync {

class DirtyMap;

// The process's budget in bytes: FAMSYNC_WORKING_SET_MB, else half of the memory the process may
// use (the cgroup's limit, v1 or v2, or physical RAM, whichever is smaller).
uint64_t working_set_budget_bytes();

class WorkingSet {
 public:
  // Records the pages that hold the (sorted) LINES, now clean, as private; then, if the process
  // holds more private pages than the budget, gives back this region's oldest clean pages of
  // BASE (MAP_LEN bytes mapped) down to 7/8 of the budget. Returns the pages given back.
  // MAY_GIVE_BACK false: some page is dirty again already (a write raced the commit), so
  // nothing is given back this time. Errors: none (a failed madvise leaves the page resident;
  // it is counted in failures()).
  // Must run with the region's EpochGate closed (commit/rollback): see the dirty-map invariant.
  // KEEP_FOR_NOW (optional): pages for which it returns true are not given back this time (they
  // go to the back of the queue): pages a late store may still land in (late_store_watch.hpp).
  uint64_t after_clean(char *base, uint64_t map_len, const std::vector<uint64_t> &lines,
                       bool may_give_back = true,
                       const std::function<bool(uint64_t page)> &keep_for_now = nullptr);

  // The region's dirty map, given back by after_clean (invariants above). Set once, at open.
  void attach_dirty_map(DirtyMap *map) { dirty_map_ = map; }

  // The region goes away: its pages no longer count.
  void forget_all();

  // Pages of a new epoch were written: if the pending pages alone exceed the budget, warn once
  // (nothing can be given back before the commit).
  static void note_pending_pages(uint64_t pages, const char *path);

  uint64_t resident_pages() const { return queue_.size(); }
  uint64_t given_back_pages() const { return given_back_; }
  uint64_t first_write_pages() const { return first_writes_; }
  uint64_t failures() const { return failures_; }
  uint64_t dirty_map_give_backs() const { return dirty_map_give_backs_; }

 private:
  bool queued(uint64_t page) const {
    return page / 64 < queued_bits_.size() && (queued_bits_[page / 64] >> (page % 64) & 1);
  }
  void set_queued(uint64_t page, bool on);

  std::deque<uint64_t> queue_;          // private clean pages of this region, oldest first
  std::vector<uint64_t> queued_bits_;   // page -> in queue_
  uint64_t given_back_ = 0, first_writes_ = 0, failures_ = 0;
  void note_dirty_map_pages(const std::vector<uint64_t> &lines, bool may_give_back);
  DirtyMap *dirty_map_ = nullptr;
  uint64_t dirty_map_pages_ = 0;  // map pages commits touched since it was last given back (an
                                  // upper bound: a page touched by two commits counts twice)
  uint64_t dirty_map_give_backs_ = 0;
};

}  // namespace famsync
