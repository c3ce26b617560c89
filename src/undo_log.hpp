// undo_log.hpp — the commit protocol's log operations on top of a Backend.
//
// Invariant: slots [0, live_count) of the log are valid (checksummed under the current
// generation) before live_count is published, and the generation changes only in retire(), after
// the data write-back is durable and the next generation's size slot is. Store-path threads only
// call append(), for distinct slots.
#pragma once

#include "backend.hpp"
#include "log_format.hpp"

#include <cstdint>

namespace famsync {

// Doubles *CAPACITY (entries) until it reaches MIN_CAPACITY and enlarges the log medium to match.
// Shared by both protocols. Errors: those of Backend::grow_log (ENOSPC, EIO); *CAPACITY unchanged.
int grow_log_capacity(Backend *backend, uint64_t *capacity, uint64_t min_capacity);

class UndoLog {
 public:
  UndoLog(Backend *backend, uint64_t salt, uint64_t generation, uint64_t capacity)
      : backend_(backend), salt_(salt), generation_(generation), capacity_(capacity) {}

  uint64_t capacity() const { return capacity_; }
  uint64_t generation() const { return generation_; }
  uint64_t salt() const { return salt_; }

  // Writes slot SLOT: the 64 committed bytes OLD of the line at data offset LINE_OFFSET, with
  // cached stores (Backend::stage). Not durable until publish(). Thread-safe for distinct slots.
  int append(uint64_t slot, uint64_t line_offset, const void *old);

  // The same from the committing thread, with NT stores (commit-time logging of overflow lines).
  int append_at_commit(uint64_t slot, uint64_t line_offset, const void *old);

  // Makes slots [0, COUNT), live_count = COUNT and the next generation's size slot = NEW_SIZE
  // durable: the log side of a commit. Slots [0, STAGED) were written by append() and are
  // flushed here first.
  int publish(uint64_t count, uint64_t staged, uint64_t new_size);

  // Makes the next generation's size slot = SIZE durable without publishing entries (recovery,
  // before its retire()).
  int prepare_size(uint64_t size);

  // The commit point: generation + 1, durable. Every entry is invalid from then on, and the size
  // slot prepared by publish()/prepare_size() becomes the committed size. live_count = 0 is then
  // stored without waiting for it (see undo_log.cpp).
  int retire();

  // Lowers the current generation's committed size to SIZE, durably (after the file was cut to
  // SIZE and that is durable; no commit in flight).
  int lower_committed_size(uint64_t size) { return set_current_size_word(encode_size(size)); }

  // Clears the current generation's committed size (0: recovery leaves the size alone), durably:
  // at a clean unmap, when the file is exactly its committed state, so that programs may change
  // it freely until famsync maps it again.
  int clear_committed_size() { return set_current_size_word(0); }

  // Enlarges the log to at least MIN_CAPACITY entries (doubling). Errors: ENOSPC, EIO.
  int grow(uint64_t min_capacity);

  // Reads slot SLOT into OUT (for recovery and inspection).
  int read(uint64_t slot, LogEntry *out) const;

 private:
  int set_current_size_word(uint64_t word);
  void build(LogEntry *e, uint64_t line_offset, const void *old) const;

  Backend *backend_;
  uint64_t salt_;
  uint64_t generation_;
  uint64_t capacity_;
};

}  // namespace famsync
