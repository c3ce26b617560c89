// error.hpp — famsync's error reporting: codes plus a per-thread detailed message.
//
// Invariant: every failing internal call returns a nonzero code (positive errno or FAMS_E*) AND
// has set the calling thread's message through fail(); the C API returns that code unchanged.
#pragma once

#include <famsync/famsync.h>

#include <cerrno>
#include <string>

namespace famsync {

// Records a printf-style message for fams_last_error_message() and returns CODE, so that error
// paths read `return fail(EIO, "fdatasync(%s): %s", path, strerror(errno));`.
[[gnu::format(printf, 2, 3)]] int fail(int code, const char *fmt, ...);

// fail() for a failed syscall: CODE is errno (never 0: an unset errno becomes EIO).
[[gnu::format(printf, 1, 2)]] int fail_errno(const char *fmt, ...);

// Clears the thread's message at the start of a public call.
void clear_error();

const char *last_error_message();

}  // namespace famsync
