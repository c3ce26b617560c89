// region_resize.cpp — size changes of a tracked file and of its working copy: ftruncate,
// pwrite past EOF, mremap, fams_resize, and a truncation by someone else (region.hpp).
// Invariant: no log record names bytes past the file's end; growth is committed by the next
// commit, a shrink at once.
#include "region.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "lines.hpp"
#include "options.hpp"
#include "os.hpp"
#include "window.hpp"

#include <sys/single_threaded.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {

// Another process (or an untracked descriptor) may cut the file while it is mapped. The kernel
// then drops the working copy's pages past the new end, private copies included: writing them
// back, or logging them, would raise SIGBUS in the commit. The cut is adopted as a shrink made
// by someone else (durable, so the log never names bytes past the new end) and this commit is
// refused with nothing written; pending changes inside the new size stay pending (the next
// commit writes them), those past it are gone with the bytes the cut removed (commit() skips
// them). One statx, asked when the file watch saw a change (file_watch.hpp). Errors: FAMS_ERANGE
// (truncated), statx's, a checkpoint's.
int Region::check_not_truncated() {
  uint64_t mapped = data_size_;
  bool truncated = false;
  if (int rc = adopt_truncation(&truncated)) return rc;
  if (!truncated) return 0;
  uint64_t size = data_size_;
  return fail(FAMS_ERANGE, "%s was truncated to %llu bytes behind famsync's back (it was %llu); "
              "nothing was committed this time. Pending changes inside the new size stay pending "
              "(the next commit writes them); those past it are lost with the bytes the "
              "truncation removed", path_.c_str(), (unsigned long long)size,
              (unsigned long long)mapped);
}

// Adopts a truncation made behind famsync's back (see check_not_truncated) without failing.
// Errors: statx's, a checkpoint's (poisons).
int Region::adopt_truncation(bool *truncated) {
  *truncated = false;
  os::FileFacts facts;  // not fstat: see os::file_facts
  if (int rc = os::file_facts(data_fd_, path_.c_str(), &facts)) return rc;
  uint64_t size = facts.size;
  if (size >= data_size_) return 0;
  if (protocol_->has_unsettled_commits()) {  // its groups name bytes past the new end
    bool checkpointed = false;
    if (int rc = protocol_->settle(size, &checkpointed)) return fail_poisoned(rc);
    if (checkpointed) ++stats_.checkpoints;
  } else {
    if (int rc = protocol_->lower_committed_size(size)) return fail_poisoned(rc);
  }
  data_size_ = committed_size_ = size;
  *truncated = true;
  return 0;
}

// The program itself acts on the file again (mmap of it, ftruncate, pwrite past EOF): a truncation
// it made meanwhile without famsync seeing it (open with O_TRUNC, e.g. Kyoto Cabinet recreating
// a database it closed with changes pending) is the program's own: adopted without an error, as
// the kernel would (the pending changes past the new end go with the bytes it removed).
int Region::adopt_own_truncation() {
  std::lock_guard lock(mutex_);
  if (disowned_ || poisoned_) return 0;
  bool truncated = false;
  return adopt_truncation(&truncated);
}

int Region::resize_file(uint64_t new_size) {
  // The file belongs to the parent: a child that changed its size would change the parent's
  // committed state behind its back (found while writing famsync(3)).
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (int rc = adopt_own_truncation()) return rc;
  bool shrinking = new_size < data_size_;
  // A pending line past the new end would put a log entry past EOF into the next commit, which
  // recovery refuses: commit such changes first (rare: programs shrink what they no longer use).
  if (shrinking && has_dirty_line_from(lines_covering(new_size))) {
    if (int rc = commit()) return rc;
  }
  std::lock_guard lock(mutex_);
  if (poisoned_) return fail(FAMS_EPOISONED, "%s: poisoned mapping", path_.c_str());
  if (shrinking) {
    // No log record may name lines past the new end: redo checkpoints its groups; undo makes the
    // last retire's lazy live-word reset durable (entries of this generation left by a rollback
    // must not become live past the new end: recovery would refuse them).
    bool checkpointed = false;
    if (int rc = protocol_->settle(committed_size_, &checkpointed)) return fail_poisoned(rc);
    if (checkpointed) ++stats_.checkpoints;
  }
  if (int rc = change_size_locked(new_size)) return rc;
  if (new_size < committed_size_) {  // a shrink is committed at once: the bytes are gone
    if (int rc = protocol_->lower_committed_size(new_size)) return fail_poisoned(rc);
    committed_size_ = new_size;
  }
  return 0;
}

