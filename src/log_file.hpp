// log_file.hpp — finding, creating, locking, validating and removing a data file's log.
//
// Invariants:
//  - A log exists under its final name only complete (checksummed static header and identity
//    block, synced) and already locked by its creator: it is built as an unnamed file
//    (O_TMPFILE, or a random O_EXCL name where that is unsupported), locked, then linked into
//    place, and its directory synced. No step follows a symlink or reuses an existing name.
//  - The log is the lock: whoever holds flock(LOCK_EX) on it is the only process tracking the
//    data file. The log is found through the data file's identity (log_identity.hpp), so every
//    name and link of the file leads to the same lock.
//  - A log is used only if it is trusted (owner, mode, one link) and names this file (identity
//    and inode); a log that names another inode is reported as foreign and never changed.
#pragma once

#include "log_format.hpp"
#include "log_identity.hpp"

#include <cstdint>
#include <string>
#include <sys/stat.h>

namespace famsync {

struct LogFile {
  int fd = -1;
  std::string dir;            // directory that holds it
  std::string path;           // dir + "/" + name
  uint64_t size = 0;          // bytes; capacity = (size - header) / entry size
  LogStaticHeader fixed{};    // validated
  LogDynamicHeader dynamic{}; // as read; live_count <= capacity checked
  LogIdentityBlock identity{};// version 2: validated; version 1: zero
  bool legacy = false;        // a version-1 log found under the old name (PATH.famslog)
  bool foreign = false;       // names another inode (a copy of the file carrying its identity)
  bool foreign_in_use = false;// ... and that file's process holds it (fd closed, header only)

  LogProtocol protocol() const { return static_cast<LogProtocol>(fixed.protocol); }
  // Undo: entries [0, live()) belong to a commit in flight.
  uint64_t live() const { return live_entries(dynamic, fixed.version); }
  // A version-2 or -3 log (recovered, then replaced by one of the current version).
  bool old_format() const {
    return !legacy && (fixed.version == kLogFormatVersionV2 || fixed.version == kLogFormatVersionV3);
  }

  uint64_t capacity() const { return (size - kLogHeaderSize) / kLogEntrySize; }
};

// Looks for the log of the open data file DATA_FD (identity ID, or nullptr if it has none): in
// the directories of log_search_dirs(), then — only for a file without an identity — under the
// names version 1 used. *FOUND is false if there is none. Unless READ_ONLY, takes the exclusive
// lock (EBUSY if another process holds it). Errors: EBUSY, FAMS_EFOREIGN (untrusted, or an id
// that does not match its name), FAMS_ECORRUPT (header), EACCES, EIO. EAGAIN: the log vanished
// while being locked (removed by its owner or `famsync gc`): look again.
int find_log_file(int data_fd, const struct stat &data_st, const std::string &data_path,
                  const FileIdentity *id, bool read_only, LogFile *out, bool *found);

// Creates a fresh, empty, locked log for DATA_FD named by ID in DIR. Errors: EEXIST (a log of
// that name appeared meanwhile: look again), EACCES, ENOSPC, EIO.
int create_log_file(const FileIdentity &id, const std::string &dir, int data_fd,
                    const struct stat &data_st, uint64_t capacity, LogProtocol protocol,
                    LogFile *out);

// Replaces the (locked) log LF by a fresh, empty, locked one of the same name and identity
// (atomically, by rename from a random name). Used when the log must change protocol.
int recreate_log_file(int data_fd, const struct stat &data_st, uint64_t capacity,
                      LogProtocol protocol, LogFile *lf);

// Removes LF (which the caller holds locked) from its directory if its name still refers to it,
// and closes it. Used on a clean close: a file in its committed state needs no log.
int remove_log_file(LogFile *lf);

// Has the log been unlinked or replaced since it was opened? (Its name no longer refers to it.)
// Commits check this: a log nobody can find would not protect them.
bool log_file_detached(const LogFile &lf);

// Does the log hold anything recovery would apply? (Conservative for redo: a valid first entry.
// Undo: live_count may be stale after a retire — undo_log.cpp — so an entry must verify.)
int log_has_live_state(const LogFile &lf, bool *live);

// Does the open data file DATA_FD (at DATA_PATH) have a log? (Read-only look-up, no lock;
// true when the look-up fails, so that the caller's recovery reports why.)
bool has_log_file(int data_fd, const struct stat &data_st, const std::string &data_path);

void close_log_file(LogFile *lf);

}  // namespace famsync
