// ring_poll.cpp — RingPoll (ring_poll.hpp) on the raw io_uring system calls.
#include "ring_poll.hpp"

#include <linux/io_uring.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace famsync {

namespace {

int ring_setup(unsigned entries, io_uring_params *p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}

int ring_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return static_cast<int>(
      syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0));
}

unsigned load_acquire(const unsigned *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void store_release(unsigned *p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

template <typename T>
T *at(void *base, uint32_t offset) {
  return reinterpret_cast<T *>(static_cast<char *>(base) + offset);
}

}  // namespace

bool RingPoll::arm(int fd) {
  disarm();
  io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  int ring = ring_setup(4, &p);
  if (ring < 0) return false;  // ENOSYS, EPERM (disabled, seccomp), EINVAL (kernel before 5.19)
  ring_fd_ = ring;
  polled_fd_ = fd;
  sq_ring_bytes_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_ring_bytes_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cq_ring_bytes_ > sq_ring_bytes_) sq_ring_bytes_ = cq_ring_bytes_;
  // The three regions the kernel shares with us; nullptr where the mapping failed.
  auto map_shared = [ring](uint64_t bytes, off_t offset) -> void * {
    void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, offset);
    return m == MAP_FAILED ? nullptr : m;
  };
  sq_ring_ = map_shared(sq_ring_bytes_, IORING_OFF_SQ_RING);
  if (single) {
    cq_ring_ = sq_ring_;
    cq_ring_bytes_ = 0;  // one mapping, unmapped as the SQ ring
  } else if (sq_ring_ != nullptr) {
    cq_ring_ = map_shared(cq_ring_bytes_, IORING_OFF_CQ_RING);
  }
  sqes_bytes_ = p.sq_entries * sizeof(io_uring_sqe);
  if (cq_ring_ != nullptr) sqes_ = map_shared(sqes_bytes_, IORING_OFF_SQES);
  if (sqes_ == nullptr) {  // disarm() unmaps what was mapped
    disarm();
    return false;
  }
  sq_flags_ = at<unsigned>(sq_ring_, p.sq_off.flags);
  sq_tail_ = at<unsigned>(sq_ring_, p.sq_off.tail);
  sq_array_ = at<unsigned>(sq_ring_, p.sq_off.array);
  sq_mask_ = *at<unsigned>(sq_ring_, p.sq_off.ring_mask);
  cq_head_ = at<unsigned>(cq_ring_, p.cq_off.head);
  cq_tail_ = at<unsigned>(cq_ring_, p.cq_off.tail);
  cq_mask_ = *at<unsigned>(cq_ring_, p.cq_off.ring_mask);
  cqes_ = at<void>(cq_ring_, p.cq_off.cqes);
  if (!submit_poll()) {
    disarm();
    return false;
  }
  return true;
}

bool RingPoll::submit_poll() {
  unsigned tail = *sq_tail_;
  unsigned index = tail & sq_mask_;
  auto *sqe = static_cast<io_uring_sqe *>(sqes_) + index;
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = polled_fd_;
  sqe->len = IORING_POLL_ADD_MULTI;
  sqe->poll32_events = POLLIN;  // little-endian hosts only (x86-64)
  sqe->user_data = 1;
  sq_array_[index] = index;
  store_release(sq_tail_, tail + 1);
  int rc;
  do rc = ring_enter(ring_fd_, 1, 0, 0);
  while (rc < 0 && errno == EINTR);
  return rc == 1;
}

bool RingPoll::quiet() const {
  return (load_acquire(sq_flags_) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) == 0 &&
         load_acquire(cq_tail_) == *cq_head_;
}

bool RingPoll::get_events() {
  int rc;
  do rc = ring_enter(ring_fd_, 0, 0, IORING_ENTER_GETEVENTS);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    // EBADF: the program closed the ring's descriptor behind our back (close_range, a raw
    // close); its number may be the program's own by now, so it is not closed again.
    if (errno == EBADF) ring_fd_ = -1;
    disarm();
    return false;
  }
  bool ended = false;
  unsigned head = *cq_head_, tail = load_acquire(cq_tail_);
  for (; head != tail; ++head) {
    const auto *cqe = static_cast<const io_uring_cqe *>(cqes_) + (head & cq_mask_);
    if ((cqe->flags & IORING_CQE_F_MORE) == 0) ended = true;  // the multishot poll stopped
  }
  store_release(cq_head_, head);
  if (ended && !submit_poll()) {
    disarm();
    return false;
  }
  return true;
}

void RingPoll::disarm() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_bytes_);
  if (cq_ring_ != nullptr && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_bytes_);
  if (sq_ring_ != nullptr) munmap(sq_ring_, sq_ring_bytes_);
  if (ring_fd_ >= 0) ::close(ring_fd_);
  *this = RingPoll();
}

}  // namespace famsync
