// famsync_main.cpp — the `famsync` command: recover, check and describe files and their logs.
//
//   famsync recover [--force-identity] FILE   roll FILE back to its last committed state
//   famsync check FILE                         exit 0 clean, 1 needs recovery, 2 damaged/error
//   famsync info FILE                          print the log's header and entry counts
//   famsync gc DIR                             remove logs in DIR that protect nothing
//   famsync run -- CMD ARGS...                 run an unmodified program with libfamsync-preload
// Exit codes: 0 success/clean, 1 recovery needed (check), 2 error, 64 usage.
// Invariant: only `recover` writes, and it goes through the same recovery code as fams_map.
#include "error.hpp"
#include "inspect.hpp"
#include "log_gc.hpp"
#include "region.hpp"

#include <famsync/famsync.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <elf.h>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr int kExitNeedsRecovery = 1, kExitError = 2, kExitUsage = 64;

int usage() {
  fprintf(stderr,
          "usage: famsync recover [--force-identity] FILE\n"
          "       famsync check FILE\n"
          "       famsync info FILE\n"
          "       famsync gc DIR\n"
          "       famsync run -- CMD [ARGS...]\n"
          "\n"
          "recover  roll FILE back to its last committed state using its log (idempotent). The log\n"
          "         is found through FILE's identity (user.famsync attribute), whatever its name.\n"
          "         --force-identity applies a log that names another inode: only for a FILE\n"
          "         restored together with its log from one backup of the crashed file.\n"
          "check    exit 0 if FILE is consistent, 1 if a crash left a commit to roll back, 2 if\n"
          "         the log is damaged or unreadable.\n"
          "info     print the log's header, generation and live entries.\n"
          "gc       remove logs in DIR that hold nothing to recover and that no process uses\n"
          "         (logs of deleted files, of processes killed with nothing pending); exit 1 if\n"
          "         some log holds an interrupted commit (it is named, and kept).\n"
          "run      run an unmodified, dynamically linked program with libfamsync-preload.so\n"
          "         (LD_PRELOAD): its msync/fsync/munmap/exit of tracked mappings commit\n"
          "         failure-atomically (FAMSYNC_PRELOAD_LIB names the library explicitly).\n"
          "Environment: FAMSYNC_LOG_DIR (where logs live), FAMSYNC_BACKEND (auto|pmem|file).\n");
  return kExitUsage;
}

int error(const char *what, int rc) {
  fprintf(stderr, "famsync %s: %s\n  %s\n", what, fams_strerror(rc), famsync::last_error_message());
  return kExitError;
}

int cmd_recover(const char *path, bool force_identity) {
  famsync::RecoveryReport report;
  int rc = famsync::Region::recover_file(path, force_identity, &report);
  if (rc != 0) return error("recover", rc);
  if (report.size_before != 0)
    printf("%s: cut back from %llu to its committed size, %llu bytes (it grew after its last "
           "commit)\n", path, (unsigned long long)report.size_before,
           (unsigned long long)report.size_restored);
  if (report.applied == 0 && report.size_before == 0)
    printf("%s: consistent, nothing to recover\n", path);
  else if (report.applied == 0)
    ;  // only the size: said above
  else if (report.groups == 0)
    printf("%s: rolled back an interrupted commit (%llu lines restored, %llu torn entries "
           "ignored)\n", path, (unsigned long long)report.applied, (unsigned long long)report.torn);
  else
    printf("%s: replayed %llu committed groups (%llu lines) into the file\n", path,
           (unsigned long long)report.groups, (unsigned long long)report.applied);
  return 0;
}

