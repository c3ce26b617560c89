// registry.hpp — the process's set of live regions, its exit/fork hooks and its stat totals.
//
// Invariant: a Region pointer is valid iff it is in the registry; public API calls check handles
// here first, so a stale or garbage fams_region* gets FAMS_ENOTTRACKED instead of a crash.
#pragma once

#include "stats.hpp"

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
// Totals over retired and live regions.
void totals(fams_stat_counters *out);
// Installs, once, the atexit hook (commits every live region, prints FAMSYNC_STATS) and the
// fork hook (the child disowns inherited regions).
void install_process_hooks();

}  // namespace registry
}  // namespace famsync
