/* atomics.c — C11 atomics on a mapped file: counters, CAS-versioned slots, Treiber stacks.
 *
 * An ordinary mmap + msync program (no famsync in the source). Each batch runs two pthreads that
 * hammer shared counters with atomic_fetch_add/atomic_fetch_sub and version slots with
 * compare-exchange loops (all commutative, so the result does not depend on the interleaving),
 * joins them, then moves nodes between two lock-free (Treiber) stacks with
 * atomic_compare_exchange_weak, flips flag words with atomic_fetch_or/and/xor and resets counters
 * with atomic_exchange. Every write to the mapping in the batch is an atomic RMW or cmpxchg
 * except the header update at the end.
 *
 * Invariant at every batch boundary (what `check` validates): the counters sum to the header's
 * total, the slots' values sum to the header's slot sum and their versions to the number of
 * compare-exchange increments made (150 per thread per batch); both stacks are well-formed, disjoint, and together hold every node once; the used stack's payloads
 * sum to the header's payload sum. The header is updated only at batch end.
 *
 * Command line and oracle: see e2e_common.h.
 */
#include "e2e_common.h"

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>

#define E2E_NAME "atomics"
#define E2E_SIZE 16384u

#define NCTR 512
#define NSLOT 256
#define NFLAG 256
#define NNODE 480
#define NTHREADS 2
#define WORKER_OPS 150

struct head {
  struct e2e_header h;
  uint64_t total;        /* sum of ctr[] (mod 2^64), updated at batch end */
  uint64_t slot_sum;     /* sum of the slots' values, updated at batch end */
  uint64_t payload_sum;  /* sum of the used stack's payloads, updated at batch end */
  _Atomic uint64_t used_top, free_top; /* node offset | (ABA tag << 32); offset 0 = empty */
};

struct node {
  _Atomic uint64_t next; /* same encoding as the tops, tag 0 */
  uint64_t payload;
};

struct layout {
  struct head head;
  _Atomic uint64_t ctr[NCTR];
  _Atomic uint64_t slot[NSLOT]; /* (version << 32) | value */
  _Atomic uint32_t flag[NFLAG];
  struct node node[NNODE];
};

_Static_assert(sizeof(struct layout) <= E2E_SIZE, "layout exceeds the file");
_Static_assert(sizeof(struct head) == 72, "head layout");

static uint32_t node_off(int i) { return (uint32_t)(offsetof(struct layout, node) + i * sizeof(struct node)); }

static struct node *node_at(void *base, uint64_t off) { return (struct node *)((char *)base + (uint32_t)off); }

static void push(void *base, _Atomic uint64_t *top, uint32_t off) {
  uint64_t old = atomic_load(top), next;
  do {
    atomic_store_explicit(&node_at(base, off)->next, (uint32_t)old, memory_order_relaxed);
    next = (((old >> 32) + 1) << 32) | off;
  } while (!atomic_compare_exchange_weak(top, &old, next));
}

static uint32_t pop(void *base, _Atomic uint64_t *top) {
  uint64_t old = atomic_load(top), next;
  do {
    if ((uint32_t)old == 0) return 0;
    uint64_t after = atomic_load_explicit(&node_at(base, old)->next, memory_order_relaxed);
    next = (((old >> 32) + 1) << 32) | (uint32_t)after;
  } while (!atomic_compare_exchange_weak(top, &old, next));
  return (uint32_t)old;
}

static void e2e_init(void *base, uint64_t seed) {
  struct layout *l = base;
  l->head.h.magic = E2E_MAGIC;
  l->head.h.seed = seed;
  for (int i = 0; i < NNODE; ++i) push(base, &l->head.free_top, node_off(i));
}

struct worker {
  struct layout *l;
  uint64_t rng;
  uint64_t added, slot_added; /* results, read after join */
};

static void *work(void *arg) {
  struct worker *w = arg;
  for (int k = 0; k < WORKER_OPS; ++k) {
    uint64_t i = e2e_mix(&w->rng) % NCTR, d = e2e_mix(&w->rng) % 1000;
    if (k % 3 == 2) {
      atomic_fetch_sub_explicit(&w->l->ctr[i], d, memory_order_relaxed);
      w->added -= d;
    } else {
      atomic_fetch_add(&w->l->ctr[i], d);
      w->added += d;
    }
    _Atomic uint64_t *s = &w->l->slot[e2e_mix(&w->rng) % NSLOT];
    uint64_t old = atomic_load_explicit(s, memory_order_relaxed), next;
    do {
      next = (((old >> 32) + 1) << 32) | (uint32_t)((uint32_t)old + (uint32_t)d);
    } while (!atomic_compare_exchange_strong(s, &old, next));
    w->slot_added += (uint32_t)d;
  }
  return NULL;
}

