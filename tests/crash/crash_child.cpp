// crash_child.cpp — workloads that tests run in a separate process and kill (SIGKILL, or
// FAMSYNC_CRASH_AT at a named protocol step). The backend comes from FAMSYNC_BACKEND.
//
//   crash_child rounds PATH SEED N    map PATH, then N times: apply round r (workload.hpp),
//                                     fams_msync, print "committed r" (flushed) — a checker
//                                     knows every acknowledged commit. Every 5th round first
//                                     writes noise and rolls it back.
//   crash_child resize PATH SEED N    like rounds, but round r first sets the file's size with
//                                     fams_resize (workload.hpp, resize_round_size); every 5th
//                                     round first grows the file, writes noise there and rolls
//                                     it back (the size too)
//   crash_child grow-and-die PATH SIZE  map PATH, grow it to SIZE with fams_resize, write the
//                                     last byte, then SIGKILL itself before any commit
//   crash_child poke PATH OFF BYTES   map PATH, write BYTES at OFF, fams_msync
//   crash_child rename-commit OLD NEW  map OLD, fill it with 'A', msync; rename OLD to NEW while
//                                     mapped; write 'B' into every other 64-byte line, msync (the
//                                     log-identity tests crash this commit with FAMSYNC_CRASH_AT)
//   crash_child sweep PATH N PASSES   map PATH (zeros); pass 0 writes the 8-byte word
//                                     sweep_word(page, 0) at every page in order, then passes
//                                     1.. write sweep_word(page, pass) at every page in a
//                                     shuffled order; a commit after every N pages prints
//                                     "committed C" (C from 1); at the end the mapping and then
//                                     the file are verified, and "peak_anon_kb=K budget_kb=B
//                                     given_back_pages=G" is printed (files larger than memory)
//   crash_child occupied-window PATH  occupy the fixed window range first (as ThreadSanitizer's
//                                     layout does), then map PATH, write, msync, unmap
//   crash_child try-map PATH          exit with fams_map's code (EBUSY expected)
//   crash_child recover PATH          fams_recover(PATH)
//   crash_child stale-watch PATH      map PATH; byte 200 = '1' while another thread stores byte
//                                     4000 = 'b' and then waits (neither stores nor commits);
//                                     msync; then byte 200 = '2', '3', '4', an msync after each
//                                     (the late-store watch keeps line 3 across a commit that
//                                     needs no snapshot; tests kill the 4th commit)
//   crash_child untracked PATH        map PATH, write byte 0 WITHOUT announcing it and byte 4000
//                                     with fams_will_write, then msync (verify-mode tests)
//   crash_child threads PATH T        map PATH; T threads each store their own 8-byte word of
//                                     EVERY line (all threads contend on every line), then msync
// Exit status: 0, or the famsync error code (negative codes as 100 + (-code - 30900)).
#include "../workload.hpp"

#include <famsync/abi.h>
#include <famsync/famsync.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <atomic>
#include <string>
#include <semaphore>
#include <thread>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

int exit_code(int rc) { return rc >= 0 ? rc : 100 + (-rc - 30900); }

int die(const char *what, int rc) {
  fprintf(stderr, "crash_child: %s: %s (%s)\n", what, fams_strerror(rc), fams_last_error_message());
  return exit_code(rc);
}

void announce(void *p, size_t n) {
  if (int rc = fams_will_write(p, n)) {
    die("fams_will_write", rc);
    abort();
  }
}

// `rounds` and, with RESIZE, `resize` (see the banner).
int rounds(const char *path, uint64_t seed, uint64_t n, bool resize) {
  fams_region *r = nullptr;
  if (int rc = fams_map(path, 0, &r)) return die("fams_map", rc);
  auto *image = static_cast<uint8_t *>(fams_region_addr(r));
  const size_t max = fams_region_size(r);
  for (uint64_t round = 1; round <= n; ++round) {
    if (round % 5 == 0) {  // noise that must never reach the file (with RESIZE: a growth too)
      if (resize) {
        if (int rc = fams_resize(r, max)) return die("fams_resize (noise)", rc);
      }
      famsync::test::apply_round(image, max, seed ^ 0xdeadbeef, round, announce);
      if (int rc = fams_rollback(r)) return die("fams_rollback", rc);
    }
    size_t size = max;
    if (resize) {
      size = famsync::test::resize_round_size(max, seed, round);
      if (int rc = fams_resize(r, size)) return die("fams_resize", rc);
    }
    famsync::test::apply_round(image, size, seed, round, announce);
    if (int rc = fams_msync(r)) return die("fams_msync", rc);
    printf("committed %llu\n", (unsigned long long)round);
    fflush(stdout);
  }
  if (int rc = fams_unmap(r)) return die("fams_unmap", rc);
  return 0;
}

