// region.cpp — opening, committing, rolling back and closing a tracked region (region.hpp).
//
// The commit protocol implemented by commit() is specified in DESIGN.md, "Commit protocol";
// the named crash points below are the ones tests kill the process at.
#include "region.hpp"

#include "crash_point.hpp"
#include "error.hpp"
#include "options.hpp"
#include "os.hpp"
#include "checksum.hpp"
#include "recovery.hpp"
#include "registry.hpp"
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

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

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
  std::unique_ptr<CommitProtocol> protocol;  // of the log's protocol (pmem: undo, file: redo)

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
// the log must end up in the protocol of the chosen backend (pmem: undo, file: redo).
int open_and_recover(const char *path, unsigned flags, LogOpenMode mode, bool mapping,
                     OpenedFile *f, bool *no_log = nullptr, bool force_identity = false,
                     RecoveryReport *report = nullptr, uint64_t map_length = 0) {
  if (int rc = open_data_file(path, &f->data_fd, &f->st, map_length != 0)) return rc;
  if (registry::tracks(f->st.st_dev, f->st.st_ino))
    return fail(FAMS_ETRACKED, "%s is already tracked by this process", path);
  uint64_t size = static_cast<uint64_t>(f->st.st_size);
  uint64_t lines = (std::max(size, map_length) + kLineSize - 1) / kLineSize;
  if (lines == 0) lines = 1;
  bool pmem = want_pmem(flags, f->data_fd, size);
  LogProtocol wanted = pmem ? LogProtocol::undo : LogProtocol::redo;
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
  OpenedFile f;
  if (int rc = open_and_recover(path, flags, LogOpenMode::create_if_missing, /*mapping=*/true, &f,
                                nullptr, false, nullptr, map_length))
    return rc;

  std::unique_ptr<Region> r(new Region);
  r->path_ = path;
  r->st_ = f.st;
  r->data_size_ = static_cast<uint64_t>(f.st.st_size);
  uint64_t want = map_length != 0 ? map_length : r->data_size_;
  r->map_len_ = (want + page_size() - 1) / page_size() * page_size();
  r->slot_len_ = (r->map_len_ + (1ull << window::kGranuleShift) - 1) >> window::kGranuleShift
                 << window::kGranuleShift;
  r->nlines_ = r->map_len_ / kLineSize;
  if (!r->dirty_.init(r->nlines_)) return fail(ENOMEM, "allocating dirty state for %s", path);
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
  void *p = mmap(reinterpret_cast<void *>(slot), r->map_len_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED | populate, f.data_fd, 0);
  if (p == MAP_FAILED) {
    int rc = fail_errno("mmap(working copy of %s)", path);
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
  working_set_.forget_all();
  if (base_ != nullptr) window::release(reinterpret_cast<uintptr_t>(base_), slot_len_);
  if (slot_line_ != nullptr) munmap(slot_line_, slot_line_cap_ * sizeof(uint64_t));
  protocol_.reset();
  backend_.reset();
  close_log_file(&log_file_);
  if (data_fd_ >= 0) ::close(data_fd_);
}

// Slow path of note_write: the first write to LINE in this epoch.
[[gnu::noinline]] void Region::log_line(uint64_t line) {
  gate_.enter();  // waits while a commit is starting the next epoch (epoch_gate.hpp)
  log_line_inside_gate(line);
  gate_.leave();
}

void Region::log_line_inside_gate(uint64_t line) {
  if (!dirty_.try_claim(line)) {  // another thread is logging it: wait until it is safe
    dirty_.wait_logged(line);
    return;
  }
  // Take a slot only while there is one: next_slot_ never passes the capacity, so every slot
  // below it was handed out in this epoch (a plain fetch_add could pass it, and a commit retried
  // after the log grew would then count slots that nobody wrote).
  uint64_t slot = next_slot_.load(std::memory_order_relaxed);
  while (slot < slot_line_cap_ &&
         !next_slot_.compare_exchange_weak(slot, slot + 1, std::memory_order_relaxed)) {
  }
  bool listed = false;
  if (slot < slot_line_cap_) {
    slot_line_[slot] = line;
    listed = protocol_->record_first_write(slot, line, base_ + line * kLineSize);
  }
  if (listed) {
    if (protocol_->records_at_first_write())
      stats_.logged_at_store.fetch_add(1, std::memory_order_relaxed);
  } else {
    // Log full (or the staging write failed): the data file still holds the committed bytes,
    // so the line is logged from there at commit. The store path never fails.
    if (slot < slot_line_cap_) slot_line_[slot] = UINT64_MAX;  // hole: skipped at commit
    std::lock_guard lock(overflow_mutex_);
    overflow_.push_back(line);
  }
  dirty_.set_logged(line);
}

void Region::note_written(uintptr_t addr, size_t len) {
  uintptr_t base = reinterpret_cast<uintptr_t>(base_);
  uintptr_t lo = addr < base ? base : addr;
  uintptr_t hi = addr + len > base + map_len_ ? base + map_len_ : addr + len;
  if (lo >= hi) return;
  gate_.enter();
  for (uint64_t line = (lo - base) >> 6, last = (hi - 1 - base) >> 6; line <= last; ++line) {
    if (dirty_.is_logged(line)) continue;
    if (!dirty_.try_claim(line)) {
      dirty_.wait_logged(line);
      continue;
    }
    {  // the working copy already holds new bytes: log from the data file at commit
      std::lock_guard lock(overflow_mutex_);
      overflow_.push_back(line);
    }
    dirty_.set_logged(line);
  }
  gate_.leave();
}

// The pages the epoch's (sorted) dirty LINES are on: if they alone exceed the working-set budget,
// say so once (they cannot be given back before this commit), and keep the peak for stats.
void Region::note_pending_pages(const std::vector<uint64_t> &lines) {
  uint64_t pages = 0, last = UINT64_MAX;
  for (uint64_t line : lines) {
    uint64_t page = line * kLineSize / page_size();
    if (page != last) ++pages, last = page;
  }
  stats_.pending_pages_peak = std::max(stats_.pending_pages_peak, pages);
  WorkingSet::note_pending_pages(pages, path_.c_str());
}

// Another process (or an untracked descriptor) may cut the file while it is mapped. The kernel
// then drops the working copy's pages past the new end, private copies included: writing them
// back, or logging them, would raise SIGBUS in the commit. The cut is adopted as a shrink made
// by someone else (durable, so the log never names bytes past the new end) and this commit is
// refused with nothing written; pending changes inside the new size stay pending (the next
// commit writes them), those past it are gone with the bytes the cut removed (commit() skips
// them). Costs one fstat per commit. Errors: FAMS_ERANGE (truncated), fstat's, a checkpoint's.
int Region::check_not_truncated() {
  struct stat st;
  if (fstat(data_fd_, &st) != 0) return fail_errno("fstat(%s)", path_.c_str());
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size >= data_size_) return 0;
  uint64_t mapped = data_size_;
  if (protocol_->has_unsettled_commits()) {  // its groups name bytes past the new end
    bool checkpointed = false;
    if (int rc = protocol_->settle(size, &checkpointed)) return fail_poisoned(rc);
    if (checkpointed) ++stats_.checkpoints;
  } else {
    if (int rc = protocol_->lower_committed_size(size)) return fail_poisoned(rc);
  }
  data_size_ = committed_size_ = size;
  return fail(FAMS_ERANGE, "%s was truncated to %llu bytes behind famsync's back (it was %llu); "
              "nothing was committed this time. Pending changes inside the new size stay pending "
              "(the next commit writes them); those past it are lost with the bytes the "
              "truncation removed", path_.c_str(), (unsigned long long)size,
              (unsigned long long)mapped);
}

