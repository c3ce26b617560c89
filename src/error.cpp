// error.cpp — per-thread error messages and fams_strerror's table.
#include "error.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace famsync {
namespace {
// A plain array, not std::string: thread_local objects with destructors die before atexit
// handlers run, and the exit-time commit (registry.cpp) may still report an error.
thread_local char t_message[1024];

int vfail(int code, const char *fmt, va_list ap) {
  vsnprintf(t_message, sizeof t_message, fmt, ap);
  return code;
}
}  // namespace

int fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(code, fmt, ap);
  va_end(ap);
  return code;
}

int fail_errno(const char *fmt, ...) {
  int code = errno != 0 ? errno : EIO;  // a syscall that failed without errno is still a failure
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return fail(code, "%s: %s", what, strerror(code));
}

void clear_error() { t_message[0] = '\0'; }

const char *last_error_message() { return t_message; }

}  // namespace famsync

extern "C" const char *fams_strerror(int err) {
  switch (err) {
    case 0: return "success";
    case FAMS_EPOISONED: return "region poisoned by an earlier persistence error; unmap and remap to recover";
    case FAMS_ECORRUPT: return "the log is corrupt; nothing was changed";
    case FAMS_EFOREIGN: return "the log belongs to another file or is not trusted; nothing was changed";
    case FAMS_ETRACKED: return "file is already tracked by this process";
    case FAMS_ENOTTRACKED: return "address or region is not a live tracked region";
    case FAMS_EVERIFY: return "verify mode found writes that bypassed tracking";
    case FAMS_ENOTREGULAR: return "not a regular file";
    case FAMS_EEMPTY: return "file is empty; there is nothing to map";
    case FAMS_ERANGE: return "the log refers to bytes beyond the end of the data file";
    default: break;
  }
  if (err > 0) return strerror(err);  // glibc's strerror returns static text for known codes
  return "unknown famsync error";
}

extern "C" const char *fams_last_error_message(void) { return famsync::last_error_message(); }
