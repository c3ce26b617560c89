// os.hpp — the few POSIX primitives famsync builds on, each with its contract.
//
// Invariant: every function here either completes the whole operation or returns an error code
// with the thread's message set (error.hpp); none retries a failed persistence call (a failed
// fsync is never followed by a "successful" one that hides lost data). EINTR and short transfers
// are retried, since they lose nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace famsync::os {

// Writes all LEN bytes at OFF. Errors: errno of pwrite (ENOSPC, EIO, ...).
int pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *what);

// Reads LEN bytes at OFF; bytes past end of file read as zero. Errors: errno of pread.
int pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what);

// Allocates [FROM, TO) of the file by writing zeros to it (not posix_fallocate). Why: ext4 and
// xfs keep fallocated blocks as "unwritten" extents, and the first write into one turns it into
// a written extent — a metadata change, so the fdatasync after it commits the journal too
// (measured on this project's ext4: 174 us per 4 KiB pwrite + fdatasync into fallocated space,
// 97 us into zero-written space). A log is written over and over at commit time: paying the
// conversion once here keeps every commit's fdatasync a pure data flush. Errors: ENOSPC, EIO;
// on an error the file is cut back to FROM bytes (best effort), so a growth that did not fit
// gives back the space it took: a full disk is not left fuller by a failed commit.
int zero_fill(int fd, uint64_t from, uint64_t to, const char *what);

// What famsync checks of an open file FD — its type, device, inode, size and link count —
// asked for alone (statx without the timestamps; fstat where statx is missing or fills in less).
// Why not fstat: fstat asks for the timestamps too, and on kernels with multigrain timestamps
// (Linux 6.13+: ext4, xfs, btrfs, tmpfs) a query of a file's ctime makes its next write take a
// fine-grained timestamp, so the inode changes at every write. Checked at every commit, the log
// then had a dirty inode at every commit, and each commit's fdatasync wrote the inode's block too
// (ext4 without a journal: one synchronous metadata write per commit on the block layer, besides
// the log's page and the flush); interposed fsync/write calls look their descriptor up at every
// call. WHAT names the file in the message. Errors: errno of statx / fstat.
struct FileFacts {
  bool regular = false;
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t size = 0;
  uint64_t links = 0;
};
int file_facts(int fd, const char *what, FileFacts *out);

// fdatasync; EINTR is not retried by the kernel contract, so it counts as a failure too.
int datasync(int fd, const char *what);

// fsync of the directory that holds PATH (after creating or renaming a file in it).
int sync_parent_dir(const std::string &path);

// Fills BUF with LEN random bytes from getrandom(2).
void random_bytes(void *buf, size_t len);

uint64_t now_ns();  // CLOCK_MONOTONIC

}  // namespace famsync::os
