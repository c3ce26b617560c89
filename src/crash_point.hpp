// crash_point.hpp — named points of the commit and recovery protocols where tests kill us.
//
// FAMSYNC_CRASH_AT=<name>[:<n>] makes the n-th (default 1st) arrival at point <name> send SIGKILL
// to the process, so a test can fork a workload and crash it at an exact protocol step. With the
// variable unset a crash point costs one predictable branch. Names are listed in DESIGN.md.
#pragma once

namespace famsync {

void crash_point(const char *name);

}  // namespace famsync
