// hole_reserver.hpp — gets storage for a data file's holes before a commit writes into them.
//
// Why: a write into a hole needs a block. Through a shared mapping (pmem backend) a full file
// system answers with SIGBUS; through pwrite (file backend) with ENOSPC — after the commit
// point, where it poisons the region and recovery's replay meets the same full disk. Reserving
// (posix_fallocate) before anything of the commit is durable turns both into an ENOSPC that
// loses nothing. A file without holes (one lseek(SEEK_HOLE) tells) pays nothing more.
// Invariant: when reserve() returned 0 for a range, writing it needs no new block.
#pragma once

#include <cstdint>

namespace famsync {

class HoleReserver {
 public:
  explicit HoleReserver(int fd) : fd_(fd) {}

  // Storage for [OFF, OFF+LEN), which must lie inside the file (posix_fallocate past EOF would
  // grow it). Errors: ENOSPC, EDQUOT, EIO (posix_fallocate's; a file system without fallocate
  // counts as success), fstat's.
  int reserve(uint64_t off, uint64_t len);
  // The file's size changed (growth makes a hole): look again before the next reserve.
  void size_changed() { check_ = true; }

 private:
  int fd_;
  bool check_ = true;      // has_holes_ must be looked up again
  bool has_holes_ = true;
};

}  // namespace famsync
