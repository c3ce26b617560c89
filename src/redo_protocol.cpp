// redo_protocol.cpp — the redo commit protocol (file backend) behind CommitProtocol: a commit's
// new bytes go to the log as one group (one fdatasync: the commit point), then to the data file
// without a sync; a checkpoint syncs the data file and retires the groups (DESIGN.md §4.2).
// Invariant: every commit since the last checkpoint is a complete group in the log.
#include "commit_protocol.hpp"

#include "crash_point.hpp"
#include "log_file.hpp"
#include "redo_log.hpp"

namespace famsync {
namespace {

class RedoProtocol final : public CommitProtocol {
 public:
  // The most lines a commit writes back with cached stores (pmem): above it the NT stores'
  // bandwidth matters more than waiting for them, and the checkpoint's flush list stays small.
  static constexpr uint64_t kCachedWriteBackLines = 1024;

  RedoProtocol(Backend *backend, const LogFile &lf)
      : backend_(backend), salt_(lf.fixed.salt),
        log_(backend, lf.fixed.salt, lf.dynamic.generation, lf.capacity(),
             lf.dynamic.committed_size, lf.fixed.version) {}

  LogProtocol kind() const override { return LogProtocol::redo; }
  uint64_t capacity() const override { return log_.capacity(); }

  // The slot is only the dirty-list entry: the new bytes are logged at commit.
  bool record_first_write(uint64_t, uint64_t, const char *) override { return true; }
  bool records_at_first_write() const override { return false; }
  int correct_first_write(uint64_t, uint64_t, const char *, bool *rewritten) override {
    *rewritten = false;  // nothing was recorded
    return 0;
  }

  int commit(const EpochToCommit &epoch, CommitHost *host, Stats *stats,
             bool *poisonous) override {
    *poisonous = false;
    const std::vector<uint64_t> &lines = *epoch.images->lines;
    if (lines.empty()) {  // only the size changed: a checkpoint records it (rare; 2-3 syncs)
      *poisonous = true;
      if (int rc = log_.checkpoint(epoch.new_size)) return rc;
      ++stats->checkpoints;
      *poisonous = false;
      return 0;
    }
    uint64_t generation = log_.generation(), capacity = log_.capacity();
    int rc = log_.make_room(lines.size(), epoch.committed_size, poisonous);
    if (log_.generation() != generation) ++stats->checkpoints;
    if (log_.capacity() != capacity) ++stats->log_grows;
    if (rc != 0) return rc;  // *POISONOUS false: growing failed, nothing durable yet
    // Storage for the write-back before the commit point: a full disk is then ENOSPC with nothing
    // durable, not a poisoned region whose recovery meets the same full disk.
    if (int rc2 = host->reserve_write_back(*epoch.images)) return rc2;
    *poisonous = true;
    if (int rc2 = log_.append_group(*epoch.images, epoch.new_size)) return rc2;
    stats->log_bytes_at_commit += redo_group_slots(lines.size()) * kLogEntrySize;
    crash_point("commit-after-publish");
    // pmem: a small commit writes back with cached stores, flushed at the next checkpoint. NT
    // stores here would make the commit's next locked instruction (the region lock's release)
    // wait for them to reach the medium, though only the log had to be durable now.
    bool cached = backend_->stage_needs_flush() && lines.size() <= kCachedWriteBackLines;
    if (int rc2 = host->write_back(*epoch.images, cached)) return rc2;
    if (cached) log_.note_cached_write_back(lines);
    crash_point("commit-after-writeback");
    *poisonous = false;
    return 0;
  }

  int lower_committed_size(uint64_t size) override { return log_.lower_committed_size(size); }
  int clear_committed_size() override { return log_.clear_committed_size(); }
  bool has_unsettled_commits() const override { return log_.tail() != 0; }
  int settle(uint64_t committed_size, bool *checkpointed) override {
    *checkpointed = false;
    if (log_.tail() == 0) return 0;
    if (int rc = log_.checkpoint(committed_size)) return rc;
    *checkpointed = true;
    return 0;
  }

  int recover(const LogFile &, uint64_t data_size, uint64_t size_word,
              RecoveryReport *report) override {
    return recover_redo(backend_, &log_, salt_, data_size, size_word, report);
  }

 private:
  Backend *backend_;
  uint64_t salt_;
  RedoLog log_;
};

}  // namespace

std::unique_ptr<CommitProtocol> make_redo_protocol(Backend *backend, const LogFile &lf) {
  return std::make_unique<RedoProtocol>(backend, lf);
}

}  // namespace famsync
