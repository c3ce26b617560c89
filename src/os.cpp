// os.cpp — see os.hpp.
#include "os.hpp"

#include "error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace famsync::os {

int pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *what) {
  auto *p = static_cast<const char *>(buf);
  while (len > 0) {
    ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("pwrite(%s, %zu bytes at %llu)", what, len, (unsigned long long)off);
    }
    if (n == 0) return fail(EIO, "pwrite(%s) wrote nothing at %llu", what, (unsigned long long)off);
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return 0;
}

int pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what) {
  auto *p = static_cast<char *>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd, p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("pread(%s, %zu bytes at %llu)", what, len, (unsigned long long)off);
    }
    if (n == 0) {  // end of file: the rest reads as zero, as it would through a mapping
      memset(p, 0, len);
      return 0;
    }
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return 0;
}

int zero_fill(int fd, uint64_t from, uint64_t to, const char *what) {
  static const char zeros[1 << 16] = {};
  for (uint64_t off = from; off < to;) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(sizeof zeros, to - off));
    if (int rc = pwrite_all(fd, zeros, len, off, what)) {
      if (::ftruncate(fd, static_cast<off_t>(from)) != 0) {
        // The error reported stays the write's; the partial growth is harmless, only larger.
      }
      return rc;
    }
    off += len;
  }
  return 0;
}

int file_facts(int fd, const char *what, FileFacts *out) {
#ifdef STATX_TYPE
  constexpr unsigned kAsked = STATX_TYPE | STATX_INO | STATX_SIZE | STATX_NLINK;
  struct statx stx;
  if (::statx(fd, "", AT_EMPTY_PATH, kAsked, &stx) == 0) {
    if ((stx.stx_mask & kAsked) == kAsked) {
      out->regular = S_ISREG(stx.stx_mode);
      out->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
      out->ino = static_cast<ino_t>(stx.stx_ino);
      out->size = stx.stx_size;
      out->links = stx.stx_nlink;
      return 0;
    }
    // A file system that did not fill them all in: fstat below.
  } else if (errno != ENOSYS && errno != EINVAL && errno != EPERM) {
    return fail_errno("statx(%s)", what);
  }
#endif
  // No statx (an old kernel, or a seccomp filter that refuses it): fstat.
  struct stat st;
  if (::fstat(fd, &st) != 0) return fail_errno("fstat(%s)", what);
  out->regular = S_ISREG(st.st_mode);
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  out->size = static_cast<uint64_t>(st.st_size);
  out->links = st.st_nlink;
  return 0;
}

int datasync(int fd, const char *what) {
  if (::fdatasync(fd) != 0) return fail_errno("fdatasync(%s)", what);
  return 0;
}

int sync_parent_dir(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno("open directory %s", dir.c_str());
  int rc = 0;
  if (::fsync(fd) != 0) rc = fail_errno("fsync(directory %s)", dir.c_str());
  ::close(fd);
  return rc;
}

void random_bytes(void *buf, size_t len) {
  auto *p = static_cast<char *>(buf);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom cannot fail on Linux >= 3.17 with these flags; fall back to the clock rather
      // than abort, since the salt only has to differ between log incarnations.
      uint64_t t = now_ns() ^ static_cast<uint64_t>(getpid());
      size_t k = len < sizeof t ? len : sizeof t;
      memcpy(p, &t, k);
      n = static_cast<ssize_t>(k);
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace famsync::os
