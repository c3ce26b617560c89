/* pmdk_maps.c — PMDK's own example maps (btree_map, hashmap_tx, from Debian's libpmemobj-dev
 * examples, compiled in place at build time) timed the way the harness times its b-tree: N random
 * distinct keys inserted, looked up, removed, one transaction per write (map_insert/map_remove
 * run their own transaction). An external reference for the harness's PMDK numbers.
 * Usage: pmdk_maps POOL_DIR [N]   (set PMEM_IS_PMEM_FORCE=1 on /dev/shm, as the harness does) */
#include <ex_common.h>
#include <libpmemobj.h>
#include <map.h>
#include <map_btree.h>
#include <map_hashmap_tx.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

POBJ_LAYOUT_BEGIN(famsync_ref);
POBJ_LAYOUT_ROOT(famsync_ref, struct root);
POBJ_LAYOUT_END(famsync_ref);
struct root {
  TOID(struct map) map;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x | 1;
}

static int run(const char *dir, const char *name, const struct map_ops *ops, uint64_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/pmdk_maps.%s", dir, name);
  unlink(path);
  PMEMobjpool *pop = pmemobj_create(path, POBJ_LAYOUT_NAME(famsync_ref), 256u << 20, 0644);
  if (pop == NULL) {
    fprintf(stderr, "pmemobj_create %s: %s\n", path, pmemobj_errormsg());
    return 1;
  }
  TOID(struct root) root = POBJ_ROOT(pop, struct root);
  struct map_ctx *ctx = map_ctx_init(ops, pop);
  if (ctx == NULL || map_create(ctx, &D_RW(root)->map, NULL) != 0) {
    fprintf(stderr, "map_create(%s) failed\n", name);
    return 1;
  }
  TOID(struct map) map = D_RO(root)->map;
  double t0 = now_s();
  for (uint64_t i = 0; i < n; ++i) map_insert(ctx, map, mix(i), OID_NULL);
  double t1 = now_s();
  uint64_t found = 0;
  for (uint64_t i = 0; i < n; ++i) found += map_lookup(ctx, map, mix(i)) ? 1 : 0;
  double t2 = now_s();
  for (uint64_t i = 0; i < n; ++i) map_remove(ctx, map, mix(i));
  double t3 = now_s();
  printf("pmdk %-10s N=%llu insert %.0f ops/s, lookup %.0f ops/s, remove %.0f ops/s%s\n", name,
         (unsigned long long)n, n / (t1 - t0), n / (t2 - t1), n / (t3 - t2),
         found == n ? "" : "  (LOOKUPS MISSED KEYS)");
  map_ctx_free(ctx);
  pmemobj_close(pop);
  unlink(path);
  return found == n ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pmdk_maps POOL_DIR [N]\n");
    return 2;
  }
  uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 50000;
  return run(argv[1], "btree_map", MAP_BTREE, n) | run(argv[1], "hashmap_tx", MAP_HASHMAP_TX, n);
}
