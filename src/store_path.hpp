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
#include "writer_epochs.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace famsync {

class StoreTarget {
 public:
  // [addr, addr+len) is about to be written (clipped to the region). Always inlined: it is the
  // body of every store hook and of fams_will_write. The common case (the bytes inside one line
  // of the region, this thread the last writer) makes no call but the first write's, last, so
  // the compiler gives the hooks no frame: saving registers for calls that almost never happen
  // was a third of a hook's instructions. Everything else goes out of line.
  [[gnu::always_inline]] void before_write(uintptr_t addr, size_t len) {
    uintptr_t off = addr - reinterpret_cast<uintptr_t>(base_);
    // map_len_ is a multiple of the line: a line that starts inside the region ends inside it.
    // len == 0 fails the second test (len - 1 wraps).
    if (off < map_len_ && len - 1 < kLineSize - off % kLineSize &&
        last_writer_.load(std::memory_order_relaxed) == thread_pointer()) [[likely]] {
      writer_epochs::publish();
      uint64_t line = line_of(off);
      if (!dirty_.is_logged(line)) [[unlikely]] log_line(line);
      return;
    }
    before_write_any(addr, len);
  }
  // [addr, addr+len) HAS been written by code that could not announce it first (its committed
  // bytes are still in the data file). Out of line.
  void after_write(uintptr_t addr, size_t len);

  bool contains(uintptr_t addr) const {
    return addr - reinterpret_cast<uintptr_t>(base_) < map_len_;
  }

  // The calling thread is about to store into the region. Records which thread stores, so that
  // a commit knows whether a store of another thread may land after it cleared the line (the
  // late-store watch, late_store_watch.hpp, is then needed; it costs a compare of every line
  // committed in the last 200 ms at every commit). Fast path: one load and compare; a thread
  // that is not the last writer goes out of line (a locked exchange). Skipping that only while
  // this thread IS the last writer is what keeps it sound (Region::other_threads_stored).
  // Then the thread publishes the commit epoch it has seen (writer_epochs.hpp), which lets the
  // watch forget lines once no store checked before their commit can still land.
  void note_writer() {
    uintptr_t self = thread_pointer();
    if (last_writer_.load(std::memory_order_relaxed) != self) [[unlikely]]
      note_new_writer(self);
    writer_epochs::publish();
  }

 protected:
  // A range this long announced at once (memcpy, memset, fams_will_write of a buffer) has its
  // pages made private in one madvise(MADV_POPULATE_WRITE) before its first write in the epoch:
  // one kernel entry instead of a copy-on-write fault per page (about 25 % of the first-write
  // cost here, benchmarks/first_write). Out of line; errors are ignored (the writes then fault
  // as usual).
  static constexpr uintptr_t kPopulateMinBytes = 4 * 4096;
  void populate_for_write(uintptr_t lo, uintptr_t hi);

  StoreTarget() = default;
  ~StoreTarget() = default;

  static uintptr_t thread_pointer() {
    return reinterpret_cast<uintptr_t>(__builtin_thread_pointer());
  }
  // [addr, addr+len) clipped to the region, as [*lo, *hi); false when nothing of it is inside.
  bool clip_to_region(uintptr_t addr, size_t len, uintptr_t *lo, uintptr_t *hi) const {
    uintptr_t base = reinterpret_cast<uintptr_t>(base_);
    *lo = addr < base ? base : addr;
    *hi = addr + len > base + map_len_ ? base + map_len_ : addr + len;
    return *lo < *hi;
  }
  // before_write of any range: clipped to the region, several lines (a range this long first
  // populated), or a thread that is not the last writer.
  [[gnu::noinline]] void before_write_any(uintptr_t addr, size_t len);

  // The first write to LINE in this epoch (out of line, so before_write stays a small leaf).
  [[gnu::noinline]] void log_line(uint64_t line);
  // note_writer's slow path: SELF becomes the last writer (a full barrier, before the caller
  // loads any dirty bit), and other_writers_ is set if another thread was. A thread without an
  // epoch slot (writer_epochs.hpp) claims one first.
  [[gnu::noinline]] void note_new_writer(uintptr_t self);

  char *base_ = nullptr;  // working copy, inside the window
  uint64_t map_len_ = 0;  // bytes mapped (page multiple; may exceed the file)
  DirtyMap dirty_;        // per-line state of the epoch
  // Threads that store (note_writer): the last one (its thread pointer; 0: none yet), and
  // whether another one stored since the last commit looked (Region::other_threads_stored).
  std::atomic<uintptr_t> last_writer_{0};
  std::atomic<bool> other_writers_{false};
};

}  // namespace famsync
