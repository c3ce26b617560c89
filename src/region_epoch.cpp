// region_epoch.cpp — a region's epoch: the store path's slow path (first write to a line), the
// dirty list (slot table + overflow list) and starting the next epoch (region.hpp).
// Invariant: every line written since the last commit is listed exactly once, in the slot table
// below next_slot_ or in the overflow list; the slow path runs only inside the epoch gate.
#include "region.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "lines.hpp"
#include "options.hpp"
#include "os.hpp"
#include "solo_rmw.hpp"
#include "window.hpp"

#include <sys/single_threaded.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {

void StoreTarget::before_write_any(uintptr_t addr, size_t len) {
  uintptr_t lo, hi;
  if (!clip_to_region(addr, len, &lo, &hi)) return;
  note_writer();
  uintptr_t base = reinterpret_cast<uintptr_t>(base_);
  if (hi - lo >= kPopulateMinBytes && !dirty_.is_logged(line_of(lo - base))) [[unlikely]]
    populate_for_write(lo, hi);
  for (uint64_t line = line_of(lo - base), last = line_of(hi - 1 - base); line <= last; ++line)
    if (!dirty_.is_logged(line)) [[unlikely]] log_line(line);
}

void StoreTarget::populate_for_write(uintptr_t lo, uintptr_t hi) {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif
  static std::atomic<bool> unsupported{false};
  if (unsupported.load(std::memory_order_relaxed)) return;
  uintptr_t page = page_size(), first = lo / page * page, end = round_up(hi, page);
  // EINVAL: a kernel before 5.14 (never try again); EFAULT/ENOMEM: a read-only page (preload
  // mode) or a page past EOF — the writes fault (or fail) as they would have anyway.
  if (madvise(reinterpret_cast<void *>(first), end - first, MADV_POPULATE_WRITE) != 0 &&
      errno == EINVAL)
    unsupported.store(true, std::memory_order_relaxed);
}

// seq_cst exchange and store (locked instructions on x86): the caller's dirty-bit loads come
// after them, which Region::other_threads_stored relies on (a Dekker pair with its fence).
void StoreTarget::note_new_writer(uintptr_t self) {
  // Preload mode needs no late-store watch (its pages are write-protected at commit), and its
  // first stores arrive in a SIGSEGV handler: no slot.
  if (writer_epochs::t_slot == nullptr && !static_cast<Region *>(this)->page_protected())
    writer_epochs::claim_slot();
  uintptr_t previous = last_writer_.exchange(self, std::memory_order_seq_cst);
  if (previous != 0 && previous != self) other_writers_.store(true, std::memory_order_seq_cst);
}
void StoreTarget::after_write(uintptr_t addr, size_t len) {
  static_cast<Region *>(this)->list_written_lines(addr, len);
}

// LINE was claimed by the caller inside the gate: list it and mark it logged.
template <bool kSolo>
void Region::list_claimed_line(uint64_t line) {
  auto set_logged = [&] { kSolo ? dirty_.set_logged_solo(line) : dirty_.set_logged(line); };
  if (defer_first_writes_.load(std::memory_order_relaxed)) {
    // A commit is writing its snapshot: the slots are its own. Listed for the next epoch on the
    // side; its committed bytes will be in the data file (logged from there, like overflow).
    {
      std::lock_guard lock(overflow_mutex_);
      next_epoch_lines_.push_back(line);
    }
    set_logged();
    return;
  }
  // Take a slot only while there is one: next_slot_ never passes the capacity, so every slot
  // below it was handed out in this epoch (a plain fetch_add could pass it, and a commit retried
  // after the log grew would then count slots that nobody wrote).
  uint64_t slot = next_slot_.load(std::memory_order_relaxed);
  while (slot < slot_line_cap_ &&
         !(kSolo ? solo::compare_exchange(next_slot_, &slot, slot + 1)
                 : next_slot_.compare_exchange_weak(slot, slot + 1, std::memory_order_relaxed))) {
  }
  bool listed = false;
  if (slot < slot_line_cap_) {
    slot_line_[slot] = line;
    listed = !records_at_first_write_ ||
             protocol_->record_first_write(slot, line, base_ + line * kLineSize);
  }
  if (listed) {
    if (records_at_first_write_) {
      if (kSolo) solo::add(stats_.logged_at_store, 1);
      else stats_.logged_at_store.fetch_add(1, std::memory_order_relaxed);
    }
  } else {
    // Log full (or the staging write failed): the data file still holds the committed bytes,
    // so the line is logged from there at commit. The store path never fails.
    if (slot < slot_line_cap_) slot_line_[slot] = UINT64_MAX;  // hole: skipped at commit
    std::lock_guard lock(overflow_mutex_);
    overflow_.push_back(line);
  }
  set_logged();
}

