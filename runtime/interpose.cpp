// interpose.cpp — libc calls that instrumented code makes on files and mappings (abi.h).
//
// The pass renames, in instrumented code only, mmap/munmap/msync/mremap/fsync/fdatasync/
// ftruncate/write/pwrite/read/pread/close to these __fams_ functions; uninstrumented libraries
// keep libc's. Each behaves exactly like libc's unless it concerns a tracked file or mapping.
//
// Tracking policy (DESIGN.md, "Which mappings are tracked"): an mmap is tracked when it is
// MAP_SHARED (not anonymous), PROT_WRITE, of a regular file, from offset 0 (any length: bytes
// past EOF fault until ftruncate grows the file, as usual), and the file's path passes
// FAMSYNC_PATHS / FAMSYNC_EXCLUDE. By
// default everything under /dev/shm, /dev, /proc, /sys and /run is excluded, so POSIX shared
// memory (shm_open) and other IPC keeps real shared semantics; so are database lock files shared
// between processes (*/lock.mdb, *.mdb-lock). Entries may be globs. An untracked mapping is the
// kernel's ordinary mapping, made after recovering the file if a crash left it mid-commit.
//
// Invariants: a tracked file's bytes within the mapping are only ever read and written through
// the working copy (pread/pwrite on the fd are served from it), so fd I/O and the mapping stay
// coherent and every change goes through a commit. errno is set as libc would set it.
#include <famsync/abi.h>
#include <famsync/famsync.h>

#include "../src/error.hpp"
#include "../src/log_file.hpp"
#include "../src/options.hpp"
#include "../src/region.hpp"
#include "../src/registry.hpp"
#include "../src/window.hpp"

#include <cerrno>
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fnmatch.h>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using famsync::Region;

std::mutex g_map_mutex;  // serialises mmap/munmap of tracked files (refcounts)

// True if PATH matches an entry of the ':'-separated LIST: a glob (fnmatch, when the entry has
// one of * ? [) or else a plain prefix.
bool matches_any(const std::string &path, const std::string &list) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string entry = list.substr(start, end - start);
    if (!entry.empty()) {
      bool glob = entry.find_first_of("*?[") != std::string::npos;
      if (glob ? fnmatch(entry.c_str(), path.c_str(), 0) == 0
               : path.compare(0, entry.size(), entry) == 0)
        return true;
    }
    start = end + 1;
  }
  return false;
}

std::string fd_path(int fd) {
  char link[64], buf[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return buf;
}

// Never tracked by default: kernel file systems and shared-memory IPC, and lock files that
// databases share between processes through MAP_SHARED (LMDB's lock.mdb / *-lock).
constexpr const char *kDefaultExcludes = "/dev/:/proc/:/sys/:/run/:*/lock.mdb:*.mdb-lock";

bool path_is_tracked(const std::string &path) {
  const famsync::Options &o = famsync::options();
  if (matches_any(path, o.exclude_paths)) return false;
  if (!o.track_paths.empty()) return matches_any(path, o.track_paths);
  return !matches_any(path, kDefaultExcludes);
}

// Before a mapping we do not track (read-only, private, another process's file), roll the file
// back if a crash left a commit half done, so readers never see a mix. Best effort: a file owned
// by a live process (EBUSY) or not writable by us is left as it is.
void recover_before_untracked_map(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return;
  std::string path = fd_path(fd);
  if (path.empty() || !path_is_tracked(path)) return;
  if (Region::find_by_file(st.st_dev, st.st_ino) != nullptr) return;  // ours, live
  if (!famsync::has_log_file(fd, st, path)) return;                  // nothing to recover
  fams_recover(path.c_str());
}


void warn_once_per_file(const std::string &path, const char *why) {
  static std::mutex m;
  static std::string last;
  std::lock_guard lock(m);
  if (last == path) return;
  last = path;
  fprintf(stderr, "famsync: not tracking %s: %s (its msync is NOT failure-atomic)\n", path.c_str(),
          why);
}

// The tracked region for FD's file, or nullptr (also when nothing is tracked: one branch).
Region *region_for_fd(int fd) {
  if (famsync::registry::empty()) return nullptr;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  return Region::find_by_file(st.st_dev, st.st_ino);
}

Region *region_at(void *addr) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  if (!famsync::window::in_window(a)) return nullptr;
  return famsync::window::lookup_in_window(a);
}

// Converts a famsync error into errno for a libc-shaped return.
int set_errno_from(int rc) {
  errno = rc > 0 ? rc : EIO;
  fprintf(stderr, "famsync: %s (%s)\n", fams_strerror(rc), famsync::last_error_message());
  return -1;
}

