// backend.hpp — the persistence domain a region commits into: the data file and its log.
//
// Two media (data, log), four operations. write() and write_word() put bytes on the way to a
// medium; nothing is durable until persist() of that medium returns 0. Writes to one medium are
// not ordered with each other before persist(); the commit protocol (DESIGN.md) orders the media
// only through persist() calls. Implementations: pmem (libpmem NT stores / clwb + sfence) and
// file (pwrite + fdatasync, log staged in DRAM). A test backend can replace either.
//
// Threading: stage() may be called by many threads at once for disjoint ranges (store-path log
// entries); every other call is made by one committing thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace famsync {

enum class Medium : uint8_t { data, log };

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char *name() const = 0;

  // Queues LEN bytes at OFF of medium M (not durable until persist(M)). Errors: errno of pwrite.
  virtual int write(Medium m, uint64_t off, const void *src, size_t len) = 0;
  // Stages LEN bytes at OFF of M with ordinary cached stores: cheap enough for the store path,
  // and durable only after flush() of the range AND persist(). Any thread may stage; the thread
  // that later calls flush() need not be the one that staged (clwb acts on the line wherever it
  // is cached), which is what lets one committing thread make every thread's entries durable.
  virtual int stage(Medium m, uint64_t off, const void *src, size_t len) {
    return write(m, off, src, len);
  }
  // Starts writing back staged bytes in [OFF, OFF+LEN) of M (clwb); persist() completes it.
  virtual int flush(Medium, uint64_t, size_t) { return 0; }
  // Whether stage() leaves bytes in a cache that only flush() writes back (pmem); false where
  // stage() is write() (files).
  virtual bool stage_needs_flush() const { return false; }
  // Queues one aligned 8-byte word, written by a single store (the power-fail atomicity unit).
  virtual int write_word(Medium m, uint64_t off, uint64_t value) = 0;
  // Reads LEN bytes at OFF as they are now on M (bytes past end of file read as 0).
  virtual int read(Medium m, uint64_t off, void *dst, size_t len) = 0;
  // Makes every write queued to M so far durable. Errors: EIO, ENOSPC, ... (never retried).
  virtual int persist(Medium m) = 0;
  // Enlarges the log file to NEW_SIZE bytes, preallocated. Errors: ENOSPC, EIO, ENOMEM.
  virtual int grow_log(uint64_t new_size) = 0;
  virtual uint64_t log_size() const = 0;
  // Sets the data file's size to NEW_SIZE bytes (ftruncate: growth adds zeros, shrinking drops
  // the tail and any write to it not yet persisted) and makes the new size durable (fsync) before
  // returning. Errors: errno of ftruncate/fsync (EIO, ENOSPC, EFBIG), ENOMEM (remap).
  virtual int set_data_size(uint64_t new_size) = 0;
  // Makes sure the data file has storage for [OFF, OFF+LEN) before a commit writes it: a backend
  // that writes through a shared mapping would otherwise get SIGBUS where the file system has no
  // room for a hole's page. Called before anything of the commit is durable, so an error loses
  // nothing. Errors: ENOSPC, EIO, EFBIG (posix_fallocate's).
  virtual int reserve_data(uint64_t, uint64_t) { return 0; }
  // True when reserve_data would do nothing for any range (the file is known to have no hole):
  // a commit then skips its per-run calls.
  virtual bool data_has_no_holes() const { return true; }
  // Clean bytes between two dirty runs of the data file that a write-back may write too, to make
  // one write of the two: worth it where each write is a system call (file: up to a page; the
  // clean bytes equal the file's). 0: never (pmem: bandwidth, not calls, is the cost).
  virtual uint64_t write_merge_gap() const { return 0; }
};

// The two real backends. They borrow the descriptors (the caller keeps them open for the
// backend's lifetime). DATA_SIZE is the data file's size; LOG_SIZE the log file's.
// Errors: errno of mmap (ENOMEM, ENODEV, ...).
int make_pmem_backend(int data_fd, uint64_t data_size, int log_fd, uint64_t log_size,
                      std::unique_ptr<Backend> *out);
// Same, with the data file mapped MAP_BYTES long (>= DATA_SIZE) so that it can grow in place.
int make_pmem_backend(int data_fd, uint64_t data_size, uint64_t map_bytes, int log_fd,
                      uint64_t log_size, std::unique_ptr<Backend> *out);
int make_file_backend(int data_fd, int log_fd, uint64_t log_size, std::unique_ptr<Backend> *out);

// Test seam: when set, every region and recovery gets its backend from FACTORY instead of the two
// real ones (the simulated persistence domain and fault injection in tests/ use it). Set it before
// mapping anything; nullptr restores the default. Not part of the public API.
using BackendFactory = int (*)(int data_fd, uint64_t data_size, int log_fd, uint64_t log_size,
                               bool want_pmem, std::unique_ptr<Backend> *out);
void set_backend_factory_for_testing(BackendFactory factory);
BackendFactory backend_factory_for_testing();

// True when the file behind FD is DAX (a MAP_SYNC mapping of it succeeds).
bool file_is_dax(int fd, uint64_t size);

}  // namespace famsync