static void e2e_batch(void *base, uint64_t n) {
  struct layout *l = base;
  uint64_t rng = e2e_batch_rng(l->head.h.seed, n);
  uint64_t total = l->head.total, slot_sum = l->head.slot_sum, payload_sum = l->head.payload_sum;
  struct worker w[NTHREADS];
  pthread_t tid[NTHREADS];
  for (int t = 0; t < NTHREADS; ++t) {
    w[t] = (struct worker){l, e2e_mix(&rng), 0, 0};
    if (pthread_create(&tid[t], NULL, work, &w[t]) != 0) e2e_die("pthread_create");
  }
  for (int t = 0; t < NTHREADS; ++t) {
    pthread_join(tid[t], NULL);
    total += w[t].added;
    slot_sum += w[t].slot_added;
  }
  int ops = 5 + (int)(e2e_mix(&rng) % 40);
  for (int k = 0; k < ops; ++k) {
    uint64_t kind = e2e_mix(&rng) % 10, x = e2e_mix(&rng);
    if (kind < 4) { /* free -> used, with a new payload */
      uint32_t off = pop(base, &l->head.free_top);
      if (off == 0) continue;
      node_at(base, off)->payload = x % 100000;
      payload_sum += x % 100000;
      push(base, &l->head.used_top, off);
    } else if (kind < 7) { /* used -> free */
      uint32_t off = pop(base, &l->head.used_top);
      if (off == 0) continue;
      payload_sum -= node_at(base, off)->payload;
      node_at(base, off)->payload = 0;
      push(base, &l->head.free_top, off);
    } else if (kind < 9) { /* flags */
      _Atomic uint32_t *f = &l->flag[x % NFLAG];
      uint32_t bits = (uint32_t)(x >> 16);
      if (kind == 7) atomic_fetch_or(f, bits & 0x0f0f);
      else atomic_fetch_xor(f, bits);
      atomic_fetch_and(f, ~(uint32_t)(x >> 48));
    } else { /* reset one counter */
      uint64_t v = x % 5000;
      uint64_t old = atomic_exchange(&l->ctr[(x >> 20) % NCTR], v);
      total += v - old;
    }
  }
  l->head.total = total;
  l->head.slot_sum = slot_sum;
  l->head.payload_sum = payload_sum;
  l->head.h.count = n;
}

/* Walks a stack, marking SEEN; returns the node count or -1 with WHY set. */
static int walk(void *base, uint64_t top, unsigned char *seen, uint64_t *payloads, const char *name,
                char *why) {
  int count = 0;
  for (uint32_t off = (uint32_t)top; off != 0;
       off = (uint32_t)atomic_load(&node_at(base, off)->next)) {
    uint32_t first = node_off(0);
    if (off < first || (off - first) % sizeof(struct node) != 0 || off >= node_off(NNODE))
      return sprintf(why, "%s stack: offset %u is not a node", name, off), -1;
    uint32_t i = (off - first) / sizeof(struct node);
    if (seen[i]++) return sprintf(why, "%s stack: node %u seen twice", name, i), -1;
    *payloads += node_at(base, off)->payload;
    ++count;
  }
  return count;
}

static int e2e_check(void *base, char *why) {
  struct layout *l = base;
  uint64_t total = 0, slot_sum = 0, versions = 0, payloads = 0, nopayload = 0;
  for (int i = 0; i < NCTR; ++i) total += atomic_load(&l->ctr[i]);
  for (int i = 0; i < NSLOT; ++i) {
    uint64_t s = atomic_load(&l->slot[i]);
    slot_sum += (uint32_t)s;
    versions += s >> 32;
  }
  if (versions != l->head.h.count * NTHREADS * WORKER_OPS)
    return sprintf(why, "slot versions sum to %llu after %llu batches", (unsigned long long)versions,
                   (unsigned long long)l->head.h.count), 1;
  if (total != l->head.total)
    return sprintf(why, "counters sum to %llu, header says %llu", (unsigned long long)total,
                   (unsigned long long)l->head.total), 1;
  if ((uint32_t)slot_sum != (uint32_t)l->head.slot_sum)
    return sprintf(why, "slots sum to %llu, header says %llu", (unsigned long long)slot_sum,
                   (unsigned long long)l->head.slot_sum), 1;
  unsigned char seen[NNODE] = {0};
  int used = walk(base, atomic_load(&l->head.used_top), seen, &payloads, "used", why);
  if (used < 0) return 1;
  int free_nodes = walk(base, atomic_load(&l->head.free_top), seen, &nopayload, "free", why);
  if (free_nodes < 0) return 1;
  if (used + free_nodes != NNODE)
    return sprintf(why, "%d used + %d free != %d nodes", used, free_nodes, NNODE), 1;
  if (payloads != l->head.payload_sum || nopayload != 0)
    return sprintf(why, "used payloads sum to %llu, header says %llu (free: %llu)",
                   (unsigned long long)payloads, (unsigned long long)l->head.payload_sum,
                   (unsigned long long)nopayload), 1;
  return 0;
}

#define E2E_DEFINE_MAIN
#include "e2e_common.h"

int main(int argc, char **argv) { return e2e_main(argc, argv); }
