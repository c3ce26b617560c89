// log_file.cpp — see log_file.hpp.
#include "log_file.hpp"

#include "checksum.hpp"
#include "error.hpp"
#include "options.hpp"
#include "os.hpp"

#include <algorithm>
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

LogIdentityBlock make_identity_block(const FileIdentity &id, int data_fd,
                                     const struct stat &data_st, uint64_t salt) {
  LogIdentityBlock b{};
  memcpy(b.file_id, id.id, sizeof b.file_id);
  b.data_ino = data_st.st_ino;
  b.data_dev = data_st.st_dev;
  b.data_uid = data_st.st_uid;
  b.data_gid = data_st.st_gid;
  std::string path = path_of_fd(data_fd);
  b.path_len = static_cast<uint32_t>(std::min(path.size(), kLogPathMax));
  memcpy(b.path, path.data(), b.path_len);
  b.checksum = identity_checksum(b, salt);
  return b;
}

// Opens DIR for *at() calls. Errors: errno of open.
int open_dir(const std::string &dir, int *out) {
  *out = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*out < 0) return fail_errno("open log directory %s", dir.c_str());
  return 0;
}

// An unnamed, locked file in DIRFD with the log's permissions and owner, holding a complete log.
int build_unnamed_log(int dirfd, const std::string &dir, const FileIdentity &id, int data_fd,
                      const struct stat &data_st, uint64_t capacity, LogProtocol protocol,
                      int *fd_out, std::string *tmp_name) {
  mode_t mode = log_mode_for(data_st);
  int fd = ::openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
  tmp_name->clear();
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE here: an unpredictable name, created exclusively, never following a link.
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
      uint8_t r[8];
      os::random_bytes(r, sizeof r);
      char name[64];
      snprintf(name, sizeof name, ".famsync-tmp-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
               r[3], r[4], r[5], r[6], r[7]);
      fd = ::openat(dirfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, mode);
      if (fd >= 0) *tmp_name = name;
      else if (errno != EEXIST) break;
    }
  }
  if (fd < 0) return fail_errno("creating a log in %s", dir.c_str());
  auto give_up = [&](int rc) {
    if (!tmp_name->empty()) ::unlinkat(dirfd, tmp_name->c_str(), 0);
    ::close(fd);
    return rc;
  };
  // The log holds the data file's bytes: it gets the file's owner, group and permission bits
  // (the umask must not widen or narrow them). Only root can give a file away; others keep it
  // and are trusted as its creator (check_log_trust).
  if (fchmod(fd, mode) != 0) return give_up(fail_errno("fchmod(log in %s)", dir.c_str()));
  if (fchown(fd, geteuid() == 0 ? data_st.st_uid : static_cast<uid_t>(-1), data_st.st_gid) != 0 &&
      errno != EPERM)
    return give_up(fail_errno("fchown(log in %s)", dir.c_str()));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) return give_up(fail_errno("flock(new log in %s)", dir.c_str()));
  uint64_t size = log_entry_offset(capacity);
  char page[kLogHeaderSize] = {};
  LogStaticHeader fixed = make_static_header(data_st, protocol);
  LogDynamicHeader dyn{};
  os::random_bytes(&dyn.generation, sizeof dyn.generation);  // entries of older logs never verify
  dyn.generation &= ~(1ull << 63);                            // leave room to count up
  // The file's size now is its committed size (a new log has nothing in flight).
  dyn.committed_size[0] = dyn.committed_size[1] = encode_size(static_cast<uint64_t>(data_st.st_size));
  LogIdentityBlock ident = make_identity_block(id, data_fd, data_st, fixed.salt);
  memcpy(page, &fixed, sizeof fixed);
  memcpy(page + sizeof fixed, &dyn, sizeof dyn);
  memcpy(page + kLogIdentityOffset, &ident, sizeof ident);
  std::string what = dir + "/(new log)";
  int rc = os::zero_fill(fd, sizeof page, size, what.c_str());  // written extents: see os.hpp
  if (rc == 0) rc = os::pwrite_all(fd, page, sizeof page, 0, what.c_str());
  if (rc == 0 && ::fsync(fd) != 0) rc = fail_errno("fsync(%s)", what.c_str());
  if (rc != 0) return give_up(rc);
  *fd_out = fd;
  return 0;
}

