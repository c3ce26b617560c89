// region_protect.cpp — preload mode's page protection (DESIGN.md §10): the working copy is
// read-only at the start of each epoch, so the first write to a page faults and is logged.
// Invariant: after a commit or rollback every page with a line of the epoch is read-only again,
// or the region is poisoned.
#include "region.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "lines.hpp"
#include "options.hpp"
#include "os.hpp"

#include <sys/single_threaded.h>

#include <algorithm>
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

}  // namespace famsync