int Region::fail_poisoned(int rc) {
  poisoned_ = true;
  return rc;
}

int Region::grow_slot_table(uint64_t capacity) {
  if (capacity <= slot_line_cap_) return 0;
  void *p = mremap(slot_line_, slot_line_cap_ * sizeof(uint64_t), capacity * sizeof(uint64_t),
                   MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return fail_errno("growing the slot table");
  slot_line_ = static_cast<uint64_t *>(p);
  slot_line_cap_ = capacity;
  return 0;
}

void Region::set_slot_line(uint64_t slot, uint64_t line) { slot_line_[slot] = line; }

void Region::dirty_lines_sorted(uint64_t logged, std::vector<uint64_t> *lines) {
  lines->clear();
  lines->reserve(logged + overflow_.size());
  for (uint64_t s = 0; s < logged; ++s)
    if (slot_line_[s] != UINT64_MAX) lines->push_back(slot_line_[s]);
  lines->insert(lines->end(), overflow_.begin(), overflow_.end());
  // First-write order is often address order already (sequential writers, one-line commits).
  if (!std::is_sorted(lines->begin(), lines->end())) std::sort(lines->begin(), lines->end());
}

// Writes the dirty lines of IMAGES (sorted) to the data file, coalesced into runs and clipped
// at the end of the file.
int Region::write_back(const LineImages &images) {
  const std::vector<uint64_t> &lines = *images.lines;
  size_t i = 0, half = lines.size() / 2;
  bool crashed_mid = false;
  while (i < lines.size()) {
    size_t j = i + 1;
    while (j < lines.size() && lines[j] == lines[j - 1] + 1) ++j;
    uint64_t off = lines[i] * kLineSize;
    uint64_t end = std::min<uint64_t>((lines[j - 1] + 1) * kLineSize, data_size_);
    if (off < end) {
      if (int rc = backend_->write(Medium::data, off, images.bytes(i), end - off)) return rc;
      stats_.writeback_bytes += end - off;
      ++stats_.writeback_runs;
    }
    if (!crashed_mid && j > half) {
      crashed_mid = true;
      crash_point("commit-mid-writeback");
    }
    i = j;
  }
  return 0;
}

// The (sorted) LINES now belong to the commit or rollback in progress (gate closed): their dirty
// state is cleared first, so a store that comes later takes the slow path, which waits at the
// gate and lands in the next epoch. No slow path runs (gate), so plain clears lose no bit.
void Region::clear_line_state(const std::vector<uint64_t> &lines) {
  for (uint64_t line : lines) dirty_.clear(line);
}

// A commit or rollback failed before its lines were settled: they are dirty again, as before.
void Region::restore_line_state(const std::vector<uint64_t> &lines) {
  for (uint64_t line : lines) {
    dirty_.try_claim(line);
    dirty_.set_logged(line);
  }
}

// The epoch's lists (slots, overflow) start empty; the lines' state was cleared already.
void Region::start_next_epoch() {
  // A large epoch touched many slot-table pages: give all but the first back (at-rest memory
  // stays O(1) instead of O(largest commit)); small epochs pay nothing.
  const uint64_t slots_per_page = 4096 / sizeof(uint64_t);
  uint64_t used = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
  if (used > slots_per_page) {
    uint64_t end = (used * sizeof(uint64_t) + 4095) / 4096 * 4096;
    madvise(reinterpret_cast<char *>(slot_line_) + 4096, end - 4096, MADV_DONTNEED);
  }
  next_slot_.store(0, std::memory_order_relaxed);
  overflow_.clear();
  if (overflow_.capacity() > 4096) overflow_.shrink_to_fit();  // a burst must not pin memory
}

// Where the commit takes the bytes of LINES from. With other threads in the process a store whose
// check ran before clear_line_state may still land (DESIGN §1.6): the log and the data file must
// get the same bytes, so they come from one snapshot. A process that never had a second thread
// cannot race, and commits straight from the working copy.
LineImages Region::commit_images(const std::vector<uint64_t> &lines) {
  if (__libc_single_threaded) return LineImages{base_, false, &lines};
  commit_image_.resize(lines.size() * kLineSize);
  for (size_t i = 0; i < lines.size(); ++i)
    memcpy(&commit_image_[i * kLineSize], base_ + lines[i] * kLineSize, kLineSize);
  return LineImages{commit_image_.data(), true, &lines};
}

// After a commit from a snapshot: a line whose working copy differs from what was committed was
// written while the commit ran. It belongs to the next epoch: listed again, with the committed
// bytes (now in the data file) as its old bytes, exactly as a line written behind the store path.
// Returns the number of such lines.
uint64_t Region::relist_lines_written_meanwhile(const LineImages &images) {
  if (!images.packed) return 0;
  const std::vector<uint64_t> &lines = *images.lines;
  uint64_t relisted = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    uint64_t line = lines[i];
    if (memcmp(base_ + line * kLineSize, images.bytes(i), kLineSize) == 0) continue;
    dirty_.try_claim(line);
    overflow_.push_back(line);
    dirty_.set_logged(line);
    ++relisted;
  }
  stats_.racing_lines += relisted;
  return relisted;
}

