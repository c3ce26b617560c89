// recovery.hpp — rolling a data file back to its last committed state from its undo log.
//
// Invariant: recovery changes the data file only after every live entry has been validated (an
// entry that points outside the file refuses the whole recovery), writes only committed bytes,
// and retires the log only after those writes are durable. Running it again, or after a crash in
// the middle of it, applies the same bytes again: it is idempotent.
#pragma once

#include "backend.hpp"
#include "redo_log.hpp"
#include "undo_log.hpp"

#include <cstdint>

namespace famsync {

struct RecoveryReport {
  uint64_t live_count = 0;  // undo: entries the header declared live; redo: entries in groups
  uint64_t applied = 0;     // valid entries written back
  uint64_t torn = 0;        // undo: entries skipped (checksum or generation mismatch)
  uint64_t groups = 0;      // redo: complete commit groups replayed
};

// Applies the LIVE_COUNT live entries of LOG to the data medium of BACKEND (DATA_SIZE bytes),
// persists, and retires the log. Errors: FAMS_ERANGE (an entry beyond DATA_SIZE or misaligned;
// nothing written), EIO and other persistence errors.
int recover_entries(Backend *backend, UndoLog *log, uint64_t live_count, uint64_t data_size,
                    RecoveryReport *report);

}  // namespace famsync

namespace famsync {

// Redo protocol: replays every complete group of LOG in commit order onto the data medium
// (DATA_SIZE bytes), then checkpoints (syncs the data, retires the groups). Offsets are validated
// for all groups before anything is written. Errors: FAMS_ERANGE (nothing written), persistence
// errors.
int recover_redo(Backend *backend, RedoLog *log, uint64_t salt, uint64_t data_size,
                 RecoveryReport *report);

}  // namespace famsync
