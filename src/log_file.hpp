// log_file.hpp — finding, creating, locking and validating a data file's undo log.
//
// Invariant: a log file exists under its final name only with a complete, checksummed static
// header: it is created under a temporary name, synced, renamed, and its directory synced. The
// log is the lock: whoever holds flock(LOCK_EX) on it is the only process tracking the data file.
#pragma once

#include "log_format.hpp"

#include <cstdint>
#include <string>
#include <sys/stat.h>

namespace famsync {

// PATH + ".famslog", or $FAMSYNC_LOG_DIR/<basename>.<dev>-<ino>.famslog.
std::string log_path_for(const std::string &data_path, const struct stat &data_st);

struct LogFile {
  int fd = -1;
  std::string path;
  uint64_t size = 0;          // bytes; capacity = (size - header) / entry size
  LogStaticHeader fixed{};    // validated
  LogDynamicHeader dynamic{}; // as read; live_count <= capacity checked
  bool foreign = false;       // header names another data file (inode differs)

  LogProtocol protocol() const { return static_cast<LogProtocol>(fixed.protocol); }

  uint64_t capacity() const { return (size - kLogHeaderSize) / kLogEntrySize; }
};

enum class LogOpenMode {
  create_if_missing,  // fams_map: a missing log is created with INITIAL_CAPACITY entries
  must_exist,         // CLI inspection: a missing log is ENOENT
};

// Opens (or creates) the log of the data file DATA_ST, takes the exclusive lock (EBUSY if another
// process holds it; NONBLOCK so nobody hangs), and validates the header. Does not recover.
// READ_ONLY opens without the lock and without creating (for `famsync info/check`).
// Errors: ENOENT (must_exist), EACCES, EBUSY, FAMS_ECORRUPT (bad magic/version/checksum/size,
// live_count beyond capacity), ENOSPC/EIO (creating).
// A created log uses PROTOCOL; an existing one keeps the protocol it records.
int open_log_file(const std::string &path, const struct stat &data_st, uint64_t initial_capacity,
                  LogProtocol protocol, LogOpenMode mode, bool read_only, LogFile *out);

// Replaces the log at LF->path by a fresh, empty one for DATA_ST (atomically, by rename), keeping
// the lock. Used when the old log holds nothing live but names another inode, or must be reset.
int recreate_log_file(const struct stat &data_st, uint64_t capacity, LogProtocol protocol,
                      LogFile *lf);

void close_log_file(LogFile *lf);

}  // namespace famsync
