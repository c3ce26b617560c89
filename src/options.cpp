// options.cpp — parses the FAMSYNC_* environment variables (see options.hpp).
#include "options.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/auxv.h>
#include <unistd.h>  // environ

namespace famsync {
namespace {

bool env_flag(const char *name) {
  const char *v = getenv(name);
  return v != nullptr && v[0] != '\0' && strcmp(v, "0") != 0;
}

uint64_t env_u64(const char *name, uint64_t fallback, uint64_t min, uint64_t max) {
  const char *v = getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char *end = nullptr;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno != 0 || *end != '\0' || x < min || x > max) {
    fprintf(stderr, "famsync: ignoring %s=%s (want an integer in [%llu, %llu])\n", name, v,
            (unsigned long long)min, (unsigned long long)max);
    return fallback;
  }
  return x;
}

// In secure-execution mode (setuid/setgid binaries, file capabilities) the environment belongs to
// a less privileged caller: FAMSYNC_LOG_DIR could make a root process write logs where the caller
// chooses, FAMSYNC_CRASH_AT kill it at will. As glibc ignores MALLOC_* there, every option keeps
// its default, and the process says so once.
bool secure_execution() { return getauxval(AT_SECURE) != 0; }

bool any_option_set() {
  for (char **e = environ; e != nullptr && *e != nullptr; ++e)
    if (strncmp(*e, "FAMSYNC_", 8) == 0 || strncmp(*e, "PMEM_IS_PMEM_FORCE=", 19) == 0) return true;
  return false;
}

Options parse() {
  Options o;
  if (secure_execution()) {
    if (any_option_set())
      fprintf(stderr, "famsync: secure-execution mode (setuid/setgid/capabilities): ignoring every "
              "FAMSYNC_* variable\n");
    return o;
  }
  if (const char *b = getenv("FAMSYNC_BACKEND"); b != nullptr && *b != '\0') {
    if (strcmp(b, "pmem") == 0) o.backend = BackendChoice::pmem;
    else if (strcmp(b, "file") == 0) o.backend = BackendChoice::file;
    else if (strcmp(b, "auto") != 0)
      fprintf(stderr, "famsync: ignoring FAMSYNC_BACKEND=%s (want auto, pmem or file)\n", b);
  }
  if (o.backend == BackendChoice::automatic &&
      (env_flag("FAMSYNC_FORCE_PMEM") || env_flag("PMEM_IS_PMEM_FORCE")))
    o.backend = BackendChoice::pmem;
  if (const char *p = getenv("FAMSYNC_PMEM_PROTOCOL"); p != nullptr && *p != '\0') {
    if (strcmp(p, "undo") == 0) o.pmem_protocol = PmemProtocol::undo;
    else if (strcmp(p, "redo") != 0)
      fprintf(stderr, "famsync: ignoring FAMSYNC_PMEM_PROTOCOL=%s (want redo or undo)\n", p);
  }
  if (const char *d = getenv("FAMSYNC_LOG_DIR")) o.log_dir = d;
  o.log_entries = env_u64("FAMSYNC_LOG_ENTRIES", o.log_entries, 1, 1ull << 32);
  o.window_bytes = env_u64("FAMSYNC_WINDOW_GB", o.window_bytes >> 30, 1, 64 * 1024) << 30;
  if (const char *w = getenv("FAMSYNC_WORKING_SET_MB"); w != nullptr && *w != '\0') {
    char *end = nullptr;
    double mib = strtod(w, &end);  // fractions allowed (tests use a few pages)
    if (*end != '\0' || !(mib >= 1.0 / 256) || mib > double(1ull << 30))
      fprintf(stderr, "famsync: ignoring FAMSYNC_WORKING_SET_MB=%s (want a number of MiB, at least "
              "one page, 0.00390625)\n", w);
    else
      o.working_set_bytes = static_cast<uint64_t>(mib * (1 << 20)) / 4096 * 4096;
  }
  o.print_stats = env_flag("FAMSYNC_STATS");
  o.prefault = env_flag("FAMSYNC_PREFAULT");
  if (const char *e = getenv("FAMSYNC_EXIT_COMMIT"); e != nullptr && strcmp(e, "0") == 0)
    o.exit_commit = false;
  if (const char *m = getenv("FAMSYNC_MUNMAP_COMMIT"); m != nullptr && *m != '\0')
    o.munmap_commit = strcmp(m, "0") != 0;
  if (const char *v = getenv("FAMSYNC_VERIFY"); v != nullptr && *v != '\0' && strcmp(v, "0") != 0) {
    if (strcmp(v, "warn") == 0) o.verify = Options::Verify::warn;
    else if (strcmp(v, "abort") == 0) o.verify = Options::Verify::abort;
    else o.verify = Options::Verify::fail;  // "1", "fail", anything else: the strict choice
  }
  if (const char *c = getenv("FAMSYNC_CRASH_AT")) o.crash_at = c;
  if (const char *t = getenv("FAMSYNC_PATHS")) o.track_paths = t;
  if (const char *x = getenv("FAMSYNC_EXCLUDE")) o.exclude_paths = x;
  o.disable = env_flag("FAMSYNC_DISABLE");
  if (const char *w = getenv("FAMSYNC_FILE_WATCH"); w != nullptr && *w != '\0') {
    if (strcmp(w, "0") == 0) o.file_watch = o.file_watch_ring = false;
    else if (strcmp(w, "read") == 0) o.file_watch_ring = false;
    else if (strcmp(w, "1") != 0)
      fprintf(stderr, "famsync: ignoring FAMSYNC_FILE_WATCH=%s (want 0, read or 1)\n", w);
  }
  return o;
}

}  // namespace

const Options &options() {
  static const Options parsed = parse();  // thread-safe one-time initialisation
  return parsed;
}

namespace {
std::atomic<int> g_pmem_protocol_override{-1};  // -1: none
}  // namespace

PmemProtocol pmem_protocol() {
  int forced = g_pmem_protocol_override.load(std::memory_order_relaxed);
  return forced < 0 ? options().pmem_protocol : static_cast<PmemProtocol>(forced);
}

void set_pmem_protocol_for_testing(PmemProtocol protocol) {
  g_pmem_protocol_override.store(static_cast<int>(protocol), std::memory_order_relaxed);
}

void reset_pmem_protocol_for_testing() {
  g_pmem_protocol_override.store(-1, std::memory_order_relaxed);
}

}  // namespace famsync
