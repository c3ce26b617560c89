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
// between processes (*/lock.mdb, *.mdb-lock). An explicit choice wins over that default: a
// FAMSYNC_PATHS entry, or a forced pmem backend (FAMSYNC_BACKEND=pmem, FAMSYNC_FORCE_PMEM=1) for
// regular files under /dev/shm (the emulated-pmem setup the README describes). Entries may be
// globs. An untracked mapping is the kernel's ordinary mapping, made after recovering the file if
// a crash left it mid-commit, and every untracked writable shared mapping of a regular file
// prints one line naming why and the variable that changes it.
//
// Invariants: a tracked file's bytes within the mapping are only ever read and written through
// the working copy (pread/pwrite on the fd are served from it), so fd I/O and the mapping stay
// coherent and every change goes through a commit. errno is set as libc would set it. Every
// Region* is looked up and used under registry::pin() (closing: lock_lifetimes()), so the exit
// hook never frees a region a call here is using. Redirected write()/read() move the file
// position under one mutex, as the kernel's own position lock does.
#include <famsync/abi.h>
#include <famsync/famsync.h>

#include "../src/error.hpp"
#include "../src/log_file.hpp"
#include "../src/options.hpp"
#include "../src/os.hpp"
#include "../src/region.hpp"
#include "../src/registry.hpp"
#include "../src/window.hpp"

#include <cerrno>
#include <algorithm>
#include <dirent.h>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fnmatch.h>
#include <mutex>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using famsync::Region;

namespace registry = famsync::registry;

std::mutex g_map_mutex;  // serialises mmap/munmap of tracked files (refcounts)
// Redirected write()/read() on a tracked file: "read the position, do the I/O, advance it" is
// one step for the kernel (its f_pos lock); this mutex makes it one step here, so two threads
// sharing a descriptor never write at the same position or skip bytes.
std::mutex g_position_mutex;

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
constexpr const char *kDefaultSystemExcludes = "/dev/:/proc/:/sys/:/run/";
constexpr const char *kDefaultLockExcludes = "*/lock.mdb:*.mdb-lock";

// Why PATH is not tracked (one clause naming the variable that changes it), or nullptr if it is.
const char *untracked_reason(const std::string &path) {
  const famsync::Options &o = famsync::options();
  if (matches_any(path, o.exclude_paths)) return "it matches FAMSYNC_EXCLUDE";
  if (!o.track_paths.empty()) {
    if (matches_any(path, o.track_paths)) return nullptr;
    return "it is not under FAMSYNC_PATHS (add it there to track it)";
  }
  if (matches_any(path, kDefaultLockExcludes))
    return "database lock files shared between processes are not tracked by default (list it in "
           "FAMSYNC_PATHS to track it)";
  // A user who forces the pmem backend emulates pmem on /dev/shm (README): track its files. Real
  // POSIX shared memory of such a program must then be left out with FAMSYNC_EXCLUDE (or the
  // data named with FAMSYNC_PATHS instead).
  bool shm = path.compare(0, 9, "/dev/shm/") == 0;
  if (shm && o.backend == famsync::BackendChoice::pmem) return nullptr;
  if (shm)
    return "/dev/shm holds POSIX shared memory, not tracked by default (set FAMSYNC_PATHS=/dev/shm/ "
           "or FAMSYNC_BACKEND=pmem to track it)";
  if (matches_any(path, kDefaultSystemExcludes))
    return "files under /dev/, /proc/, /sys/ and /run/ are not tracked by default (list it in "
           "FAMSYNC_PATHS to track it)";
  return nullptr;
}

bool path_is_tracked(const std::string &path) { return untracked_reason(path) == nullptr; }

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


// One line per file and reason for the life of the process (a program that maps its IPC segment
// a thousand times is told once).
void warn_once_per_file(const std::string &path, const char *why) {
  static std::mutex m;
  static auto *seen = new std::set<std::string>;  // never destroyed: mmap may run at exit
  std::lock_guard lock(m);
  if (!seen->insert(path + '\0' + why).second) return;
  fprintf(stderr, "famsync: not tracking %s: %s (its msync is NOT failure-atomic)\n", path.c_str(),
          why);
}

