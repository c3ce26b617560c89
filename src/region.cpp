// region.cpp — opening (with recovery) and closing a tracked region, and its stats (region.hpp).
// The epoch, commit, resize, verify and preload-protection parts live in region_*.cpp.
// Invariant: a Region exists only for a file whose log is locked and recovered; a clean close
// leaves the file exactly its committed state with no log.
#include "region.hpp"
#include "lines.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "options.hpp"
#include "os.hpp"
#include "checksum.hpp"
#include "recovery.hpp"
#include "registry.hpp"
#include "writer_epochs.hpp"
#include "window.hpp"
#include "log_gc.hpp"

#include <sys/single_threaded.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

namespace famsync {
namespace {


// Opens and checks the data file. Errors: ENOENT, EACCES, FAMS_ENOTREGULAR, FAMS_EEMPTY (unless
// ALLOW_EMPTY: a mapping that extends past EOF may start on an empty file).
int open_data_file(const char *path, int *fd_out, struct stat *st, bool allow_empty) {
  int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EISDIR) return fail(FAMS_ENOTREGULAR, "%s is a directory", path);
    return fail_errno("open %s for reading and writing", path);
  }
  if (fstat(fd, st) != 0) {
    int rc = fail_errno("fstat(%s)", path);
    ::close(fd);
    return rc;
  }
  if (!S_ISREG(st->st_mode)) {
    ::close(fd);
    return fail(FAMS_ENOTREGULAR, "%s is not a regular file", path);
  }
  if (st->st_size == 0 && !allow_empty) {
    ::close(fd);
    return fail(FAMS_EEMPTY, "%s is empty: there is nothing to map (size it first, e.g. with "
                "ftruncate or posix_fallocate)", path);
  }
  *fd_out = fd;
  return 0;
}

bool want_pmem(unsigned flags, int fd, uint64_t size) {
  if (flags & FAMS_MAP_FORCE_FILE) return false;
  if (flags & FAMS_MAP_FORCE_PMEM) return true;
  switch (options().backend) {
    case BackendChoice::pmem: return true;
    case BackendChoice::file: return false;
    case BackendChoice::automatic: break;
  }
  return file_is_dax(fd, size);
}

// Everything recovery and mapping share: data file, locked log, backend, the log's commit
// protocol, recovered.
struct OpenedFile {
  int data_fd = -1;
  struct stat st {};
  LogFile log_file;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<CommitProtocol> protocol;  // of the log's protocol

  ~OpenedFile() {
    protocol.reset();
    backend.reset();
    close_log_file(&log_file);
    if (data_fd >= 0) ::close(data_fd);
  }
};

int make_backend(OpenedFile *f, bool pmem, uint64_t map_bytes) {
  uint64_t size = static_cast<uint64_t>(f->st.st_size);
  if (BackendFactory factory = backend_factory_for_testing())
    return factory(f->data_fd, size, f->log_file.fd, f->log_file.size, pmem, &f->backend);
  if (pmem)
    return make_pmem_backend(f->data_fd, size, map_bytes, f->log_file.fd, f->log_file.size,
                             &f->backend);
  return make_file_backend(f->data_fd, f->log_file.fd, f->log_file.size, &f->backend);
}

void make_log_object(OpenedFile *f) {
  f->protocol = make_commit_protocol(f->backend.get(), f->log_file);
}

enum class LogOpenMode {
  create_if_missing,  // fams_map: a missing log is created
  must_exist,         // recovery: a missing log means there is nothing to recover
};

// Cleans up F's log objects and backend (the log file itself stays open).
void drop_log_objects(OpenedFile *f) {
  f->protocol.reset();
  f->backend.reset();
}