int threads(const char *path, int nthreads) {
  fams_region *r = nullptr;
  if (int rc = fams_map(path, 0, &r)) return die("fams_map", rc);
  auto *image = static_cast<uint8_t *>(fams_region_addr(r));
  size_t lines = fams_region_size(r) / 64;
  std::vector<std::thread> pool;
  for (int t = 0; t < nthreads; ++t) {
    pool.emplace_back([=] {
      for (size_t line = 0; line < lines; ++line) {
        auto *word = reinterpret_cast<uint64_t *>(image + line * 64 + (t % 8) * 8);
        announce(word, 8);
        std::atomic_ref<uint64_t>(*word).store(0x1111111111111111ull * (t + 1),
                                               std::memory_order_relaxed);
      }
    });
  }
  for (auto &th : pool) th.join();
  if (int rc = fams_msync(r)) return die("fams_msync", rc);
  return exit_code(fams_unmap(r));
}

}  // namespace

uint64_t sweep_word(uint64_t page, uint64_t pass) { return (page + 1) * 0x9e3779b97f4a7c15ull + pass; }

long rss_anon_kb() {
  FILE *f = fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f) != nullptr)
    if (sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

// `sweep` (see the banner). The order of pass p >= 1 is a fixed shuffle (seeded by p), so a checker
// can recompute every page's value after any acknowledged commit.
int sweep(const char *path, uint64_t per_commit, uint64_t passes) {
  fams_region *r = nullptr;
  if (int rc = fams_map(path, 0, &r)) return die("fams_map", rc);
  auto *p = static_cast<char *>(fams_region_addr(r));
  uint64_t pages = fams_region_size(r) / 4096, commits = 0, since = 0;
  long peak = 0;
  std::vector<uint64_t> order(pages);
  for (uint64_t pass = 0; pass < passes; ++pass) {
    for (uint64_t i = 0; i < pages; ++i) order[i] = i;
    uint64_t x = pass * 0x2545f4914f6cdd1dull + 1;
    for (uint64_t i = pages - 1; pass > 0 && i > 0; --i) {  // Fisher-Yates with xorshift
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      std::swap(order[i], order[x % (i + 1)]);
    }
    for (uint64_t i = 0; i < pages; ++i) {
      uint64_t page = order[i], w = sweep_word(page, pass);
      announce(p + page * 4096, 8);
      memcpy(p + page * 4096, &w, 8);
      if (++since == per_commit || (pass + 1 == passes && i + 1 == pages)) {
        if (int rc = fams_msync(r)) return die("fams_msync", rc);
        since = 0;
        printf("committed %llu\n", (unsigned long long)++commits);
        fflush(stdout);
        peak = std::max(peak, rss_anon_kb());
      }
    }
  }
  for (uint64_t page = 0; page < pages; ++page) {
    uint64_t w;
    memcpy(&w, p + page * 4096, 8);
    if (w != sweep_word(page, passes - 1)) {
      fprintf(stderr, "crash_child sweep: page %llu reads wrong through the mapping\n",
              (unsigned long long)page);
      return 3;
    }
  }
  fams_stat_counters st;
  fams_stats(r, &st);
  if (int rc = fams_unmap(r)) return die("fams_unmap", rc);
  FILE *f = fopen(path, "rb");
  if (f == nullptr) return 3;
  for (uint64_t page = 0; page < pages; ++page) {
    uint64_t w = 0;
    if (fseek(f, static_cast<long>(page * 4096), SEEK_SET) != 0 || fread(&w, 8, 1, f) != 1 ||
        w != sweep_word(page, passes - 1)) {
      fprintf(stderr, "crash_child sweep: page %llu is wrong in the file\n", (unsigned long long)page);
      return 3;
    }
  }
  fclose(f);
  const char *mb = getenv("FAMSYNC_WORKING_SET_MB");
  printf("peak_anon_kb=%ld budget_kb=%lld given_back_pages=%llu first_write_pages=%llu\n", peak,
         mb ? (long long)(atof(mb) * 1024) : -1LL, (unsigned long long)st.pages_given_back,
         (unsigned long long)st.first_write_pages);
  return 0;
}

int stale_watch(const char *path) {
  fams_region *r = nullptr;
  if (int rc = fams_map(path, 0, &r)) return die("fams_map", rc);
  char *base = static_cast<char *>(fams_region_addr(r));
  auto write_and_commit = [&](char v) {
    fams_will_write(base + 200, 1);
    base[200] = v;
    return fams_msync(r);
  };
  fams_will_write(base + 200, 1);
  base[200] = '1';
  std::binary_semaphore stored(0);
  std::thread other([&] {
    fams_will_write(base + 4000, 1);
    base[4000] = 'b';
    stored.release();
    for (;;) pause();
  });
  other.detach();
  stored.acquire();
  if (int rc = fams_msync(r)) return die("fams_msync", rc);  // 1: snapshot, watched
  for (char v : {'2', '3', '4'})  // 2: took over from the other thread (watched); 3: no snapshot
    if (int rc = write_and_commit(v)) return die("fams_msync", rc);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "rounds") == 0)
    return rounds(argv[2], strtoull(argv[3], nullptr, 10), strtoull(argv[4], nullptr, 10), false);
  if (argc >= 5 && strcmp(argv[1], "resize") == 0)
    return rounds(argv[2], strtoull(argv[3], nullptr, 10), strtoull(argv[4], nullptr, 10), true);
  if (argc >= 4 && strcmp(argv[1], "grow-and-die") == 0) {
    fams_region *r = nullptr;
    if (int rc = fams_map(argv[2], 0, &r)) return die("fams_map", rc);
    size_t size = strtoull(argv[3], nullptr, 10);
    if (int rc = fams_resize(r, size)) return die("fams_resize", rc);
    auto *p = static_cast<char *>(fams_region_addr(r));
    if (fams_region_of(p + size - 1) == r) {  // inside the working copy (map-time length)
      announce(p + size - 1, 1);
      p[size - 1] = 'G';
    }
    kill(getpid(), SIGKILL);
    return 1;
  }
  if (argc >= 5 && strcmp(argv[1], "poke") == 0) {
    fams_region *r = nullptr;
    if (int rc = fams_map(argv[2], 0, &r)) return die("fams_map", rc);
    size_t off = strtoull(argv[3], nullptr, 10), len = strlen(argv[4]);
    auto *p = static_cast<char *>(fams_region_addr(r)) + off;
    announce(p, len);
    memcpy(p, argv[4], len);
    if (int rc = fams_msync(r)) return die("fams_msync", rc);
    return exit_code(fams_unmap(r));
  }
  if (argc >= 4 && strcmp(argv[1], "rename-commit") == 0) {
    fams_region *r = nullptr;
    if (int rc = fams_map(argv[2], 0, &r)) return die("fams_map", rc);
    auto *p = static_cast<char *>(fams_region_addr(r));
    size_t size = fams_region_size(r);
    announce(p, size);
    memset(p, 'A', size);
    if (int rc = fams_msync(r)) return die("fams_msync", rc);
    if (rename(argv[2], argv[3]) != 0) return die("rename", errno);
    for (size_t off = 0; off < size; off += 128) {
      announce(p + off, 64);
      memset(p + off, 'B', 64);
    }
    if (int rc = fams_msync(r)) return die("fams_msync", rc);
    return exit_code(fams_unmap(r));
  }
  if (argc >= 5 && strcmp(argv[1], "sweep") == 0)
    return sweep(argv[2], strtoull(argv[3], nullptr, 10), strtoull(argv[4], nullptr, 10));
  if (argc >= 3 && strcmp(argv[1], "occupied-window") == 0) {
    void *fixed = reinterpret_cast<void *>(FAMS_WINDOW_FIXED_BASE);
    if (mmap(fixed, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != fixed)
      return die("occupying the window range", errno);
    fams_region *r = nullptr;
    if (int rc = fams_map(argv[2], 0, &r)) return die("fams_map", rc);
    auto *p = static_cast<char *>(fams_region_addr(r));
    announce(p, 5);
    memcpy(p, "float", 5);
    if (int rc = fams_msync(r)) return die("fams_msync", rc);
    return exit_code(fams_unmap(r));
  }
  if (argc >= 3 && strcmp(argv[1], "try-map") == 0) {
    fams_region *r = nullptr;
    int rc = fams_map(argv[2], 0, &r);
    if (rc == 0) fams_unmap(r);
    return exit_code(rc);
  }
  if (argc >= 3 && strcmp(argv[1], "recover") == 0) {
    int rc = fams_recover(argv[2]);
    return rc == 0 ? 0 : die("fams_recover", rc);
  }
  if (argc >= 3 && strcmp(argv[1], "untracked") == 0) {
    fams_region *r = nullptr;
    if (int rc = fams_map(argv[2], 0, &r)) return die("fams_map", rc);
    auto *p = static_cast<char *>(fams_region_addr(r));
    p[0] = 'U';  // what an uninstrumented library would do
    announce(p + 4000, 1);
    p[4000] = 'T';
    if (int rc = fams_msync(r)) return die("fams_msync", rc);
    return exit_code(fams_unmap(r));
  }
  if (argc >= 4 && strcmp(argv[1], "threads") == 0) return threads(argv[2], atoi(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "stale-watch") == 0) return stale_watch(argv[2]);
  fprintf(stderr, "usage: crash_child rounds|resize PATH SEED N | poke PATH OFF BYTES | "
                  "try-map PATH | recover PATH | untracked PATH | threads PATH T\n");
  return 2;
}
