// ring_poll.hpp — a multishot poll of one descriptor through io_uring, whose wake-ups the calling
// thread can see with two loads from memory the kernel shares with it: no system call while
// nothing happened.
//
// Why: a commit must know whether an inotify event was queued since it last looked (file_watch.hpp)
// and a system call to ask costs 120-190 ns here, a third of a one-line pmem commit. With
// IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG the kernel sets IORING_SQ_TASKRUN in the
// ring's shared flags inside the wake-up itself, that is inside the system call of whoever
// queued the event (a truncate in another process included); once the submitting thread runs the
// pending work (at its next system call's return, or get_events()), a completion is in the shared
// completion ring instead. Either is visible to a load. Measured on this kernel (6.18): a truncate
// by another process that then signalled through shared memory, with no system call of ours in
// between, left IORING_SQ_TASKRUN set.
// Raw system calls (linux/io_uring.h), not liburing: one more shared library would cost every
// famsync-cc program its loading at start-up.
//
// Invariant: while armed(), an event on the descriptor after the last get_events() makes quiet()
// false in the thread that called arm() (the owner), until that thread calls get_events().
#pragma once

#include <cstdint>

namespace famsync {

class RingPoll {
 public:
  // Sets up a ring and arms a multishot POLLIN poll of FD, owned by the calling thread. False
  // (nothing set up) where io_uring or these flags are unavailable (kernels before 5.19,
  // kernel.io_uring_disabled, seccomp).
  bool arm(int fd);
  bool armed() const { return ring_fd_ >= 0; }
  // The owner's fast path: nothing woke the poll since the last get_events().
  bool quiet() const;
  // Runs the owner's pending work and consumes the completions; re-arms the poll if it ended (a
  // full completion ring ends a multishot poll). False if the ring failed: disarmed.
  bool get_events();
  // Unmaps and closes (also in a forked child, where the parent's ring must not be used).
  void disarm();
  // The ring's descriptor (-1 when not armed): an interposed close() refuses it.
  int descriptor() const { return ring_fd_; }

 private:
  bool submit_poll();

  int ring_fd_ = -1;
  int polled_fd_ = -1;
  void *sq_ring_ = nullptr, *cq_ring_ = nullptr, *sqes_ = nullptr;
  uint64_t sq_ring_bytes_ = 0, cq_ring_bytes_ = 0, sqes_bytes_ = 0;
  unsigned *sq_flags_ = nullptr, *sq_tail_ = nullptr, *sq_array_ = nullptr;
  unsigned *cq_head_ = nullptr, *cq_tail_ = nullptr;
  unsigned sq_mask_ = 0, cq_mask_ = 0;
  void *cqes_ = nullptr;
};

}  // namespace famsync