int Region::extend_file(uint64_t min_size) {
  std::lock_guard lock(mutex_);
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (poisoned_) return fail(FAMS_EPOISONED, "%s: poisoned mapping", path_.c_str());
  bool truncated = false;  // (adopt_own_truncation, under the lock already held)
  if (int rc = adopt_truncation(&truncated)) return rc;
  if (min_size <= data_size_) return 0;  // another writer got there first
  return change_size_locked(min_size);
}

// Sets the file's size durably and keeps the working copy consistent with it. Growth is not
// committed here: the log still names the old size until the next commit.
int Region::change_size_locked(uint64_t new_size) {
  // The size must be durable before a commit relies on it (recovery refuses entries past EOF).
  if (int rc = backend_->set_data_size(new_size)) return fail_poisoned(rc);
  uint64_t old_size = data_size_;
  data_size_ = new_size;
  uint64_t page_end = page_round_up(std::min(old_size, new_size));
  if (new_size < old_size) {
    // Truncation zeroes the rest of the new last page in a shared mapping (the kernel drops the
    // pages after it, private copies included). Our copy of that page is private: zero its tail
    // too, or a later growth would bring the stale bytes back. Not file bytes: not tracked.
    uint64_t end = std::min(page_end, map_len_);
    if (new_size < end) memset(base_ + new_size, 0, end - new_size);
  } else if (new_size > old_size) {
    // Bytes the program wrote past the old EOF inside the old last page (legal in a file
    // mapping) could not be committed then — they were not file bytes — and their lines were
    // cleaned. They are file bytes now: list them again so the next commit writes them (their
    // committed bytes, logged from the file, are the zeros the growth just created).
    uint64_t end = std::min({new_size, page_end, map_len_});
    if (old_size < end)
      after_write(reinterpret_cast<uintptr_t>(base_) + old_size, end - old_size);
  }
  return 0;
}

int Region::remap(uint64_t new_length, bool may_move, void **out, bool commit_on_shrink) {
  uint64_t want = page_round_up(new_length);
  if (want == 0) return fail(EINVAL, "mremap to length 0");
  if (want < map_len_ && (commit_on_shrink || has_dirty_line_from(want / kLineSize))) {
    if (int rc = commit()) return rc;  // the tail goes away, like a partial munmap
  }
  std::lock_guard lock(mutex_);
  auto base = reinterpret_cast<uintptr_t>(base_);
  if (want < map_len_) {  // shrink in place: the tail returns to the window's reservation
    if (mmap(base_ + want, map_len_ - want, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
      return fail_errno("mmap(shrinking the working copy of %s)", path_.c_str());
    map_len_ = want;
    *out = base_;
    return 0;
  }
  if (want > map_len_) {
    if (!dirty_.grow(want / kLineSize)) return fail(ENOMEM, "growing dirty state for %s", path_.c_str());
    if (want > slot_len_) {  // move to a larger slot
      if (!may_move)
        return fail(ENOMEM, "%s: the working copy cannot grow in place and MREMAP_MAYMOVE was "
                    "not given", path_.c_str());
      uint64_t new_slot_len = (want + (1ull << window::kGranuleShift) - 1) >>
                              window::kGranuleShift << window::kGranuleShift;
      uintptr_t slot;
      if (int rc = window::allocate(new_slot_len, &slot)) return rc;
      void *moved = mremap(base_, map_len_, map_len_, MREMAP_MAYMOVE | MREMAP_FIXED,
                           reinterpret_cast<void *>(slot));
      if (moved == MAP_FAILED) {
        int rc = fail_errno("mremap(moving the working copy of %s)", path_.c_str());
        window::release(slot, new_slot_len);
        return rc;
      }
      window::publish(base, slot_len_, nullptr);
      window::release(base, slot_len_);  // the old range is a hole now: reserve it again
      base_ = static_cast<char *>(moved);
      base = slot;
      slot_len_ = new_slot_len;
      window::publish(base, slot_len_, this);
    }
    // The added range: more of the same private file mapping, at the next file offset.
    if (mmap(base_ + map_len_, want - map_len_, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
             data_fd_, static_cast<off_t>(map_len_)) == MAP_FAILED)
      return fail_errno("mmap(growing the working copy of %s)", path_.c_str());
    map_len_ = want;
  }
  *out = base_;
  return 0;
}

int Region::fit_mapping_to_size() {
  uint64_t size;
  {
    std::lock_guard lock(mutex_);
    size = data_size_;
  }
  void *out = nullptr;
  return remap(std::max<uint64_t>(size, 1), /*may_move=*/true, &out, /*commit_on_shrink=*/false);
}

}  // namespace famsync