// Gives the unnamed (or temporarily named) FD the name NAME in DIRFD. REPLACE: atomically over an
// existing NAME (rename); otherwise EEXIST if NAME exists (linkat never replaces).
int name_log(int dirfd, int fd, const std::string &tmp_name, const std::string &name, bool replace,
             const std::string &dir) {
  std::string linked = tmp_name;
  if (linked.empty()) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (!replace) {
      if (linkat(AT_FDCWD, proc, dirfd, name.c_str(), AT_SYMLINK_FOLLOW) != 0)
        return errno == EEXIST ? EEXIST : fail_errno("linking log %s/%s", dir.c_str(), name.c_str());
      return 0;
    }
    for (int attempt = 0; attempt < 8 && linked.empty(); ++attempt) {
      uint8_t r[8];
      os::random_bytes(r, sizeof r);
      char tmp[64];
      snprintf(tmp, sizeof tmp, ".famsync-tmp-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
               r[3], r[4], r[5], r[6], r[7]);
      if (linkat(AT_FDCWD, proc, dirfd, tmp, AT_SYMLINK_FOLLOW) == 0) linked = tmp;
      else if (errno != EEXIST) return fail_errno("linking a new log into %s", dir.c_str());
    }
    if (linked.empty()) return fail(EEXIST, "no free temporary name in %s", dir.c_str());
  }
  if (replace) {
    if (renameat(dirfd, linked.c_str(), dirfd, name.c_str()) != 0) {
      int rc = fail_errno("renaming a new log over %s/%s", dir.c_str(), name.c_str());
      ::unlinkat(dirfd, linked.c_str(), 0);
      return rc;
    }
    return 0;
  }
  // A temporary name exists (no O_TMPFILE): link it under NAME (fails if NAME exists), drop it.
  int rc = 0;
  if (linkat(dirfd, linked.c_str(), dirfd, name.c_str(), 0) != 0)
    rc = errno == EEXIST ? EEXIST : fail_errno("linking log %s/%s", dir.c_str(), name.c_str());
  ::unlinkat(dirfd, linked.c_str(), 0);
  return rc;
}