// The tracked region for FD's file, or nullptr (also when nothing is tracked: one branch).
// The caller holds registry::pin().
Region *region_for_fd(int fd) {
  if (famsync::registry::empty()) return nullptr;
  famsync::os::FileFacts facts;  // not fstat: no timestamps asked for (os.hpp)
  if (famsync::os::file_facts(fd, "descriptor", &facts) != 0 || !facts.regular) return nullptr;
  return Region::find_by_file(facts.dev, facts.ino);
}

// The caller holds registry::pin() (or lock_lifetimes()).
Region *region_at(void *addr) {
  auto a = reinterpret_cast<uintptr_t>(addr);
  if (!famsync::window::in_window(a)) return nullptr;
  return famsync::region_in_window(a);
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
  uint64_t limit = std::min<uint64_t>(r->file_size(), r->mapped_length());
  if (off >= limit) return 0;
  return static_cast<size_t>(count < limit - off ? count : limit - off);
}

int commit(Region *r) {
  famsync::clear_error();
  int rc = r->commit();
  return rc == 0 ? 0 : set_errno_from(rc);
}

// A read-only MAP_SHARED mapping (from offset 0, not MAP_FIXED) of a file with a live region in
// this process gets that region's working copy (grown if needed), counted as one more mapping;
// nullptr if there is none (then the kernel maps it as usual).
void *share_working_copy_read_only(void *addr, unsigned long len, int flags, int fd, long offset) {
  if (fd < 0 || !(flags & MAP_SHARED) || (flags & (MAP_ANONYMOUS | MAP_FIXED)) || len == 0 ||
      offset != 0 || registry::empty())
    return nullptr;
  (void)addr;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  auto pin = registry::pin();
  std::lock_guard lock(g_map_mutex);
  Region *r = Region::find_by_file(st.st_dev, st.st_ino);
  if (r == nullptr || r->disowned() || r->adopt_own_truncation() != 0) return nullptr;
  if (len > r->mapped_length()) {
    void *grown = nullptr;
    if (r->remap(len, /*may_move=*/r->mapping_refs() == 0, &grown) != 0) return nullptr;
  }
  r->add_mapping_ref();
  return r->addr();
}

// True if the program holds a descriptor of R's file other than EXCEPT_FD (the region's own
// descriptor never counts). A scan of /proc/self/fd: only at munmap, close and fsync of a
// tracked file. If the scan is impossible, says yes (keeping a region is the safe side).
bool program_holds_file_open(Region *r, int except_fd = -1) {
  DIR *dir = opendir("/proc/self/fd");
  if (dir == nullptr) return true;
  const struct stat &file = r->file_stat();
  bool held = false;
  while (dirent *e = readdir(dir)) {
    char *end = nullptr;
    long fd = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(dir) || fd == r->data_fd() ||
        fd == except_fd)
      continue;
    struct stat st;
    if (fstat(static_cast<int>(fd), &st) == 0 && st.st_dev == file.st_dev &&
        st.st_ino == file.st_ino) {
      held = true;
      break;
    }
  }
  closedir(dir);
  return held;
}

// An unmapped region stays, detached (__fams_munmap), while it has changes pending or the
// program still holds the file open; it is closed, as plain munmap would have released it, once
// neither holds: the file (its lock, its log) is free again. The caller holds lock_lifetimes().
void close_if_unmapped_and_released(Region *r, int except_fd) {
  std::lock_guard lock(g_map_mutex);
  if (r->mapping_refs() != 0 || r->has_pending_changes()) return;  // remapped, or written again
  if (program_holds_file_open(r, except_fd)) return;
  famsync::clear_error();
  std::string path = r->path();  // the region is gone once closed
  if (Region::close(r, /*commit_first=*/true) != 0)  // nothing to commit: a clean close
    fprintf(stderr, "famsync: closing the unmapped region of %s: %s\n", path.c_str(),
            famsync::last_error_message());
}

void close_if_detached_and_clean(int fd) {
  auto lifetime = registry::lock_lifetimes();  // closing deletes the region: exclusive
  if (Region *r = region_for_fd(fd)) close_if_unmapped_and_released(r, -1);
}

