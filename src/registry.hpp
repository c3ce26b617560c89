// registry.hpp — the process's set of live regions, its exit/fork hooks and its stat totals.
//
// Invariants: a Region pointer is valid iff it is in the registry. Each registration gets an id
// that is never reused in the process; the public handle is made from it (api.cpp), so a stale
// handle can never name a region mapped later at the same address. A Region is deleted only
// under lock_lifetimes() (exclusive), and whoever looks a Region up and then uses it holds
// pin() (shared) across both, so the exit hook cannot free a region another thread is using.
// Lock order: lifetimes -> registry mutex -> region mutex.
#pragma once

#include "stats.hpp"

#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <shared_mutex>
#include <sys/types.h>

namespace famsync {
class Region;

namespace registry {

// A readers-writer lock that prefers the writer: busy threads taking it shared one after the
// other (pwrite in a loop) must not starve the exit hook, which takes it exclusive. Shared
// holders must not take it again (a waiting writer would block them): one take per entry point.
class LifetimeLock {
 public:
  LifetimeLock() { init(); }
  LifetimeLock(const LifetimeLock &) = delete;
  LifetimeLock &operator=(const LifetimeLock &) = delete;
  void lock() { check(pthread_rwlock_wrlock(&rw_), "wrlock"); }
  void unlock() { check(pthread_rwlock_unlock(&rw_), "unlock"); }
  void lock_shared() { check(pthread_rwlock_rdlock(&rw_), "rdlock"); }
  void unlock_shared() { check(pthread_rwlock_unlock(&rw_), "unlock"); }
  // After fork(), in the child: a fresh, unlocked lock (see registry.cpp).
  void reinit_in_child() { init(); }

 private:
  void init() {
    pthread_rwlockattr_t attr;
    check(pthread_rwlockattr_init(&attr), "rwlockattr_init");
    check(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
          "rwlockattr_setkind_np");
    check(pthread_rwlock_init(&rw_, &attr), "rwlock_init");
    check(pthread_rwlockattr_destroy(&attr), "rwlockattr_destroy");
  }
  // These fail only on misuse (EDEADLK: a holder taking it again), a bug with no way out: a
  // region could be freed under its user. Stop loudly instead.
  static void check(int rc, const char *what);
  pthread_rwlock_t rw_;
};

// Adds REGION; FAMS_ETRACKED if this process already tracks the same file (dev, ino).
int add(Region *region, dev_t dev, ino_t ino);
// Removes REGION and folds its stats into the retired totals.
void remove(Region *region);
bool tracks(dev_t dev, ino_t ino);
Region *find(dev_t dev, ino_t ino);
bool empty();  // no live region: the interposers' fast exit
bool is_live(const Region *region);
// The id of live REGION (never 0), or 0. And back: the live region registered under ID, or null.
uint64_t id_of(const Region *region);
Region *by_id(uint64_t id);
// Shared: regions looked up under it stay alive until it is released (any number of threads).
// Exclusive: held by whoever closes (deletes) a region: fams_unmap, munmap, the exit hook.
// Neither is recursive: take one once per entry point.
std::shared_lock<LifetimeLock> pin();
std::unique_lock<LifetimeLock> lock_lifetimes();
// Totals over retired and live regions.
void totals(fams_stat_counters *out);
// Installs, once, the atexit hook (commits every live region, prints FAMSYNC_STATS) and the
// fork hook (the child disowns inherited regions).
void install_process_hooks();
// True while this thread runs one of those hooks: the engine is working on its own account, so
// the preload library sends the libc calls it makes (also through libstdc++) straight to libc.
bool in_process_hook();

}  // namespace registry
}  // namespace famsync