int validate(LogFile *lf, const struct stat &data_st, const FileIdentity *id) {
  struct stat st;
  if (fstat(lf->fd, &st) != 0) return fail_errno("fstat(%s)", lf->path.c_str());
  lf->size = static_cast<uint64_t>(st.st_size);
  if (lf->size < kLogHeaderSize + kLogEntrySize || (lf->size - kLogHeaderSize) % kLogEntrySize != 0)
    return fail(FAMS_ECORRUPT, "log %s: size %llu is not a header plus whole entries (truncated?)",
                lf->path.c_str(), (unsigned long long)lf->size);
  char page[kLogHeaderSize];
  if (int rc = os::pread_full(lf->fd, page, sizeof page, 0, lf->path.c_str())) return rc;
  memcpy(&lf->fixed, page, sizeof lf->fixed);
  memcpy(&lf->dynamic, page + sizeof lf->fixed, sizeof lf->dynamic);
  const LogStaticHeader &h = lf->fixed;
  if (memcmp(h.magic, kLogMagic, sizeof h.magic) != 0)
    return fail(FAMS_ECORRUPT, "%s is not a famsync log (bad magic)", lf->path.c_str());
  if (h.checksum != static_header_checksum(h))
    return fail(FAMS_ECORRUPT, "log %s: header checksum mismatch", lf->path.c_str());
  uint32_t want_version = lf->legacy ? kLogFormatVersionLegacy : kLogFormatVersion;
  if (!lf->legacy && (h.version == kLogFormatVersionV2 || h.version == kLogFormatVersionV3))
    want_version = h.version;
  if (h.version != want_version || h.entry_size != kLogEntrySize || h.protocol > 1)
    return fail(FAMS_ECORRUPT, "log %s: format version %u / entry size %u / protocol %u not "
                "supported (expected version %u)", lf->path.c_str(), h.version, h.entry_size,
                h.protocol, want_version);
  if (!live_word_is_plausible(lf->dynamic, h.version))
    return fail(FAMS_ECORRUPT, "log %s: its live word %#llx names neither this generation nor the "
                "one before (damaged); nothing was changed", lf->path.c_str(),
                (unsigned long long)lf->dynamic.live_count);
  if (lf->live() > lf->capacity())
    return fail(FAMS_ECORRUPT, "log %s: %llu live entries but room for only %llu",
                lf->path.c_str(), (unsigned long long)lf->live(),
                (unsigned long long)lf->capacity());
  if (!lf->legacy) {
    memcpy(&lf->identity, page + kLogIdentityOffset, sizeof lf->identity);
    if (lf->identity.checksum != identity_checksum(lf->identity, h.salt) ||
        lf->identity.path_len > kLogPathMax)
      return fail(FAMS_ECORRUPT, "log %s: identity block checksum mismatch", lf->path.c_str());
    if (id != nullptr && memcmp(lf->identity.file_id, id->id, sizeof id->id) != 0)
      return fail(FAMS_EFOREIGN, "log %s carries another file identity than its name says; it was "
                  "not used (nothing was changed)", lf->path.c_str());
    if (lf->identity.data_ino != h.data_ino)
      return fail(FAMS_ECORRUPT, "log %s: its two inode records disagree", lf->path.c_str());
  }
  lf->foreign = h.data_ino != static_cast<uint64_t>(data_st.st_ino);
  return 0;
}

// Opens NAME in DIR as the log of DATA_ST (see find_log_file). *FOUND false if it does not exist.
int open_named_log(const std::string &dir, const std::string &name, const struct stat &data_st,
                   const FileIdentity *id, bool read_only, bool legacy, LogFile *out, bool *found) {
  *found = false;
  int dirfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;  // a recorded directory that is gone
    return fail_errno("open log directory %s", dir.c_str());
  }
  out->dir = dir;
  out->path = dir + "/" + name;
  out->legacy = legacy;
  out->fd = ::openat(dirfd, name.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC);
  if (out->fd < 0) {
    int err = errno;
    ::close(dirfd);
    if (err == ENOENT) return 0;
    errno = err;
    if (err == ELOOP) return fail(FAMS_EFOREIGN, "log %s is a symbolic link; it was not used",
                                  out->path.c_str());
    return fail_errno("open log %s", out->path.c_str());
  }
  auto give_up = [&](int rc) {
    close_log_file(out);
    ::close(dirfd);
    return rc;
  };
  // `famsync gc` (or a map in the same directory) holds a log's lock for a few microseconds to
  // look at it: try a few times before calling the file busy.
  int locked_rc = 0;
  for (int attempt = 0; !read_only && attempt < 4; ++attempt) {
    locked_rc = flock(out->fd, LOCK_EX | LOCK_NB);
    if (locked_rc == 0 || errno != EWOULDBLOCK) break;
    usleep(1000);
  }
  if (!read_only && locked_rc != 0 && errno == EWOULDBLOCK) {
    // Busy. If the log names another inode, it is another file's (this one is a copy that
    // carries its identity), in use by that file's process: not ours to wait for.
    LogStaticHeader h;
    if (os::pread_full(out->fd, &h, sizeof h, 0, out->path.c_str()) == 0 &&
        memcmp(h.magic, kLogMagic, sizeof h.magic) == 0 && h.checksum == static_header_checksum(h) &&
        h.data_ino != static_cast<uint64_t>(data_st.st_ino)) {
      out->fixed = h;
      out->foreign = true;
      out->foreign_in_use = true;
      close_log_file(out);
      ::close(dirfd);
      *found = true;
      return 0;
    }
    errno = EWOULDBLOCK;
  }
  if (!read_only && locked_rc != 0) {
    return give_up(errno == EWOULDBLOCK
                       ? fail(EBUSY, "the data file is in use by another process (its log %s is "
                              "locked)", out->path.c_str())
                       : fail_errno("flock(%s)", out->path.c_str()));
  }
  struct stat locked, named;
  if (fstat(out->fd, &locked) != 0) return give_up(fail_errno("fstat(%s)", out->path.c_str()));
  if (!read_only) {
    // Holding the lock counts only if NAME still refers to the locked inode: its owner may have
    // removed it on a clean close (or `famsync gc` did) between our open and our lock.
    if (fstatat(dirfd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
        locked.st_ino != named.st_ino || locked.st_dev != named.st_dev)
      return give_up(fail(EAGAIN, "log %s was removed or replaced while being opened",
                          out->path.c_str()));
  }
  ::close(dirfd);
  dirfd = -1;
  if (int rc = check_log_trust(locked, data_st, out->path)) return give_up(rc);
  if (int rc = validate(out, data_st, id)) return give_up(rc);
  *found = true;
  return 0;
}

}  // namespace