// fsync/fdatasync of a tracked file commit its region. Returns 0 or -1 (errno set).
int commit_file_of(int fd) {
  bool detached = false;
  {
    auto pin = registry::pin();
    Region *r = region_for_fd(fd);
    if (r == nullptr) return 0;
    if (commit(r) != 0) return -1;
    detached = r->mapping_refs() == 0;  // a hint, checked again under the locks
  }
  if (detached) close_if_detached_and_clean(fd);
  return 0;
}

// pwrite to tracked R (under the pin).
long pwrite_tracked(Region *r, int fd, const void *buf, unsigned long count, long offset) {
  uint64_t end = static_cast<uint64_t>(offset) + count;
  if (end > r->file_size()) {
    // Extending the file: grow it first, durably (the region must know the size before any
    // commit logs lines in the new area), so the mapped part of the bytes can go into the
    // working copy and be committed like any other change. Never shrinks (concurrent appenders).
    if (int rc = r->extend_file(end)) return set_errno_from(rc);
  }
  size_t in_copy = working_copy_part(r, static_cast<uint64_t>(offset), count);
  if (in_copy != 0) {  // the mapped part goes into the working copy: committed atomically later
    char *dst = static_cast<char *>(r->addr()) + offset;
    r->before_write(reinterpret_cast<uintptr_t>(dst), in_copy);
    memcpy(dst, buf, in_copy);
  }
  if (in_copy == count) return static_cast<long>(count);
  long rest = pwrite(fd, static_cast<const char *>(buf) + in_copy, count - in_copy,
                     offset + static_cast<long>(in_copy));
  return rest < 0 ? (in_copy != 0 ? static_cast<long>(in_copy) : rest)
                  : static_cast<long>(in_copy) + rest;
}

long pread_tracked(Region *r, int fd, void *buf, unsigned long count, long offset) {
  size_t in_copy = working_copy_part(r, static_cast<uint64_t>(offset), count);
  memcpy(buf, static_cast<char *>(r->addr()) + offset, in_copy);
  if (in_copy == count) return static_cast<long>(count);
  long rest = pread(fd, static_cast<char *>(buf) + in_copy, count - in_copy,
                    offset + static_cast<long>(in_copy));
  return rest < 0 ? (in_copy != 0 ? static_cast<long>(in_copy) : rest)
                  : static_cast<long>(in_copy) + rest;
}

// Moves FD's position past N bytes done at POS. The bytes are done; a failure here (which a
// seekable descriptor does not have) is reported, not turned into a failed write.
void advance_position(int fd, off_t pos, long n) {
  if (n > 0 && lseek(fd, pos + n, SEEK_SET) < 0)
    fprintf(stderr, "famsync: lseek(%d, %lld) after a redirected read/write failed: %s\n", fd,
            (long long)(pos + n), strerror(errno));
}

}  // namespace

