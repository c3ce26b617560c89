// region_protect.cpp — preload mode's page protection (DESIGN.md §10): the working copy is
// read-only at the start of each epoch, so the first write to a page faults and is logged.
// Invariant: after a commit or rollback every page with a line of the epoch is read-only again,
// or the region is poisoned; a line is dropped from a commit only if its working-copy bytes
// equal the data file's, which holds its committed bytes until that commit writes it.
#include "region.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "lines.hpp"
#include "options.hpp"
#include "os.hpp"

#include <sys/single_threaded.h>

#include <algorithm>
#include <iterator>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {

int Region::protect_pages() {
  if (mprotect(base_, map_len_, PROT_READ) != 0) return errno;
  page_protect_ = true;
  return 0;
}

// The pages of the epoch's (sorted) dirty LINES become read-only again: the next epoch's first
// write to each faults and is logged. Best effort: a failure is reported once per region and
// leaves the page writable, i.e. its next writes go unnoticed — so it poisons the region.
void Region::reprotect_lines(const std::vector<uint64_t> &lines) {
  const uint64_t page = page_size();
  uint64_t i = 0;
  while (i < lines.size()) {
    uint64_t first = lines[i] * kLineSize / page, last = first;
    while (i < lines.size() && lines[i] * kLineSize / page <= last + 1) last = lines[i++] * kLineSize / page;
    if (mprotect(base_ + first * page, (last - first + 1) * page, PROT_READ) != 0) {
      fail_poisoned(fail(FAMS_EPOISONED, "%s: mprotect (preload mode) failed: %s",
                         path_.c_str(), strerror(errno)));
      return;
    }
  }
}

// A first write in preload mode lists every line of its page, and most of them usually still
// hold the committed bytes. Those are dropped from the commit's (sorted) LINES and from the
// overflow list the undo protocol logs from (which then holds exactly the kept lines no slot
// lists; lines past the end of the file, already out of LINES, need no log entry either), so the log and the write-back stay at line
// granularity without instrumentation (DESIGN §10). The pages are read-only again (the caller
// re-protected them), so no write can change a line after it was compared. A line whose
// committed bytes cannot be read is kept. Returns the number of lines dropped.
uint64_t Region::drop_unchanged_lines(std::vector<uint64_t> *lines) {
  constexpr size_t kChunkLines = 64;  // one 4 KiB read per run of up to 64 consecutive lines
  char committed[kChunkLines * kLineSize];
  std::vector<uint64_t> &dropped = scratch_dropped_;
  dropped.clear();
  size_t kept = 0;
  for (size_t i = 0; i < lines->size();) {
    size_t j = i + 1;
    while (j < lines->size() && j - i < kChunkLines && (*lines)[j] == (*lines)[j - 1] + 1) ++j;
    uint64_t first = (*lines)[i];
    bool readable =
        backend_->read(Medium::data, first * kLineSize, committed, (j - i) * kLineSize) == 0;
    for (size_t k = i; k < j; ++k) {
      uint64_t line = (*lines)[k];
      if (readable && memcmp(base_ + line * kLineSize, committed + (line - first) * kLineSize,
                             kLineSize) == 0)
        dropped.push_back(line);
      else
        (*lines)[kept++] = line;
    }
    i = j;
  }
  lines->resize(kept);
  if (!dropped.empty()) {
    // The overflow list becomes the kept lines that no slot lists (linear: a preload commit
    // easily has 64 lines per written page, and most of them were dropped).
    std::vector<uint64_t> &in_slots = scratch_slot_lines_;
    in_slots.clear();
    for (uint64_t s = 0, n = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
         s < n; ++s)
      if (slot_line_[s] != UINT64_MAX) in_slots.push_back(slot_line_[s]);
    std::sort(in_slots.begin(), in_slots.end());
    std::lock_guard lock(overflow_mutex_);
    overflow_.clear();
    std::set_difference(lines->begin(), lines->end(), in_slots.begin(), in_slots.end(),
                        std::back_inserter(overflow_));
  }
  stats_.unchanged_lines += dropped.size();
  uint64_t n = dropped.size();
  if (dropped.capacity() > 4096) std::vector<uint64_t>().swap(dropped);  // don't pin a burst
  return n;
}

}  // namespace famsync
