// store_path.hpp — what the store hooks touch of a tracked region: the working copy's range and
// its dirty bits. The lean header runtime/store_hooks.cpp includes instead of the engine (no log,
// backend or recovery header): a write to a line already dirty in this epoch costs a bounds
// check and one bit test here; the first write goes out of line to the region's slow path
// (Region::first_write, region_epoch.cpp).
// Invariant: a store lands only after before_write() returned for its bytes, and before_write()
// returns for a line only once it is listed in the epoch (DESIGN.md §2, "Dirty tracking").
#pragma once

#include "dirty_map.hpp"
#include "lines.hpp"

#include <cstddef>
#include <cstdint>

namespace famsync {

class StoreTarget {
 public:
  // [addr, addr+len) is about to be written (clipped to the region).
  void before_write(uintptr_t addr, size_t len) {
    uintptr_t base = reinterpret_cast<uintptr_t>(base_);
    uintptr_t lo = addr < base ? base : addr;
    uintptr_t hi = addr + len > base + map_len_ ? base + map_len_ : addr + len;
    if (lo >= hi) return;
    for (uint64_t line = line_of(lo - base), last = line_of(hi - 1 - base); line <= last; ++line)
      if (!dirty_.is_logged(line)) [[unlikely]] log_line(line);
  }
  // [addr, addr+len) HAS been written by code that could not announce it first (its committed
  // bytes are still in the data file). Out of line.
  void after_write(uintptr_t addr, size_t len);

  bool contains(uintptr_t addr) const {
    return addr - reinterpret_cast<uintptr_t>(base_) < map_len_;
  }

 protected:
  StoreTarget() = default;
  ~StoreTarget() = default;

  // The first write to LINE in this epoch (out of line, so before_write stays a small leaf).
  [[gnu::noinline]] void log_line(uint64_t line);

  char *base_ = nullptr;  // working copy, inside the window
  uint64_t map_len_ = 0;  // bytes mapped (page multiple; may exceed the file)
  DirtyMap dirty_;        // per-line state of the epoch
};

}  // namespace famsync