// Finds the log of F's data file, or (CREATE) creates it, giving the file an identity first if
// it has none. *FOUND false: no log and !CREATE. Foreign logs (another inode carries the same
// identity: a copy made with its extended attributes) are handled here: with nothing live the
// copy gets an identity of its own and the other file's log is left alone; with something live
// only FORCE_IDENTITY uses it. Errors: as find_log_file / create_log_file, FAMS_EFOREIGN.
int locate_log(const char *path, bool create, bool force_identity, uint64_t capacity,
               LogProtocol protocol, OpenedFile *f, bool *found) {
  FileIdentity id;
  bool has_id = false;
  if (int rc = read_identity(f->data_fd, f->st, &id, &has_id)) return rc;
  for (int attempt = 0;; ++attempt) {
    // Each retry follows a race another process won (it created the identity or the log, or
    // removed a clean log); a handful always settles it.
    if (attempt == 8) return fail(EBUSY, "%s: its log kept changing while being opened (another "
                                  "process is opening and closing it)", path);
    int rc = find_log_file(f->data_fd, f->st, path, has_id ? &id : nullptr, /*read_only=*/false,
                           &f->log_file, found);
    if (rc == EAGAIN) continue;
    if (rc != 0) return rc;
    if (*found && f->log_file.foreign) {
      bool live = false;  // a log in use by the other file's process is that process's business
      if (!f->log_file.foreign_in_use) {
        if (int rc2 = log_has_live_state(f->log_file, &live)) return rc2;
      }
      if (live && !force_identity)
        return fail(FAMS_EFOREIGN,
                    "%s carries the famsync identity of another file (inode %llu; this is %llu), "
                    "whose log %s holds an interrupted commit; nothing was changed. %s is "
                    "probably a copy made with its extended attributes: recover the original "
                    "first. Only if %s and that log were restored together from one backup of "
                    "the crashed file, `famsync recover --force-identity %s` applies the log",
                    path, (unsigned long long)f->log_file.fixed.data_ino,
                    (unsigned long long)f->st.st_ino, f->log_file.path.c_str(), path, path, path);
      if (live) return 0;  // forced: recovered with it by the caller
      // The log is the other file's: never touch it. This file gets an identity of its own.
      close_log_file(&f->log_file);
      *found = false;
      if (!create) return 0;
      if (int rc2 = create_identity(f->data_fd, f->st, default_log_dir(f->data_fd),
                                    /*replace=*/true, &id))
        return rc2;
      has_id = true;
      continue;
    }
    if (*found || !create) return 0;
    std::string dir = default_log_dir(f->data_fd);
    if (!has_id) {  // another process may give it one at the same time: look again either way
      if (int rc2 = create_identity(f->data_fd, f->st, dir, /*replace=*/false, &id)) return rc2;
      has_id = true;
      continue;
    }
    if (int rc2 = record_log_dir(f->data_fd, dir, &id)) return rc2;
    rc = create_log_file(id, dir, f->data_fd, f->st, capacity, protocol, &f->log_file);
    if (rc == EEXIST) continue;  // created meanwhile by another process: find (and lock) it
    if (rc != 0) return rc;
    *found = true;
    collect_stale_logs(dir, /*report=*/nullptr);  // logs of deleted files in the same directory
    return 0;
  }
}

// Opens PATH with its log and recovers it. With LogOpenMode::must_exist a missing log means there
// is nothing to recover: *NO_LOG is set and 0 returned. MAPPING: the caller will map the file, so
// the log must end up in the protocol wanted (redo; undo on pmem with FAMSYNC_PMEM_PROTOCOL=undo).
int open_and_recover(const char *path, unsigned flags, LogOpenMode mode, bool mapping,
                     OpenedFile *f, bool *no_log = nullptr, bool force_identity = false,
                     RecoveryReport *report = nullptr, uint64_t map_length = 0) {
  if (int rc = open_data_file(path, &f->data_fd, &f->st, map_length != 0)) return rc;
  if (registry::tracks(f->st.st_dev, f->st.st_ino))
    return fail(FAMS_ETRACKED, "%s is already tracked by this process", path);
  uint64_t size = static_cast<uint64_t>(f->st.st_size);
  uint64_t lines = lines_covering(std::max(size, map_length));
  if (lines == 0) lines = 1;
  bool pmem = want_pmem(flags, f->data_fd, size);
  LogProtocol wanted = pmem && pmem_protocol() == PmemProtocol::undo ? LogProtocol::undo
                                                                    : LogProtocol::redo;
  // Undo never needs more slots than the file has lines (small files never overflow). Redo
  // keeps every commit since the last checkpoint, and each checkpoint costs two fdatasyncs, so
  // its log holds several commits' worth: at least 4x the lines, and 1024 entries (128 KiB).
  uint64_t capacity = wanted == LogProtocol::undo ? lines : std::max<uint64_t>(4 * lines, 1024);
  capacity = std::min(capacity, options().log_entries);
  bool found = false;
  if (int rc = locate_log(path, mode == LogOpenMode::create_if_missing, force_identity, capacity,
                          wanted, f, &found))
    return rc;
  if (!found) {
    if (no_log != nullptr) *no_log = true;
    return 0;
  }
  if (int rc = make_backend(f, pmem, map_length)) return rc;
  make_log_object(f);
  RecoveryReport local;
  RecoveryReport *rep = report != nullptr ? report : &local;
  const LogDynamicHeader &dyn = f->log_file.dynamic;
  uint64_t size_word = current_size_word(dyn);
  int rc = f->protocol->recover(f->log_file, size, size_word, rep);
  if (rc != 0) return rc;
  if (rep->size_before != 0) {  // cut back to the committed size
    if (fstat(f->data_fd, &f->st) != 0) return fail_errno("fstat(%s)", path);
  }
  // The file is in its committed state now. A log of the old format is removed (it is clean);
  // a foreign log (applied only because forced) stays the other file's. Either way a mapping
  // then goes through the whole procedure again, which gives the file a log of its own.
  if (f->log_file.legacy || f->log_file.foreign) {
    drop_log_objects(f);
    if (f->log_file.legacy) {
      if (int rc2 = remove_log_file(&f->log_file)) return rc2;
    } else {
      close_log_file(&f->log_file);
      if (mapping) {
        FileIdentity fresh;
        if (int rc2 = create_identity(f->data_fd, f->st, default_log_dir(f->data_fd),
                                      /*replace=*/true, &fresh))
          return rc2;
      }
    }
    if (!mapping) return 0;
    ::close(std::exchange(f->data_fd, -1));
    return open_and_recover(path, flags, mode, mapping, f, no_log, false, nullptr, map_length);
  }
  // A mapping whose backend needs the other protocol (e.g. the file was last used on pmem, now
  // as a plain file) replaces the (clean) log by one of the right protocol.
  if (mapping && (f->log_file.protocol() != wanted || f->log_file.old_format())) {
    drop_log_objects(f);
    if (int rc2 = recreate_log_file(f->data_fd, f->st, f->log_file.capacity(), wanted,
                                    &f->log_file))
      return rc2;
    if (int rc2 = make_backend(f, pmem, map_length)) return rc2;
    make_log_object(f);
  }
  return 0;
}

}  // namespace

