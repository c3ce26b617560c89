/* plist.c — a persistent sorted doubly-linked list with a free-list allocator, in a mapped file.
 *
 * An ordinary mmap + msync program (no famsync in the source): nodes live in a pool inside the
 * file and link to each other by byte offsets from the start of the mapping (0 = null). Every
 * batch inserts (pop the free list, fill, splice into key order), deletes (unlink, scrub, push
 * the free list) and updates nodes: many small pointer stores spread over the whole file.
 *
 * Invariant at every batch boundary (what `check` validates): the list is sorted by key and its
 * prev links mirror its next links; every node's tag is a function of its key and value; list and
 * free list together hold every pool node exactly once; the root's node count and value sum
 * match the list. The root is updated only at the end of a batch, so a state torn in the middle
 * of a batch breaks the last invariant.
 *
 * Command line and oracle: see e2e_common.h.
 */
#include "e2e_common.h"

#define E2E_NAME "plist"
#define E2E_SIZE 65536u

struct root {
  struct e2e_header h;
  uint32_t head;       /* offset of the first (smallest-key) node, 0 = empty */
  uint32_t free_head;  /* offset of the first free node */
  uint64_t nnodes;     /* nodes in the list (updated at batch end) */
  uint64_t sum;        /* sum of the list's values (updated at batch end) */
  uint64_t batches_with_inserts;
};

struct node { /* 40 bytes: nodes straddle cache lines */
  uint32_t next, prev;
  uint64_t key;
  uint64_t value;
  unsigned char tag[16];
};

#define POOL_START 64u
#define POOL_NODES ((E2E_SIZE - POOL_START) / sizeof(struct node))

static struct node *at(void *base, uint32_t off) { return (struct node *)((char *)base + off); }

static uint32_t off_of(uint32_t i) { return (uint32_t)(POOL_START + i * sizeof(struct node)); }

static void make_tag(uint64_t key, uint64_t value, unsigned char tag[16]) {
  for (int i = 0; i < 16; ++i) tag[i] = (unsigned char)((key >> (8 * (i % 8))) ^ value ^ i);
}

static void e2e_init(void *base, uint64_t seed) {
  struct root *r = base;
  r->h.magic = E2E_MAGIC;
  r->h.seed = seed;
  r->free_head = off_of(0);
  for (uint32_t i = 0; i < POOL_NODES; ++i) at(base, off_of(i))->next = i + 1 < POOL_NODES ? off_of(i + 1) : 0;
}

/* The K-th node of the list (K < number of nodes). */
static uint32_t nth(void *base, uint64_t k) {
  uint32_t o = ((struct root *)base)->head;
  while (k-- > 0) o = at(base, o)->next;
  return o;
}

static void e2e_batch(void *base, uint64_t n) {
  struct root *r = base;
  uint64_t rng = e2e_batch_rng(r->h.seed, n);
  uint64_t count = r->nnodes, sum = r->sum;
  int ops = 10 + (int)(e2e_mix(&rng) % 60), inserted = 0;
  for (int i = 0; i < ops; ++i) {
    uint64_t kind = e2e_mix(&rng) % 100;
    if (kind < 42 && r->free_head != 0) { /* insert */
      uint32_t o = r->free_head;
      struct node *nd = at(base, o);
      r->free_head = nd->next;
      nd->key = e2e_mix(&rng) % 1000000;
      nd->value = e2e_mix(&rng) % 1000;
      make_tag(nd->key, nd->value, nd->tag);
      uint32_t prev = 0, cur = r->head;
      while (cur != 0 && at(base, cur)->key < nd->key) {
        prev = cur;
        cur = at(base, cur)->next;
      }
      nd->prev = prev;
      nd->next = cur;
      if (cur != 0) at(base, cur)->prev = o;
      if (prev != 0) at(base, prev)->next = o;
      else r->head = o;
      ++count;
      sum += nd->value;
      inserted = 1;
    } else if (kind < 80 && count > 0) { /* delete */
      uint32_t o = nth(base, e2e_mix(&rng) % count);
      struct node *nd = at(base, o);
      if (nd->prev != 0) at(base, nd->prev)->next = nd->next;
      else r->head = nd->next;
      if (nd->next != 0) at(base, nd->next)->prev = nd->prev;
      --count;
      sum -= nd->value;
      memset(nd, 0, sizeof *nd);
      nd->next = r->free_head;
      r->free_head = o;
    } else if (count > 0) { /* update in place */
      struct node *nd = at(base, nth(base, e2e_mix(&rng) % count));
      sum -= nd->value;
      nd->value = e2e_mix(&rng) % 1000;
      make_tag(nd->key, nd->value, nd->tag);
      sum += nd->value;
    }
  }
  r->nnodes = count;
  r->sum = sum;
  r->batches_with_inserts += inserted;
  r->h.count = n;
}

static int e2e_check(void *base, char *why) {
  struct root *r = base;
  static unsigned char seen[POOL_NODES];
  memset(seen, 0, sizeof seen);
  uint64_t count = 0, sum = 0, prev_key = 0;
  uint32_t prev = 0;
  for (uint32_t o = r->head; o != 0; prev = o, o = at(base, o)->next) {
    if (o < POOL_START || (o - POOL_START) % sizeof(struct node) != 0 || o >= E2E_SIZE)
      return sprintf(why, "list offset %u is not a node", o), 1;
    uint32_t i = (o - POOL_START) / sizeof(struct node);
    if (seen[i]++) return sprintf(why, "node %u twice in the list (cycle)", i), 1;
    struct node *nd = at(base, o);
    if (nd->prev != prev) return sprintf(why, "node %u: prev %u, expected %u", i, nd->prev, prev), 1;
    if (count > 0 && nd->key < prev_key) return sprintf(why, "node %u out of key order", i), 1;
    unsigned char tag[16];
    make_tag(nd->key, nd->value, tag);
    if (memcmp(tag, nd->tag, 16) != 0) return sprintf(why, "node %u: tag does not match", i), 1;
    prev_key = nd->key;
    sum += nd->value;
    ++count;
  }
  uint64_t nfree = 0;
  for (uint32_t o = r->free_head; o != 0; o = at(base, o)->next) {
    if (o < POOL_START || (o - POOL_START) % sizeof(struct node) != 0 || o >= E2E_SIZE)
      return sprintf(why, "free-list offset %u is not a node", o), 1;
    uint32_t i = (o - POOL_START) / sizeof(struct node);
    if (seen[i]++) return sprintf(why, "node %u in the free list twice or also in the list", i), 1;
    ++nfree;
  }
  if (count + nfree != POOL_NODES)
    return sprintf(why, "%llu listed + %llu free != %zu nodes (leak)", (unsigned long long)count,
                   (unsigned long long)nfree, (size_t)POOL_NODES), 1;
  if (count != r->nnodes || sum != r->sum)
    return sprintf(why, "root says %llu nodes sum %llu, list has %llu sum %llu",
                   (unsigned long long)r->nnodes, (unsigned long long)r->sum,
                   (unsigned long long)count, (unsigned long long)sum), 1;
  return 0;
}

#define E2E_DEFINE_MAIN
#include "e2e_common.h"

int main(int argc, char **argv) { return e2e_main(argc, argv); }