// Lines of recent commits that changed without being listed were written by a store whose check
// ran before the commit cleared them (late_store_watch.hpp): they are listed now, before this
// commit collects its lines (their committed bytes are in the data file). One that was logged in
// this epoch meanwhile may have had the late store copied as its "old" bytes by the undo
// protocol: its entry is rewritten with the committed bytes. *LATE_OUT: lines found.
// Errors: the log's (an entry that cannot be rewritten fails the commit before anything is
// published).
int Region::recheck_watched_lines(uint64_t listed, uint64_t *late_out) {
  *late_out = 0;
  if (late_watch_.empty()) return 0;
  uint64_t late = 0;
  // (line, committed bytes): lines recorded at first write this epoch, whose record may hold a
  // late store as "old" bytes (undo)
  std::vector<std::pair<uint64_t, const char *>> logged;
  uint64_t end_line = std::min(map_len_, data_size_ + kLineSize - 1) / kLineSize;
  late_watch_.visit(os::now_ns(), end_line, [&](uint64_t line, const char *committed) {
    if (dirty_.is_logged(line)) {
      if (protocol_->records_at_first_write()) logged.emplace_back(line, committed);
    } else if (memcmp(base_ + line * kLineSize, committed, kLineSize) != 0) {
      dirty_.try_claim(line);
      overflow_.push_back(line);
      dirty_.set_logged(line);
      ++late;
    }
    return 0;
  });
  if (!logged.empty()) {
    std::sort(logged.begin(), logged.end());
    for (uint64_t slot = 0; slot < listed; ++slot) {
      uint64_t line = slot_line_[slot];
      auto it = std::lower_bound(logged.begin(), logged.end(),
                                 std::make_pair(line, static_cast<const char *>(nullptr)));
      if (it == logged.end() || it->first != line) continue;
      bool rewritten = false;
      if (int rc = protocol_->correct_first_write(slot, line, it->second, &rewritten)) return rc;
      if (rewritten) ++late;
    }
  }
  stats_.racing_lines += late;
  *late_out = late;
  return 0;
}