int find_log_file(int data_fd, const struct stat &data_st, const std::string &data_path,
                  const FileIdentity *id, bool read_only, LogFile *out, bool *found) {
  *found = false;
  if (id != nullptr) {
    std::string name = log_file_name(*id);
    for (const std::string &dir : log_search_dirs(*id, data_fd)) {
      if (int rc = open_named_log(dir, name, data_st, id, read_only, false, out, found)) return rc;
      if (*found) return 0;
    }
  }
  if (id != nullptr && !id->derived) return 0;
  // Version 1 named logs PATH.famslog, or <basename>.<dev>-<ino>.famslog in $FAMSYNC_LOG_DIR.
  // One is used only if it names this inode: under version 1 a renamed file left its log under
  // the old name, so a log found there may be another file's (it is then left alone).
  std::string dir = ".", base = data_path;
  if (size_t slash = data_path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : data_path.substr(0, slash);
    base = data_path.substr(slash + 1);
  }
  std::string legacy_names[2][2] = {
      {dir, base + ".famslog"},
      {options().log_dir, base + "." + std::to_string(data_st.st_dev) + "-" +
                              std::to_string(data_st.st_ino) + ".famslog"}};
  for (auto &[legacy_dir, legacy_name] : legacy_names) {
    if (legacy_dir.empty()) continue;
    LogFile lf;
    bool legacy_found = false;
    int rc = open_named_log(legacy_dir, legacy_name, data_st, nullptr, read_only, true, &lf,
                            &legacy_found);
    if (rc == FAMS_ECORRUPT || rc == FAMS_EFOREIGN) continue;  // not a usable old log of ours
    if (rc != 0) return rc;
    if (!legacy_found) continue;
    if (lf.foreign) {
      close_log_file(&lf);
      continue;
    }
    *out = lf;
    *found = true;
    return 0;
  }
  return 0;
}

int create_log_file(const FileIdentity &id, const std::string &dir, int data_fd,
                    const struct stat &data_st, uint64_t capacity, LogProtocol protocol,
                    LogFile *out) {
  int dirfd;
  if (int rc = open_dir(dir, &dirfd)) return rc;
  int fd = -1;
  std::string tmp_name, name = log_file_name(id);
  int rc = build_unnamed_log(dirfd, dir, id, data_fd, data_st, capacity, protocol, &fd, &tmp_name);
  if (rc == 0) rc = name_log(dirfd, fd, tmp_name, name, /*replace=*/false, dir);
  if (rc == 0 && ::fsync(dirfd) != 0) rc = fail_errno("fsync(directory %s)", dir.c_str());
  ::close(dirfd);
  if (rc != 0) {
    if (fd >= 0) ::close(fd);
    return rc;
  }
  *out = LogFile{};
  out->fd = fd;
  out->dir = dir;
  out->path = dir + "/" + name;
  if (int vrc = validate(out, data_st, &id)) {
    close_log_file(out);
    return vrc;
  }
  return 0;
}

