// log_file.cpp — see log_file.hpp.
#include "log_file.hpp"

#include "checksum.hpp"
#include "error.hpp"
#include "options.hpp"
#include "os.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace famsync {
namespace {

LogStaticHeader make_static_header(const struct stat &data_st, LogProtocol protocol) {
  LogStaticHeader h{};
  memcpy(h.magic, kLogMagic, sizeof h.magic);
  h.version = kLogFormatVersion;
  h.entry_size = kLogEntrySize;
  h.data_ino = data_st.st_ino;
  h.data_dev = data_st.st_dev;
  os::random_bytes(&h.salt, sizeof h.salt);
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  h.created_unix_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
  h.protocol = static_cast<uint32_t>(protocol);
  h.checksum = static_header_checksum(h);
  return h;
}

// Writes a complete new log under a temporary name and renames it over PATH.
int create_log(const std::string &path, const struct stat &data_st, uint64_t capacity,
               LogProtocol protocol) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno("creating undo log %s", tmp.c_str());
  uint64_t size = log_entry_offset(capacity);
  int rc = 0;
  char page[kLogHeaderSize] = {};
  LogStaticHeader fixed = make_static_header(data_st, protocol);
  LogDynamicHeader dyn{};
  os::random_bytes(&dyn.generation, sizeof dyn.generation);  // entries of older logs never verify
  dyn.generation &= ~(1ull << 63);                            // leave room to count up
  // The file's size now is its committed size (a new log has nothing in flight).
  dyn.committed_size[0] = dyn.committed_size[1] = encode_size(static_cast<uint64_t>(data_st.st_size));
  memcpy(page, &fixed, sizeof fixed);
  memcpy(page + sizeof fixed, &dyn, sizeof dyn);
  rc = os::zero_fill(fd, sizeof page, size, tmp.c_str());  // written extents: see os.hpp
  if (rc == 0) rc = os::pwrite_all(fd, page, sizeof page, 0, tmp.c_str());
  if (rc == 0 && ::fsync(fd) != 0) rc = fail_errno("fsync(%s)", tmp.c_str());
  ::close(fd);
  if (rc == 0 && ::rename(tmp.c_str(), path.c_str()) != 0)
    rc = fail_errno("rename(%s, %s)", tmp.c_str(), path.c_str());
  if (rc != 0) {
    ::unlink(tmp.c_str());
    return rc;
  }
  return os::sync_parent_dir(path);
}

int validate(LogFile *lf, const struct stat &data_st) {
  struct stat st;
  if (fstat(lf->fd, &st) != 0) return fail_errno("fstat(%s)", lf->path.c_str());
  lf->size = static_cast<uint64_t>(st.st_size);
  if (lf->size < kLogHeaderSize + kLogEntrySize || (lf->size - kLogHeaderSize) % kLogEntrySize != 0)
    return fail(FAMS_ECORRUPT, "undo log %s: size %llu is not a header plus whole entries (truncated?)",
                lf->path.c_str(), (unsigned long long)lf->size);
  char page[128];
  if (int rc = os::pread_full(lf->fd, page, sizeof page, 0, lf->path.c_str())) return rc;
  memcpy(&lf->fixed, page, sizeof lf->fixed);
  memcpy(&lf->dynamic, page + sizeof lf->fixed, sizeof lf->dynamic);
  const LogStaticHeader &h = lf->fixed;
  if (memcmp(h.magic, kLogMagic, sizeof h.magic) != 0)
    return fail(FAMS_ECORRUPT, "%s is not a famsync undo log (bad magic)", lf->path.c_str());
  if (h.checksum != static_header_checksum(h))
    return fail(FAMS_ECORRUPT, "undo log %s: header checksum mismatch", lf->path.c_str());
  if (h.version != kLogFormatVersion || h.entry_size != kLogEntrySize || h.protocol > 1)
    return fail(FAMS_ECORRUPT, "undo log %s: format version %u / entry size %u / protocol %u not "
                "supported", lf->path.c_str(), h.version, h.entry_size, h.protocol);
  if (lf->dynamic.live_count > lf->capacity())
    return fail(FAMS_ECORRUPT, "undo log %s: %llu live entries but room for only %llu",
                lf->path.c_str(), (unsigned long long)lf->dynamic.live_count,
                (unsigned long long)lf->capacity());
  lf->foreign = h.data_ino != static_cast<uint64_t>(data_st.st_ino);
  return 0;
}

}  // namespace

std::string log_path_for(const std::string &data_path, const struct stat &data_st) {
  const std::string &dir = options().log_dir;
  if (dir.empty()) return data_path + ".famslog";
  size_t slash = data_path.rfind('/');
  std::string base = slash == std::string::npos ? data_path : data_path.substr(slash + 1);
  return dir + "/" + base + "." + std::to_string(data_st.st_dev) + "-" +
         std::to_string(data_st.st_ino) + ".famslog";
}

int open_log_file(const std::string &path, const struct stat &data_st, uint64_t initial_capacity,
                  LogProtocol protocol, LogOpenMode mode, bool read_only, LogFile *out) {
  out->path = path;
  for (int attempt = 0;; ++attempt) {
    out->fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (out->fd >= 0) break;
    if (errno != ENOENT || mode == LogOpenMode::must_exist || read_only || attempt > 0)
      return fail_errno("open undo log %s", path.c_str());
    if (int rc = create_log(path, data_st, initial_capacity, protocol)) return rc;
  }
  if (!read_only && flock(out->fd, LOCK_EX | LOCK_NB) != 0) {
    int rc = errno == EWOULDBLOCK
                 ? fail(EBUSY, "the data file is in use by another process (its undo log %s is locked)",
                        path.c_str())
                 : fail_errno("flock(%s)", path.c_str());
    close_log_file(out);
    return rc;
  }
  if (!read_only) {
    // Two processes may race to create the log: the loser's rename replaces the winner's file.
    // Holding the lock counts only if PATH still names the locked inode.
    struct stat locked, named;
    if (fstat(out->fd, &locked) != 0 || ::stat(path.c_str(), &named) != 0 ||
        locked.st_ino != named.st_ino || locked.st_dev != named.st_dev) {
      close_log_file(out);
      return fail(EBUSY, "undo log %s was replaced while opening it (another process?)",
                  path.c_str());
    }
  }
  if (int rc = validate(out, data_st)) {
    close_log_file(out);
    return rc;
  }
  return 0;
}

int recreate_log_file(const struct stat &data_st, uint64_t capacity, LogProtocol protocol,
                      LogFile *lf) {
  if (int rc = create_log(lf->path, data_st, capacity, protocol)) return rc;
  int fd = ::open(lf->path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail_errno("open undo log %s", lf->path.c_str());
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int rc = fail(EBUSY, "undo log %s was taken by another process while being reset",
                  lf->path.c_str());
    ::close(fd);
    return rc;
  }
  ::close(lf->fd);
  lf->fd = fd;
  return validate(lf, data_st);
}

void close_log_file(LogFile *lf) {
  if (lf->fd >= 0) ::close(lf->fd);  // closing drops the flock
  lf->fd = -1;
}

}  // namespace famsync
