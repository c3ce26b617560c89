// hole_reserver.hpp — gets storage for a data file's holes before a commit writes into them.
//
// Why: a write into a hole needs a block. Through a shared mapping (pmem backend) a full file
// system answers with SIGBUS; through pwrite (file backend) with ENOSPC — after the commit
// point, where it poisons the region and recovery's replay meets the same full disk. Reserving
// (posix_fallocate) before anything of the commit is durable turns both into an ENOSPC that
// loses nothing. A file without holes (one lseek(SEEK_HOLE) at map and after growth tells) pays
// nothing more; in one with holes each page is reserved once (a bitmap remembers it), so a
// commit pays a system call only for pages it writes for the first time. (lseek(SEEK_HOLE) is
// not repeated per commit: on tmpfs it walks the file, ~85 us for 16 MiB, and it reports
// fallocated pages as holes — so on tmpfs a file whose pages cover its size counts as having
// none.)
// Invariant: when reserve() returned 0 for a range, writing it needs no new block.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace famsync {

class HoleReserver {
 public:
  explicit HoleReserver(int fd) : fd_(fd) {}

  // Storage for [OFF, OFF+LEN), which must lie inside the file (posix_fallocate past EOF would
  // grow it). Errors: ENOSPC, EDQUOT, EIO (posix_fallocate's; a file system without fallocate
  // counts as success), fstat's.
  int reserve(uint64_t off, uint64_t len);
  // reserve() would return 0 for any range without doing anything (looked, and found no hole).
  bool known_without_holes() const { return !check_ && !has_holes_; }
  // The file's size changed (growth makes a hole): look again before the next reserve.
  void size_changed() {
    check_ = true;
    reserved_.clear();  // a shrink drops blocks; pages past it are holes again after a growth
    last_word_ = nullptr;
  }

 private:
  bool reserved(uint64_t page) {
    if (last_word_ == nullptr || last_key_ != page / 64) {  // a commit's pages are mostly near
      auto it = reserved_.find(page / 64);
      if (it == reserved_.end()) return false;
      last_key_ = page / 64;
      last_word_ = &it->second;  // stays valid: map nodes do not move until clear()
    }
    return *last_word_ >> (page % 64) & 1;
  }
  void mark_reserved(uint64_t first, uint64_t end);

  int fd_;
  bool check_ = true;      // has_holes_ must be looked up again
  bool has_holes_ = true;
  // Pages reserved already, 64 per word, keyed by page / 64: sparse, so that memory follows the
  // pages written, not the file's size (a 64 GiB sparse file would need 2 MiB as a flat bitmap).
  std::unordered_map<uint64_t, uint64_t> reserved_;
  uint64_t last_key_ = 0;              // the word reserved() looked up last, and where it is
  const uint64_t *last_word_ = nullptr;
};

}  // namespace famsync
