// log_gc.cpp — see log_gc.hpp.
#include "log_gc.hpp"

#include "checksum.hpp"
#include "error.hpp"
#include "log_file.hpp"
#include "os.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace famsync {
namespace {

enum class Verdict { removed, in_use, pending, skipped };

// Reads and checks the header of the log open at LF->fd (a version-2, -3 or -4 log); fills LF.
bool read_header(LogFile *lf) {
  struct stat st;
  if (fstat(lf->fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  lf->size = static_cast<uint64_t>(st.st_size);
  if (lf->size < kLogHeaderSize + kLogEntrySize) return false;
  char page[kLogHeaderSize];
  if (os::pread_full(lf->fd, page, sizeof page, 0, lf->path.c_str()) != 0) return false;
  memcpy(&lf->fixed, page, sizeof lf->fixed);
  memcpy(&lf->dynamic, page + sizeof lf->fixed, sizeof lf->dynamic);
  memcpy(&lf->identity, page + kLogIdentityOffset, sizeof lf->identity);
  const LogStaticHeader &h = lf->fixed;
  return memcmp(h.magic, kLogMagic, sizeof h.magic) == 0 && h.checksum == static_header_checksum(h) &&
         (h.version == kLogFormatVersion || h.version == kLogFormatVersionV3 ||
          h.version == kLogFormatVersionV2) && h.protocol <= 1 &&
         lf->identity.checksum == identity_checksum(lf->identity, h.salt) &&
         lf->identity.path_len <= kLogPathMax;
}

Verdict examine(int dirfd, const std::string &dir, const char *name, GcReport *report) {
  LogFile lf;
  lf.dir = dir;
  lf.path = dir + "/" + name;
  lf.fd = ::openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (lf.fd < 0) return Verdict::skipped;  // gone meanwhile, not ours to open, or a symlink
  Verdict verdict = Verdict::skipped;
  struct stat locked, named;
  if (flock(lf.fd, LOCK_EX | LOCK_NB) != 0) {
    verdict = errno == EWOULDBLOCK ? Verdict::in_use : Verdict::skipped;
  } else if (fstat(lf.fd, &locked) != 0 || fstatat(dirfd, name, &named, AT_SYMLINK_NOFOLLOW) != 0 ||
             locked.st_ino != named.st_ino || locked.st_dev != named.st_dev) {
    verdict = Verdict::skipped;  // removed or replaced meanwhile: its new owner decides
  } else if (!read_header(&lf)) {
    report->notes.push_back(lf.path + ": not a readable famsync log of this version; left alone");
    verdict = Verdict::skipped;
  } else {
    bool live = true;
    if (log_has_live_state(lf, &live) != 0) {
      verdict = Verdict::skipped;
    } else if (live) {
      std::string last_path(lf.identity.path, lf.identity.path_len);
      report->notes.push_back(lf.path + ": holds an interrupted commit of the file last seen at " +
                              (last_path.empty() ? "(unknown)" : last_path) +
                              "; run `famsync recover` on that file (whatever its name is now)");
      verdict = Verdict::pending;
    } else if (unlinkat(dirfd, name, 0) == 0) {
      verdict = Verdict::removed;
    }
  }
  close_log_file(&lf);
  return verdict;
}

}  // namespace

int collect_stale_logs(const std::string &dir, GcReport *report) {
  GcReport local;
  if (report == nullptr) report = &local;
  int dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return fail_errno("open directory %s", dir.c_str());
  DIR *d = fdopendir(dirfd);
  if (d == nullptr) {
    int rc = fail_errno("reading directory %s", dir.c_str());
    ::close(dirfd);
    return rc;
  }
  while (dirent *e = readdir(d)) {
    if (!is_log_file_name(e->d_name)) continue;
    switch (examine(dirfd, dir, e->d_name, report)) {
      case Verdict::removed: ++report->removed; break;
      case Verdict::in_use: ++report->in_use; break;
      case Verdict::pending: ++report->pending; break;
      case Verdict::skipped: ++report->skipped; break;
    }
  }
  closedir(d);  // closes dirfd
  return 0;
}

}  // namespace famsync
