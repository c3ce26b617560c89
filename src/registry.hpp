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
#include <shared_mutex>
#include <sys/types.h>

namespace famsync {
class Region;

namespace registry {

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
std::shared_lock<std::shared_mutex> pin();
std::unique_lock<std::shared_mutex> lock_lifetimes();
// Totals over retired and live regions.
void totals(fams_stat_counters *out);
// Installs, once, the atexit hook (commits every live region, prints FAMSYNC_STATS) and the
// fork hook (the child disowns inherited regions).
void install_process_hooks();

}  // namespace registry
}  // namespace famsync
