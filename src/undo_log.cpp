// undo_log.cpp — see undo_log.hpp; the protocol is spelled out in DESIGN.md, "Commit protocol".
#include "undo_log.hpp"

#include "checksum.hpp"
#include "error.hpp"

#include <cstring>

namespace famsync {

void UndoLog::build(LogEntry *e, uint64_t line_offset, const void *old) const {
  memcpy(e->bytes, old, sizeof e->bytes);
  e->line_offset = line_offset;
  e->generation = generation_;
  e->sequence = e->index = e->group_size = 0;
  memset(e->reserved, 0, sizeof e->reserved);
  e->checksum = entry_checksum(*e, salt_);
}

int UndoLog::append(uint64_t slot, uint64_t line_offset, const void *old) {
  LogEntry e;
  build(&e, line_offset, old);
  return backend_->stage(Medium::log, log_entry_offset(slot), &e, sizeof e);
}

int UndoLog::append_at_commit(uint64_t slot, uint64_t line_offset, const void *old) {
  LogEntry e;
  build(&e, line_offset, old);
  return backend_->write(Medium::log, log_entry_offset(slot), &e, sizeof e);
}

int UndoLog::publish(uint64_t count, uint64_t staged) {
  if (staged != 0) {
    if (int rc = backend_->flush(Medium::log, log_entry_offset(0), staged * kLogEntrySize))
      return rc;
  }
  if (int rc = backend_->write_word(Medium::log, kLogLiveCountOffset, count)) return rc;
  return backend_->persist(Medium::log);
}

int UndoLog::retire() {
  // Either word alone invalidates the entries, so a crash between the two stores is harmless.
  if (int rc = backend_->write_word(Medium::log, kLogGenerationOffset, generation_ + 1)) return rc;
  if (int rc = backend_->write_word(Medium::log, kLogLiveCountOffset, 0)) return rc;
  if (int rc = backend_->persist(Medium::log)) return rc;
  ++generation_;
  return 0;
}

int grow_log_capacity(Backend *backend, uint64_t *capacity, uint64_t min_capacity) {
  uint64_t cap = *capacity;
  while (cap < min_capacity) cap *= 2;
  if (cap == *capacity) return 0;
  if (int rc = backend->grow_log(log_entry_offset(cap))) return rc;
  *capacity = cap;
  return 0;
}

int UndoLog::grow(uint64_t min_capacity) {
  return grow_log_capacity(backend_, &capacity_, min_capacity);
}

int UndoLog::read(uint64_t slot, LogEntry *out) const {
  return backend_->read(Medium::log, log_entry_offset(slot), out, sizeof *out);
}

}  // namespace famsync
