// sparse_touch.cpp — cost grows with what is touched, not with the file (issue 15 item 3).
//
// Maps a sparse file of SIZE_GIB with fams_map, writes one 8-byte word into TOUCH distinct
// pages picked at random (fixed, printed seed), commits every K writes, and prints at map, after
// the writes and after unmap: wall time, RssAnon, VmSize, the log file's size and allocated
// bytes. The file is then read back with pread and every written word checked (exit 1 on a
// mismatch). Used by sparse_touch_test.sh (two file sizes, same touched pages) and by hand for
// the large-scale numbers in benchmarks/RESULTS.md.
// Usage: sparse_touch FILE SIZE_GIB TOUCH K file|pmem|plain [SEED]
// SPARSE_TOUCH_READ_FIRST=1: read each word before writing it (read-modify-write).
// SPARSE_TOUCH_MADV_RANDOM=1: madvise(MADV_RANDOM) the mapping (no fault readahead).
#include <famsync/famsync.h>

#include "../test_util.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t status_kb(const char *key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  size_t n = strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0 && line[n] == ':')
      return std::strtoull(line.c_str() + n + 1, nullptr, 10);
  return 0;
}

struct LogSize {
  uint64_t bytes = 0, allocated = 0;
};
LogSize log_size(const std::string &data) {
  LogSize s;
  struct stat st;
  std::string log = famsync::test::log_path_of(data);
  if (!log.empty() && stat(log.c_str(), &st) == 0) {
    s.bytes = static_cast<uint64_t>(st.st_size);
    s.allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return s;
}

// SPARSE_TOUCH_SMAPS=1: which mappings hold the anonymous memory (over 512 kB each).
void print_anon_mappings() {
  if (getenv("SPARSE_TOUCH_SMAPS") == nullptr) return;
  std::ifstream in("/proc/self/smaps");
  std::string line, head;
  while (std::getline(in, line)) {
    if (!line.empty() && isxdigit(static_cast<unsigned char>(line[0])) &&
        line.find('-') != std::string::npos && line.find(':') > line.find(' '))
      head = line;
    else if (line.compare(0, 10, "Anonymous:") == 0 &&
             std::strtoull(line.c_str() + 10, nullptr, 10) > 512)
      printf("  %s | %s\n", head.c_str(), line.c_str());
  }
}

void report(const char *phase, const std::string &path, uint64_t ns) {
  LogSize l = log_size(path);
  printf("%s: ms=%.3f rss_anon_kb=%" PRIu64 " vm_pte_kb=%" PRIu64 " vm_size_mb=%" PRIu64
         " log_bytes=%" PRIu64 " log_allocated=%" PRIu64 "\n",
         phase, ns / 1e6, status_kb("RssAnon"), status_kb("VmPTE"), status_kb("VmSize") >> 10,
         l.bytes, l.allocated);
  print_anon_mappings();
}

long minor_faults() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

uint64_t word_of(uint64_t page, uint64_t seed) { return (page + 1) * 0x9e3779b97f4a7c15ull ^ seed; }

// The same updates with plain mmap(MAP_SHARED) + msync(MS_SYNC): the kernel's own cost.
int plain_msync(const std::string &path, uint64_t size, const std::vector<uint64_t> &order,
                uint64_t k, uint64_t seed, bool read_first) {
  uint64_t t0 = now_ns();
  int fd = open(path.c_str(), O_RDWR);
  char *base = static_cast<char *>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (fd < 0 || base == MAP_FAILED) return 3;
  if (getenv("SPARSE_TOUCH_MADV_RANDOM") != nullptr) madvise(base, size, MADV_RANDOM);
  report("map", path, now_ns() - t0);
  uint64_t write_ns = 0, commit_ns = 0, commits = 0, peak_anon = 0;
  for (uint64_t i = 0; i < order.size(); ++i) {
    uint64_t page = order[i], w = word_of(page, seed);
    uint64_t off = page * 4096 + (w % 512) * 8;
    uint64_t t = now_ns();
    if (read_first) *static_cast<volatile char *>(base + off);
    memcpy(base + off, &w, 8);
    write_ns += now_ns() - t;
    if ((i + 1) % k == 0 || i + 1 == order.size()) {
      t = now_ns();
      if (msync(base, size, MS_SYNC) != 0) return 3;
      commit_ns += now_ns() - t;
      ++commits;
      peak_anon = std::max(peak_anon, status_kb("RssAnon"));
    }
  }
  report("updated", path, write_ns + commit_ns);
  printf("per_update_us=%.3f per_commit_ms=%.3f commits=%" PRIu64 " peak_rss_anon_kb=%" PRIu64 "\n",
         write_ns / 1e3 / order.size(), commit_ns / 1e6 / commits, commits, peak_anon);
  munmap(base, size);
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s FILE SIZE_GIB TOUCH K file|pmem [SEED]\n", argv[0]);
    return 2;
  }
  std::string path = argv[1];
  uint64_t size = std::strtoull(argv[2], nullptr, 10) << 30;
  uint64_t touch = std::strtoull(argv[3], nullptr, 10), k = std::strtoull(argv[4], nullptr, 10);
  bool pmem = strcmp(argv[5], "pmem") == 0;  // "plain": mmap + msync, no famsync
  uint64_t seed = argc > 6 ? std::strtoull(argv[6], nullptr, 10) : 15;
  uint64_t pages = size / 4096;
  if (touch > pages || k == 0) return 2;
  printf("seed=%" PRIu64 " size_gib=%" PRIu64 " touch=%" PRIu64 " k=%" PRIu64 " backend=%s\n",
         seed, size >> 30, touch, k, argv[5]);

  unlink(path.c_str());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) {
    perror(path.c_str());
    return 77;  // no sparse file of that size here: the test is skipped
  }
  close(fd);
  // The pages, distinct, in random order (Floyd's sampling then a shuffle).
  std::mt19937_64 rng(seed);
  std::unordered_set<uint64_t> chosen;
  std::vector<uint64_t> order;
  order.reserve(touch);
  for (uint64_t j = pages - touch; j < pages; ++j) {
    uint64_t t = std::uniform_int_distribution<uint64_t>(0, j)(rng);
    uint64_t pick = chosen.insert(t).second ? t : (chosen.insert(j), j);
    order.push_back(pick);
  }
  std::shuffle(order.begin(), order.end(), rng);
  std::unordered_set<uint64_t>().swap(chosen);
  report("before", path, 0);

  uint64_t t0 = now_ns();
  bool read_first = getenv("SPARSE_TOUCH_READ_FIRST") != nullptr;  // read-modify-write pattern
  if (strcmp(argv[5], "plain") == 0) return plain_msync(path, size, order, k, seed, read_first);
  fams_region *r = nullptr;
  if (int rc = fams_map(path.c_str(), pmem ? FAMS_MAP_FORCE_PMEM : FAMS_MAP_FORCE_FILE, &r)) {
    fprintf(stderr, "fams_map(%s, %" PRIu64 " GiB): %s: %s\n", path.c_str(), size >> 30,
            fams_strerror(rc), fams_last_error_message());
    return 3;
  }
  report("map", path, now_ns() - t0);
  char *base = static_cast<char *>(fams_region_addr(r));
  if (getenv("SPARSE_TOUCH_MADV_RANDOM") != nullptr) madvise(base, size, MADV_RANDOM);
  uint64_t write_ns = 0, commit_ns = 0, commits = 0, peak_anon = 0;
  long faults0 = minor_faults();
  for (uint64_t i = 0; i < touch; ++i) {
    uint64_t page = order[i];
    uint64_t off = page * 4096 + (word_of(page, seed) % 512) * 8;
    uint64_t t = now_ns();
    if (read_first) *static_cast<volatile char *>(base + off);
    fams_will_write(base + off, 8);
    uint64_t w = word_of(page, seed);
    memcpy(base + off, &w, 8);
    write_ns += now_ns() - t;
    if ((i + 1) % k == 0 || i + 1 == touch) {
      t = now_ns();
      if (int rc = fams_msync(r)) {
        fprintf(stderr, "fams_msync: %s: %s\n", fams_strerror(rc), fams_last_error_message());
        return 3;
      }
      commit_ns += now_ns() - t;
      ++commits;
      peak_anon = std::max(peak_anon, status_kb("RssAnon"));
    }
  }
  fams_stat_counters st;
  fams_stats(r, &st);
  double faults = static_cast<double>(minor_faults() - faults0) / touch;
  report("updated", path, write_ns + commit_ns);
  printf("per_update_us=%.3f faults_per_update=%.2f per_commit_ms=%.3f commits=%" PRIu64
         " peak_rss_anon_kb=%" PRIu64 " first_write_pages=%" PRIu64 " working_set_kb=%" PRIu64
         " given_back=%" PRIu64 " log_grows=%" PRIu64 " checkpoints=%" PRIu64 "\n",
         write_ns / 1e3 / touch, faults, commit_ns / 1e6 / commits, commits, peak_anon,
         st.first_write_pages, st.working_set_bytes >> 10, st.pages_given_back, st.log_grows,
         st.checkpoints);
  t0 = now_ns();
  if (int rc = fams_unmap(r)) {
    fprintf(stderr, "fams_unmap: %s: %s\n", fams_strerror(rc), fams_last_error_message());
    return 3;
  }
  report("unmapped", path, now_ns() - t0);

  fd = open(path.c_str(), O_RDONLY);
  uint64_t bad = 0;
  for (uint64_t page : order) {
    uint64_t w = 0, off = page * 4096 + (word_of(page, seed) % 512) * 8;
    if (pread(fd, &w, 8, static_cast<off_t>(off)) != 8 || w != word_of(page, seed)) ++bad;
  }
  close(fd);
  printf("verified=%" PRIu64 " mismatches=%" PRIu64 " (seed %" PRIu64 ")\n", touch, bad, seed);
  return bad == 0 ? 0 : 1;
}
