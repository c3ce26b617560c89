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
    if (int rc = backend->write(Medium::data, e.line_offset, e.old_bytes, len)) return rc;
    if (i == valid.size() / 2) crash_point("recovery-mid-apply");
  }
  report->applied = valid.size();
  if (int rc = backend->persist(Medium::data)) return rc;
  crash_point("recovery-applied");
  return log->retire();
}

}  // namespace famsync
