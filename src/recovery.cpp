// recovery.cpp — see recovery.hpp.
//
// Why torn entries may be skipped: live_count and the entries it covers become durable in the
// same persist (publish), and the data file is written only after it. An entry that does not
// verify can therefore exist only if the crash came before that persist completed, when the data
// file still held exactly the committed bytes the entry would have restored.
#include "recovery.hpp"

#include "checksum.hpp"
#include "crash_point.hpp"
#include "error.hpp"

#include <algorithm>
#include <vector>

namespace famsync {

int recover_entries(Backend *backend, UndoLog *log, uint64_t live_count, uint64_t data_size,
                    RecoveryReport *report) {
  *report = RecoveryReport{};
  report->live_count = live_count;
  if (live_count == 0) return 0;

  std::vector<LogEntry> valid;
  valid.reserve(live_count);
  for (uint64_t slot = 0; slot < live_count; ++slot) {
    LogEntry e;
    if (int rc = log->read(slot, &e)) return rc;
    if (!entry_is_valid(e, log->salt(), log->generation())) {
      ++report->torn;
      continue;
    }
    if (e.line_offset % kLineSize != 0 || e.line_offset >= data_size)
      return fail(FAMS_ERANGE,
                  "undo log entry %llu restores offset %llu but the data file has %llu bytes "
                  "(was it truncated or replaced?); nothing was changed",
                  (unsigned long long)slot, (unsigned long long)e.line_offset,
                  (unsigned long long)data_size);
    valid.push_back(e);
  }

  for (size_t i = 0; i < valid.size(); ++i) {
    const LogEntry &e = valid[i];
    uint64_t len = data_size - e.line_offset < kLineSize ? data_size - e.line_offset : kLineSize;
    if (int rc = backend->write(Medium::data, e.line_offset, e.bytes, len)) return rc;
    if (i == valid.size() / 2) crash_point("recovery-mid-apply");
  }
  report->applied = valid.size();
  if (int rc = backend->persist(Medium::data)) return rc;
  crash_point("recovery-applied");
  return log->retire();
}

}  // namespace famsync

namespace famsync {

int recover_redo(Backend *backend, RedoLog *log, uint64_t salt, uint64_t data_size,
                 RecoveryReport *report) {
  *report = RecoveryReport{};
  ReadSlot read = [&](uint64_t slot, LogEntry *e) {
    return backend->read(Medium::log, log_entry_offset(slot), e, sizeof *e);
  };
  uint64_t groups = 0, slots = 0;
  int rc = scan_redo_groups(read, salt, log->generation(), log->capacity(),
                            [&](const std::vector<LogEntry> &group) {
                              for (const LogEntry &e : group)
                                if (e.line_offset % kLineSize != 0 || e.line_offset >= data_size)
                                  return fail(FAMS_ERANGE,
                                              "redo log entry restores offset %llu but the data "
                                              "file has %llu bytes (was it truncated or "
                                              "replaced?); nothing was changed",
                                              (unsigned long long)e.line_offset,
                                              (unsigned long long)data_size);
                              return 0;
                            },
                            &groups, &slots);
  if (rc != 0) return rc;
  report->groups = groups;
  report->live_count = slots;
  if (groups == 0) return 0;
  uint64_t applied = 0;
  bool mid_point_passed = false;
  rc = scan_redo_groups(read, salt, log->generation(), log->capacity(),
                        [&](const std::vector<LogEntry> &group) {
                          for (const LogEntry &e : group) {
                            uint64_t len = std::min<uint64_t>(kLineSize, data_size - e.line_offset);
                            if (int w = backend->write(Medium::data, e.line_offset, e.bytes, len))
                              return w;
                            ++applied;
                          }
                          if (!mid_point_passed && applied >= slots / 2) {
                            mid_point_passed = true;
                            crash_point("recovery-mid-apply");
                          }
                          return 0;
                        },
                        &groups, &slots);
  if (rc != 0) return rc;
  report->applied = applied;
  crash_point("recovery-applied");  // not yet synced: the checkpoint below syncs, then retires
  return log->checkpoint();
}

}  // namespace famsync