// The part of [off, off+count) that the working copy of REGION serves: from OFF up to the end of
// the file or of the mapping, whichever comes first (0 if OFF is past either).
size_t working_copy_part(Region *r, uint64_t off, unsigned long count) {
  uint64_t limit = std::min<uint64_t>(r->size(), r->mapped_length());
  if (off >= limit) return 0;
  return static_cast<size_t>(count < limit - off ? count : limit - off);
}

}  // namespace

extern "C" {

void __fams_module_init(void) {
  // Always, even with FAMSYNC_DISABLE (address space only, no memory): instrumented functions
  // load the window once at entry, so it must be published before any of them runs and never
  // change afterwards. Failure leaves it empty: nothing is tracked, and mapping fails cleanly.
  famsync::window::reserve();
}

void *__fams_mmap(void *addr, unsigned long len, int prot, int flags, int fd, long offset) {
  bool candidate = !famsync::options().disable && fd >= 0 && (flags & MAP_SHARED) &&
                   !(flags & MAP_ANONYMOUS) && !(flags & MAP_FIXED) && (prot & PROT_WRITE) &&
                   len != 0;
  if (!candidate) {
    if (fd >= 0 && !(flags & MAP_ANONYMOUS) && !famsync::options().disable)
      recover_before_untracked_map(fd);
    return mmap(addr, len, prot, flags, fd, offset);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return mmap(addr, len, prot, flags, fd, offset);
  std::string path = fd_path(fd);
  if (path.empty() || !path_is_tracked(path)) return mmap(addr, len, prot, flags, fd, offset);
  if (offset != 0) {
    warn_once_per_file(path, "only mappings from offset 0 are tracked");
    return mmap(addr, len, prot, flags, fd, offset);
  }
  std::lock_guard lock(g_map_mutex);
  if (Region *r = Region::find_by_file(st.st_dev, st.st_ino)) {  // mapped again: share the copy
    if (len > r->mapped_length()) {
      // A longer mapping grows the one copy; it may move only if nobody holds the old address
      // (a region detached by munmap under FAMSYNC_MUNMAP_COMMIT=0).
      void *grown = nullptr;
      if (int rc = r->remap(len, /*may_move=*/r->mapping_refs() == 0, &grown)) {
        set_errno_from(rc);
        return MAP_FAILED;
      }
    }
    r->add_mapping_ref();
    return r->addr();
  }
  famsync::clear_error();
  Region *region = nullptr;
  int rc = Region::open(path.c_str(), 0, &region, len);
  if (rc != 0) {
    // Refusing to map would break the program; mapping untracked would silently drop the
    // guarantee. A file we cannot recover (corrupt/foreign log) must not be used: fail loudly.
    if (rc == FAMS_ECORRUPT || rc == FAMS_EFOREIGN || rc == FAMS_ERANGE || rc == EBUSY) {
      set_errno_from(rc);
      return MAP_FAILED;
    }
    warn_once_per_file(path, famsync::last_error_message());
    return mmap(addr, len, prot, flags, fd, offset);
  }
  return region->addr();
}

int __fams_munmap(void *addr, unsigned long len) {
  Region *r = region_at(addr);
  if (r == nullptr) return munmap(addr, len);
  if (addr != r->addr()) {
    errno = EINVAL;  // partial unmaps of a tracked mapping are not supported
    fprintf(stderr, "famsync: munmap(%p) of part of a tracked mapping is not supported\n", addr);
    return -1;
  }
  std::lock_guard lock(g_map_mutex);
  if (r->drop_mapping_ref() > 0) return 0;
  // FAMSYNC_MUNMAP_COMMIT=0: keep the region, pending changes and all ("detached"); the next
  // mmap of the file reattaches it, and msync/fsync/exit commit it. For programs that remap in
  // the middle of an update (gdbm), where committing at munmap would commit half of it.
  if (!famsync::options().munmap_commit) return 0;
  int rc = fams_unmap(reinterpret_cast<fams_region *>(r));
  return rc == 0 ? 0 : set_errno_from(rc);
}

int __fams_msync(void *addr, unsigned long len, int flags) {
  Region *r = region_at(addr);
  if (r == nullptr) return msync(addr, len, flags);
  if (reinterpret_cast<uintptr_t>(addr) % static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)) != 0 ||
      (flags & MS_SYNC && flags & MS_ASYNC)) {
    errno = EINVAL;  // as msync(2)
    return -1;
  }
  // FAMS semantics: the whole mapping's pending changes, whatever range was named, and durable
  // even for MS_ASYNC (Linux's MS_ASYNC writes nothing; ours is simply synchronous).
  int rc = fams_msync(reinterpret_cast<fams_region *>(r));
  return rc == 0 ? 0 : set_errno_from(rc);
}

