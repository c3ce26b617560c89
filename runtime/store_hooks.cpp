// store_hooks.cpp — the ABI hooks instrumented code calls before (or after) writing memory.
//
// Cost on the path that matters: instrumented code has already checked the window inline, so a
// hook that lands here for a clean-or-logged line does: one subtract+compare (repeated, because
// the always-call mode skips the inline check), one table load, the region's bounds, one bitmap
// load and bit test per line. The first write to a line in an epoch takes StoreTarget::log_line,
// which is out of line on purpose so this stays a small leaf. Includes only the lean store-path
// header: no log, backend or recovery code is visible here.
// Invariant: hooks never fail and never block except to wait for another thread's logging of the
// same line; addresses outside live regions (or outside the window) are ignored.
#include <famsync/abi.h>

#include "../src/store_path.hpp"
#include "../src/window.hpp"

namespace {

inline void note(void *addr, unsigned long size) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  if (!famsync::window::in_window(a)) [[unlikely]] return;
  famsync::StoreTarget *r = famsync::window::lookup_in_window(a);
  if (r == nullptr) [[unlikely]] return;
  r->before_write(a, size);
}

// Calls FN(region, lo, len) for each piece of [addr, addr+size) inside a live region. A range may
// start outside the window or straddle several regions, so it is walked granule by granule.
template <typename Fn>
void for_each_region_piece(void *addr, unsigned long size, Fn fn) {
  if (size == 0) return;
  auto a = reinterpret_cast<uintptr_t>(addr);
  uintptr_t end = a + size < a ? UINTPTR_MAX : a + size;
  uintptr_t lo = a, base = __fams_window_base, window_end = base + __fams_window_size;
  if (lo < base) lo = base;
  while (lo < end && lo < window_end) {
    uintptr_t granule_end = ((lo >> famsync::window::kGranuleShift) + 1)
                            << famsync::window::kGranuleShift;
    uintptr_t piece_end = end < granule_end ? end : granule_end;
    if (famsync::StoreTarget *r = famsync::window::lookup_in_window(lo)) fn(r, lo, piece_end - lo);
    lo = granule_end;
  }
}

}  // namespace

extern "C" {

// Each version is a superset of the one before: old modules keep linking.
char __fams_abi_version_1 = 1;
char __fams_abi_version_2 = 2;
char __fams_abi_version_3 = 3;

void __fams_store1(void *addr) { note(addr, 1); }
void __fams_store2(void *addr) { note(addr, 2); }
void __fams_store4(void *addr) { note(addr, 4); }
void __fams_store8(void *addr) { note(addr, 8); }
void __fams_store16(void *addr) { note(addr, 16); }
void __fams_store_n(void *addr, unsigned long size) { note(addr, size); }

void __fams_before_write_range(void *addr, unsigned long size) {
  for_each_region_piece(addr, size,
                        [](famsync::StoreTarget *r, uintptr_t lo, size_t len) { r->before_write(lo, len); });
}

void __fams_after_write_range(void *addr, unsigned long size) {
  for_each_region_piece(
      addr, size, [](famsync::StoreTarget *r, uintptr_t lo, size_t len) { r->after_write(lo, len); });
}

// The version-2 names (abi.h): the same functions, for modules built by an older pass.
void __fams_write_range(void *addr, unsigned long size)
    __attribute__((alias("__fams_before_write_range")));
void __fams_wrote_range(void *addr, unsigned long size)
    __attribute__((alias("__fams_after_write_range")));

}  // extern "C"

