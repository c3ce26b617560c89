// api.cpp — the public C API (famsync.h): argument validation, then the engine.
//
// Invariant: every entry point validates its arguments in every build (null pointers, unknown
// flags, handles that are not live regions) and clears/sets the thread's error message, so bad
// input gets a code and a message, never a crash.
#include "error.hpp"
#include "region.hpp"
#include "registry.hpp"
#include "window.hpp"

#include <famsync/famsync.h>

using famsync::Region;
namespace registry = famsync::registry;
namespace window = famsync::window;

struct fams_region {};  // opaque to users; really a famsync::Region

namespace {

Region *as_region(const fams_region *r) {
  return reinterpret_cast<Region *>(const_cast<fams_region *>(r));
}
fams_region *as_handle(Region *r) { return reinterpret_cast<fams_region *>(r); }

int check_live(const fams_region *r, const char *fn) {
  if (r == nullptr) return famsync::fail(EINVAL, "%s: region is NULL", fn);
  if (!registry::is_live(as_region(r)))
    return famsync::fail(FAMS_ENOTTRACKED, "%s: %p is not a live region (already unmapped?)", fn,
                         static_cast<const void *>(r));
  return 0;
}

Region *region_of(const void *addr) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  if (!window::in_window(a)) return nullptr;
  return window::lookup_in_window(a);
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
  Region *r = nullptr;
  if (int rc = Region::open(path, flags, &r)) return rc;
  *out = as_handle(r);
  return 0;
}

void *fams_region_addr(const fams_region *region) {
  if (check_live(region, "fams_region_addr") != 0) return nullptr;
  return as_region(region)->addr();
}

size_t fams_region_size(const fams_region *region) {
  if (check_live(region, "fams_region_size") != 0) return 0;
  return as_region(region)->size();
}

fams_region *fams_region_of(const void *addr) { return as_handle(region_of(addr)); }

int fams_will_write(void *addr, size_t len) {
  if (addr == nullptr) return famsync::fail(EINVAL, "fams_will_write: addr is NULL");
  if (len == 0) return 0;
  auto a = reinterpret_cast<uintptr_t>(addr);
  Region *r = region_of(addr);
  if (r == nullptr || a + len < a || !r->contains(a + len - 1))
    return famsync::fail(FAMS_ENOTTRACKED,
                         "fams_will_write: [%p, +%zu) is not inside one tracked region", addr, len);
  r->note_write(a, len);
  return 0;
}

int fams_msync(fams_region *region) {
  famsync::clear_error();
  if (int rc = check_live(region, "fams_msync")) return rc;
  return as_region(region)->commit();
}

int fams_rollback(fams_region *region) {
  famsync::clear_error();
  if (int rc = check_live(region, "fams_rollback")) return rc;
  return as_region(region)->rollback();
}

int fams_resize(fams_region *region, uint64_t new_size) {
  famsync::clear_error();
  if (int rc = check_live(region, "fams_resize")) return rc;
  if (new_size > static_cast<uint64_t>(INT64_MAX))
    return famsync::fail(EINVAL, "fams_resize: size %llu is larger than a file can be",
                         (unsigned long long)new_size);
  return as_region(region)->resize_file(new_size);
}

int fams_unmap(fams_region *region) {
  famsync::clear_error();
  if (int rc = check_live(region, "fams_unmap")) return rc;
  return Region::close(as_region(region), /*commit_first=*/true);
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
  if (int rc = check_live(region, "fams_stats")) return rc;
  return as_region(region)->stats(out);
}

}  // extern "C"