template <bool kSolo>
void Region::first_write_inside_gate(uint64_t line) {
  if (!(kSolo ? dirty_.try_claim_solo(line) : dirty_.try_claim(line))) {
    dirty_.wait_logged(line);  // another thread is logging it: wait until it is safe
    return;
  }
  list_claimed_line<kSolo>(line);
}

// Slow path of before_write: the first write to LINE in this epoch, every case. While the process
// has one thread its read-modify-writes need no lock prefix (solo_rmw.hpp): that is most of the
// cost.
void Region::first_write(uint64_t line) {
  if (__libc_single_threaded) {
    gate_.enter_solo();
    first_write_inside_gate<true>(line);
    gate_.leave_solo();
    return;
  }
  gate_.enter();  // waits while a commit is starting the next epoch (epoch_gate.hpp)
  first_write_inside_gate<false>(line);
  gate_.leave();
}

// The usual first write while the process has one thread, in the order first_write takes it
// (gate, claim, slot, logged bit, gate) but as a leaf: the gate open, LINE unclaimed, no commit
// deferring first writes, a log slot free, a protocol that records nothing at the first write.
// When any of that fails it returns false having changed nothing, and first_write does the
// general work (a claimed line's wait included). Each read-modify-write is one instruction
// (solo_rmw.hpp), so a signal handler that interrupts between two of them sees the same states
// as it would in first_write.
inline bool Region::first_write_solo_common(uint64_t line) {
  uint64_t slot = next_slot_.load(std::memory_order_relaxed);
  if (slot >= slot_line_cap_ || records_at_first_write_) return false;
  if (!gate_.try_enter_solo()) return false;
  if (defer_first_writes_.load(std::memory_order_relaxed) || !dirty_.try_claim_solo(line))
      [[unlikely]] {
    gate_.leave_solo();
    return false;
  }
  // A handler may have taken slots since the load: then the general listing (which also copes
  // with a full table), out of line.
  if (!solo::compare_exchange(next_slot_, &slot, slot + 1)) [[unlikely]]
    return list_claimed_line_solo_and_leave(line);
  slot_line_[slot] = line;
  dirty_.set_logged_solo(line);
  gate_.leave_solo();
  return true;
}

bool Region::list_claimed_line_solo_and_leave(uint64_t line) {
  list_claimed_line<true>(line);
  gate_.leave_solo();
  return true;
}

// The store path's slow paths (store_path.hpp) are the region's.
void StoreTarget::log_line(uint64_t line) {
  auto *region = static_cast<Region *>(this);
  if (__libc_single_threaded && region->first_write_solo_common(line)) [[likely]] return;
  region->first_write(line);
}

void Region::list_written_lines(uintptr_t addr, size_t len) {
  uintptr_t lo, hi;
  if (!clip_to_region(addr, len, &lo, &hi)) return;
  note_writer();
  uintptr_t base = reinterpret_cast<uintptr_t>(base_);
  // Claimed lines are listed in batches, one lock each (a preload-mode fault lists a whole
  // page). The batch is listed before waiting for a line another thread claimed: that thread
  // may be waiting for one of ours.
  uint64_t claimed[64];
  size_t nclaimed = 0;
  auto list_claimed = [&] {
    {  // the working copy already holds new bytes: log from the data file at commit
      std::lock_guard lock(overflow_mutex_);
      std::vector<uint64_t> &list =
          defer_first_writes_.load(std::memory_order_relaxed) ? next_epoch_lines_ : overflow_;
      list.insert(list.end(), claimed, claimed + nclaimed);
    }
    for (size_t k = 0; k < nclaimed; ++k) dirty_.set_logged(claimed[k]);
    nclaimed = 0;
  };
  gate_.enter();
  for (uint64_t line = line_of(lo - base), last = line_of(hi - 1 - base); line <= last; ++line) {
    if (dirty_.is_logged(line)) continue;
    if (!dirty_.try_claim(line)) {
      if (nclaimed != 0) list_claimed();
      dirty_.wait_logged(line);
      continue;
    }
    claimed[nclaimed++] = line;
    if (nclaimed == std::size(claimed)) list_claimed();
  }
  if (nclaimed != 0) list_claimed();
  gate_.leave();
}

