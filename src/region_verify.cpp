// region_verify.cpp — verify mode (FAMSYNC_VERIFY): finds writes that bypassed tracking.
// Invariant: only lines nobody announced are compared; nothing is written when it fails.
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

// Verify mode: every line nobody announced a write to must still equal the file. A difference
// means something wrote the working copy behind the tracking (uninstrumented library, inline asm,
// a syscall reading into the mapping). O(mapping size): a debugging aid, not for production.
int Region::verify_untracked_writes() {
  constexpr uint64_t kChunk = 1 << 20;
  std::vector<uint8_t> file(kChunk);
  std::vector<uint64_t> untracked;
  uint64_t covered = std::min(data_size_, map_len_);  // bytes both in the file and the mapping
  for (uint64_t off = 0; off < covered; off += kChunk) {
    uint64_t len = std::min(kChunk, covered - off);
    if (int rc = backend_->read(Medium::data, off, file.data(), len)) return rc;
    for (uint64_t l = 0; l * kLineSize < len; ++l) {
      uint64_t line = off / kLineSize + l;
      uint64_t n = std::min<uint64_t>(kLineSize, len - l * kLineSize);
      if (!dirty_.is_claimed(line) && memcmp(base_ + line * kLineSize, &file[l * kLineSize], n) != 0)
        untracked.push_back(line);
    }
  }
  if (untracked.empty()) return 0;
  Options::Verify mode = options().verify;
  for (size_t i = 0; i < untracked.size() && i < 16; ++i)
    fprintf(stderr, "famsync verify: %s: bytes [%llu, +64) changed without an instrumented write "
            "(uninstrumented code, inline asm or a syscall wrote the mapping)\n", path_.c_str(),
            (unsigned long long)(untracked[i] * kLineSize));
  if (untracked.size() > 16)
    fprintf(stderr, "famsync verify: %s: ... %zu untracked lines in all\n", path_.c_str(),
            untracked.size());
  if (mode == Options::Verify::abort) abort();
  if (mode == Options::Verify::warn) {  // adopt them: the file still holds their committed bytes
    for (uint64_t line : untracked)
      after_write(reinterpret_cast<uintptr_t>(base_ + line * kLineSize), kLineSize);
    return 0;
  }
  return fail(FAMS_EVERIFY, "%s: %zu lines changed without an instrumented write (see stderr); "
              "nothing was committed", path_.c_str(), untracked.size());
}

}  // namespace famsync
