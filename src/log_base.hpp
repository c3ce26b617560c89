// log_base.hpp — what the undo log (pmem) and the redo log (files) share, as PMDK's unified log
// does: the log medium, its salt, the capacity in entries and growing, the current generation and
// its advance (undo's commit point, redo's checkpoint), and the header's committed-size word.
// UndoLog and RedoLog add only their protocol's operations.
//
// Invariant: when no operation is in progress, generation() is the durable generation word and
// capacity() entries fit in the log medium. The generation changes only in advance_generation(),
// after its word is durable; the current generation's size slot changes only in
// set_current_size_word(), when the file already has the size both the old and the new word name.
#pragma once

#include "backend.hpp"
#include "log_format.hpp"

#include <cstdint>

namespace famsync {

class LogBase {
 public:
  uint64_t capacity() const { return capacity_; }
  uint64_t generation() const { return generation_; }
  uint64_t salt() const { return salt_; }

  // Lowers the current generation's committed size to SIZE, durably (after the file was cut to
  // SIZE and that is durable; no commit in flight).
  int lower_committed_size(uint64_t size) { return set_current_size_word(encode_size(size)); }

  // Clears the current generation's committed size (0: recovery leaves the size alone), durably:
  // at a clean unmap, when the file is exactly its committed state, so that programs may change
  // it freely until famsync maps it again.
  int clear_committed_size() { return set_current_size_word(0); }

  // Enlarges the log to at least MIN_CAPACITY entries (doubling) and its medium to match.
  // Errors: those of Backend::grow_log (ENOSPC, EIO); capacity() unchanged.
  int grow(uint64_t min_capacity);

 protected:
  LogBase(Backend *backend, uint64_t salt, uint64_t generation, uint64_t capacity)
      : backend_(backend), salt_(salt), generation_(generation), capacity_(capacity) {}
  ~LogBase() = default;

  Backend *backend() const { return backend_; }

  // Writes WORD into the current generation's committed-size slot and makes it durable. The redo
  // log adds its precondition and remembers the word.
  virtual int set_current_size_word(uint64_t word);

  // The generation word = generation() + 1, durable; then generation() follows. Every entry of
  // the old generation is invalid from then on, and the size slot prepared for the new one is the
  // committed size.
  int advance_generation();

 private:
  Backend *backend_;
  uint64_t salt_;
  uint64_t generation_;
  uint64_t capacity_;
};

}  // namespace famsync
