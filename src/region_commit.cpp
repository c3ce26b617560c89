// region_commit.cpp — committing and rolling back a region's epoch (region.hpp). The protocol
// steps live behind CommitProtocol (undo_protocol.cpp, redo_protocol.cpp; DESIGN.md §4); this file
// collects the epoch, writes the data file for the protocol and starts the next epoch.
// Invariant: a failed commit leaves every line listed (or poisons the region once its log was
// durable); a successful one leaves every committed line clean and equal to the file.
#include "region.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "lines.hpp"
#include "options.hpp"
#include "os.hpp"
#include "writer_epochs.hpp"

#include <sys/single_threaded.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {

// The pages the epoch's (sorted) dirty LINES are on: if they alone exceed the working-set budget,
// say so once (they cannot be given back before this commit), and keep the peak for stats.
void Region::note_pending_pages(const std::vector<uint64_t> &lines) {
  uint64_t pages = 0, last = UINT64_MAX;
  for (uint64_t line : lines) {
    uint64_t page = page_of_line(line);
    if (page != last) ++pages, last = page;
  }
  stats_.pending_pages_peak = std::max(stats_.pending_pages_peak, pages);
  WorkingSet::note_pending_pages(pages, path_.c_str());
}

int Region::fail_poisoned(int rc) {
  poisoned_ = true;
  return rc;
}

// Writes the dirty lines of IMAGES (sorted) to the data file, coalesced into runs and clipped
// at the end of the file. Committing straight from the working copy, runs less than the
// backend's merge gap apart become one write: the clean lines between them hold exactly the
// committed bytes (region.hpp's first invariant), so writing them changes nothing in the file,
// before or after a crash, and they lie on pages the dirty lines already made private.
int Region::write_back(const LineImages &images, bool cached) {
  const std::vector<uint64_t> &lines = *images.lines;
  const uint64_t merge_gap_lines = images.packed ? 0 : backend_->write_merge_gap() / kLineSize;
  size_t i = 0, half = lines.size() / 2;
  bool crashed_mid = false;
  while (i < lines.size()) {
    size_t j = i + 1;
    // Consecutive lines always; with a merge gap of G lines, lines up to G apart (fewer than G
    // clean lines, i.e. less than a page, between them).
    while (j < lines.size() &&
           (lines[j] == lines[j - 1] + 1 || lines[j] - lines[j - 1] <= merge_gap_lines))
      ++j;
    uint64_t off = lines[i] * kLineSize;
    uint64_t end = std::min<uint64_t>((lines[j - 1] + 1) * kLineSize, data_size_);
    if (off < end) {
      int rc = cached ? backend_->stage(Medium::data, off, images.bytes(i), end - off)
                      : backend_->write(Medium::data, off, images.bytes(i), end - off);
      if (rc != 0) return rc;
      stats_.writeback_bytes += end - off;
      ++stats_.writeback_runs;
    }
    if (!crashed_mid && j > half) {
      crashed_mid = true;
      crash_point("commit-mid-writeback");
    }
    i = j;
  }
  return 0;
}

