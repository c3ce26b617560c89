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
#include <cstring>
#include <vector>

namespace famsync {

namespace {

// Cuts a file that grew after its last commit back to the committed size, durably.
int restore_committed_size(Backend *backend, uint64_t data_size, uint64_t committed, bool cut,
                           RecoveryReport *report) {
  if (!cut) return 0;
  if (int rc = backend->set_data_size(committed)) return rc;
  report->size_before = data_size;
  report->size_restored = committed;
  crash_point("recovery-size-restored");
  return 0;
}

}  // namespace

int recover_entries(Backend *backend, UndoLog *log, uint64_t live_count, uint64_t data_size,
                    uint64_t size_word, bool torn_is_damage, RecoveryReport *report) {
  *report = RecoveryReport{};
  report->live_count = live_count;
  bool sized = size_is_recorded(size_word);
  uint64_t committed = sized ? decode_size(size_word) : data_size;
  bool cut = sized && data_size > committed;
  if (live_count == 0 && !cut) return 0;

  std::vector<LogEntry> valid;
  valid.reserve(live_count);
  for (uint64_t slot = 0; slot < live_count; ++slot) {
    LogEntry e;
    if (int rc = log->read(slot, &e)) return rc;
    if (!entry_is_valid(e, log->salt(), log->generation())) {
      if (torn_is_damage)
        return fail(FAMS_ECORRUPT,
                    "log entry %llu of the interrupted commit is damaged (checksum mismatch; "
                    "its entries were durable before the commit began writing the file, so "
                    "this is not a torn write): the file may mix old and new bytes and cannot "
                    "be restored from this log; nothing was changed. Restore the file from a "
                    "backup (`famsync inspect` shows the log)",
                    (unsigned long long)slot);
      ++report->torn;
      continue;
    }
    // A line past the committed size restores bytes the committed state does not have (a line
    // in an uncommitted growth, or written past EOF inside the mapping): the cut below removes
    // it. Not an error, and skipping it keeps a rerun after the cut idempotent.
    if (e.line_offset % kLineSize == 0 && e.line_offset >= committed) {
      ++report->beyond_size;
      continue;
    }
    if (e.line_offset % kLineSize != 0 || e.line_offset >= data_size)
      return fail(FAMS_ERANGE,
                  "log entry %llu restores offset %llu but the data file has %llu bytes "
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
  if (int rc = restore_committed_size(backend, data_size, committed, cut, report)) return rc;
  if (live_count == 0) return 0;  // the current generation's slot already names COMMITTED
  if (int rc = log->prepare_size(committed)) return rc;
  return log->retire();
}

}  // namespace famsync

namespace famsync {

int recover_redo(Backend *backend, RedoLog *log, uint64_t salt, uint64_t data_size,
                 uint64_t size_word, RecoveryReport *report) {
  *report = RecoveryReport{};
  ReadLog read = [&](uint64_t off, void *dst, size_t len) {
    return backend->read(Medium::log, off, dst, len);
  };
  RedoLogShape shape{log->version(), salt, log->generation(), log->capacity()};
  // Pass 1: the committed size (the last complete group's, else the header's) and validation.
  uint64_t groups = 0, slots = 0;
  uint64_t last_group_size_word = 0;
  std::vector<uint64_t> offsets;  // every logged line's offset
  int rc = scan_redo_groups(read, shape,
                            [&](const RedoGroup &group) {
                              for (size_t i = 0; i < group.lines; ++i) {
                                uint64_t off = group.offset(i);
                                if (off % kLineSize != 0)
                                  return fail(FAMS_ERANGE,
                                              "redo log entry restores misaligned offset %llu; "
                                              "nothing was changed",
                                              (unsigned long long)off);
                                offsets.push_back(off);
                              }
                              last_group_size_word = group.file_size;
                              return 0;
                            },
                            &groups, &slots);
  if (rc != 0) return rc;
  // The scan stopped at SLOTS, where group number GROUPS does not verify. An interrupted append
  // is always the last group: an intact later group means this one was complete once (its
  // commit returned) and has been damaged since.
  bool later = false;
  uint64_t later_slot = 0, later_sequence = 0;
  if (int rc2 = find_later_redo_group(read, shape, slots, groups, &later, &later_slot,
                                      &later_sequence))
    return rc2;
  if (later)
    return fail(FAMS_ECORRUPT,
                "redo log group %llu (from slot %llu) is damaged, but commit %llu after it "
                "(slot %llu) is intact: the log was damaged after those commits were made, and "
                "replaying only part of them could mix states; nothing was changed. Restore "
                "the file from a backup (`famsync inspect` shows the log)",
                (unsigned long long)groups, (unsigned long long)slots,
                (unsigned long long)later_sequence, (unsigned long long)later_slot);
  uint64_t word = groups != 0 && size_is_recorded(last_group_size_word) ? last_group_size_word
                                                                        : size_word;
  bool sized = size_is_recorded(word);
  uint64_t committed = sized ? decode_size(word) : data_size;
  bool cut = sized && data_size > committed;
  for (uint64_t off : offsets) {
    if (off >= committed) continue;  // past the committed size: cut below, never applied
    if (off >= data_size)
      return fail(FAMS_ERANGE,
                  "redo log entry restores offset %llu but the data file has %llu bytes (was it "
                  "truncated or replaced?); nothing was changed",
                  (unsigned long long)off, (unsigned long long)data_size);
  }
  report->groups = groups;
  report->live_count = offsets.size();
  if (groups == 0 && !cut) return 0;
  // Pass 2: replay in commit order (the last complete group wins).
  uint64_t applied = 0;
  bool mid_point_passed = false;
  rc = scan_redo_groups(read, shape,
                        [&](const RedoGroup &group) {
                          for (size_t i = 0; i < group.lines; ++i) {
                            uint64_t off = group.offset(i);
                            if (off >= committed) {
                              ++report->beyond_size;
                              continue;
                            }
                            uint64_t len = std::min<uint64_t>(kLineSize, data_size - off);
                            if (int w = backend->write(Medium::data, off, group.line(i), len))
                              return w;
                            ++applied;
                          }
                          if (!mid_point_passed && applied >= offsets.size() / 2) {
                            mid_point_passed = true;
                            crash_point("recovery-mid-apply");
                          }
                          return 0;
                        },
                        &groups, &slots);
  if (rc != 0) return rc;
  report->applied = applied;
  crash_point("recovery-applied");  // not yet synced: the cut (an fsync) or the checkpoint syncs
  if (int rc2 = restore_committed_size(backend, data_size, committed, cut, report)) return rc2;
  if (groups == 0) return 0;  // the current generation's slot already names COMMITTED
  return log->checkpoint(committed);
}

}  // namespace famsync
