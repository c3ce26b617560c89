// log_gc.hpp — collecting logs that protect nothing: those of files deleted, renamed elsewhere or
// closed by a process that was killed while nothing was pending.
//
// Invariant: a log is removed only while its remover holds its lock (no process is using it), after
// the remover has checked that the name still refers to the locked file and that the log holds
// nothing recovery would apply. A log with an interrupted commit is never removed: it is reported
// with the path its file had when the log was created.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace famsync {

struct GcReport {
  uint64_t removed = 0;   // logs removed
  uint64_t in_use = 0;    // logs locked by a live process (left alone)
  uint64_t pending = 0;   // logs holding something to recover (left alone; see notes)
  uint64_t skipped = 0;   // unreadable, damaged or untrusted files with a log's name (left alone)
  std::vector<std::string> notes;  // one line per log left alone for a reason the user may act on
};

// Looks at every file named like a log (`.famsync-<id>.log`) in DIR. Errors: those of opening and
// reading DIR; problems with single logs are counted and noted, not returned.
int collect_stale_logs(const std::string &dir, GcReport *report);

}  // namespace famsync
