// log_base.cpp — see log_base.hpp; the protocols are spelled out in DESIGN.md, "Commit protocol".
#include "log_base.hpp"

namespace famsync {

int LogBase::grow(uint64_t min_capacity) {
  uint64_t cap = capacity_;
  while (cap < min_capacity) cap *= 2;
  if (cap == capacity_) return 0;
  if (int rc = backend_->grow_log(log_entry_offset(cap))) return rc;
  capacity_ = cap;
  return 0;
}

int LogBase::set_current_size_word(uint64_t word) {
  // Callers change it only when the file already has the size either value names (lowering after
  // a durable cut; clearing when the file is exactly its committed state): a crash with the old
  // or the new word recovers to the same file (recovery only ever cuts a file down).
  if (int rc = backend_->write_word(Medium::log, log_size_slot_offset(generation_), word))
    return rc;
  return backend_->persist(Medium::log);
}

int LogBase::advance_generation() {
  if (int rc = backend_->write_word(Medium::log, kLogGenerationOffset, generation_ + 1)) return rc;
  if (int rc = backend_->persist(Medium::log)) return rc;
  ++generation_;
  return 0;
}

}  // namespace famsync
