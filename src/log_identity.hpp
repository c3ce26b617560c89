// log_identity.hpp — which log belongs to which data file: the file identity, log names, the
// directories a log is looked for in, and whether a log found there may be trusted.
//
// Invariants:
//  - A data file's identity travels with its inode, not its name: a random 128-bit id kept in
//    the file's `user.famsync` extended attribute (with the directory its log was created in),
//    so renames, hard links and symlinks all lead to the same log, and a new file that reuses
//    an inode number has no id (or another one) and never receives an old file's log. On file
//    systems without user xattrs the id is derived from the inode number and its generation /
//    birth time, and the log is looked for only in the file's current directory and
//    $FAMSYNC_LOG_DIR (DESIGN.md §3, "Log identity").
//  - A log's name contains only the id (`.famsync-<32 hex>.log`): never the data file's name, so
//    an application's globs over its own files never match a log.
//  - A log is applied only if its owner is the data file's owner (or the caller) and it grants
//    nobody access the data file does not grant (check_log_trust).
#pragma once

#include <cstdint>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace famsync {

inline constexpr char kIdentityXattr[] = "user.famsync";
inline constexpr char kLogNamePrefix[] = ".famsync-";
inline constexpr char kLogNameSuffix[] = ".log";

struct FileIdentity {
  uint8_t id[16] = {};
  bool derived = false;  // no xattr support: the id comes from the inode (not stored anywhere)
  std::string log_dir;   // directory recorded with the id (where its log was created), or ""
};

// Reads the identity of the open data file DATA_FD. *HAS_ID is false when the file has none yet
// (never mapped by this version). On a file system without user xattrs the derived identity is
// returned (*HAS_ID true, derived). Errors: errno of fgetxattr (EIO, ...), FAMS_ECORRUPT (an
// attribute that is not ours or is damaged).
int read_identity(int data_fd, const struct stat &data_st, FileIdentity *out, bool *has_id);

// Gives DATA_FD a new random identity whose log lives in LOG_DIR, and makes it durable (fsync of
// the data file) before returning. REPLACE: overwrite an existing identity (the file carried a
// copied one); otherwise the attribute is created exclusively, and if another process gave the
// file an identity first, that one is returned in *OUT. Falls back to the derived identity where
// user xattrs are not supported or not permitted. Errors: EIO, ENOSPC, EDQUOT, ...
int create_identity(int data_fd, const struct stat &data_st, const std::string &log_dir,
                    bool replace, FileIdentity *out);

// Records LOG_DIR as the directory of ID's log (the log is about to be created there), durably.
int record_log_dir(int data_fd, const std::string &log_dir, FileIdentity *id);

// ".famsync-<32 hex digits>.log".
std::string log_file_name(const FileIdentity &id);
// Does NAME look like a log's file name (for `famsync gc`)?
bool is_log_file_name(const char *name);

// Where a new log of DATA_FD goes: $FAMSYNC_LOG_DIR, else the data file's directory (absolute).
std::string default_log_dir(int data_fd);

// The directories ID's log may be in, in search order, without duplicates: the one recorded
// with the id, the data file's current directory (a renamed parent directory), $FAMSYNC_LOG_DIR.
std::vector<std::string> log_search_dirs(const FileIdentity &id, int data_fd);

// The absolute path of the open file FD ("" if unknown).
std::string path_of_fd(int fd);

// May a log with LOG_ST be applied to the data file DATA_ST? It must be a regular file with one
// link, owned by the data file's owner or by the caller, and grant group/others nothing the data
// file does not. Errors: FAMS_EFOREIGN with a message naming the reason (nothing was changed).
int check_log_trust(const struct stat &log_st, const struct stat &data_st,
                    const std::string &log_path);

// The permission bits a new log of DATA_ST gets: the data file's read/write bits (the log holds
// its bytes), plus owner read/write so the owner can recover it.
mode_t log_mode_for(const struct stat &data_st);

}  // namespace famsync
