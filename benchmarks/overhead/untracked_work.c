/* untracked_work.c — store-heavy code that never touches a tracked mapping, to measure what the
 * famsync pass costs code that does not use it. Built twice from this one file (plain clang and
 * famsync-cc, same flags); overhead.sh runs both, interleaved, and reports medians and ratios.
 *
 * Three kernels on heap memory: an open-addressing hash table (scattered 8-byte stores), an
 * in-place merge-sort pass (sequential stores), and a struct-copying loop (memcpy of 40 bytes).
 * Each kernel is a noinline function that receives its buffers as arguments, so the pass cannot
 * see that they come from malloc and must keep every inline window check: the worst case for
 * code that never touches a mapping (callers that visibly own heap memory get no checks).
 * Usage: untracked_work ROUNDS  -> prints "ns_per_store <x>" and a checksum (so nothing is
 * optimised away). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TABLE (1u << 20)

struct rec {
  uint64_t key, a, b, c, d;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

__attribute__((noinline)) static void hash_inserts(uint64_t *table, int r) {
  for (uint64_t i = 0; i < TABLE / 2; ++i) {
    uint64_t k = mix(i + (uint64_t)r * TABLE) | 1, h = k & (TABLE - 1);
    while (table[h] != 0 && table[h] != k) h = (h + 1) & (TABLE - 1);
    table[h] = k;
  }
}

__attribute__((noinline)) static void fill(uint64_t *a, int r) {
  for (uint64_t i = 0; i < TABLE; ++i) a[i] = mix(i ^ (uint64_t)r);
}

__attribute__((noinline)) static void merge_pass(const uint64_t *a, uint64_t *b, uint64_t w) {
  for (uint64_t lo = 0; lo < TABLE; lo += 2 * w) {
    uint64_t i = lo, j = lo + w, k = lo, mid = lo + w, hi = lo + 2 * w;
    while (i < mid && j < hi) b[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < mid) b[k++] = a[i++];
    while (j < hi) b[k++] = a[j++];
  }
}

__attribute__((noinline)) static void copy_structs(struct rec *recs) {
  for (int pass = 0; pass < 64; ++pass)
    for (int i = 1; i < 4096; ++i) {
      struct rec tmp = recs[(i * 7 + pass) & 4095];
      tmp.key += (uint64_t)i;
      memcpy(&recs[i], &tmp, sizeof tmp);
    }
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 5;
  uint64_t *table = calloc(TABLE, sizeof *table);
  uint64_t *a = malloc(TABLE * sizeof *a), *b = malloc(TABLE * sizeof *b);
  struct rec *recs = calloc(4096, sizeof *recs);
  if (!table || !a || !b || !recs) return 1;
  uint64_t stores = 0, sum = 0;
  uint64_t t0 = now_ns();
  for (int r = 0; r < rounds; ++r) {
    hash_inserts(table, r);
    stores += TABLE / 2;
    fill(a, r);
    stores += TABLE;
    for (uint64_t w = 1; w < TABLE; w *= 2) {
      merge_pass(a, b, w);
      uint64_t *t = a;
      a = b;
      b = t;
      stores += TABLE;
    }
    copy_structs(recs);
    stores += 64 * 4095 * 5;
    sum += a[r] + table[r] + recs[r].key;
    memset(table, 0, TABLE * sizeof *table);
  }
  uint64_t t1 = now_ns();
  printf("ns_per_store %.4f checksum %llu\n", (double)(t1 - t0) / (double)stores,
         (unsigned long long)sum);
  return 0;
}