int cmd_check(const char *path) {
  famsync::LogReport r;
  if (int rc = famsync::inspect_log(path, &r)) return error("check", rc);
  if (!r.log_exists) {
    printf("%s: consistent (no log)\n", path);
    return 0;
  }
  // Format 3 publishes the live word after its entries are durable: one that does not verify
  // was damaged afterwards (recovery refuses it).
  if (r.torn_live != 0 && !r.log.legacy && !r.log.old_format()) {
    printf("%s: DAMAGED: %llu of the interrupted commit's %llu log entries do not verify; "
           "recovery cannot restore the file from this log\n", path,
           (unsigned long long)r.torn_live, (unsigned long long)r.log.live());
    return kExitError;
  }
  if (r.pending == 0 && !r.size_pending()) {
    printf("%s: consistent\n", path);
    return 0;
  }
  if (r.log.foreign) {
    printf("%s: DAMAGED: its log %s names inode %llu (this file is %llu) and holds %llu live "
           "entries\n", path, r.log_path.c_str(), (unsigned long long)r.log.fixed.data_ino,
           (unsigned long long)r.data_ino, (unsigned long long)r.pending);
    return kExitError;
  }
  if (r.out_of_range != 0) {
    printf("%s: DAMAGED: %llu live log entries point past the end of the file (truncated?)\n",
           path, (unsigned long long)r.out_of_range);
    return kExitError;
  }
  if (r.pending == 0)
    printf("%s: NEEDS RECOVERY: the file grew to %llu bytes after its last commit (committed "
           "size %llu); run `famsync recover %s`\n", path, (unsigned long long)r.data_size,
           (unsigned long long)r.committed_size, path);
  else if (r.log.protocol() == famsync::LogProtocol::undo)
    printf("%s: NEEDS RECOVERY: a commit was interrupted (%llu live entries); run `famsync "
           "recover %s`\n", path, (unsigned long long)r.pending, path);
  else
    printf("%s: NEEDS RECOVERY: %llu committed groups are not yet in the file (the process "
           "stopped without closing it); run `famsync recover %s`\n", path,
           (unsigned long long)r.redo_groups, path);
  return kExitNeedsRecovery;
}

int cmd_info(const char *path) {
  famsync::LogReport r;
  if (int rc = famsync::inspect_log(path, &r)) return error("info", rc);
  printf("data file:      %s\n", path);
  printf("  size:         %llu bytes (%llu lines)\n", (unsigned long long)r.data_size,
         (unsigned long long)((r.data_size + 63) / 64));
  printf("  inode:        %llu\n", (unsigned long long)r.data_ino);
  if (!r.log_exists) {
    printf("log:            none%s%s%s\n", r.log_path.empty() ? "" : " (would be ",
           r.log_path.c_str(), r.log_path.empty() ? "" : ")");
    printf("  (the file is in its committed state: it was closed cleanly%s)\n",
           r.has_identity ? "" : ", or was never mapped with famsync");
    return 0;
  }
  printf("log:            %s\n", r.log_path.c_str());
  const auto &h = r.log.fixed;
  time_t created = static_cast<time_t>(h.created_unix_ns / 1000000000ull);
  char when[64];
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
  printf("  format:       version %u, %u-byte slots, %s protocol\n", h.version, h.entry_size,
         r.log.protocol() == famsync::LogProtocol::undo ? "undo" : "redo");
  printf("  size:         %llu bytes (capacity %llu slots)\n", (unsigned long long)r.log.size,
         (unsigned long long)r.log.capacity());
  printf("  created:      %s\n", when);
  printf("  belongs to:   inode %llu%s\n", (unsigned long long)h.data_ino,
         r.log.foreign ? "  (MISMATCH: not this file)" : "");
  printf("  generation:   %llu\n", (unsigned long long)r.log.dynamic.generation);
  if (r.log.protocol() == famsync::LogProtocol::undo)
    printf("  live entries: %llu (%llu valid, %llu torn)\n",
           (unsigned long long)r.log.live(), (unsigned long long)r.valid_live,
           (unsigned long long)r.torn_live);
  else
    printf("  redo groups:  %llu (%llu lines) since the last checkpoint\n",
           (unsigned long long)r.redo_groups, (unsigned long long)r.pending);
  if (r.size_recorded)
    printf("  committed size: %llu bytes%s\n", (unsigned long long)r.committed_size,
           r.size_pending() ? "  (the file is longer: recovery cuts it back)" : "");
  else
    printf("  committed size: not recorded (closed cleanly, or a log of an older version): "
           "recovery leaves the size alone\n");
  printf("  state:        %s\n", r.pending == 0 && !r.size_pending() ? "clean" : "needs recovery");
  return 0;
}

}  // namespace

int cmd_gc(const char *dir) {
  famsync::GcReport r;
  if (int rc = famsync::collect_stale_logs(dir, &r)) return error("gc", rc);
  for (const std::string &note : r.notes) printf("%s\n", note.c_str());
  printf("%s: %llu logs removed, %llu in use, %llu holding a commit to recover, %llu skipped\n",
         dir, (unsigned long long)r.removed, (unsigned long long)r.in_use,
         (unsigned long long)r.pending, (unsigned long long)r.skipped);
  return r.pending != 0 ? kExitNeedsRecovery : 0;
}

