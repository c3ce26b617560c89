// options.hpp — every runtime option, read once from FAMSYNC_* environment variables.
//
// Invariant: options are parsed exactly once (first use) and never change afterwards, so hot
// paths may read them without synchronisation. Unparseable values fall back to the default and
// print one warning to stderr.
#pragma once

#include <cstdint>
#include <string>

namespace famsync {

enum class BackendChoice { automatic, pmem, file };
// The commit protocol on persistent memory (ordinary files always use redo: DESIGN.md §4).
enum class PmemProtocol { redo, undo };

struct Options {
  BackendChoice backend = BackendChoice::automatic;  // FAMSYNC_BACKEND=auto|pmem|file;
                                                     // FAMSYNC_FORCE_PMEM=1 or
                                                     // PMEM_IS_PMEM_FORCE=1 mean pmem
  PmemProtocol pmem_protocol = PmemProtocol::redo;  // FAMSYNC_PMEM_PROTOCOL=redo|undo
  std::string log_dir;               // FAMSYNC_LOG_DIR: where logs go (default: beside the file)
  uint64_t log_entries = 65536;      // FAMSYNC_LOG_ENTRIES: initial log capacity cap (entries)
  uint64_t window_bytes = 1ull << 40;  // FAMSYNC_WINDOW_GB: VA window size (default 1024 GiB)
  uint64_t working_set_bytes = 0;    // FAMSYNC_WORKING_SET_MB: budget of private working-copy
                                     // pages (0 = half the cgroup limit / RAM: working_set.hpp)
  bool print_stats = false;          // FAMSYNC_STATS=1: print totals to stderr at exit
  bool prefault = false;             // FAMSYNC_PREFAULT=1: copy the whole working copy into DRAM
                                     // at map time (no copy-on-write fault on first writes)
  bool munmap_commit = false;        // FAMSYNC_MUNMAP_COMMIT=1: munmap commits pending changes.
                                     // Default: a commit is an msync (FAMS), so munmap keeps the
                                     // region detached with its pending changes (programs such as
                                     // gdbm remap mid-update); with nothing pending it closes it
  bool exit_commit = true;           // FAMSYNC_EXIT_COMMIT=0: normal exit discards pending
                                     // changes (rolls back) instead of committing them
  // FAMSYNC_VERIFY: at each commit compare every clean line of the working copy with the file.
  //   1 / fail: report untracked changes and fail the commit with FAMS_EVERIFY (nothing written)
  //   warn:     report them and commit them too (logged from the file, which still has them)
  //   abort:    report them and abort()
  enum class Verify { off, fail, warn, abort } verify = Verify::off;
  std::string track_paths;            // FAMSYNC_PATHS: ':'-separated prefixes; only these tracked
  std::string exclude_paths;          // FAMSYNC_EXCLUDE: ':'-separated prefixes never tracked
  bool disable = false;               // FAMSYNC_DISABLE=1: instrumented programs track nothing
  bool file_watch = true;             // FAMSYNC_FILE_WATCH=0: every commit asks statx whether the
                                      // file was cut or its log deleted (file_watch.hpp)
  bool file_watch_ring = true;        // FAMSYNC_FILE_WATCH=read: the watch without io_uring (one
                                      // ioctl per commit instead of none: ring_poll.hpp)
  std::string crash_at;              // FAMSYNC_CRASH_AT=point[:n]: test hook, see crash_point.hpp
};

const Options &options();

// The protocol new logs on the pmem backend get: options().pmem_protocol, unless a test overrode
// it (set_pmem_protocol_for_testing; not part of the public API).
PmemProtocol pmem_protocol();
// Test seam: makes pmem_protocol() return PROTOCOL from now on (in-process unit tests compare
// both protocols; the environment is read only once per process). Set it before mapping.
void set_pmem_protocol_for_testing(PmemProtocol protocol);
// Test seam: back to options().pmem_protocol.
void reset_pmem_protocol_for_testing();

}  // namespace famsync