extern "C" {

void __fams_module_init(void) {
  // Always, even with FAMSYNC_DISABLE (address space only, no memory): instrumented functions
  // load the window once at entry, so it must be published before any of them runs and never
  // change afterwards. Failure is reported once and is final (window.hpp): nothing is tracked.
  famsync::window::reserve_at_start();
}

void *__fams_mmap(void *addr, unsigned long len, int prot, int flags, int fd, long offset) {
  bool disable = famsync::options().disable;
  bool writable_shared = fd >= 0 && (flags & MAP_SHARED) && !(flags & MAP_ANONYMOUS) &&
                         (prot & PROT_WRITE) && len != 0;
  struct stat st;
  if (!writable_shared || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    // A read-only shared mapping of a file this process tracks must show the working copy, as
    // the kernel shows every mapping of a file the same bytes: its pending changes included
    // (e.g. a region munmap left detached with changes, then mapped read-only to read them back,
    // as Kyoto Cabinet does after reorganizing a database).
    if (void *shared = share_working_copy_read_only(addr, len, flags, fd, offset))
      return shared;
    if (fd >= 0 && !(flags & MAP_ANONYMOUS) && !disable) recover_before_untracked_map(fd);
    return mmap(addr, len, prot, flags, fd, offset);  // not a writable shared file mapping
  }
  // A writable shared mapping of a regular file: tracked, or one line says why not.
  std::string path = fd_path(fd);
  const char *why = disable        ? "FAMSYNC_DISABLE is set"
                    : path.empty() ? "its path is unknown (/proc/self/fd is unreadable)"
                                   : untracked_reason(path);
  if (why == nullptr && (flags & MAP_FIXED))
    why = "MAP_FIXED mappings are not tracked (famsync places the working copy itself; drop "
          "MAP_FIXED to track it)";
  if (why == nullptr && offset != 0) why = "only mappings from offset 0 are tracked";
  if (why != nullptr) {
    warn_once_per_file(path.empty() ? "fd " + std::to_string(fd) : path, why);
    if (!disable) recover_before_untracked_map(fd);
    return mmap(addr, len, prot, flags, fd, offset);
  }
  auto pin = registry::pin();
  std::lock_guard lock(g_map_mutex);
  if (Region *r = Region::find_by_file(st.st_dev, st.st_ino)) {  // mapped again: share the copy
    if (int rc = r->adopt_own_truncation()) {
      set_errno_from(rc);
      return MAP_FAILED;
    }
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
  if (!famsync::window::in_window(reinterpret_cast<uintptr_t>(addr))) return munmap(addr, len);
  // Closing deletes the region: exclusive against every other user of a Region* (the exit hook,
  // which may run on another thread right now, included).
  auto lifetime = registry::lock_lifetimes();
  Region *r = region_at(addr);
  if (r == nullptr) {
    // Only working copies live in the window; this one is gone already (closed at exit, or
    // unmapped twice). Unmapping the reservation under it would open a hole that the kernel
    // could fill with someone else's mapping, later overwritten by a working copy: leave it.
    return 0;
  }
  if (addr != r->addr()) {
    errno = EINVAL;  // partial unmaps of a tracked mapping are not supported
    fprintf(stderr, "famsync: munmap(%p) of part of a tracked mapping is not supported\n", addr);
    return -1;
  }
  std::lock_guard lock(g_map_mutex);
  if (r->drop_mapping_ref() > 0) return 0;
  // Default (FAMS semantics: a commit is an msync): munmap commits nothing. With changes pending,
  // the region stays, detached: the next mmap of the file reattaches it, and fsync or exit commit
  // it (programs such as gdbm unmap and remap in the middle of an update, and committing there
  // would commit half of it). It also stays while the program holds the file open: what it does
  // to the file next (gdbm grows it with write() between munmap and mmap) is part of the next
  // commit, not a change outside every commit that a crash would keep. Otherwise it is closed,
  // which releases the file (its lock, its log) as plain munmap would; closing the last
  // descriptor releases a region that stayed (__fams_close). FAMSYNC_MUNMAP_COMMIT=1 commits at
  // munmap instead.
  if (!famsync::options().munmap_commit &&
      (r->has_pending_changes() || program_holds_file_open(r)))
    return 0;
  famsync::clear_error();
  int rc = Region::close(r, /*commit_first=*/true);
  return rc == 0 ? 0 : set_errno_from(rc);
}

int __fams_msync(void *addr, unsigned long len, int flags) {
  if (!famsync::window::in_window(reinterpret_cast<uintptr_t>(addr)))
    return msync(addr, len, flags);
  auto pin = registry::pin();
  Region *r = region_at(addr);
  if (r == nullptr) return msync(addr, len, flags);
  if (reinterpret_cast<uintptr_t>(addr) % static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)) != 0 ||
      (flags & MS_SYNC && flags & MS_ASYNC)) {
    errno = EINVAL;  // as msync(2)
    return -1;
  }
  // FAMS semantics: the whole mapping's pending changes, whatever range was named, and durable
  // even for MS_ASYNC (Linux's MS_ASYNC writes nothing; ours is simply synchronous).
  return commit(r);
}

