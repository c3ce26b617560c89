// log_identity.cpp — see log_identity.hpp.
#include "log_identity.hpp"

#include "error.hpp"
#include "options.hpp"
#include "os.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <xxhash.h>

namespace famsync {
namespace {

// The attribute's value: "famsync1 <32 hex> <absolute log directory>" — text, so that
// `getfattr -n user.famsync FILE` shows which log a file has.
constexpr char kXattrTag[] = "famsync1 ";

bool xattr_unsupported(int err) { return err == ENOTSUP || err == EOPNOTSUPP; }

std::string hex(const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

bool unhex(const char *s, uint8_t *out, size_t n) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < n; ++i) {
    int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string encode(const FileIdentity &id) { return kXattrTag + hex(id.id, 16) + " " + id.log_dir; }

// Where the file system keeps no user xattrs, the identity is a hash of what distinguishes this
// inode from a later one with the same number: its generation (FS_IOC_GETVERSION: ext2/3/4,
// btrfs, ...) and birth time (statx), whichever exist.
void derive_identity(int data_fd, const struct stat &st, FileIdentity *out) {
  struct {
    uint64_t ino;
    uint64_t generation;
    int64_t btime_sec;
    uint32_t btime_nsec;
    uint32_t tag;
  } key{};
  key.ino = st.st_ino;
  int generation = 0;
  if (ioctl(data_fd, FS_IOC_GETVERSION, &generation) == 0) key.generation = static_cast<uint32_t>(generation);
  struct statx sx;
  if (statx(data_fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
    key.btime_sec = sx.stx_btime.tv_sec;
    key.btime_nsec = sx.stx_btime.tv_nsec;
  }
  key.tag = 0x66616d73;  // "fams"
  XXH128_hash_t h = XXH3_128bits(&key, sizeof key);
  memcpy(out->id, &h.low64, 8);
  memcpy(out->id + 8, &h.high64, 8);
  out->derived = true;
  out->log_dir.clear();
}

std::string parent_dir(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

int write_identity(int data_fd, const FileIdentity &id, int flags) {
  std::string value = encode(id);
  if (fsetxattr(data_fd, kIdentityXattr, value.data(), value.size(), flags) != 0) return errno;
  return 0;
}

}  // namespace

std::string path_of_fd(int fd) {
  char link[64], buf[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  std::string s = buf;
  // An unlinked file reads as "PATH (deleted)": its directory is still where a log would go.
  static const std::string kDeleted = " (deleted)";
  if (s.size() > kDeleted.size() && s.compare(s.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0)
    s.resize(s.size() - kDeleted.size());
  return s;
}

int read_identity(int data_fd, const struct stat &data_st, FileIdentity *out, bool *has_id) {
  *has_id = false;
  *out = FileIdentity{};
  char value[PATH_MAX + 64];
  ssize_t n = fgetxattr(data_fd, kIdentityXattr, value, sizeof value - 1);
  if (n < 0) {
    if (errno == ENODATA) return 0;
    if (xattr_unsupported(errno)) {
      derive_identity(data_fd, data_st, out);
      *has_id = true;
      return 0;
    }
    return fail_errno("reading the %s attribute of the data file", kIdentityXattr);
  }
  value[n] = '\0';
  size_t tag = sizeof kXattrTag - 1;
  if (static_cast<size_t>(n) < tag + 33 || memcmp(value, kXattrTag, tag) != 0 ||
      !unhex(value + tag, out->id, 16) || value[tag + 32] != ' ')
    return fail(FAMS_ECORRUPT, "the data file's %s attribute is not a famsync identity (\"%.40s\"); "
                "remove it (setfattr -x %s FILE) if nothing else wrote it", kIdentityXattr, value,
                kIdentityXattr);
  out->log_dir = value + tag + 33;
  *has_id = true;
  return 0;
}

int create_identity(int data_fd, const struct stat &data_st, const std::string &log_dir,
                    bool replace, FileIdentity *out) {
  FileIdentity id;
  os::random_bytes(id.id, sizeof id.id);
  id.log_dir = log_dir;
  int err = write_identity(data_fd, id, replace ? 0 : XATTR_CREATE);
  if (err == EEXIST) {  // another process was first: its identity is the file's
    bool has_id = false;
    if (int rc = read_identity(data_fd, data_st, out, &has_id)) return rc;
    if (has_id) return 0;
    return fail(EBUSY, "the data file's identity changed while it was being created");
  }
  if (xattr_unsupported(err) || err == EPERM || err == EACCES) {
    derive_identity(data_fd, data_st, out);
    return 0;
  }
  if (err != 0) {
    errno = err;
    return fail_errno("setting the %s attribute of the data file", kIdentityXattr);
  }
  // The identity must be durable before a log relies on it: after a power failure, a log whose
  // file lost its attribute could never be found again.
  if (::fsync(data_fd) != 0) return fail_errno("fsync(data file, after setting its identity)");
  *out = id;
  return 0;
}

int record_log_dir(int data_fd, const std::string &log_dir, FileIdentity *id) {
  if (id->derived || id->log_dir == log_dir) return 0;
  FileIdentity updated = *id;
  updated.log_dir = log_dir;
  if (int err = write_identity(data_fd, updated, XATTR_REPLACE)) {
    errno = err;
    return fail_errno("recording the log directory in the %s attribute", kIdentityXattr);
  }
  if (::fsync(data_fd) != 0) return fail_errno("fsync(data file, after recording its log directory)");
  *id = updated;
  return 0;
}

std::string log_file_name(const FileIdentity &id) {
  return kLogNamePrefix + hex(id.id, 16) + kLogNameSuffix;
}

bool is_log_file_name(const char *name) {
  size_t prefix = sizeof kLogNamePrefix - 1, suffix = sizeof kLogNameSuffix - 1;
  if (strlen(name) != prefix + 32 + suffix) return false;
  if (strncmp(name, kLogNamePrefix, prefix) != 0) return false;
  if (strcmp(name + prefix + 32, kLogNameSuffix) != 0) return false;
  uint8_t scratch[16];
  return unhex(name + prefix, scratch, 16);
}

std::string default_log_dir(int data_fd) {
  const std::string &dir = options().log_dir;
  if (!dir.empty()) {
    char buf[PATH_MAX];
    if (realpath(dir.c_str(), buf) != nullptr) return buf;
    return dir;
  }
  std::string path = path_of_fd(data_fd);
  return path.empty() ? "." : parent_dir(path);
}

std::vector<std::string> log_search_dirs(const FileIdentity &id, int data_fd) {
  std::vector<std::string> dirs;
  auto add = [&](const std::string &d) {
    if (d.empty()) return;
    for (const std::string &have : dirs)
      if (have == d) return;
    dirs.push_back(d);
  };
  add(id.log_dir);
  std::string path = path_of_fd(data_fd);
  if (!path.empty()) add(parent_dir(path));
  add(default_log_dir(data_fd));
  return dirs;
}

int check_log_trust(const struct stat &log_st, const struct stat &data_st,
                    const std::string &log_path) {
  if (!S_ISREG(log_st.st_mode))
    return fail(FAMS_EFOREIGN, "%s is not a regular file; it was not used (nothing was changed)",
                log_path.c_str());
  if (log_st.st_nlink != 1)
    return fail(FAMS_EFOREIGN, "log %s has %llu links (a log has exactly one); it was not used "
                "(nothing was changed)", log_path.c_str(), (unsigned long long)log_st.st_nlink);
  if (log_st.st_uid != data_st.st_uid && log_st.st_uid != geteuid())
    return fail(FAMS_EFOREIGN, "log %s is owned by uid %u, but the data file by uid %u: a log of "
                "another user is never applied (nothing was changed); if you trust it, chown it",
                log_path.c_str(), (unsigned)log_st.st_uid, (unsigned)data_st.st_uid);
  mode_t wider = log_st.st_mode & 077 & ~(data_st.st_mode & 077);
  if (wider != 0)
    return fail(FAMS_EFOREIGN, "log %s has mode %03o, wider than its data file's %03o: anyone it "
                "admits could have written it, so it was not used (nothing was changed)",
                log_path.c_str(), (unsigned)(log_st.st_mode & 0777),
                (unsigned)(data_st.st_mode & 0777));
  return 0;
}

mode_t log_mode_for(const struct stat &data_st) { return (data_st.st_mode & 0666) | 0600; }

}  // namespace famsync