// Group commit: a caller takes a ticket when it arrives. A commit that starts (under the lock)
// after ticket T was taken covers everything written before T was taken: the caller wrote, then
// took T (seq_cst), and the commit reads the ticket count before it collects the epoch's lines.
// So a caller that finds that a successful commit covering its ticket has finished returns at
// once: threads that commit while a commit is in flight are served by the next commit together
// (one flush for all of them). A caller that cannot take the lock does not queue for it: it
// sleeps until the holder releases it (region_lock.hpp) and looks again, so a covered caller
// never waits behind the commit of a thread that arrived after it (with a plain mutex, 4 threads
// got 0.64 flushes per call; benchmarks/group_commit).
int Region::commit() {
  writer_epochs::quiet();  // this thread's stores are done (writer_epochs.hpp)
  uint64_t ticket = commit_tickets_.fetch_add(1, std::memory_order_seq_cst) + 1;
  std::unique_lock<RegionLock> lock(mutex_, std::defer_lock);
  if (!lock_unless_covered(ticket, &lock)) {
    stats_.joined_commits.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  uint64_t covers = commit_tickets_.load(std::memory_order_seq_cst);
  int rc = commit_locked();
  // Release: the commit's writes (log, data file) happen before a waiter sees its ticket covered.
  if (rc == 0) committed_through_.store(covers, std::memory_order_release);
  return rc;
}

bool Region::lock_unless_covered(uint64_t ticket, std::unique_lock<RegionLock> *lock) {
  for (;;) {
    uint32_t seen = mutex_.releases();
    // Covered: a commit that started after this ticket was taken succeeded. Its success stands
    // even if a later commit failed and poisoned the region: these writes are durable.
    if (committed_through_.load(std::memory_order_acquire) >= ticket) return false;
    if (lock->try_lock()) {
      // A commit may have ended between the check and the lock.
      if (committed_through_.load(std::memory_order_relaxed) >= ticket) {
        lock->unlock();
        return false;
      }
      return true;
    }
    mutex_.wait_for_release(seen);
  }
}

int Region::commit_locked() {
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (poisoned_)
    return fail(FAMS_EPOISONED, "%s: an earlier persistence error poisoned this mapping; unmap "
                "and map again to recover the last committed state", path_.c_str());
  if (rollback_failed_)
    return fail(FAMS_EPOISONED, "%s: the last rollback failed part-way, so the working copy "
                "mixes committed and abandoned bytes; nothing is committed until a rollback "
                "succeeds (or unmap and map again)", path_.c_str());
  if (options().verify != Options::Verify::off) {
    if (int rc = verify_untracked_writes()) return rc;
  }
  // Nothing to commit (an fsync right after an msync, a sync with nothing written): no system
  // call at all. A first write racing this belongs to the next commit.
  if (next_slot_.load(std::memory_order_relaxed) == 0 && data_size_ == committed_size_ &&
      late_watch_.empty()) {
    std::lock_guard overflow_lock(overflow_mutex_);
    if (overflow_.empty()) {
      ++stats_.empty_commits;
      return 0;
    }
  }
  // A file cut behind our back (check_not_truncated), or a log deleted or replaced (it protects
  // nothing: recovery would never find it, and its lock no longer keeps other processes out):
  // stop before writing anything. The kernel is asked only when the process's file watch saw a
  // change since this region last looked (file_watch.hpp): no system call in the thread that
  // owns the watch's io_uring ring, one ioctl for all regions in others; not two statx per commit.
  uint64_t watched = 0;
  if (file_watch_.may_have_changed(&watched)) {
    if (int rc = check_not_truncated()) return rc;
    if (log_file_detached(log_file_))
      return fail_poisoned(fail(FAMS_EPOISONED, "%s: its log %s was deleted or replaced while the "
                                "file was mapped; nothing was written (the file keeps its last "
                                "committed state). Unmap it and map it again", path_.c_str(),
                                log_file_.path.c_str()));
    file_watch_.confirm(watched);
  }
  // From here until the next epoch is ready, first writes wait (epoch_gate.hpp).
  GateClosed gate(&gate_);
  uint64_t listed = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
  uint64_t late = 0;
  if (int rc = recheck_watched_lines(listed, &late)) return rc;
  if (listed == 0 && overflow_.empty() && data_size_ == committed_size_) {
    ++stats_.empty_commits;
    return 0;
  }
  uint64_t t0 = os::now_ns();
  std::vector<uint64_t> &lines = scratch_lines_;  // reused: no allocation per commit
  dirty_lines_sorted(listed, &lines);
  clear_line_state(lines);
  // Whether a store of another thread may land in these lines after the clear: then the commit
  // works from a snapshot and hands its lines to the late-store watch (region_racing.cpp).
  const bool others_store = other_threads_stored();
  // Lines a late store may hit get the next writer epoch: a thread that has seen it checks them
  // as cleared (writer_epochs.hpp).
  const uint64_t batch_epoch = others_store ? writer_epochs::advance() : 0;
  // Lines wholly past the end of the file are not file bytes (written past EOF, or cut off by a
  // truncation, whose pages the kernel dropped): nothing to write, and nothing to read.
  uint64_t end_line = lines_covering(data_size_);
  while (!lines.empty() && lines.back() >= end_line) lines.pop_back();
  // Preload mode: the pages go read-only now, so every later write faults and waits at the gate
  // (no write can slip between the snapshot and the next epoch).
  // Its pages' other lines were listed with it: those still equal to the file are dropped.
  if (page_protect_) {
    reprotect_lines(lines);
    if (drop_unchanged_lines(&lines) != 0 && lines.empty() && data_size_ == committed_size_) {
      start_next_epoch();  // every written page was left as it was: nothing to commit
      ++stats_.empty_commits;
      return 0;
    }
  }
  LineImages images = commit_images(lines, others_store);
  // With a snapshot, the commit's bytes are fixed: first writes need not wait for the log and
  // the write-back. They are listed for the next epoch on the side (their committed bytes are
  // in the data file once this commit is done, or still are if it fails) and the gate opens
  // until the epoch switch. This is what lets threads that write and commit while a commit is
  // in flight be served together by the next one (group commit, commit()).
  if (images.packed) {
    defer_first_writes_.store(true, std::memory_order_relaxed);
    gate_.open();
  }
  EpochToCommit epoch{&images, listed, &overflow_, data_size_, committed_size_};
  bool poisonous = false;
  int rc = protocol_->commit(epoch, this, &stats_, &poisonous);
  uint64_t deferred = 0;
  if (images.packed) {
    gate_.close();
    defer_first_writes_.store(false, std::memory_order_relaxed);
    deferred = next_epoch_lines_.size();
  }
  if (rc != 0) {
    restore_line_state(lines);
    overflow_.insert(overflow_.end(), next_epoch_lines_.begin(), next_epoch_lines_.end());
    next_epoch_lines_.clear();
    return poisonous ? fail_poisoned(rc) : rc;
  }
  note_pending_pages(lines);
  committed_size_ = data_size_;
  // A new epoch begins (with the lines first written meanwhile).
  start_next_epoch();
  uint64_t relisted = relist_lines_written_meanwhile(images) + deferred;
  if (images.packed)
    late_watch_.remember(images, os::now_ns(), batch_epoch);
  else
    late_watch_.refresh(images);
  if (commit_image_.capacity() > (1u << 20)) std::vector<char>().swap(commit_image_);
  // Every page is clean now (unless a racing write was relisted): over the budget, the oldest go
  // back to the page cache.
  // In a process with threads, pages of recently committed lines stay: a late store may still
  // land in one (late_store_watch.hpp), and giving the page back would make it vanish unseen.
  uint64_t now = late_watch_.empty() ? 0 : os::now_ns();
  working_set_.after_clean(base_, map_len_, lines, /*may_give_back=*/relisted == 0,
                           [&](uint64_t page) {
                             return late_watch_.watches_any(page * page_size() / kLineSize,
                                                            page_size() / kLineSize, now);
                           });
  ++stats_.commits;
  stats_.dirty_lines += lines.size();
  if (lines.capacity() > 4096) std::vector<uint64_t>().swap(lines);  // don't pin a burst
  stats_.latency.add(os::now_ns() - t0);
  return 0;
}

int Region::reserve_write_back(const LineImages &images) {
  if (backend_->data_has_no_holes()) return 0;
  const std::vector<uint64_t> &lines = *images.lines;
  for (size_t i = 0; i < lines.size();) {
    size_t j = i + 1;
    while (j < lines.size() && lines[j] == lines[j - 1] + 1) ++j;
    uint64_t off = lines[i] * kLineSize;
    uint64_t end = std::min<uint64_t>((lines[j - 1] + 1) * kLineSize, data_size_);
    if (off < end) {
      if (int rc = backend_->reserve_data(off, end - off)) {
        std::string why = last_error_message();
        return fail(rc, "%s: %s", path_.c_str(), why.c_str());
      }
    }
    i = j;
  }
  return 0;
}

int Region::rollback() {
  std::lock_guard lock(mutex_);
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (poisoned_)
    return fail(FAMS_EPOISONED, "%s: poisoned mapping; unmap and map again to roll back",
                path_.c_str());
  {
    GateClosed gate(&gate_);  // first writes wait until the next epoch is ready
    uint64_t listed = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
    std::vector<uint64_t> lines;
    dirty_lines_sorted(listed, &lines);
    clear_line_state(lines);
    // The data file holds the committed bytes of every dirty line: copy them back, run by run.
    // A run that cannot be read leaves new bytes among restored ones: that working copy must
    // never be committed (the C++ destructor unmaps after a rollback, and unmap commits), so
    // commits are refused until a rollback succeeds. The dirty state is kept whole, so a retry
    // restores every line; the other runs are restored now, so the program reads as little of
    // the abandoned state as possible.
    int read_rc = 0;
    uint64_t failed_off = 0;
    char read_msg[512] = "";
    for (size_t i = 0; i < lines.size();) {
      size_t j = i + 1;
      while (j < lines.size() && lines[j] == lines[j - 1] + 1) ++j;
      uint64_t off = lines[i] * kLineSize, len = (lines[j - 1] + 1) * kLineSize - off;
      if (int rc = backend_->read(Medium::data, off, base_ + off, len); rc != 0 && read_rc == 0) {
        read_rc = rc;
        failed_off = off;
        snprintf(read_msg, sizeof read_msg, "%s", last_error_message());
      }
      i = j;
    }
    if (read_rc != 0) {
      restore_line_state(lines);
      rollback_failed_ = true;
      return fail(read_rc, "%s: rollback could not read the committed bytes at %llu back (%s); "
                  "nothing is committed until a rollback succeeds (retry it, or unmap and map "
                  "again to get the last committed state)", path_.c_str(),
                  (unsigned long long)failed_off, read_msg);
    }
    rollback_failed_ = false;
    if (page_protect_) reprotect_lines(lines);
    start_next_epoch();
    uint64_t relisted = relist_lines_written_during_rollback(lines);
    working_set_.after_clean(base_, map_len_, lines, /*may_give_back=*/relisted == 0);
  }
  // The size is part of the committed state: undo a growth (a shrink is durable at once and
  // cannot be undone; its bytes are gone).
  if (data_size_ > committed_size_) {
    if (int rc = change_size_locked(committed_size_)) return rc;
  }
  ++stats_.rollbacks;
  return 0;
}

}  // namespace famsync
