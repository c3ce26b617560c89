// region.hpp — one tracked mapping: DRAM working copy + data file + log (through its commit
// protocol) + dirty state.
//
// Invariants:
//  - A line of the working copy that is clean (DirtyMap) holds exactly the file's committed bytes.
//  - Every line written since the last commit is listed exactly once: in slot_line_[0, next_slot)
//    or, when that is full or the write was reported after the fact, in overflow_.
//  - Undo protocol (pmem): before a line's first write of an epoch lands, its committed bytes are
//    in its log slot, or (overflow) still in the data file, from where commit logs them.
//  - Redo protocol (file): the data file's page cache always holds the last committed state.
//  - The data file is written only by commit(), checkpoints and recovery (DESIGN.md).
//  - Once poisoned_ is set (a persistence error after the log was published) no commit succeeds;
//    while rollback_failed_ is set (a rollback that failed part-way) none runs either.
// Threading: before_write() from any number of threads; commit/rollback/close under mutex_. Writes
// that race a commit (against DESIGN §1.6's advice) belong to it or to the next epoch, line by
// line: first writes wait at gate_ while a commit starts the next epoch, and lines written while
// a commit copies them are listed again (relist_lines_written_meanwhile).
#pragma once

#include "backend.hpp"
#include "commit_protocol.hpp"
#include "dirty_map.hpp"
#include "store_path.hpp"
#include "epoch_gate.hpp"
#include "file_watch.hpp"
#include "late_store_watch.hpp"
#include "line_images.hpp"
#include "lines.hpp"
#include "log_file.hpp"
#include "recovery.hpp"
#include "region_lock.hpp"
#include "stats.hpp"
#include "window.hpp"
#include "working_set.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace famsync {

class Region final : public StoreTarget, private CommitHost {
 public:
  // Opens PATH (recovering it first) and maps its working copy. FLAGS: FAMS_MAP_*.
  // MAP_LENGTH 0 maps the whole (non-empty) file; otherwise exactly MAP_LENGTH bytes (rounded up
  // to a page) from offset 0, which may extend past the end of a possibly empty file (bytes past
  // EOF fault as in any file mapping until the file grows). Errors: see fams_map in famsync.h.
  static int open(const char *path, unsigned flags, Region **out, uint64_t map_length = 0);

  // Lines the late-store watch holds now (tests; call while no commit runs).
  size_t watched_lines() const { return late_watch_.size(); }

  // ftruncate of the tracked file: resizes it, makes the new size durable (before any commit can
  // log lines in a grown area), and adopts it. Growth is part of the next commit: until then the
  // log names the old size, and recovery (or rollback) cuts the file back to it. Shrinking is
  // committed at once (the bytes are gone): it commits first only if a pending line lies past the
  // new end, and on the redo protocol checkpoints, so nothing in the log names bytes past the
  // new end; other pending changes stay pending. Errors: commit's, ftruncate's, fsync's (poisons).
  int resize_file(uint64_t new_size);

  // pwrite/write past EOF: grows the file to at least MIN_SIZE, as resize_file does, but never
  // shrinks it — concurrent appenders race here, and the one with the smaller end must not cut
  // the other's bytes off (the kernel's own pwrite extension never does). Errors: as resize_file.
  int extend_file(uint64_t min_size);

  // mremap of the working copy: shrinks in place or grows (in place within the window slot, else
  // by moving when MAY_MOVE). *OUT receives the (possibly new) address. Errors: ENOMEM (cannot
  // grow in place and may not move, or the window is full), errors of commit (shrinking commits
  // first, like the unmap it implies).
  // COMMIT_ON_SHRINK false (fams_resize): shrinking commits first only if a pending change lies
  // in the cut tail, so other pending changes stay pending, as a shrink promises.
  int remap(uint64_t new_length, bool may_move, void **out, bool commit_on_shrink = true);

  // fams_resize: makes the working copy span the file's size now (at least one page), growing
  // in place or moving (the address may change), or shrinking. Errors: as remap.
  int fit_mapping_to_size();

  // Recovers PATH without mapping it; REPORT (optional) says what was done. FORCE_IDENTITY applies
  // a log that names another inode (a file copied with its log). Errors: see fams_recover.
  static int recover_file(const char *path, bool force_identity = false,
                          struct RecoveryReport *report = nullptr);