// After a rollback: as relist_lines_written_meanwhile, comparing with the data file (which holds
// the committed bytes the rollback copied back). Only with other threads in the process.
uint64_t Region::relist_lines_written_during_rollback(const std::vector<uint64_t> &lines) {
  if (__libc_single_threaded) return 0;
  uint64_t relisted = 0;
  uint8_t committed[kLineSize];
  for (uint64_t line : lines) {
    // A line that cannot be read again was just read: treat it as written, which commits its
    // current bytes later rather than losing them.
    bool same = backend_->read(Medium::data, line * kLineSize, committed, kLineSize) == 0 &&
                memcmp(base_ + line * kLineSize, committed, kLineSize) == 0;
    if (same) continue;
    dirty_.try_claim(line);
    overflow_.push_back(line);
    dirty_.set_logged(line);
    ++relisted;
  }
  stats_.racing_lines += relisted;
  return relisted;
}

int Region::commit() {
  std::lock_guard lock(mutex_);
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (poisoned_)
    return fail(FAMS_EPOISONED, "%s: an earlier persistence error poisoned this mapping; unmap "
                "and map again to recover the last committed state", path_.c_str());
  if (rollback_failed_)
    return fail(FAMS_EPOISONED, "%s: the last rollback failed part-way, so the working copy "
                "mixes committed and abandoned bytes; nothing is committed until a rollback "
                "succeeds (or unmap and map again)", path_.c_str());
  if (options().verify != Options::Verify::off) {
    if (int rc = verify_untracked_writes()) return rc;
  }
  // A log that was deleted or replaced behind our back protects nothing (recovery would never
  // find it), and its lock no longer keeps other processes out: stop before writing anything.
  if (int rc = check_not_truncated()) return rc;
  if (log_file_detached(log_file_))
    return fail_poisoned(fail(FAMS_EPOISONED, "%s: its log %s was deleted or replaced while the "
                              "file was mapped; nothing was written (the file keeps its last "
                              "committed state). Unmap it and map it again", path_.c_str(),
                              log_file_.path.c_str()));
  // From here until the next epoch is ready, first writes wait (epoch_gate.hpp).
  GateClosed gate(&gate_);
  uint64_t listed = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
  uint64_t late = 0;
  if (int rc = recheck_watched_lines(listed, &late)) return rc;
  if (listed == 0 && overflow_.empty() && data_size_ == committed_size_) {
    ++stats_.empty_commits;
    return 0;
  }
  uint64_t t0 = os::now_ns();
  std::vector<uint64_t> &lines = scratch_lines_;  // reused: no allocation per commit
  dirty_lines_sorted(listed, &lines);
  clear_line_state(lines);
  // Lines wholly past the end of the file are not file bytes (written past EOF, or cut off by a
  // truncation, whose pages the kernel dropped): nothing to write, and nothing to read.
  uint64_t end_line = (data_size_ + kLineSize - 1) / kLineSize;
  while (!lines.empty() && lines.back() >= end_line) lines.pop_back();
  // Preload mode: the pages go read-only now, so every later write faults and waits at the gate
  // (no write can slip between the snapshot and the next epoch).
  if (page_protect_) reprotect_lines(lines);
  LineImages images = commit_images(lines);
  EpochToCommit epoch{&images, listed, &overflow_, data_size_, committed_size_};
  bool poisonous = false;
  if (int rc = protocol_->commit(epoch, this, &stats_, &poisonous)) {
    restore_line_state(lines);
    return poisonous ? fail_poisoned(rc) : rc;
  }
  note_pending_pages(lines);
  committed_size_ = data_size_;
  // A new epoch begins.
  start_next_epoch();
  uint64_t relisted = relist_lines_written_meanwhile(images);
  late_watch_.remember(images, os::now_ns());
  if (commit_image_.capacity() > (1u << 20)) std::vector<char>().swap(commit_image_);
  // Every page is clean now (unless a racing write was relisted): over the budget, the oldest go
  // back to the page cache.
  working_set_.after_clean(base_, map_len_, lines, /*may_give_back=*/relisted == 0);
  ++stats_.commits;
  stats_.dirty_lines += lines.size();
  if (lines.capacity() > 4096) std::vector<uint64_t>().swap(lines);  // don't pin a burst
  stats_.latency.add(os::now_ns() - t0);
  return 0;
}

