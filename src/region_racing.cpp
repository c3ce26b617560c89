// region_racing.cpp — writes that race a commit (DESIGN.md §6, "Writes racing a commit"): the
// commit's snapshot of its lines, and relisting lines written during or after it.
// Invariant: a line whose working copy differs from the file's committed bytes is listed, except
// for a store whose thread stopped between its check and the store for longer than the watch.
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

// Whether a thread other than the caller (the committer) stored into the region since the last
// commit asked, i.e. whether one may still be between its dirty-bit check and its store for a
// line the caller just cleared. Called after clear_line_state. A Dekker pair with
// note_new_writer: the writer's locked exchange comes before its dirty-bit load, the fence here
// after the clear; so either the writer's check saw the line clean (and listed it in the new
// epoch) or its registration is visible here. A thread that stays the last writer registers
// only once, before its first store, so last_writer_ != the caller covers it.
bool Region::other_threads_stored() {
  if (__libc_single_threaded) return false;  // glibc never sets it back: no thread ever existed
  std::atomic_thread_fence(std::memory_order_seq_cst);
  bool others = other_writers_.exchange(false, std::memory_order_seq_cst);
  uintptr_t last = last_writer_.load(std::memory_order_seq_cst);
  uintptr_t self = reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
  // The registration alone misses a thread that registered before an earlier commit consumed it
  // and checked a line only after that commit: its store can still land after this commit's
  // clear (GroupCommit.EveryCallerFindsItsWriteInTheFileWhenItsCommitReturns lost a thread's
  // first write this way in about one run in ten on pmem). Its writer-epoch slot says it has not
  // committed since its last store-path call.
  return others || (last != 0 && last != self) || writer_epochs::others_in_flight();
}

// Where the commit takes the bytes of LINES from. When another thread stores into the region
// (OTHERS_STORE, other_threads_stored), a store whose check ran before clear_line_state may still
// land (DESIGN §1.6): the log and the data file must get the same bytes, so they come from one
// snapshot. Otherwise no store can land in them before the next epoch (a thread that starts
// storing now finds them clean and waits at the gate), and the commit reads the working copy.
LineImages Region::commit_images(const std::vector<uint64_t> &lines, bool others_store) {
  if (!others_store) return LineImages{base_, false, &lines};
  commit_image_.resize(lines.size() * kLineSize);
  for (size_t i = 0; i < lines.size(); ++i)
    memcpy(&commit_image_[i * kLineSize], base_ + lines[i] * kLineSize, kLineSize);
  return LineImages{commit_image_.data(), true, &lines};
}

// After a commit from a snapshot: a line whose working copy differs from what was committed was
// written while the commit ran. It belongs to the next epoch: listed again, with the committed
// bytes (now in the data file) as its old bytes, exactly as a line written behind the store path.
// Returns the number of such lines.
uint64_t Region::relist_lines_written_meanwhile(const LineImages &images) {
  if (!images.packed) return 0;
  const std::vector<uint64_t> &lines = *images.lines;
  uint64_t relisted = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    uint64_t line = lines[i];
    if (dirty_.is_logged(line)) continue;  // first written meanwhile: listed already
    if (memcmp(base_ + line * kLineSize, images.bytes(i), kLineSize) == 0) continue;
    dirty_.try_claim(line);
    overflow_.push_back(line);
    dirty_.set_logged(line);
    ++relisted;
  }
  stats_.racing_lines += relisted;
  return relisted;
}

// Lines of recent commits that changed without being listed were written by a store whose check
// ran before the commit cleared them (late_store_watch.hpp): they are listed now, before this
// commit collects its lines (their committed bytes are in the data file). One that was logged in
// this epoch meanwhile may have had the late store copied as its "old" bytes by the undo
// protocol: its entry is rewritten with the committed bytes. *LATE_OUT: lines found.
// Errors: the log's (an entry that cannot be rewritten fails the commit before anything is
// published).
int Region::recheck_watched_lines(uint64_t listed, uint64_t *late_out) {
  *late_out = 0;
  if (late_watch_.empty()) return 0;
  uint64_t late = 0;
  // (line, committed bytes): lines recorded at first write this epoch, whose record may hold a
  // late store as "old" bytes (undo)
  std::vector<std::pair<uint64_t, const char *>> logged;
  uint64_t end_line = std::min(line_of(map_len_), lines_covering(data_size_));
  // Read before the compares: every store it speaks for is visible to them (writer_epochs.hpp).
  const uint64_t quiesced = writer_epochs::quiesced_through();
  late_watch_.visit(os::now_ns(), end_line, [&](uint64_t line, const char *committed) {
    if (dirty_.is_logged(line)) {
      if (protocol_->records_at_first_write()) logged.emplace_back(line, committed);
    } else if (memcmp(base_ + line * kLineSize, committed, kLineSize) != 0) {
      dirty_.try_claim(line);
      overflow_.push_back(line);
      dirty_.set_logged(line);
      ++late;
    }
    return 0;
  });
  if (!logged.empty()) {
    std::sort(logged.begin(), logged.end());
    for (uint64_t slot = 0; slot < listed; ++slot) {
      uint64_t line = slot_line_[slot];
      auto it = std::lower_bound(logged.begin(), logged.end(),
                                 std::make_pair(line, static_cast<const char *>(nullptr)));
      if (it == logged.end() || it->first != line) continue;
      bool rewritten = false;
      if (int rc = protocol_->correct_first_write(slot, line, it->second, &rewritten)) return rc;
      if (rewritten) ++late;
    }
  }
  stats_.racing_lines += late;
  *late_out = late;
  // Only now: the entries of LOGGED point into the watch.
  late_watch_.forget_quiesced(quiesced);
  return 0;
}

// After a rollback: as relist_lines_written_meanwhile, comparing with the data file (which holds
// the committed bytes the rollback copied back). Only with other threads in the process.
uint64_t Region::relist_lines_written_during_rollback(const std::vector<uint64_t> &lines) {
  if (__libc_single_threaded) return 0;
  uint64_t relisted = 0;
  uint8_t committed[kLineSize];
  for (uint64_t line : lines) {
    // A line that cannot be read again was just read: treat it as written, which commits its
    // current bytes later rather than losing them.
    bool same = backend_->read(Medium::data, line * kLineSize, committed, kLineSize) == 0 &&
                memcmp(base_ + line * kLineSize, committed, kLineSize) == 0;
    if (same) continue;
    dirty_.try_claim(line);
    overflow_.push_back(line);
    dirty_.set_logged(line);
    ++relisted;
  }
  stats_.racing_lines += relisted;
  return relisted;
}

}  // namespace famsync
