// window.cpp — see window.hpp.
#include "window.hpp"

#include "error.hpp"
#include "options.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <sys/mman.h>

extern "C" {
unsigned long __fams_window_base = 0;
unsigned long __fams_window_size = 0;
}

namespace famsync::window {

std::atomic<StoreTarget *> *g_table = nullptr;  // one entry per granule (window.hpp)

namespace {

constexpr uint64_t kGranule = 1ull << kGranuleShift;

std::mutex g_mutex;                        // guards g_free and reservation
std::map<uint64_t, uint64_t> g_free;       // offset -> length of free slots (granule multiples)
bool g_failed_at_start = false;            // under g_mutex: reserve_at_start() failed
bool g_instrumented = false;               // under g_mutex: an instrumented module initialised
bool g_floating = false;                   // under g_mutex: the window is not at the fixed address

// A ThreadSanitizer build of the runtime is never linked with pass-instrumented code (the
// sanitizer builds have FAMSYNC_BUILD_PASS=OFF); its tests call the hooks, which check against
// the published base and size, so a floating window serves them.
#if defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

}  // namespace

int reserve() {
  std::lock_guard lock(g_mutex);
  if (g_failed_at_start)
    return fail(ENOMEM, "the famsync address window could not be reserved at program start "
                "(FAMSYNC_WINDOW_GB=%llu), so nothing is tracked in this process: lower "
                "FAMSYNC_WINDOW_GB or raise the address-space limit (ulimit -v)",
                (unsigned long long)(options().window_bytes >> 30));
  if (__fams_window_size != 0) return 0;
  // At the fixed address instrumented code checks with an immediate compare (abi.h), never
  // elsewhere: a window outside the check range would silently miss every instrumented store.
  // Try the configured size (at most FAMS_WINDOW_MAX_SIZE), halving down to 1 GiB if the address
  // space is limited (ulimit -v).
  uint64_t want = options().window_bytes;
  if (want > FAMS_WINDOW_MAX_SIZE) want = FAMS_WINDOW_MAX_SIZE;
  for (uint64_t size = want; size >= (1ull << 30); size /= 2) {
    void *fixed = reinterpret_cast<void *>(FAMS_WINDOW_FIXED_BASE);
#if defined(__SANITIZE_THREAD__)
    // ThreadSanitizer's layout owns the fixed range, and its mmap interceptor turns a fixed
    // address outside its application ranges into address 0 (which root may get, and TSan then
    // dies of): go straight to the floating window. Sanitizer builds contain no instrumented code.
    void *p = MAP_FAILED;
    errno = EEXIST;
#else
    void *p = mmap(fixed, size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
#endif
    if (p != MAP_FAILED && p != fixed) {  // a kernel older than 4.17 took it as a hint
      munmap(p, size);
      p = MAP_FAILED;
      errno = EEXIST;
    }
    bool floating = false;
    // EEXIST: another mapping is there. (ThreadSanitizer's mmap refuses a fixed address outside
    // its application ranges with EINVAL: the range is as unusable as if it were taken.)
    if (p == MAP_FAILED && (errno == EEXIST || errno == EINVAL)) {
      if (g_instrumented && !kSanitizerBuild)
        return fail(ENOMEM, "cannot reserve the famsync address window at %#lx-%#lx: another "
                    "mapping uses that range (instrumented code checks exactly this range; see "
                    "DESIGN.md section 2, 'VA window'); nothing will be tracked",
                    FAMS_WINDOW_FIXED_BASE, FAMS_WINDOW_FIXED_BASE + FAMS_WINDOW_MAX_SIZE);
      // No instrumented code in this process (the explicit API only; e.g. under ThreadSanitizer,
      // whose layout reserves the fixed range): nothing checks the fixed range, so the window may
      // lie anywhere. An instrumented module loaded later is refused (__fams_module_init).
      p = mmap(nullptr, size + kGranule, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
               -1, 0);
      if (p == MAP_FAILED) continue;
      floating = true;
    }
    if (p == MAP_FAILED) continue;
    uint64_t base = floating ? round_up(reinterpret_cast<uint64_t>(p), kGranule)
                             : FAMS_WINDOW_FIXED_BASE;
    g_floating = floating;
    // Keep the rest of the check range free of other mappings too (best effort, address space
    // only), so no unrelated store takes the cold path into the runtime.
    if (!floating)
      mmap(reinterpret_cast<void *>(base + size), (1ull << FAMS_WINDOW_CHECK_SHIFT) - size,
           PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    void *table = mmap(nullptr, (size / kGranule) * sizeof(std::atomic<StoreTarget *>),
                       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (table == MAP_FAILED) {
      munmap(p, floating ? size + kGranule : size);
      break;
    }
    g_table = static_cast<std::atomic<StoreTarget *> *>(table);
    // The first slot starts above a guard, not at the window's start: a pointer a little below a
    // mapping (a 1-based array `a = map - 1`, a negative offset from its start) then still lies
    // in the check range, so code that checks such a root pointer once for all stores through it
    // (the pass's base-object checks) still sees the mapping. 1/16 of the window, at most 1 GiB.
    uint64_t guard = std::min<uint64_t>(1ull << 30, size / 16) / kGranule * kGranule;
    g_free[guard] = size - guard;
    // Publish size last: instrumented code tests base and size; size == 0 means "no window".
    __atomic_store_n(&__fams_window_base, base, __ATOMIC_RELEASE);
    __atomic_store_n(&__fams_window_size, size, __ATOMIC_RELEASE);
    return 0;
  }
  return fail(ENOMEM, "cannot reserve the famsync address window (FAMSYNC_WINDOW_GB=%llu)",
              (unsigned long long)(options().window_bytes >> 30));
}

int reserve_at_start() {
  {
    std::lock_guard lock(g_mutex);
    g_instrumented = true;
    if (g_floating && !g_failed_at_start && !kSanitizerBuild) {
      // The window was placed outside the fixed check range before this instrumented module was
      // loaded: its stores would never reach the runtime. Refuse all tracking from now on.
      fprintf(stderr, "famsync: an instrumented module was loaded after the address window was "
              "placed outside the fixed check range (%#lx was taken); its writes cannot be "
              "tracked, so no new mapping will be\n", FAMS_WINDOW_FIXED_BASE);
      g_failed_at_start = true;
      return fail(ENOMEM, "the famsync address window is outside the fixed check range");
    }
  }
  int rc = reserve();
  if (rc == 0) return 0;
  std::lock_guard lock(g_mutex);
  if (!g_failed_at_start)
    fprintf(stderr, "famsync: %s; nothing will be tracked in this process (mappings stay "
            "ordinary kernel mappings: their msync is NOT failure-atomic)\n",
            last_error_message());
  g_failed_at_start = true;
  return rc;
}

int allocate(size_t len, uintptr_t *out) {
  std::lock_guard lock(g_mutex);
  uint64_t need = round_up(len, kGranule);
  for (auto it = g_free.begin(); it != g_free.end(); ++it) {
    if (it->second < need) continue;
    uint64_t off = it->first, rest = it->second - need;
    g_free.erase(it);
    if (rest != 0) g_free[off + need] = rest;
    *out = __fams_window_base + off;
    return 0;
  }
  if (__fams_window_size >= (1ull << 40))
    return fail(ENOMEM, "the famsync address window (%llu GiB, the most there is) has no free "
                "%llu-byte slot: all tracked mappings of a process must fit in 1 TiB together "
                "(unmap some, or map smaller files)", (unsigned long long)(__fams_window_size >> 30),
                (unsigned long long)need);
  return fail(ENOMEM, "the famsync address window (%llu GiB) has no free %llu-byte slot; raise "
              "FAMSYNC_WINDOW_GB (at most 1024)", (unsigned long long)(__fams_window_size >> 30),
              (unsigned long long)need);
}

int release(uintptr_t addr, size_t len) {
  uint64_t size = round_up(len, kGranule);
  // Back to an inaccessible reservation (MAP_FIXED replaces the working copy atomically).
  if (mmap(reinterpret_cast<void *>(addr), size, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
    // The old working copy may still be there, or a hole the kernel may fill with another
    // mapping: a region placed here later would clobber either. The slot is lost to the window.
    int err = errno != 0 ? errno : EIO;
    fprintf(stderr, "famsync: cannot re-reserve window slot %#llx (+%llu bytes): %s; the slot "
            "is retired\n", (unsigned long long)addr, (unsigned long long)size, strerror(err));
    return err;
  }
  std::lock_guard lock(g_mutex);
  uint64_t off = addr - __fams_window_base;
  auto next = g_free.lower_bound(off);
  if (next != g_free.end() && next->first == off + size) {  // merge with the following slot
    size += next->second;
    next = g_free.erase(next);
  }
  if (next != g_free.begin()) {  // merge with the preceding slot
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      prev->second += size;
      return 0;
    }
  }
  g_free[off] = size;
  return 0;
}

uint64_t free_bytes() {
  std::lock_guard lock(g_mutex);
  uint64_t total = 0;
  for (const auto &[off, len] : g_free) total += len;
  return total;
}

void publish(uintptr_t addr, size_t len, StoreTarget *region) {
  uint64_t first = (addr - __fams_window_base) >> kGranuleShift;
  uint64_t last = (addr + len - 1 - __fams_window_base) >> kGranuleShift;
  for (uint64_t g = first; g <= last; ++g) g_table[g].store(region, std::memory_order_release);
}

}  // namespace famsync::window
