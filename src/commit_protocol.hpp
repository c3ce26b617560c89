// commit_protocol.hpp — the one interface a Region commits through: undo (pmem, optional) and redo
// (files, and pmem by default) behind it (DESIGN.md §4).
//
// A protocol owns its log object and decides what the log records, in which order things become
// durable, and how a crash is recovered. The Region owns the epoch (dirty lines, slot table,
// overflow list) and the write-back, which protocols reach through CommitHost.
// Invariant: a protocol's commit() either makes the whole epoch durable (returns 0), or fails
// with *POISONOUS false and nothing durable (the changes stay pending), or fails with *POISONOUS
// true after its log became durable (the region must refuse every later commit; recovery then
// yields the old or the new state).
#pragma once

#include "backend.hpp"
#include "line_images.hpp"
#include "log_format.hpp"
#include "recovery.hpp"
#include "stats.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace famsync {

// What a commit hands its protocol.
struct EpochToCommit {
  const LineImages *images;               // the epoch's sorted dirty lines and their new bytes
  uint64_t slots;                         // log slots handed out on the store path this epoch
  const std::vector<uint64_t> *overflow;  // lines not recorded at first write (their committed
                                          // bytes are still only in the data file)
  uint64_t new_size;                      // the file's size now: committed by this commit
  uint64_t committed_size;                // ... as of the last commit
};

// What a protocol needs from its region while it commits.
class CommitHost {
 public:
  // Writes IMAGES to the data file (coalesced runs, clipped at EOF), not yet durable. CACHED:
  // with ordinary stores (Backend::stage), which are durable only after a flush() of their
  // range, then persist(); else with write() (NT stores on pmem).
  virtual int write_back(const LineImages &images, bool cached = false) = 0;
  // Makes sure the data file has storage for IMAGES' runs (before anything is durable).
  virtual int reserve_write_back(const LineImages &images) = 0;
  // The slot table must hold at least CAPACITY slots (the log grew). Errors: ENOMEM.
  virtual int grow_slot_table(uint64_t capacity) = 0;
  // Slot SLOT now holds LINE (lines recorded at commit time).
  virtual void set_slot_line(uint64_t slot, uint64_t line) = 0;

 protected:
  ~CommitHost() = default;
};

class CommitProtocol {
 public:
  virtual ~CommitProtocol() = default;
  virtual LogProtocol kind() const = 0;
  virtual uint64_t capacity() const = 0;

  // Store path (any thread, distinct slots): the first write to LINE in this epoch got log slot
  // SLOT. Undo records the line's committed bytes (WORKING: the line, still clean); redo records
  // nothing (the slot is the dirty-list entry; the new bytes are logged at commit). False: not
  // recorded, the line goes to the overflow list.
  virtual bool record_first_write(uint64_t slot, uint64_t line, const char *working) = 0;
  // Whether record_first_write writes the log (for the logged_at_store stat). Constant for a
  // protocol: when false, the store path does not call record_first_write at all (it must then
  // return true), see Region::records_at_first_write_.
  virtual bool records_at_first_write() const = 0;
  // The record of LINE in slot SLOT must hold COMMITTED as its old bytes (the late-store watch
  // found the line changed behind the store path): undo rewrites a wrong entry (*REWRITTEN),
  // redo has nothing to correct. Before commit() only.
  virtual int correct_first_write(uint64_t slot, uint64_t line, const char *committed,
                                  bool *rewritten) = 0;

  // Makes EPOCH durable, atomically, writing the data file through HOST. See the invariant.
  virtual int commit(const EpochToCommit &epoch, CommitHost *host, Stats *stats,
                     bool *poisonous) = 0;

  // The committed-size record of the current generation: lowered to SIZE after the file was cut
  // to it durably, or cleared (0: recovery leaves the size alone) at a clean close.
  virtual int lower_committed_size(uint64_t size) = 0;
  virtual int clear_committed_size() = 0;
  // Redo: commits whose data may not be durable in the data file yet (groups since the last
  // checkpoint). Undo: none.
  virtual bool has_unsettled_commits() const = 0;
  // Leaves the data file holding every commit durably and the log naming none of them, with
  // COMMITTED_SIZE as the committed size: redo checkpoints (if it has groups: *CHECKPOINTED);
  // undo makes the last retire's lazy live-word reset durable.
  virtual int settle(uint64_t committed_size, bool *checkpointed) = 0;

  // Recovery of the data file (DATA_SIZE bytes; SIZE_WORD: the header's current size slot) from
  // LOG_FILE's log. See recover_entries / recover_redo.
  virtual int recover(const struct LogFile &log_file, uint64_t data_size, uint64_t size_word,
                      RecoveryReport *report) = 0;
};

// The protocol LOG_FILE records, on BACKEND.
std::unique_ptr<CommitProtocol> make_commit_protocol(Backend *backend,
                                                     const struct LogFile &log_file);

}  // namespace famsync
