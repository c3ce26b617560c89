// inspect.hpp — read-only analysis of a data file's log (for `famsync info` / `check`).
//
// Invariant: inspection never writes or locks anything, so it is safe on a file that another
// process is using (its answer is then a snapshot that may already be stale).
#pragma once

#include "log_file.hpp"

#include <cstdint>
#include <string>

namespace famsync {

struct LogReport {
  std::string data_path, log_path;
  uint64_t data_size = 0, data_ino = 0;
  bool log_exists = false;
  bool has_identity = false;     // the file carries a famsync identity (it was mapped before)
  bool identity_derived = false; // ... derived from its inode (no xattr support)
  LogFile log;                 // header fields (fd closed)
  uint64_t pending = 0;        // entries recovery would apply (undo: live; redo: lines in complete groups)
  uint64_t valid_live = 0;     // undo: valid entries among [0, live_count)
  uint64_t torn_live = 0;      // undo: entries among [0, live_count) that do not verify
  uint64_t redo_groups = 0;    // redo: complete commit groups not yet checkpointed
  uint64_t out_of_range = 0;   // valid entries inside the committed size but past the file's end
  bool size_recorded = false;  // the log names a committed size (logs of older versions do not)
  uint64_t committed_size = 0; // ... which recovery would cut a longer file back to
  bool size_pending() const { return size_recorded && data_size > committed_size; }
};

// Fills REPORT. Errors: ENOENT (data file), FAMS_ECORRUPT (header), EIO. A missing log is not an
// error (log_exists = false).
int inspect_log(const std::string &data_path, LogReport *report);

}  // namespace famsync
