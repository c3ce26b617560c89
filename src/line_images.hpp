// line_images.hpp — where a commit takes the bytes of its dirty lines from.
//
// Either the working copy itself (line L at base + L * 64), or a snapshot of the epoch's sorted
// dirty lines packed in order (line number i of the list at base + i * 64). The snapshot is what
// a commit writes when other threads may be storing into the lines meanwhile: the log and the
// data file then receive the same bytes (region.cpp, Region::commit).
// Invariant: for a run of consecutive line numbers lines[i..j), bytes(i) .. bytes(j-1) are
// contiguous in both layouts, so a run is written with one call.
#pragma once

#include "log_format.hpp"

#include <cstdint>
#include <vector>

namespace famsync {

struct LineImages {
  const char *base;
  bool packed;  // true: a snapshot in list order; false: the working copy
  const std::vector<uint64_t> *lines;

  // The 64 bytes of the I-th listed line.
  const char *bytes(size_t i) const {
    return packed ? base + i * kLineSize : base + (*lines)[i] * kLineSize;
  }
};

}  // namespace famsync