// ---- famsync run ----------------------------------------------------------------------------

bool is_file(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The preload library: $FAMSYNC_PRELOAD_LIB, next to this binary (build tree), in ../LIBDIR
// relative to it (an install tree moved elsewhere), or where it was installed.
std::string find_preload_library() {
  if (const char *e = getenv("FAMSYNC_PRELOAD_LIB"); e != nullptr && *e != '\0') return e;
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string dir(exe);
    dir.resize(dir.rfind('/'));
    for (const std::string &c : {dir + "/libfamsync-preload.so",
                                 dir + "/../" FAMSYNC_INSTALL_LIBDIR "/libfamsync-preload.so"})
      if (is_file(c)) return c;
  }
  return FAMSYNC_PRELOAD_INSTALLED;
}

// CMD as execvp would find it ("" if nowhere).
std::string resolve_command(const char *cmd) {
  if (strchr(cmd, '/') != nullptr) return cmd;
  const char *path = getenv("PATH");
  std::string list = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string dir = list.substr(start, end - start);
    std::string c = (dir.empty() ? std::string(".") : dir) + "/" + cmd;
    if (is_file(c) && access(c.c_str(), X_OK) == 0) return c;
    start = end + 1;
  }
  return {};
}

// Why LD_PRELOAD cannot reach PATH's program, or nullptr (a script: its interpreter decides).
const char *unpreloadable_reason(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return nullptr;  // execvp reports it
  if (st.st_mode & (S_ISUID | S_ISGID))
    return "it is setuid/setgid: the dynamic loader ignores LD_PRELOAD for such programs";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  Elf64_Ehdr eh;
  const char *why = nullptr;
  if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0) {
    if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
      why = "it is not a 64-bit ELF program (the preload library is 64-bit)";
    } else {
      bool interp = false;
      for (int i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
            (ssize_t)sizeof ph)
          break;
        if (ph.p_type == PT_INTERP) interp = true;
      }
      if (!interp)
        why = "it is statically linked (no dynamic loader, so LD_PRELOAD is never read); rebuild "
              "it with famsync-cc, or link it dynamically";
    }
  }
  close(fd);
  return why;
}

int cmd_run(int argc, char **argv, int first) {
  if (first < argc && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    fprintf(stderr, "famsync run: no command given (usage: famsync run -- CMD [ARGS...])\n");
    return kExitUsage;
  }
  std::string lib = find_preload_library();
  if (!is_file(lib)) {
    fprintf(stderr, "famsync run: the preload library %s is missing (set FAMSYNC_PRELOAD_LIB)\n",
            lib.c_str());
    return kExitError;
  }
  std::string prog = resolve_command(argv[first]);
  if (prog.empty()) {
    fprintf(stderr, "famsync run: %s: command not found\n", argv[first]);
    return 127;
  }
  if (const char *why = unpreloadable_reason(prog)) {
    fprintf(stderr, "famsync run: cannot preload into %s: %s. Its msync would NOT be "
            "failure-atomic; not running it.\n", prog.c_str(), why);
    return kExitError;
  }
  std::string preload = lib;
  if (const char *old = getenv("LD_PRELOAD"); old != nullptr && *old != '\0')
    preload += std::string(":") + old;
  setenv("LD_PRELOAD", preload.c_str(), 1);
  execv(prog.c_str(), argv + first);
  fprintf(stderr, "famsync run: cannot execute %s: %s\n", prog.c_str(), strerror(errno));
  return 126;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    usage();
    return 0;
  }
  if (cmd == "recover") {
    bool force = false;
    int i = 2;
    if (i < argc && strcmp(argv[i], "--force-identity") == 0) force = true, ++i;
    if (i + 1 != argc) return usage();
    return cmd_recover(argv[i], force);
  }
  if (cmd == "run") return cmd_run(argc, argv, 2);
  if (argc != 3) return usage();
  if (cmd == "check") return cmd_check(argv[2]);
  if (cmd == "info") return cmd_info(argv[2]);
  if (cmd == "gc") return cmd_gc(argv[2]);
  fprintf(stderr, "famsync: unknown command '%s'\n", argv[1]);
  return usage();
}
