// undo_log.hpp — the undo protocol's log operations (pmem backend); what it shares with the redo
// log (generation, capacity, committed-size word, growing) is LogBase's.
//
// Invariant: slots [0, live_count) of the log are valid (checksummed under the current
// generation) before live_count is published, and the generation changes only in retire(), after
// the data write-back is durable and the next generation's size slot is. Store-path threads only
// call append(), for distinct slots.
#pragma once

#include "backend.hpp"
#include "log_base.hpp"
#include "log_format.hpp"

#include <cstdint>

namespace famsync {

class UndoLog final : public LogBase {
 public:
  UndoLog(Backend *backend, uint64_t salt, uint64_t generation, uint64_t capacity)
      : LogBase(backend, salt, generation, capacity) {}

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

  // Reads slot SLOT into OUT (for recovery and inspection).
  int read(uint64_t slot, LogEntry *out) const;

 private:
  void build(LogEntry *e, uint64_t line_offset, const void *old) const;
};

}  // namespace famsync