int Region::open(const char *path, unsigned flags, Region **out, uint64_t map_length) {
  if (int rc = window::reserve()) return rc;
  registry::install_process_hooks();
  writer_epochs::prepare();  // here, not at a first store (which may be a signal handler's)
  OpenedFile f;
  if (int rc = open_and_recover(path, flags, LogOpenMode::create_if_missing, /*mapping=*/true, &f,
                                nullptr, false, nullptr, map_length))
    return rc;

  std::unique_ptr<Region> r(new Region);
  r->path_ = path;
  r->st_ = f.st;
  r->data_size_ = static_cast<uint64_t>(f.st.st_size);
  uint64_t want = map_length != 0 ? map_length : r->data_size_;
  r->map_len_ = page_round_up(want);
  r->slot_len_ = (r->map_len_ + (1ull << window::kGranuleShift) - 1) >> window::kGranuleShift
                 << window::kGranuleShift;
  if (!r->dirty_.init(r->map_len_ / kLineSize)) return fail(ENOMEM, "allocating dirty state for %s", path);
  r->working_set_.attach_dirty_map(&r->dirty_);  // sparse writers to a large file: given back
  r->slot_line_cap_ = f.log_file.capacity();
  void *sl = mmap(nullptr, r->slot_line_cap_ * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (sl == MAP_FAILED) return fail_errno("allocating the slot table for %s", path);
  r->slot_line_ = static_cast<uint64_t *>(sl);

  uintptr_t slot;
  if (int rc = window::allocate(r->slot_len_, &slot)) return rc;
  // The working copy: a private mapping of the file, so pages are copied on first write and the
  // file itself changes only when we write it.
  // FAMSYNC_PREFAULT: MAP_POPULATE on a private writable mapping breaks copy-on-write for every
  // page now (one copy of the file up front) instead of at each page's first write.
  int populate = options().prefault ? MAP_POPULATE : 0;
  // MAP_NORESERVE: a writable private mapping is charged in full against the overcommit limit,
  // so a file larger than RAM + swap could not be mapped at all (ENOMEM under the default
  // heuristic), though only written pages ever take memory and the working-set budget bounds
  // those (DESIGN §2, "Budget"). Strict overcommit (vm.overcommit_memory=2) still charges it.
  void *p = mmap(reinterpret_cast<void *>(slot), r->map_len_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE | populate, f.data_fd, 0);
  if (p == MAP_FAILED) {
    int rc = errno == ENOMEM
                 ? fail_errno("mmap(working copy of %s, %llu MiB): the kernel refused to commit "
                              "memory for it (vm.overcommit_memory=2 charges the whole private "
                              "mapping; map less of the file or allow overcommit)",
                              path, (unsigned long long)(r->map_len_ >> 20))
                 : fail_errno("mmap(working copy of %s)", path);
    window::release(slot, r->slot_len_);
    return rc;
  }
  r->base_ = static_cast<char *>(p);
  if (int rc = registry::add(r.get(), f.st.st_dev, f.st.st_ino)) {
    window::release(slot, r->slot_len_);
    r->base_ = nullptr;
    return fail(rc, "%s is already tracked by this process", path);
  }
  // Hand the open files over to the region.
  r->data_fd_ = std::exchange(f.data_fd, -1);
  r->log_file_ = f.log_file;
  f.log_file.fd = -1;
  r->backend_ = std::move(f.backend);
  r->protocol_ = std::move(f.protocol);
  r->records_at_first_write_ = r->protocol_->records_at_first_write();
  r->file_watch_.start(r->data_fd_, r->log_file_.fd);
  if (int rc = r->adopt_committed_size()) {
    window::release(slot, r->slot_len_);
    r->base_ = nullptr;
    registry::remove(r.get());
    return rc;
  }
  window::publish(slot, r->slot_len_, r.get());
  *out = r.release();
  return 0;
}

int Region::recover_file(const char *path, bool force_identity, RecoveryReport *report) {
  arm_crash_points();
  OpenedFile f;
  bool no_log = false;
  if (report != nullptr) *report = RecoveryReport{};
  return open_and_recover(path, 0, LogOpenMode::must_exist, /*mapping=*/false, &f, &no_log,
                          force_identity, report);
}

Region *Region::find_by_file(dev_t dev, ino_t ino) { return registry::find(dev, ino); }

// After recovery the file has at most its committed size. Make the log's current size slot say
// exactly the file's size (a log written before sizes were recorded has none; a crash between a
// shrink and its lowering of the slot leaves a larger one): either value recovers to this file.
int Region::adopt_committed_size() {
  committed_size_ = data_size_;
  LogDynamicHeader dyn;
  if (int rc = backend_->read(Medium::log, kLogGenerationOffset, &dyn, sizeof dyn)) return rc;
  if (current_size_word(dyn) == encode_size(data_size_)) return 0;
  return protocol_->lower_committed_size(data_size_);
}

Region::~Region() {
  file_watch_.stop();
  working_set_.forget_all();
  if (base_ != nullptr) window::release(reinterpret_cast<uintptr_t>(base_), slot_len_);
  if (slot_line_ != nullptr) munmap(slot_line_, slot_line_cap_ * sizeof(uint64_t));
  protocol_.reset();
  backend_.reset();
  close_log_file(&log_file_);
  if (data_fd_ >= 0) ::close(data_fd_);
}

int Region::close(Region *region, bool commit_first) {
  int rc = 0;
  if (commit_first && !region->disowned_) {
    rc = region->commit();
    // Redo: leave the data file complete and durable and the log empty, so a cleanly closed
    // file needs no log at all.
    if (rc == 0 && region->protocol_->has_unsettled_commits()) {
      std::lock_guard lock(region->mutex_);
      bool checkpointed = false;
      if (int c = region->protocol_->settle(region->committed_size_, &checkpointed))
        rc = region->fail_poisoned(c);
      else if (checkpointed)
        ++region->stats_.checkpoints;
    }
  }
  if (rc == 0) rc = region->release_committed_size();
  {
    std::lock_guard lock(region->mutex_);
    region->working_set_.forget_all();  // its pages stop counting against the budget
  }
  registry::remove(region);
  window::publish(reinterpret_cast<uintptr_t>(region->base_), region->slot_len_, nullptr);
  // (In a forked child closing our descriptors is harmless: the flock lives on in the parent's.)
  delete region;
  return rc;
}

// A file closed in exactly its committed state carries no size record: until famsync maps it
// again, anything may change it (a writer that is not famsync, the same program's pwrite after
// unmap), and recovery must not cut that off. Also makes undo's lazy live_count = 0 durable.
int Region::release_committed_size() {
  std::lock_guard lock(mutex_);
  if (disowned_ || poisoned_ || data_size_ != committed_size_) return 0;
  if (protocol_->has_unsettled_commits()) return 0;  // closed without committing: groups pending
  // The file is exactly its committed state and durable: it needs no log. Clear the size record
  // first, so that a log that survives (its removal failed, or was lost in a power failure)
  // holds nothing recovery would apply, then remove it.
  if (int rc = protocol_->clear_committed_size()) return fail_poisoned(rc);
  protocol_.reset();
  backend_.reset();
  // A failed removal loses nothing: the clean log is collected by the next map in its directory
  // or `famsync gc`.
  (void)remove_log_file(&log_file_);
  return 0;
}

int Region::stats(fams_stat_counters *out) {
  std::lock_guard lock(mutex_);
  sync_working_set_stats();
  stats_.export_to(out);
  return 0;
}

void Region::sync_working_set_stats() {
  stats_.working_set_pages = base_ != nullptr ? working_set_.resident_pages() : 0;
  stats_.pages_given_back = working_set_.given_back_pages();
  stats_.first_write_pages = working_set_.first_write_pages();
}

void Region::merge_stats_into(Stats *total) {
  std::lock_guard lock(mutex_);
  sync_working_set_stats();
  total->merge(stats_);
}

}  // namespace famsync
