// recovery.hpp — restoring a data file to its last committed state from its log (undo protocol:
// roll back; redo protocol: replay).
//
// Invariant: recovery changes the data file only after every live entry has been validated (an
// entry that points outside the file refuses the whole recovery), writes only committed bytes,
// cuts the file only down to its committed size, and retires the log only after those changes
// are durable. Running it again, or after a crash in
// the middle of it, applies the same bytes again: it is idempotent.
#pragma once

#include "backend.hpp"
#include "redo_log.hpp"
#include "undo_log.hpp"

#include <cstdint>

namespace famsync {

struct RecoveryReport {
  uint64_t live_count = 0;  // undo: entries the header declared live; redo: lines in complete groups
  uint64_t applied = 0;     // valid entries written back
  uint64_t torn = 0;        // undo: entries skipped (checksum or generation mismatch)
  uint64_t groups = 0;      // redo: complete commit groups replayed
  uint64_t beyond_size = 0; // entries past the committed size (removed by the cut, not applied)
  uint64_t size_before = 0;   // when the file was cut back to its committed size: its size
                              // (never 0 then), else 0 ...
  uint64_t size_restored = 0; // ... and the committed size
};

// Applies the LIVE_COUNT live entries of LOG to the data medium of BACKEND (DATA_SIZE bytes),
// persists, cuts the file back to the committed size SIZE_WORD names (the header's slot for the
// log's generation; an unrecorded word leaves the size alone) if it is longer, and retires the
// log. Entries past the committed size are skipped. TORN_IS_DAMAGE (format 3: the live word is
// published after its entries are durable): a live entry that does not verify is damage and
// refuses recovery; otherwise (older logs) it is a torn publish and is skipped.
// Errors: FAMS_ERANGE (an entry inside the committed size but beyond DATA_SIZE, or misaligned;
// nothing written), FAMS_ECORRUPT (a damaged live entry; nothing written), EIO and other
// persistence errors.
int recover_entries(Backend *backend, UndoLog *log, uint64_t live_count, uint64_t data_size,
                    uint64_t size_word, bool torn_is_damage, RecoveryReport *report);

}  // namespace famsync

namespace famsync {

// Redo protocol: replays every complete group of LOG in commit order onto the data medium
// (DATA_SIZE bytes), cuts the file back to the committed size (the last complete group's, else
// SIZE_WORD, the header's slot for the log's generation) if it is longer, then checkpoints (syncs
// the data, retires the groups). Offsets are validated for all groups before anything is
// written. A broken group is the tail of an interrupted append (dropped: that commit never
// happened) unless a later commit's group follows it: then the log was damaged after the fact
// and recovery refuses. Errors: FAMS_ERANGE, FAMS_ECORRUPT (nothing written), persistence errors.
int recover_redo(Backend *backend, RedoLog *log, uint64_t salt, uint64_t data_size,
                 uint64_t size_word, RecoveryReport *report);

}  // namespace famsync