void *__fams_mremap(void *old_addr, unsigned long old_len, unsigned long new_len, int flags,
                    void *new_addr) {
  if (!famsync::window::in_window(reinterpret_cast<uintptr_t>(old_addr)))
    return mremap(old_addr, old_len, new_len, flags, new_addr);
  auto pin = registry::pin();
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
  if (registry::empty()) return fsync(fd);
  if (commit_file_of(fd) != 0) return -1;
  return fsync(fd);
}

int __fams_fdatasync(int fd) {
  if (registry::empty()) return fdatasync(fd);
  if (commit_file_of(fd) != 0) return -1;
  return fdatasync(fd);
}

int __fams_ftruncate(int fd, long length) {
  if (registry::empty()) return ftruncate(fd, length);
  auto pin = registry::pin();
  Region *r = region_for_fd(fd);
  if (r == nullptr || length < 0) return ftruncate(fd, length);
  if (int rc = r->resize_file(static_cast<uint64_t>(length))) return set_errno_from(rc);
  return 0;
}

long __fams_pwrite(int fd, const void *buf, unsigned long count, long offset) {
  if (registry::empty()) return pwrite(fd, buf, count, offset);
  auto pin = registry::pin();
  Region *r = region_for_fd(fd);
  if (r == nullptr || offset < 0) return pwrite(fd, buf, count, offset);
  return pwrite_tracked(r, fd, buf, count, offset);
}

long __fams_pread(int fd, void *buf, unsigned long count, long offset) {
  if (registry::empty()) return pread(fd, buf, count, offset);
  auto pin = registry::pin();
  Region *r = region_for_fd(fd);
  if (r == nullptr || offset < 0) return pread(fd, buf, count, offset);
  return pread_tracked(r, fd, buf, count, offset);
}

long __fams_write(int fd, const void *buf, unsigned long count) {
  if (registry::empty()) return write(fd, buf, count);
  auto pin = registry::pin();
  Region *r = region_for_fd(fd);
  if (r == nullptr) return write(fd, buf, count);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -1;  // EBADF: as write(2) would say
  std::lock_guard lock(g_position_mutex);
  off_t pos;
  if (fl & O_APPEND) {
    // Like the kernel: every write goes to the end of the file as it is now, and the position
    // ends up after it.
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    pos = st.st_size;
  } else {
    pos = lseek(fd, 0, SEEK_CUR);
    if (pos < 0) return write(fd, buf, count);  // not seekable: cannot be a mapped range
  }
  long n = pwrite_tracked(r, fd, buf, count, pos);
  advance_position(fd, pos, n);
  return n;
}

long __fams_read(int fd, void *buf, unsigned long count) {
  if (registry::empty()) return read(fd, buf, count);
  auto pin = registry::pin();
  Region *r = region_for_fd(fd);
  if (r == nullptr) return read(fd, buf, count);
  std::lock_guard lock(g_position_mutex);
  off_t pos = lseek(fd, 0, SEEK_CUR);
  if (pos < 0) return read(fd, buf, count);
  long n = pread_tracked(r, fd, buf, count, pos);
  advance_position(fd, pos, n);
  return n;
}

int __fams_close(int fd) {
  // famsync's inotify instance is not the program's to close (a loop closing every descriptor
  // would free its number for a descriptor of the program's own, which commits would then read).
  if (famsync::FileWatch::is_own_descriptor(fd)) {
    errno = EBADF;
    return -1;
  }
  // Closing a descriptor never unmaps (as with mmap); the region keeps its own descriptor. The
  // last descriptor of a file whose region munmap left detached and clean releases the region.
  if (registry::empty()) return close(fd);
  // Not fstat: its timestamp query would give the file's next write, through another
  // descriptor, a fine-grained timestamp (os::file_facts).
  famsync::os::FileFacts facts;
  bool regular = famsync::os::file_facts(fd, "descriptor", &facts) == 0 && facts.regular;
  int rc = close(fd);
  if (rc != 0 || !regular) return rc;
  int saved = errno;
  {
    auto lifetime = registry::lock_lifetimes();  // closing deletes the region: exclusive
    Region *r = Region::find_by_file(facts.dev, facts.ino);
    if (r != nullptr && !r->disowned()) close_if_unmapped_and_released(r, -1);
  }
  errno = saved;
  return 0;
}

}  // extern "C"
