// hole_reserver.cpp — see hole_reserver.hpp.
#include "hole_reserver.hpp"

#include "error.hpp"
#include "lines.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {

int HoleReserver::reserve(uint64_t off, uint64_t len) {
  if (check_) {
    struct stat st;
    if (fstat(fd_, &st) != 0) return fail_errno("fstat(data file)");
    off_t hole = lseek(fd_, 0, SEEK_HOLE);
    // Unknown (no SEEK_HOLE support): assume holes, and let posix_fallocate find out.
    has_holes_ = hole < 0 || hole < st.st_size;
    check_ = false;
  }
  if (!has_holes_ || len == 0) return 0;
  uint64_t lo = off / page_size() * page_size(), hi = off + len;  // never past the caller's end
  int rc = posix_fallocate(fd_, static_cast<off_t>(lo), static_cast<off_t>(hi - lo));
  if (rc == EOPNOTSUPP || rc == EINVAL) return 0;  // no fallocate here: nothing to reserve
  if (rc != 0)
    return fail(rc, "no room to write [%llu, %llu) of the data file (posix_fallocate: %s); "
                "nothing of this commit was written, its changes stay pending",
                (unsigned long long)lo, (unsigned long long)hi, strerror(rc));
  check_ = true;  // the holes may all be filled now
  return 0;
}

}  // namespace famsync