int Region::grow_slot_table(uint64_t capacity) {
  if (capacity <= slot_line_cap_) return 0;
  void *p = mremap(slot_line_, slot_line_cap_ * sizeof(uint64_t), capacity * sizeof(uint64_t),
                   MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return fail_errno("growing the slot table");
  slot_line_ = static_cast<uint64_t *>(p);
  slot_line_cap_ = capacity;
  return 0;
}

void Region::set_slot_line(uint64_t slot, uint64_t line) { slot_line_[slot] = line; }

void Region::dirty_lines_sorted(uint64_t slots, std::vector<uint64_t> *lines) {
  // Copied without a branch per slot (holes, UINT64_MAX, are overwritten by the next line),
  // noting whether the listed lines come strictly increasing: then they are sorted with no line
  // twice, and the sort and the duplicate pass below are skipped (a sequential writer's commit).
  lines->resize(slots + overflow_.size());
  uint64_t *out = lines->data();
  uint64_t next_min = 0;  // the least line that keeps the order strict
  bool increasing = true;
  for (uint64_t s = 0; s < slots; ++s) {
    uint64_t line = slot_line_[s];
    const bool listed = line != UINT64_MAX;
    *out = line;
    out += listed;
    increasing &= !listed || line >= next_min;
    next_min = listed ? line + 1 : next_min;
  }
  out = std::copy(overflow_.begin(), overflow_.end(), out);
  lines->resize(out - lines->data());
  if (increasing && overflow_.empty()) return;
  // First-write order is often address order already (sequential writers, one-line commits),
  // or nearly so (a record's lines in order, then an index line or two): insertion sort costs
  // about one compare per line and per inversion, where std::sort partitions first (a YCSB
  // update's commit: about 500 instructions of sorting for 14 lines).
  if (lines->size() <= 64) {
    uint64_t *v = lines->data();
    for (size_t i = 1, n = lines->size(); i < n; ++i) {
      uint64_t x = v[i];
      size_t j = i;
      for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
      v[j] = x;
    }
  } else if (!std::is_sorted(lines->begin(), lines->end())) {
    std::sort(lines->begin(), lines->end());
  }
  // A line can be listed twice: first written while a commit that then failed wrote it.
  lines->erase(std::unique(lines->begin(), lines->end()), lines->end());
}

// The (sorted) LINES now belong to the commit or rollback in progress (gate closed): their dirty
// state is cleared first, so a store that comes later takes the slow path, which waits at the
// gate and lands in the next epoch. No slow path runs (gate), so plain clears lose no bit.
void Region::clear_line_state(const std::vector<uint64_t> &lines) {
  for (uint64_t line : lines) dirty_.clear(line);
}

// A commit or rollback failed before its lines were settled: they are dirty again, as before.
void Region::restore_line_state(const std::vector<uint64_t> &lines) {
  for (uint64_t line : lines) {
    dirty_.try_claim(line);
    dirty_.set_logged(line);
  }
}

// The epoch's lists (slots, overflow) start empty; the lines' state was cleared already.
void Region::start_next_epoch() {
  // A large epoch touched many slot-table pages: give back those past the first
  // kSlotTableKeptBytes (at-rest memory stays O(1) instead of O(largest commit)). Epochs within
  // that pay nothing: giving back every page past the first made each commit of 16384 lines
  // fault 31 zeroed pages back in at its next first writes (about as long as the writes).
  uint64_t used = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
  uint64_t used_bytes = page_round_up(used * sizeof(uint64_t));
  if (used_bytes > kSlotTableKeptBytes)
    madvise(reinterpret_cast<char *>(slot_line_) + kSlotTableKeptBytes,
            used_bytes - kSlotTableKeptBytes, MADV_DONTNEED);
  next_slot_.store(0, std::memory_order_relaxed);
  overflow_.clear();
  if (overflow_.capacity() > 4096) overflow_.shrink_to_fit();  // a burst must not pin memory
  overflow_.swap(next_epoch_lines_);  // first written while the commit wrote its snapshot
}

bool Region::has_pending_changes() {
  std::lock_guard lock(mutex_);
  return next_slot_.load(std::memory_order_relaxed) != 0 || !overflow_.empty() ||
         data_size_ != committed_size_;
}

bool Region::has_dirty_line_from(uint64_t first_line) {
  std::lock_guard lock(mutex_);
  uint64_t listed = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
  for (uint64_t s = 0; s < listed; ++s)
    if (slot_line_[s] != UINT64_MAX && slot_line_[s] >= first_line) return true;
  for (uint64_t line : overflow_)
    if (line >= first_line) return true;
  return false;
}

}  // namespace famsync