void *__fams_mremap(void *old_addr, unsigned long old_len, unsigned long new_len, int flags,
                    void *new_addr) {
  Region *r = region_at(old_addr);
  if (r == nullptr) return mremap(old_addr, old_len, new_len, flags, new_addr);
  if (old_addr != r->addr() || (flags & MREMAP_FIXED)) {
    errno = EINVAL;  // only the whole mapping, and we choose where it lives
    fprintf(stderr, "famsync: mremap of part of a tracked mapping, or to a fixed address, is "
                    "not supported\n");
    return MAP_FAILED;
  }
  std::lock_guard lock(g_map_mutex);
  void *out = nullptr;
  if (int rc = r->remap(new_len, (flags & MREMAP_MAYMOVE) != 0, &out)) {
    set_errno_from(rc);
    return MAP_FAILED;
  }
  return out;
}

int __fams_fsync(int fd) {
  if (Region *r = region_for_fd(fd)) {
    if (int rc = fams_msync(reinterpret_cast<fams_region *>(r))) return set_errno_from(rc);
  }
  return fsync(fd);
}

int __fams_fdatasync(int fd) {
  if (Region *r = region_for_fd(fd)) {
    if (int rc = fams_msync(reinterpret_cast<fams_region *>(r))) return set_errno_from(rc);
  }
  return fdatasync(fd);
}

int __fams_ftruncate(int fd, long length) {
  Region *r = region_for_fd(fd);
  if (r == nullptr || length < 0) return ftruncate(fd, length);
  if (int rc = r->resize_file(static_cast<uint64_t>(length))) return set_errno_from(rc);
  return 0;
}

long __fams_pwrite(int fd, const void *buf, unsigned long count, long offset) {
  Region *r = region_for_fd(fd);
  if (r == nullptr || offset < 0) return pwrite(fd, buf, count, offset);
  uint64_t end = static_cast<uint64_t>(offset) + count;
  if (end > r->size()) {
    // Extending the file: grow it first, durably (the region must know the size before any
    // commit logs lines in the new area), so the mapped part of the bytes can go into the
    // working copy and be committed like any other change. Never shrinks (concurrent appenders).
    if (int rc = r->extend_file(end)) return set_errno_from(rc);
  }
  size_t in_copy = working_copy_part(r, static_cast<uint64_t>(offset), count);
  if (in_copy != 0) {  // the mapped part goes into the working copy: committed atomically later
    char *dst = static_cast<char *>(r->addr()) + offset;
    r->note_write(reinterpret_cast<uintptr_t>(dst), in_copy);
    memcpy(dst, buf, in_copy);
  }
  if (in_copy == count) return static_cast<long>(count);
  long rest = pwrite(fd, static_cast<const char *>(buf) + in_copy, count - in_copy,
                     offset + static_cast<long>(in_copy));
  return rest < 0 ? (in_copy != 0 ? static_cast<long>(in_copy) : rest)
                  : static_cast<long>(in_copy) + rest;
}

long __fams_pread(int fd, void *buf, unsigned long count, long offset) {
  Region *r = region_for_fd(fd);
  if (r == nullptr || offset < 0) return pread(fd, buf, count, offset);
  size_t in_copy = working_copy_part(r, static_cast<uint64_t>(offset), count);
  memcpy(buf, static_cast<char *>(r->addr()) + offset, in_copy);
  if (in_copy == count) return static_cast<long>(count);
  long rest = pread(fd, static_cast<char *>(buf) + in_copy, count - in_copy,
                    offset + static_cast<long>(in_copy));
  return rest < 0 ? (in_copy != 0 ? static_cast<long>(in_copy) : rest)
                  : static_cast<long>(in_copy) + rest;
}

long __fams_write(int fd, const void *buf, unsigned long count) {
  Region *r = region_for_fd(fd);
  if (r == nullptr) return write(fd, buf, count);
  off_t pos = lseek(fd, 0, SEEK_CUR);
  if (pos < 0) return write(fd, buf, count);  // not seekable: cannot be a mapped range
  long n = __fams_pwrite(fd, buf, count, pos);
  if (n > 0) lseek(fd, pos + n, SEEK_SET);
  return n;
}

long __fams_read(int fd, void *buf, unsigned long count) {
  Region *r = region_for_fd(fd);
  if (r == nullptr) return read(fd, buf, count);
  off_t pos = lseek(fd, 0, SEEK_CUR);
  if (pos < 0) return read(fd, buf, count);
  long n = __fams_pread(fd, buf, count, pos);
  if (n > 0) lseek(fd, pos + n, SEEK_SET);
  return n;
}

int __fams_close(int fd) {
  // Closing a descriptor never unmaps (as with mmap); the region keeps its own descriptor.
  return close(fd);
}

}  // extern "C"
