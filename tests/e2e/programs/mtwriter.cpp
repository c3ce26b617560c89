// mtwriter.cpp — several std::threads writing one mapped file between msync()s.
//
// An ordinary C++20 mmap + msync program (no famsync in the source). Each batch starts four
// threads and joins them before the msync. Each thread rewrites lines it owns (whole-line
// memcpy, byte stores or 8-byte stores, chosen at random), writes its own 16-byte slice of every
// line in a band of shared cache lines (four threads storing into the same lines at once), and
// adds to shared counters with std::atomic_ref::fetch_add. What each thread writes depends only on
// (seed, batch, thread), and the shared counters only receive commutative additions, so the
// state after a batch does not depend on the interleaving.
//
// Invariant at every batch boundary (what `check` validates): every owned line's last word is a
// hash of its first 56 bytes and its index; in every shared line each thread's slice is a pair
// (v, f(v, line, thread)); the shared counters sum to the header's total, which is updated only
// after the threads are joined.
//
// Command line and oracle: see e2e_common.h.
#include "e2e_common.h"

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#define E2E_NAME "mtwriter"
#define E2E_SIZE 65536u

namespace {

constexpr int kThreads = 4;
constexpr size_t kLine = 64;
constexpr size_t kCounters = 64;         // bytes [64, 576)
constexpr size_t kSharedFirst = 576 / kLine + 1;   // line 10
constexpr size_t kSharedLines = 64;      // lines [10, 74)
constexpr size_t kOwnedFirst = kSharedFirst + kSharedLines;
constexpr size_t kLines = E2E_SIZE / kLine;

struct Head {
  e2e_header h;
  uint64_t total;  // sum of the shared counters, updated after the join
  uint64_t pad[3];
};
static_assert(sizeof(Head) == 64);

uint64_t *counters(void *base) { return reinterpret_cast<uint64_t *>(static_cast<char *>(base) + 64); }
unsigned char *line_at(void *base, size_t line) { return static_cast<unsigned char *>(base) + line * kLine; }

uint64_t line_hash(const unsigned char *l, size_t line) {
  uint64_t h = 0x9ae16a3b2f90404full ^ line;
  for (size_t i = 0; i < 56; i += 8) {
    uint64_t w;
    memcpy(&w, l + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
  }
  return h;
}

uint64_t slice_tag(uint64_t v, size_t line, int t) { return v * 0x2545f4914f6cdd1dull ^ line * 131 ^ t; }

// Thread T's share of batch N: its owned lines, its slices of the shared lines, counter adds.
// Returns what it added to the counters.
uint64_t thread_work(void *base, uint64_t rng, int t) {
  uint64_t added = 0;
  int writes = 20 + static_cast<int>(e2e_mix(&rng) % 40);
  for (int k = 0; k < writes; ++k) {
    size_t owned = (kLines - kOwnedFirst) / kThreads;
    size_t line = kOwnedFirst + (e2e_mix(&rng) % owned) * kThreads + t;  // line % kThreads fixed
    unsigned char *l = line_at(base, line);
    uint64_t how = e2e_mix(&rng) % 3;
    if (how == 0) {  // whole line built locally, then one memcpy
      unsigned char tmp[kLine];
      for (size_t i = 0; i < 56; i += 8) {
        uint64_t w = e2e_mix(&rng);
        memcpy(tmp + i, &w, 8);
      }
      uint64_t h = line_hash(tmp, line);
      memcpy(tmp + 56, &h, 8);
      memcpy(l, tmp, kLine);
    } else if (how == 1) {  // a few byte stores
      for (int i = 0; i < 5; ++i) l[e2e_mix(&rng) % 56] = static_cast<unsigned char>(e2e_mix(&rng));
      uint64_t h = line_hash(l, line);
      memcpy(l + 56, &h, 8);
    } else {  // 8-byte stores
      auto *w = reinterpret_cast<uint64_t *>(l);
      w[e2e_mix(&rng) % 7] += e2e_mix(&rng);
      w[7] = line_hash(l, line);
    }
    std::atomic_ref<uint64_t> c(counters(base)[e2e_mix(&rng) % kCounters]);
    uint64_t d = e2e_mix(&rng) % 10000;
    c.fetch_add(d, std::memory_order_relaxed);
    added += d;
  }
  size_t band = 8 + e2e_mix(&rng) % 24;  // slices written in a band of shared lines
  size_t start = e2e_mix(&rng) % kSharedLines;
  for (size_t i = 0; i < band; ++i) {
    size_t line = kSharedFirst + (start + i) % kSharedLines;
    auto *w = reinterpret_cast<uint64_t *>(line_at(base, line)) + 2 * t;
    w[0] = e2e_mix(&rng);
    w[1] = slice_tag(w[0], line, t);
  }
  return added;
}

void e2e_init(void *base, uint64_t seed) {
  auto *hd = static_cast<Head *>(base);
  hd->h.magic = E2E_MAGIC;
  hd->h.seed = seed;
  for (size_t line = kSharedFirst; line < kSharedFirst + kSharedLines; ++line)
    for (int t = 0; t < kThreads; ++t) reinterpret_cast<uint64_t *>(line_at(base, line))[2 * t + 1] = slice_tag(0, line, t);
  for (size_t line = kOwnedFirst; line < kLines; ++line) {
    uint64_t h = line_hash(line_at(base, line), line);
    memcpy(line_at(base, line) + 56, &h, 8);
  }
}

void e2e_batch(void *base, uint64_t n) {
  auto *hd = static_cast<Head *>(base);
  uint64_t rng = e2e_batch_rng(hd->h.seed, n);
  std::vector<uint64_t> added(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    uint64_t seed = e2e_mix(&rng);
    threads.emplace_back([base, seed, t, &added] { added[t] = thread_work(base, seed, t); });
  }
  for (std::thread &th : threads) th.join();
  for (uint64_t a : added) hd->total += a;
  hd->h.count = n;
}

int e2e_check(void *base, char *why) {
  auto *hd = static_cast<Head *>(base);
  uint64_t total = 0;
  for (size_t i = 0; i < kCounters; ++i) total += counters(base)[i];
  if (total != hd->total)
    return sprintf(why, "counters sum to %llu, header says %llu", (unsigned long long)total,
                   (unsigned long long)hd->total), 1;
  for (size_t line = kSharedFirst; line < kSharedFirst + kSharedLines; ++line) {
    const auto *w = reinterpret_cast<const uint64_t *>(line_at(base, line));
    for (int t = 0; t < kThreads; ++t)
      if (w[2 * t + 1] != slice_tag(w[2 * t], line, t))
        return sprintf(why, "shared line %zu: slice of thread %d torn", line, t), 1;
  }
  for (size_t line = kOwnedFirst; line < kLines; ++line) {
    uint64_t h;
    memcpy(&h, line_at(base, line) + 56, 8);
    if (h != line_hash(line_at(base, line), line))
      return sprintf(why, "owned line %zu: hash does not match", line), 1;
  }
  return 0;
}

}  // namespace

#define E2E_DEFINE_MAIN
#include "e2e_common.h"

int main(int argc, char **argv) { return e2e_main(argc, argv); }
