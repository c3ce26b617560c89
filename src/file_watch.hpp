// file_watch.hpp — tells a commit whether its data file may have been cut, or its log unlinked,
// since the region last asked the kernel, at the cost of one system call for all regions of the
// process instead of two statx per commit.
//
// Why: every commit must refuse to run on a file truncated behind its back (its working copy's
// pages past the new end are gone: SIGBUS) or with a log deleted or replaced (recovery would
// never find it). Asking statx for both at every commit cost two system calls, 0.42 us of a
// 0.91 us one-line commit on emulated pmem (perf: half of the commit's samples).
//
// How: one inotify instance per process watches each region's data file for IN_MODIFY (a size
// change: truncate, ftruncate, open with O_TRUNC, fallocate) and its log for IN_ATTRIB |
// IN_MOVE_SELF | IN_DELETE_SELF (an unlink, or a rename over the log, changes its link count:
// IN_ATTRIB). The kernel queues the event inside the system call that made the change, so once
// that call returned, a non-blocking read of the instance returns it. The thread that created the
// instance also armed an io_uring poll of it (ring_poll.hpp): that thread sees a wake-up in memory
// it shares with the kernel, so its commits make no system call while nothing happened (the ring
// moves to a thread that commits 64 times in a row while another one owns it). Other
// threads, and every thread where io_uring is unavailable, ask ioctl(FIONREAD) (0 bytes queued
// when nothing happened). Something queued is read; any event at all — for any file, of any
// region, an overflow, a removed watch — raises the process's generation, and every region whose
// last look is older asks statx again. A watch the kernel removed while a region holds it (a log
// created with O_TMPFILE loses its watch at its unlink) makes that region ask at every commit. Writes through mappings (the pmem backend's data and log,
// the file backend's write-back) queue nothing; the file backend's log pwrite queues IN_MODIFY,
// which the log's mask leaves out.
//
// Where inotify does not see every change, the watch stays inactive and every commit asks statx
// as before: inotify or /proc/self/fd unavailable, the per-user limit of instances or watches
// reached, or a file on a file system whose files another machine or layer may change without
// this kernel's notification (NFS, FUSE, overlayfs, ...: only ext2/3/4, xfs, btrfs, f2fs and
// tmpfs are trusted). After fork() the child starts its own instance (it must never drain its
// parent's events); the parent's regions are disowned there anyway.
//
// Invariant: may_have_changed() returns false only if no event for any watched file was queued
// since the drain whose generation the region last passed to confirm(), and the region's watches
// were in place before that drain.
#pragma once

#include <cstdint>

namespace famsync {

class FileWatch {
 public:
  // Starts watching DATA_FD's size and LOG_FD's links. Never fails: when the files cannot be
  // watched the watch stays inactive and may_have_changed() is always true.
  void start(int data_fd, int log_fd);
  // Removes the watches (idempotent; harmless in a forked child).
  void stop();
  bool active() const { return instance_ != 0; }

  // True when the caller must ask the kernel (statx): a change event was drained since the last
  // confirm(), or the watch is inactive, or another commit is draining right now. *GENERATION
  // is what to pass to confirm() once the kernel's answers were found fine.
  bool may_have_changed(uint64_t *generation);
  // The files were checked after the drain that produced GENERATION and found unchanged.
  void confirm(uint64_t generation) { seen_ = generation; }

  // DESCRIPTOR is the process's inotify instance or its io_uring ring: an interposed close()
  // refuses it, so that the number is never reused by the program for a descriptor the drain
  // would then read.
  static bool is_own_descriptor(int descriptor);

 private:
  static constexpr uint64_t kNever = ~0ull;
  uint64_t instance_ = 0;  // the instance the watches belong to; 0 = inactive
  int data_watch_ = -1;
  int log_watch_ = -1;
  uint64_t seen_ = kNever;
};

}  // namespace famsync
