// window.hpp — the VA window every working copy lives in, and its address -> region table.
//
// At first use the runtime reserves one PROT_NONE, MAP_NORESERVE range (FAMSYNC_WINDOW_GB,
// default and maximum 1 TiB: address space only, no memory) at the fixed address of abi.h
// (FAMS_WINDOW_FIXED_BASE, MAP_FIXED_NOREPLACE; nowhere else, see reserve()) and publishes it in
// __fams_window_base/size, so "is this address tracked?" is one shift and one compare with an
// immediate in instrumented code (one subtract and one compare here). Working
// copies are placed at 2 MiB-aligned slots inside it; a table with one entry per 2 MiB granule
// maps an address to its region with one shift and one load.
// Invariant: a table entry is non-null exactly while a live region covers that granule; freed
// slots are re-reserved PROT_NONE, so a stale pointer into one faults instead of corrupting.
#pragma once

#include <famsync/abi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace famsync {

class StoreTarget;  // store_path.hpp: what of a region the table points to

namespace window {

inline constexpr unsigned kGranuleShift = 21;  // 2 MiB

// Reserves the window if not yet done. Errors: ENOMEM (also, for good, after a failed
// reserve_at_start()).
int reserve();

// __fams_module_init: reserves the window before any instrumented function runs. Instrumented
// functions load the window's base and size once at entry, so a window that appeared later
// would leave running functions storing into it without hooks (changes never committed). On
// failure it prints one line and makes every later reserve() fail too: nothing is tracked in
// this process, which is visible (each mapping says so) instead of silently half-tracked.
int reserve_at_start();

// Takes a free slot of at least LEN bytes. Errors: ENOMEM (window full or not reserved).
int allocate(size_t len, uintptr_t *out);
// Returns the slot to the pool after making it PROT_NONE again. If that mmap fails the slot is
// NOT returned (whatever is left there must never be handed out again): one line on stderr (the
// callers are teardown and error paths, whose own message must survive) and errno is returned.
int release(uintptr_t addr, size_t len);
// Bytes in the free pool (tests).
uint64_t free_bytes();

void publish(uintptr_t addr, size_t len, StoreTarget *region);  // nullptr unpublishes

// One entry per 2 MiB granule of the window: the region covering it, or nullptr. Set once the
// window is reserved (before __fams_window_size becomes non-zero); entries change under the
// window's mutex (publish).
[[gnu::visibility("hidden")]] extern std::atomic<StoreTarget *> *g_table;

// The region covering ADDR, or nullptr. ADDR must be inside the window. (region.hpp's
// region_in_window gives the whole Region.) Inline: it is one load on every store hook's path,
// and a call there made each hook save six registers before it knew the line was dirty already.
inline StoreTarget *lookup_in_window(uintptr_t addr) {
  return g_table[(addr - __fams_window_base) >> kGranuleShift].load(std::memory_order_acquire);
}

inline bool in_window(uintptr_t addr) {
  return addr - __fams_window_base < __fams_window_size;
}

}  // namespace window
}  // namespace famsync