  // The store path (before_write, after_write) is StoreTarget's: store_path.hpp.

  // Commits the epoch (group commit: see region_commit.cpp). Errors: see fams_msync.
  int commit();
  // Group commit: takes mutex_ into LOCK and returns true, or returns false without it once a
  // commit that covers TICKET has succeeded (the caller's writes are durable).
  bool lock_unless_covered(uint64_t ticket, std::unique_lock<RegionLock> *lock);
  int rollback();
  // The program itself acts on the file again (mmap, ftruncate, pwrite past EOF): a truncation it
  // made meanwhile behind famsync's back (open with O_TRUNC) is adopted quietly. Errors: statx's.
  int adopt_own_truncation();
  // Something is waiting for a commit: a listed line or a size change. Not with concurrent stores.
  bool has_pending_changes();
  // Commits (if COMMIT_FIRST) and releases everything; the Region is deleted. Returns the
  // commit's error, if any.
  static int close(Region *region, bool commit_first);

  // The live region of the file (dev, ino), or nullptr. Caller holds no region lock.
  static Region *find_by_file(dev_t dev, ino_t ino);

  void *addr() const { return base_; }
  uint64_t mapped_length() const { return map_len_; }
  // Extra references from repeated mmap() of the same file by instrumented code.
  int add_mapping_ref() { return ++mapping_refs_; }
  int drop_mapping_ref() { return --mapping_refs_; }
  int mapping_refs() const { return mapping_refs_; }
  // The data file's size now (not the mapping's length: mapped_length()).
  uint64_t file_size() const { return data_size_; }
  int stats(fams_stat_counters *out);
  void merge_stats_into(Stats *total);
  const struct stat &file_stat() const { return st_; }
  // The region's own descriptor of the data file (not the program's).
  int data_fd() const { return data_fd_; }
  const std::string &path() const { return path_; }

  // Preload mode (DESIGN §10): the working copy is read-only at the start of each epoch, so the
  // first write to a page faults and the preload library's SIGSEGV handler logs the page.
  // Makes the whole mapping PROT_READ and keeps doing so for written pages after each commit
  // and rollback. Errors: mprotect's errno.
  int protect_pages();
  bool page_protected() const { return page_protect_; }

  // After fork() the child shares our lock and log: its copy must never commit.
  void disown() { disowned_ = true; }
  bool disowned() const { return disowned_; }

 ~Region();  // public for unique_ptr during open(); everyone else goes through close()

 private:
  Region() = default;

  friend class StoreTarget;  // its slow paths are the region's
  // The store path's slow path (StoreTarget::log_line, region_epoch.cpp). The usual case while
  // the process has one thread is first_write_solo_common, a leaf inlined into log_line; every
  // other case goes to first_write, out of line.
  [[gnu::always_inline]] inline bool first_write_solo_common(uint64_t line);
  [[gnu::noinline]] void first_write(uint64_t line);
  // SOLO: the process has one thread (solo_rmw.hpp).
  template <bool kSolo>
  [[gnu::always_inline]] inline void first_write_inside_gate(uint64_t line);
  // Lists LINE, claimed by the caller inside the gate, and marks it logged.
  template <bool kSolo>
  [[gnu::always_inline]] inline void list_claimed_line(uint64_t line);
  // first_write_solo_common's rare end: a signal handler took the slot it was about to take.
  [[gnu::noinline]] bool list_claimed_line_solo_and_leave(uint64_t line);
  void list_written_lines(uintptr_t addr, size_t len);  // StoreTarget::after_write
  // CommitHost: what the commit protocol reaches the region through.
  int write_back(const LineImages &images, bool cached = false) override;
  int reserve_write_back(const LineImages &images) override;
  int grow_slot_table(uint64_t capacity) override;
  void set_slot_line(uint64_t slot, uint64_t line) override;
  void clear_line_state(const std::vector<uint64_t> &lines);
  void restore_line_state(const std::vector<uint64_t> &lines);
  void start_next_epoch();
  bool other_threads_stored();
  LineImages commit_images(const std::vector<uint64_t> &lines, bool others_store);
  uint64_t relist_lines_written_meanwhile(const LineImages &images);
  uint64_t relist_lines_written_during_rollback(const std::vector<uint64_t> &lines);
  int recheck_watched_lines(uint64_t listed, uint64_t *late_out);
  // The epoch's dirty lines, sorted: slot table [0, SLOTS) (holes skipped) + overflow list.
  void dirty_lines_sorted(uint64_t slots, std::vector<uint64_t> *lines);
  int fail_poisoned(int rc);
  int commit_locked();
  int check_not_truncated();
  int adopt_truncation(bool *truncated);
  void note_pending_pages(const std::vector<uint64_t> &lines);
  void sync_working_set_stats();
  int adopt_committed_size();
  int release_committed_size();
  int change_size_locked(uint64_t new_size);
  int verify_untracked_writes();
  bool has_dirty_line_from(uint64_t first_line);
  void reprotect_lines(const std::vector<uint64_t> &lines);  // preload mode: epoch start
  uint64_t drop_unchanged_lines(std::vector<uint64_t> *lines);  // preload mode: at commit

