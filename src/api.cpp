// api.cpp — the public C API (famsync.h): argument validation, then the engine.
//
// Invariant: every entry point validates its arguments in every build (null pointers, unknown
// flags, handles that are not live regions) and clears/sets the thread's error message, so bad
// input gets a code and a message, never a crash.
//
// A handle is not a pointer: it encodes the region's registry id (never reused in a process) in a
// non-canonical address, so a handle kept after fams_unmap can never name a region mapped later
// (malloc may well place the new Region where the old one was), and a program that dereferences
// one faults at once. Entry points hold the registry pin from lookup to the end of the call, so
// the exit hook (or a concurrent unmap) cannot free the region under them.
#include "error.hpp"
#include "region.hpp"
#include "registry.hpp"
#include "window.hpp"

#include <famsync/famsync.h>

using famsync::Region;
namespace registry = famsync::registry;
namespace window = famsync::window;

struct fams_region {};  // opaque to users; never dereferenced (see above)

namespace {

// High 16 bits: a tag making the value non-canonical on x86-64 and AArch64 (any dereference
// faults); low 48 bits: the registry id (2^48 maps in one process will not happen).
constexpr uint64_t kHandleTag = 0xfa5c000000000000ull;
constexpr uint64_t kIdMask = (1ull << 48) - 1;

fams_region *as_handle(uint64_t id) {
  return id == 0 ? nullptr : reinterpret_cast<fams_region *>(kHandleTag | id);
}

// The live region HANDLE names, or an error (EINVAL for NULL, FAMS_ENOTTRACKED for a stale or
// made-up handle). The caller holds registry::pin() or lock_lifetimes().
int lookup(const fams_region *handle, const char *fn, Region **out) {
  *out = nullptr;
  if (handle == nullptr) return famsync::fail(EINVAL, "%s: region is NULL", fn);
  auto v = reinterpret_cast<uintptr_t>(handle);
  if ((v & ~kIdMask) == kHandleTag) *out = registry::by_id(v & kIdMask);
  if (*out == nullptr)
    return famsync::fail(FAMS_ENOTTRACKED,
                         "%s: %p is not a live region handle (already unmapped, or not a handle "
                         "fams_map returned)", fn, static_cast<const void *>(handle));
  return 0;
}

[[gnu::always_inline]] inline Region *region_of(const void *addr) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  if (!window::in_window(a)) return nullptr;
  return famsync::region_in_window(a);
}

}  // namespace

extern "C" {

int fams_map(const char *path, unsigned flags, fams_region **out) {
  famsync::clear_error();
  if (path == nullptr || out == nullptr)
    return famsync::fail(EINVAL, "fams_map: %s is NULL", path == nullptr ? "path" : "out");
  *out = nullptr;
  if ((flags & ~FAMS_MAP_ALL_FLAGS) != 0)
    return famsync::fail(EINVAL, "fams_map: unknown flags 0x%x", flags & ~FAMS_MAP_ALL_FLAGS);
  if ((flags & FAMS_MAP_FORCE_PMEM) && (flags & FAMS_MAP_FORCE_FILE))
    return famsync::fail(EINVAL, "fams_map: FAMS_MAP_FORCE_PMEM and FAMS_MAP_FORCE_FILE conflict");
  auto pin = registry::pin();
  Region *r = nullptr;
  if (int rc = Region::open(path, flags, &r)) return rc;
  *out = as_handle(registry::id_of(r));
  return 0;
}

void *fams_region_addr(const fams_region *region) {
  auto pin = registry::pin();
  Region *r;
  return lookup(region, "fams_region_addr", &r) != 0 ? nullptr : r->addr();
}

size_t fams_region_size(const fams_region *region) {
  auto pin = registry::pin();
  Region *r;
  return lookup(region, "fams_region_size", &r) != 0 ? 0 : r->file_size();
}

fams_region *fams_region_of(const void *addr) {
  auto pin = registry::pin();
  Region *r = region_of(addr);
  return r == nullptr ? nullptr : as_handle(registry::id_of(r));
}

// fams_will_write's answer when its range is not inside one live region (or is empty).
static int will_write_outside(void *addr, size_t len) {
  if (addr == nullptr) return famsync::fail(EINVAL, "fams_will_write: addr is NULL");
  if (len == 0) return 0;
  return famsync::fail(FAMS_ENOTTRACKED,
                       "fams_will_write: [%p, +%zu) is not inside one tracked region", addr, len);
}

// The usual call (a range inside one region) makes no call but the first write's, so it needs
// no frame; every other answer is will_write_outside's.
int fams_will_write(void *addr, size_t len) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  Region *r = region_of(addr);
  if (r == nullptr || len == 0 || a + len < a || !r->contains(a + len - 1)) [[unlikely]]
    return will_write_outside(addr, len);
  r->before_write(a, len);
  return 0;
}

int fams_msync(fams_region *region) {
  famsync::clear_error();
  auto pin = registry::pin();
  Region *r;
  if (int rc = lookup(region, "fams_msync", &r)) return rc;
  return r->commit();
}

int fams_rollback(fams_region *region) {
  famsync::clear_error();
  auto pin = registry::pin();
  Region *r;
  if (int rc = lookup(region, "fams_rollback", &r)) return rc;
  return r->rollback();
}

int fams_resize(fams_region *region, uint64_t new_size) {
  famsync::clear_error();
  auto pin = registry::pin();
  Region *r;
  if (int rc = lookup(region, "fams_resize", &r)) return rc;
  if (new_size > static_cast<uint64_t>(INT64_MAX))
    return famsync::fail(EINVAL, "fams_resize: size %llu is larger than a file can be",
                         (unsigned long long)new_size);
  if (int rc = r->resize_file(new_size)) return rc;
  // A fams_map region's working copy spans its file: it follows the new size, so grown bytes
  // are usable at once and cut ones are no longer addressable. (ftruncate in instrumented code
  // does not do this: there the program chose its mapping's length, as with any mmap.)
  return r->fit_mapping_to_size();
}

int fams_unmap(fams_region *region) {
  famsync::clear_error();
  auto lock = registry::lock_lifetimes();
  Region *r;
  if (int rc = lookup(region, "fams_unmap", &r)) return rc;
  return Region::close(r, /*commit_first=*/true);
}

int fams_recover(const char *path) {
  famsync::clear_error();
  if (path == nullptr) return famsync::fail(EINVAL, "fams_recover: path is NULL");
  return Region::recover_file(path);
}

int fams_stats(const fams_region *region, fams_stat_counters *out) {
  famsync::clear_error();
  if (out == nullptr) return famsync::fail(EINVAL, "fams_stats: out is NULL");
  if (region == nullptr) {
    registry::totals(out);
    return 0;
  }
  auto pin = registry::pin();
  Region *r;
  if (int rc = lookup(region, "fams_stats", &r)) return rc;
  return r->stats(out);
}

}  // extern "C"
