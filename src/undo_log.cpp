// undo_log.cpp — see undo_log.hpp; the protocol is spelled out in DESIGN.md, "Commit protocol".
#include "undo_log.hpp"

#include "checksum.hpp"
#include "crash_point.hpp"
#include "error.hpp"

#include <cstring>

namespace famsync {

void UndoLog::build(LogEntry *e, uint64_t line_offset, const void *old) const {
  memcpy(e->bytes, old, sizeof e->bytes);
  e->line_offset = line_offset;
  e->generation = generation();
  e->sequence = e->index = e->group_size = e->file_size = e->reserved = 0;
  e->checksum = entry_checksum(*e, salt());
}

int UndoLog::append(uint64_t slot, uint64_t line_offset, const void *old) {
  LogEntry e;
  build(&e, line_offset, old);
  return backend()->stage(Medium::log, log_entry_offset(slot), &e, sizeof e);
}

int UndoLog::append_at_commit(uint64_t slot, uint64_t line_offset, const void *old) {
  LogEntry e;
  build(&e, line_offset, old);
  return backend()->write(Medium::log, log_entry_offset(slot), &e, sizeof e);
}

int UndoLog::publish(uint64_t count, uint64_t staged, uint64_t new_size) {
  if (staged != 0) {
    if (int rc = backend()->flush(Medium::log, log_entry_offset(0), staged * kLogEntrySize))
      return rc;
  }
  // The next generation's slot is never read while this generation is current: any mix of it
  // and the live word is harmless.
  if (int rc = backend()->write_word(Medium::log, log_size_slot_offset(generation() + 1),
                                     encode_size(new_size)))
    return rc;
  // The entries are durable before the live word that covers them (one more drain): an entry it
  // covers that does not verify is then damage, which recovery refuses, never a torn publish.
  if (int rc = backend()->persist(Medium::log)) return rc;
  crash_point("commit-entries-durable");
  if (int rc =
          backend()->write_word(Medium::log, kLogLiveCountOffset, encode_live(count, generation())))
    return rc;
  return backend()->persist(Medium::log);
}

int UndoLog::prepare_size(uint64_t size) {
  if (int rc = backend()->write_word(Medium::log, log_size_slot_offset(generation() + 1),
                                     encode_size(size)))
    return rc;
  return backend()->persist(Medium::log);
}

int UndoLog::retire() {
  // The generation word alone is the commit point. live_count = 0 must NOT become durable before
  // it: "generation old, live_count 0" would skip the entries (new data stands) yet read the old
  // generation's size slot (old size) — a grown file would be cut under its new data. So it is
  // stored after the drain and becomes durable with the next one. Until then a stale live_count
  // covers only entries of the new generation written by the next epoch's first writes, which
  // hold bytes equal to the committed data: recovery may rewrite them harmlessly.
  if (int rc = advance_generation()) return rc;
  return backend()->write_word(Medium::log, kLogLiveCountOffset, 0);
}

int UndoLog::read(uint64_t slot, LogEntry *out) const {
  return backend()->read(Medium::log, log_entry_offset(slot), out, sizeof *out);
}

}  // namespace famsync