int recreate_log_file(int data_fd, const struct stat &data_st, uint64_t capacity,
                      LogProtocol protocol, LogFile *lf) {
  FileIdentity id;
  memcpy(id.id, lf->identity.file_id, sizeof id.id);
  std::string name = lf->path.substr(lf->dir.size() + 1);
  int dirfd;
  if (int rc = open_dir(lf->dir, &dirfd)) return rc;
  int fd = -1;
  std::string tmp_name;
  int rc = build_unnamed_log(dirfd, lf->dir, id, data_fd, data_st, capacity, protocol, &fd, &tmp_name);
  if (rc == 0) rc = name_log(dirfd, fd, tmp_name, name, /*replace=*/true, lf->dir);
  if (rc == 0 && ::fsync(dirfd) != 0) rc = fail_errno("fsync(directory %s)", lf->dir.c_str());
  ::close(dirfd);
  if (rc != 0) {
    if (fd >= 0) ::close(fd);
    return rc;
  }
  ::close(lf->fd);
  lf->fd = fd;
  return validate(lf, data_st, &id);
}

int remove_log_file(LogFile *lf) {
  int rc = 0;
  struct stat held, named;
  if (fstat(lf->fd, &held) != 0) {
    rc = fail_errno("fstat(%s)", lf->path.c_str());
  } else if (::lstat(lf->path.c_str(), &named) == 0 && named.st_ino == held.st_ino &&
             named.st_dev == held.st_dev) {
    if (::unlink(lf->path.c_str()) != 0) rc = fail_errno("unlink(%s)", lf->path.c_str());
  }
  // No directory sync: if the removal is lost in a power failure, the log comes back holding
  // nothing to apply, and the next map or `famsync gc` removes it again.
  close_log_file(lf);
  return rc;
}

bool log_file_detached(const LogFile &lf) {
  os::FileFacts facts;  // not fstat: a ctime query would dirty the log's inode at every write
  return os::file_facts(lf.fd, lf.path.c_str(), &facts) != 0 || facts.links == 0;
}

int log_has_live_state(const LogFile &lf, bool *live) {
  *live = false;
  if (lf.protocol() == LogProtocol::redo && lf.fixed.version >= 4) {
    // A commit since the last checkpoint starts with a group header at slot 0.
    RedoGroupHeader h;
    if (int rc = os::pread_full(lf.fd, &h, sizeof h, log_entry_offset(0), lf.path.c_str()))
      return rc;
    *live = redo_header_is_valid(h, lf.fixed.salt, lf.dynamic.generation);
    return 0;
  }
  uint64_t n = lf.protocol() == LogProtocol::undo ? std::min(lf.live(), lf.capacity())
                                                  : 1;
  for (uint64_t slot = 0; slot < n && !*live; ++slot) {
    LogEntry e;
    if (int rc = os::pread_full(lf.fd, &e, sizeof e, log_entry_offset(slot), lf.path.c_str()))
      return rc;
    *live = entry_is_valid(e, lf.fixed.salt, lf.dynamic.generation);
  }
  return 0;
}

bool has_log_file(int data_fd, const struct stat &data_st, const std::string &data_path) {
  FileIdentity id;
  bool has_id = false, found = false;
  if (read_identity(data_fd, data_st, &id, &has_id) != 0) return true;
  LogFile lf;
  // A log that cannot be read or trusted counts as one: the caller's recovery then reports it.
  if (find_log_file(data_fd, data_st, data_path, has_id ? &id : nullptr, /*read_only=*/true, &lf,
                    &found) != 0)
    return true;
  close_log_file(&lf);
  return found;
}

void close_log_file(LogFile *lf) {
  if (lf->fd >= 0) ::close(lf->fd);  // closing drops the flock
  lf->fd = -1;
}

}  // namespace famsync
