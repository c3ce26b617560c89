// recovery.hpp — rolling a data file back to its last committed state from its undo log.
//
// Invariant: recovery changes the data file only after every live entry has been validated (an
// entry that points outside the file refuses the whole recovery), writes only committed bytes,
// and retires the log only after those writes are durable. Running it again, or after a crash in
// the middle of it, applies the same bytes again: it is idempotent.
#pragma once

#include "backend.hpp"
#include "undo_log.hpp"

#include <cstdint>

namespace famsync {

struct RecoveryReport {
  uint64_t live_count = 0;  // entries the header declared live
  uint64_t applied = 0;     // valid entries written back
  uint64_t torn = 0;        // entries skipped: checksum or generation mismatch (never persisted)
};

// Applies the LIVE_COUNT live entries of LOG to the data medium of BACKEND (DATA_SIZE bytes),
// persists, and retires the log. Errors: FAMS_ERANGE (an entry beyond DATA_SIZE or misaligned;
// nothing written), EIO and other persistence errors.
int recover_entries(Backend *backend, UndoLog *log, uint64_t live_count, uint64_t data_size,
                    RecoveryReport *report);

}  // namespace famsync