int Region::reserve_write_back(const LineImages &images) {
  const std::vector<uint64_t> &lines = *images.lines;
  for (size_t i = 0; i < lines.size();) {
    size_t j = i + 1;
    while (j < lines.size() && lines[j] == lines[j - 1] + 1) ++j;
    uint64_t off = lines[i] * kLineSize;
    uint64_t end = std::min<uint64_t>((lines[j - 1] + 1) * kLineSize, data_size_);
    if (off < end) {
      if (int rc = backend_->reserve_data(off, end - off)) {
        std::string why = last_error_message();
        return fail(rc, "%s: %s", path_.c_str(), why.c_str());
      }
    }
    i = j;
  }
  return 0;
}

// Verify mode: every line nobody announced a write to must still equal the file. A difference
// means something wrote the working copy behind the tracking (uninstrumented library, inline asm,
// a syscall reading into the mapping). O(mapping size): a debugging aid, not for production.
int Region::verify_untracked_writes() {
  constexpr uint64_t kChunk = 1 << 20;
  std::vector<uint8_t> file(kChunk);
  std::vector<uint64_t> untracked;
  uint64_t covered = std::min(data_size_, map_len_);  // bytes both in the file and the mapping
  for (uint64_t off = 0; off < covered; off += kChunk) {
    uint64_t len = std::min(kChunk, covered - off);
    if (int rc = backend_->read(Medium::data, off, file.data(), len)) return rc;
    for (uint64_t l = 0; l * kLineSize < len; ++l) {
      uint64_t line = off / kLineSize + l;
      uint64_t n = std::min<uint64_t>(kLineSize, len - l * kLineSize);
      if (!dirty_.is_claimed(line) && memcmp(base_ + line * kLineSize, &file[l * kLineSize], n) != 0)
        untracked.push_back(line);
    }
  }
  if (untracked.empty()) return 0;
  Options::Verify mode = options().verify;
  for (size_t i = 0; i < untracked.size() && i < 16; ++i)
    fprintf(stderr, "famsync verify: %s: bytes [%llu, +64) changed without an instrumented write "
            "(uninstrumented code, inline asm or a syscall wrote the mapping)\n", path_.c_str(),
            (unsigned long long)(untracked[i] * kLineSize));
  if (untracked.size() > 16)
    fprintf(stderr, "famsync verify: %s: ... %zu untracked lines in all\n", path_.c_str(),
            untracked.size());
  if (mode == Options::Verify::abort) abort();
  if (mode == Options::Verify::warn) {  // adopt them: the file still holds their committed bytes
    for (uint64_t line : untracked)
      note_written(reinterpret_cast<uintptr_t>(base_ + line * kLineSize), kLineSize);
    return 0;
  }
  return fail(FAMS_EVERIFY, "%s: %zu lines changed without an instrumented write (see stderr); "
              "nothing was committed", path_.c_str(), untracked.size());
}