  // Layout and files.
  std::string path_;
  struct stat st_ {};
  int data_fd_ = -1;
  LogFile log_file_;
  FileWatch file_watch_;  // whether the data file or the log changed since a commit last asked
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<CommitProtocol> protocol_;  // redo, or undo (pmem with FAMSYNC_PMEM_PROTOCOL)
  // protocol_->records_at_first_write(), read once: the first-write path skips the protocol's
  // (virtual) calls when it records nothing there (redo).
  bool records_at_first_write_ = false;
  // base_, map_len_, dirty_: StoreTarget's.
  uint64_t slot_len_ = 0;  // bytes of window slot reserved for it (>= map_len_)
  uint64_t data_size_ = 0; // the file's size now
  uint64_t committed_size_ = 0;  // the file's size as of the last commit (what the log names)

  // Dirty state of the current epoch.
  std::atomic<uint64_t> next_slot_{0};  // next log slot to hand out on the store path
  uint64_t *slot_line_ = nullptr;       // slot -> line index (DRAM, lazily touched)
  // What of the slot table stays resident from epoch to epoch (32768 slots); start_next_epoch
  // gives the rest back. A multiple of any page size up to 256 KiB.
  static constexpr uint64_t kSlotTableKeptBytes = 256 * 1024;
  uint64_t slot_line_cap_ = 0;
  std::mutex overflow_mutex_;
  std::vector<uint64_t> overflow_;      // lines dirty but not (yet) in the log
  // While a commit writes its snapshot (commit()): first writes are listed here instead, for the
  // next epoch (under overflow_mutex_).
  std::atomic<bool> defer_first_writes_{false};
  std::vector<uint64_t> next_epoch_lines_;

  EpochGate gate_;  // the store path's slow path vs. commit/rollback (epoch_gate.hpp)
  std::vector<char> commit_image_;  // the commit's snapshot of its lines (commit_images)
  LateStoreWatch late_watch_;  // recent commits' lines, rechecked by the next commits

  WorkingSet working_set_;  // clean private pages, given back over the budget (under mutex_)

  RegionLock mutex_;  // commit / rollback / close / stats
  // Group commit (region_commit.cpp): commit() calls so far, and the tickets the last successful
  // commit covered (written under mutex_, read by waiting callers without it).
  std::atomic<uint64_t> commit_tickets_{0};
  std::atomic<uint64_t> committed_through_{0};
  std::vector<uint64_t> scratch_lines_;  // the commit's sorted dirty lines, reused
  std::vector<uint64_t> scratch_dropped_;  // preload mode: the commit's unchanged lines, reused
  std::vector<uint64_t> scratch_slot_lines_;  // preload mode: lines the slot table lists, reused
  int mapping_refs_ = 1;  // guarded by the interposer's mutex
  bool poisoned_ = false;
  // The last rollback failed part-way: the working copy mixes committed and abandoned bytes,
  // so no commit may run until a rollback succeeds (the dirty state is kept for that retry).
  bool rollback_failed_ = false;
  bool disowned_ = false;
  bool page_protect_ = false;  // preload mode (protect_pages)
  Stats stats_;
};

// The region covering ADDR (inside the window), or nullptr. Inline: fams_will_write's path.
inline Region *region_in_window(uintptr_t addr) {
  return static_cast<Region *>(window::lookup_in_window(addr));
}

}  // namespace famsync
