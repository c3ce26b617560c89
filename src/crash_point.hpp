// crash_point.hpp — named points of the commit and recovery protocols where tests kill us.
//
// FAMSYNC_CRASH_AT=<name>[:<n>] makes the n-th (default 1st) arrival at point <name> send SIGKILL
// to the process, so a test can fork a workload and crash it at an exact protocol step. With the
// variable unset a crash point costs one predictable branch. Names are listed in DESIGN.md.
#pragma once

#include <atomic>

namespace famsync {

// Set once, from FAMSYNC_CRASH_AT, at the first mapping (registry) — read on every crash point.
extern std::atomic<bool> g_crash_points_armed;

void crash_point_slow(const char *name);

inline void crash_point(const char *name) {
  if (g_crash_points_armed.load(std::memory_order_relaxed)) [[unlikely]] crash_point_slow(name);
}

// Reads FAMSYNC_CRASH_AT and arms the points if it is set. Idempotent.
void arm_crash_points();

}  // namespace famsync