int Region::rollback() {
  std::lock_guard lock(mutex_);
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (poisoned_)
    return fail(FAMS_EPOISONED, "%s: poisoned mapping; unmap and map again to roll back",
                path_.c_str());
  {
    GateClosed gate(&gate_);  // first writes wait until the next epoch is ready
    uint64_t listed = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
    std::vector<uint64_t> lines;
    dirty_lines_sorted(listed, &lines);
    clear_line_state(lines);
    // The data file holds the committed bytes of every dirty line: copy them back, run by run.
    // A run that cannot be read leaves new bytes among restored ones: that working copy must
    // never be committed (the C++ destructor unmaps after a rollback, and unmap commits), so
    // commits are refused until a rollback succeeds. The dirty state is kept whole, so a retry
    // restores every line; the other runs are restored now, so the program reads as little of
    // the abandoned state as possible.
    int read_rc = 0;
    uint64_t failed_off = 0;
    char read_msg[512] = "";
    for (size_t i = 0; i < lines.size();) {
      size_t j = i + 1;
      while (j < lines.size() && lines[j] == lines[j - 1] + 1) ++j;
      uint64_t off = lines[i] * kLineSize, len = (lines[j - 1] + 1) * kLineSize - off;
      if (int rc = backend_->read(Medium::data, off, base_ + off, len); rc != 0 && read_rc == 0) {
        read_rc = rc;
        failed_off = off;
        snprintf(read_msg, sizeof read_msg, "%s", last_error_message());
      }
      i = j;
    }
    if (read_rc != 0) {
      restore_line_state(lines);
      rollback_failed_ = true;
      return fail(read_rc, "%s: rollback could not read the committed bytes at %llu back (%s); "
                  "nothing is committed until a rollback succeeds (retry it, or unmap and map "
                  "again to get the last committed state)", path_.c_str(),
                  (unsigned long long)failed_off, read_msg);
    }
    rollback_failed_ = false;
    if (page_protect_) reprotect_lines(lines);
    start_next_epoch();
    uint64_t relisted = relist_lines_written_during_rollback(lines);
    working_set_.after_clean(base_, map_len_, lines, /*may_give_back=*/relisted == 0);
  }
  // The size is part of the committed state: undo a growth (a shrink is durable at once and
  // cannot be undone; its bytes are gone).
  if (data_size_ > committed_size_) {
    if (int rc = change_size_locked(committed_size_)) return rc;
  }
  ++stats_.rollbacks;
  return 0;
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

bool Region::has_pending_changes() {
  std::lock_guard lock(mutex_);
  return next_slot_.load(std::memory_order_relaxed) != 0 || !overflow_.empty() ||
         data_size_ != committed_size_;
}

bool Region::has_dirty_line_from(uint64_t first_line) {
  std::lock_guard lock(mutex_);
  uint64_t listed = std::min(next_slot_.load(std::memory_order_relaxed), slot_line_cap_);
  for (uint64_t s = 0; s < listed; ++s)
    if (slot_line_[s] != UINT64_MAX && slot_line_[s] >= first_line) return true;
  for (uint64_t line : overflow_)
    if (line >= first_line) return true;
  return false;
}

int Region::resize_file(uint64_t new_size) {
  // The file belongs to the parent: a child that changed its size would change the parent's
  // committed state behind its back (found while writing famsync(3)).
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  bool shrinking = new_size < data_size_;
  // A pending line past the new end would put a log entry past EOF into the next commit, which
  // recovery refuses: commit such changes first (rare: programs shrink what they no longer use).
  if (shrinking && has_dirty_line_from((new_size + kLineSize - 1) / kLineSize)) {
    if (int rc = commit()) return rc;
  }
  std::lock_guard lock(mutex_);
  if (poisoned_) return fail(FAMS_EPOISONED, "%s: poisoned mapping", path_.c_str());
  if (shrinking) {
    // No log record may name lines past the new end: redo checkpoints its groups; undo makes the
    // last retire's lazy live-word reset durable (entries of this generation left by a rollback
    // must not become live past the new end: recovery would refuse them).
    bool checkpointed = false;
    if (int rc = protocol_->settle(committed_size_, &checkpointed)) return fail_poisoned(rc);
    if (checkpointed) ++stats_.checkpoints;
  }
  if (int rc = change_size_locked(new_size)) return rc;
  if (new_size < committed_size_) {  // a shrink is committed at once: the bytes are gone
    if (int rc = protocol_->lower_committed_size(new_size)) return fail_poisoned(rc);
    committed_size_ = new_size;
  }
  return 0;
}

int Region::extend_file(uint64_t min_size) {
  std::lock_guard lock(mutex_);
  if (disowned_) return fail(FAMS_ENOTTRACKED, "%s: region inherited across fork()", path_.c_str());
  if (poisoned_) return fail(FAMS_EPOISONED, "%s: poisoned mapping", path_.c_str());
  if (min_size <= data_size_) return 0;  // another writer got there first
  return change_size_locked(min_size);
}

// Sets the file's size durably and keeps the working copy consistent with it. Growth is not
// committed here: the log still names the old size until the next commit.
int Region::change_size_locked(uint64_t new_size) {
  // The size must be durable before a commit relies on it (recovery refuses entries past EOF).
  if (int rc = backend_->set_data_size(new_size)) return fail_poisoned(rc);
  uint64_t old_size = data_size_;
  data_size_ = new_size;
  uint64_t page_end = (std::min(old_size, new_size) + page_size() - 1) / page_size() * page_size();
  if (new_size < old_size) {
    // Truncation zeroes the rest of the new last page in a shared mapping (the kernel drops the
    // pages after it, private copies included). Our copy of that page is private: zero its tail
    // too, or a later growth would bring the stale bytes back. Not file bytes: not tracked.
    uint64_t end = std::min(page_end, map_len_);
    if (new_size < end) memset(base_ + new_size, 0, end - new_size);
  } else if (new_size > old_size) {
    // Bytes the program wrote past the old EOF inside the old last page (legal in a file
    // mapping) could not be committed then — they were not file bytes — and their lines were
    // cleaned. They are file bytes now: list them again so the next commit writes them (their
    // committed bytes, logged from the file, are the zeros the growth just created).
    uint64_t end = std::min({new_size, page_end, map_len_});
    if (old_size < end)
      note_written(reinterpret_cast<uintptr_t>(base_) + old_size, end - old_size);
  }
  return 0;
}

int Region::remap(uint64_t new_length, bool may_move, void **out, bool commit_on_shrink) {
  uint64_t want = (new_length + page_size() - 1) / page_size() * page_size();
  if (want == 0) return fail(EINVAL, "mremap to length 0");
  if (want < map_len_ && (commit_on_shrink || has_dirty_line_from(want / kLineSize))) {
    if (int rc = commit()) return rc;  // the tail goes away, like a partial munmap
  }
  std::lock_guard lock(mutex_);
  auto base = reinterpret_cast<uintptr_t>(base_);
  if (want < map_len_) {  // shrink in place: the tail returns to the window's reservation
    if (mmap(base_ + want, map_len_ - want, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
      return fail_errno("mmap(shrinking the working copy of %s)", path_.c_str());
    map_len_ = want;
    nlines_ = map_len_ / kLineSize;
    *out = base_;
    return 0;
  }
  if (want > map_len_) {
    if (!dirty_.grow(want / kLineSize)) return fail(ENOMEM, "growing dirty state for %s", path_.c_str());
    if (want > slot_len_) {  // move to a larger slot
      if (!may_move)
        return fail(ENOMEM, "%s: the working copy cannot grow in place and MREMAP_MAYMOVE was "
                    "not given", path_.c_str());
      uint64_t new_slot_len = (want + (1ull << window::kGranuleShift) - 1) >>
                              window::kGranuleShift << window::kGranuleShift;
      uintptr_t slot;
      if (int rc = window::allocate(new_slot_len, &slot)) return rc;
      void *moved = mremap(base_, map_len_, map_len_, MREMAP_MAYMOVE | MREMAP_FIXED,
                           reinterpret_cast<void *>(slot));
      if (moved == MAP_FAILED) {
        int rc = fail_errno("mremap(moving the working copy of %s)", path_.c_str());
        window::release(slot, new_slot_len);
        return rc;
      }
      window::publish(base, slot_len_, nullptr);
      window::release(base, slot_len_);  // the old range is a hole now: reserve it again
      base_ = static_cast<char *>(moved);
      base = slot;
      slot_len_ = new_slot_len;
      window::publish(base, slot_len_, this);
    }
    // The added range: more of the same private file mapping, at the next file offset.
    if (mmap(base_ + map_len_, want - map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
             data_fd_, static_cast<off_t>(map_len_)) == MAP_FAILED)
      return fail_errno("mmap(growing the working copy of %s)", path_.c_str());
    map_len_ = want;
    nlines_ = map_len_ / kLineSize;
  }
  *out = base_;
  return 0;
}

int Region::protect_pages() {
  if (mprotect(base_, map_len_, PROT_READ) != 0) return errno;
  page_protect_ = true;
  return 0;
}

// The pages of the epoch's (sorted) dirty LINES become read-only again: the next epoch's first
// write to each faults and is logged. Best effort: a failure is reported once per region and
// leaves the page writable, i.e. its next writes go unnoticed — so it poisons the region.
void Region::reprotect_lines(const std::vector<uint64_t> &lines) {
  const uint64_t page = page_size();
  uint64_t i = 0;
  while (i < lines.size()) {
    uint64_t first = lines[i] * kLineSize / page, last = first;
    while (i < lines.size() && lines[i] * kLineSize / page <= last + 1) last = lines[i++] * kLineSize / page;
    if (mprotect(base_ + first * page, (last - first + 1) * page, PROT_READ) != 0) {
      fail_poisoned(fail(FAMS_EPOISONED, "%s: mprotect (preload mode) failed: %s",
                         path_.c_str(), strerror(errno)));
      return;
    }
  }
}

int Region::fit_mapping_to_size() {
  uint64_t size;
  {
    std::lock_guard lock(mutex_);
    size = data_size_;
  }
  void *out = nullptr;
  return remap(std::max<uint64_t>(size, 1), /*may_move=*/true, &out, /*commit_on_shrink=*/false);
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
