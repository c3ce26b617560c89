// hole_reserver.cpp — see hole_reserver.hpp.
#include "hole_reserver.hpp"

#include "error.hpp"
#include "lines.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace famsync {

int HoleReserver::reserve(uint64_t off, uint64_t len) {
  if (check_) {
    struct stat st;
    if (fstat(fd_, &st) != 0) return fail_errno("fstat(data file)");
    off_t hole = lseek(fd_, 0, SEEK_HOLE);
    // Unknown (no SEEK_HOLE support): assume holes, and let posix_fallocate find out. tmpfs
    // reports fallocated pages as holes (every first write to a page of a fallocated /dev/shm
    // file cost a posix_fallocate call): there, pages that cover the whole size mean no hole
    // (tmpfs counts only data pages in st_blocks; elsewhere extent metadata counts too).
    struct statfs fs;
    bool tmpfs = fstatfs(fd_, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
    bool covered = static_cast<uint64_t>(st.st_blocks) * 512 >= static_cast<uint64_t>(st.st_size);
    has_holes_ = !(tmpfs && covered) && (hole < 0 || hole < st.st_size);
    check_ = false;
  }
  if (!has_holes_ || len == 0) return 0;
  const uint64_t page = page_size();
  uint64_t first = off / page, end = (off + len + page - 1) / page;
  for (uint64_t p = first; p < end;) {
    if (reserved(p)) {
      ++p;
      continue;
    }
    uint64_t q = p + 1;
    while (q < end && !reserved(q)) ++q;
    // Pages [p, q), clipped to the caller's range (posix_fallocate past EOF would grow the file).
    uint64_t lo = p * page, hi = std::min(q * page, off + len);
    int rc = posix_fallocate(fd_, static_cast<off_t>(lo), static_cast<off_t>(hi - lo));
    if (rc == EOPNOTSUPP || rc == EINVAL) {  // no fallocate here: nothing can be reserved
      has_holes_ = false;
      return 0;
    }
    if (rc != 0)
      return fail(rc, "no room to write [%llu, %llu) of the data file (posix_fallocate: %s); "
                  "nothing of this commit was written, its changes stay pending",
                  (unsigned long long)lo, (unsigned long long)hi, strerror(rc));
    // Blocks are allocated whole (a file system block is at most a page here), so every page the
    // range touched has its storage now; a growth clears the map (size_changed).
    mark_reserved(p, q);
    p = q;
  }
  return 0;
}

void HoleReserver::mark_reserved(uint64_t first, uint64_t end) {
  for (uint64_t p = first; p < end; ++p) reserved_[p / 64] |= 1ull << (p % 64);
}

}  // namespace famsync
