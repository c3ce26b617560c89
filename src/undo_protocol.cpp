// undo_protocol.cpp — the undo commit protocol (pmem backend) behind CommitProtocol: committed
// bytes are logged at first write, the commit publishes them, writes back and retires the log
// (DESIGN.md §4.1, with the crash points named there).
// Invariant: the data file is written only after every line the write-back may touch has a
// durable entry covered by a durable live word; the generation word alone is the commit point.
#include "commit_protocol.hpp"

#include "crash_point.hpp"
#include "log_file.hpp"
#include "undo_log.hpp"

#include <cstring>

namespace famsync {
namespace {

class UndoProtocol final : public CommitProtocol {
 public:
  UndoProtocol(Backend *backend, const LogFile &lf)
      : backend_(backend), log_(backend, lf.fixed.salt, lf.dynamic.generation, lf.capacity()) {}

  LogProtocol kind() const override { return LogProtocol::undo; }
  uint64_t capacity() const override { return log_.capacity(); }

  bool record_first_write(uint64_t slot, uint64_t line, const char *working) override {
    // The working copy's line is still clean here, i.e. holds the committed bytes.
    return log_.append(slot, line * kLineSize, working) == 0;
  }
  bool records_at_first_write() const override { return true; }

  int correct_first_write(uint64_t slot, uint64_t line, const char *committed,
                          bool *rewritten) override {
    *rewritten = false;
    LogEntry entry;
    if (log_.read(slot, &entry) == 0 && memcmp(entry.bytes, committed, kLineSize) == 0) return 0;
    *rewritten = true;  // published with the others by the next commit
    return log_.append(slot, line * kLineSize, committed);
  }

  int commit(const EpochToCommit &epoch, CommitHost *host, Stats *stats,
             bool *poisonous) override {
    *poisonous = false;
    uint64_t staged = epoch.slots;  // entries written at first write, not yet flushed
    // 1. Lines not logged at first write are logged now, from the still-untouched data file.
    if (!epoch.overflow->empty()) {
      if (int rc = log_overflow_lines(staged, *epoch.overflow, host, stats)) return rc;
    }
    uint64_t live = staged + epoch.overflow->size();
    // Storage for the write-back first (a hole's page on a full file system would be a SIGBUS in
    // the write-back); an error here loses nothing: nothing is published.
    if (int rc = host->reserve_write_back(*epoch.images)) return rc;
    crash_point("commit-before-publish");
    *poisonous = true;
    // 2. The log side: entries durable, then the live word and the next generation's size
    //    (drains #1 and #2).
    if (int rc = log_.publish(live, staged, epoch.new_size)) return rc;
    crash_point("commit-after-publish");
    // 3. Write back dirty lines, coalesced into runs, and make them durable (#3).
    if (int rc = host->write_back(*epoch.images)) return rc;
    if (int rc = backend_->persist(Medium::data)) return rc;
    crash_point("commit-after-writeback");
    // 4. Retire the log: generation + 1, durable (#4): the commit point. The new size slot and
    //    the written-back data stand from now on.
    if (int rc = log_.retire()) return rc;
    crash_point("commit-after-retire");
    *poisonous = false;
    return 0;
  }

  int lower_committed_size(uint64_t size) override { return log_.lower_committed_size(size); }
  int clear_committed_size() override { return log_.clear_committed_size(); }
  bool has_unsettled_commits() const override { return false; }
  int settle(uint64_t, bool *checkpointed) override {
    *checkpointed = false;
    // The last retire's live-word reset was stored without a drain of its own: make it durable,
    // so entries of this generation left by a rollback never become live past a new end.
    return backend_->persist(Medium::log);
  }

  int recover(const LogFile &lf, uint64_t data_size, uint64_t size_word,
              RecoveryReport *report) override {
    // Format 3 publishes the live word after its entries are durable: an invalid entry it covers
    // is damage. Older logs could hold a torn entry there after a crash.
    bool torn_is_damage = !lf.legacy && !lf.old_format();
    return recover_entries(backend_, &log_, lf.live(), data_size, size_word, torn_is_damage,
                           report);
  }

 private:
  // Logs the OVERFLOW lines into slots [FIRST_SLOT, ...) from the data file's committed bytes,
  // growing the log (and the host's slot table) if they do not fit. Nothing is published yet,
  // so an error (ENOSPC growing the log) loses nothing.
  int log_overflow_lines(uint64_t first_slot, const std::vector<uint64_t> &overflow,
                         CommitHost *host, Stats *stats) {
    uint64_t need = first_slot + overflow.size();
    if (need > log_.capacity()) {
      if (int rc = log_.grow(need)) return rc;
      ++stats->log_grows;
      if (int rc = host->grow_slot_table(log_.capacity())) return rc;
    }
    uint64_t slot = first_slot;
    for (uint64_t line : overflow) {
      uint8_t old[kLineSize];
      if (int rc = backend_->read(Medium::data, line * kLineSize, old, sizeof old)) return rc;
      if (int rc = log_.append_at_commit(slot, line * kLineSize, old)) return rc;
      host->set_slot_line(slot++, line);
    }
    stats->logged_at_commit += overflow.size();
    stats->log_bytes_at_commit += overflow.size() * kLogEntrySize;
    return 0;
  }

  Backend *backend_;
  UndoLog log_;
};

}  // namespace

std::unique_ptr<CommitProtocol> make_undo_protocol(Backend *backend, const LogFile &lf) {
  return std::make_unique<UndoProtocol>(backend, lf);
}

}  // namespace famsync
