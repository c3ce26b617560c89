/* htable.c — a persistent open-addressing hash table of string records, in a mapped file.
 *
 * An ordinary mmap + msync program (no famsync in the source) whose writes into the mapping go
 * mostly through libc and memory intrinsics rather than plain stores: whole records are built on
 * the stack and memcpy'd in, keys are written with strcpy/snprintf, values with snprintf/sprintf
 * and grown with strncat, deletion shifts records back with memcpy and scrubs with memset.
 * Records are 96 bytes (1.5 cache lines). Linear probing with backward-shift deletion.
 *
 * Invariant at every batch boundary (what `check` validates): every used slot holds a
 * NUL-terminated key "user:NNNNN" and value, and a check word equal to a hash of both; a lookup of
 * each key from its home slot reaches that slot without crossing an empty slot, and finds no
 * other slot with the same key; the header's record count and xor of check words (updated only at
 * batch end) match the table.
 *
 * Command line and oracle: see e2e_common.h.
 */
#include "e2e_common.h"

#define E2E_NAME "htable"
#define E2E_SIZE 131072u

struct head {
  struct e2e_header h;
  uint64_t nrec;    /* used slots (updated at batch end) */
  uint64_t xorsum;  /* xor of the used slots' check words (updated at batch end) */
  uint64_t pad[2];
};

struct rec { /* 96 bytes */
  uint32_t used;
  uint32_t version;
  char key[28];
  uint64_t check;
  char value[48];
};

#define NSLOTS ((E2E_SIZE - sizeof(struct head)) / sizeof(struct rec))
#define NKEYS 1000u

static struct rec *slot(void *base, uint64_t i) {
  return (struct rec *)((char *)base + sizeof(struct head)) + i;
}

static uint64_t str_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; ++s) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

static uint64_t rec_check(const struct rec *r) {
  return str_hash(r->key) * 31 ^ str_hash(r->value) ^ r->version;
}

/* The slot holding KEY, or the empty slot where it would go (*FOUND tells which). */
static uint64_t probe(void *base, const char *key, int *found) {
  for (uint64_t i = str_hash(key) % NSLOTS;; i = (i + 1) % NSLOTS) {
    struct rec *r = slot(base, i);
    if (!r->used || strcmp(r->key, key) == 0) {
      *found = r->used != 0;
      return i;
    }
  }
}

static void e2e_init(void *base, uint64_t seed) {
  struct head *hd = base;
  hd->h.magic = E2E_MAGIC;
  hd->h.seed = seed;
}

/* Removes slot I and shifts the following cluster back so that lookups stay correct. */
static void remove_at(void *base, uint64_t i) {
  uint64_t j = i;
  for (;;) {
    j = (j + 1) % NSLOTS;
    struct rec *r = slot(base, j);
    if (!r->used) break;
    uint64_t home = str_hash(r->key) % NSLOTS;
    /* Move J to I unless its home lies cyclically in (I, J]. */
    int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      memcpy(slot(base, i), r, sizeof *r);
      i = j;
    }
  }
  memset(slot(base, i), 0, sizeof(struct rec));
}

static void e2e_batch(void *base, uint64_t n) {
  struct head *hd = base;
  uint64_t rng = e2e_batch_rng(hd->h.seed, n);
  uint64_t nrec = hd->nrec, xorsum = hd->xorsum;
  int ops = 5 + (int)(e2e_mix(&rng) % 40);
  for (int op = 0; op < ops; ++op) {
    char key[28];
    snprintf(key, sizeof key, "user:%05u", (unsigned)(e2e_mix(&rng) % NKEYS));
    uint64_t kind = e2e_mix(&rng) % 100, x = e2e_mix(&rng);
    int found;
    uint64_t i = probe(base, key, &found);
    struct rec *r = slot(base, i);
    if (found) xorsum ^= r->check;
    if (kind < 30 && found) { /* delete */
      remove_at(base, i);
      --nrec;
      continue;
    }
    if (!found && kind % 2 == 0) { /* insert a record built on the stack */
      struct rec tmp;
      memset(&tmp, 0, sizeof tmp);
      tmp.used = 1;
      strcpy(tmp.key, key);
      snprintf(tmp.value, sizeof tmp.value, "born %llu/%llu", (unsigned long long)n,
               (unsigned long long)(x % 100000));
      tmp.check = rec_check(&tmp);
      memcpy(r, &tmp, sizeof tmp);
      ++nrec;
    } else if (!found) { /* insert in place: key with strcpy, value with sprintf */
      r->used = 1;
      r->version = 0;
      strcpy(r->key, key);
      sprintf(r->value, "made %llu:%llu", (unsigned long long)n, (unsigned long long)(x % 1000));
      r->check = rec_check(r);
      ++nrec;
    } else if (kind < 70 || strlen(r->value) > 40) { /* overwrite the value */
      r->version++;
      snprintf(r->value, sizeof r->value, "v%u@%llu#%llx", r->version, (unsigned long long)n,
               (unsigned long long)(x & 0xffff));
      r->check = rec_check(r);
    } else { /* grow the value */
      r->version++;
      strncat(r->value, x % 2 ? "+a" : "+bb", sizeof r->value - strlen(r->value) - 1);
      r->check = rec_check(r);
    }
    xorsum ^= r->check;
  }
  hd->nrec = nrec;
  hd->xorsum = xorsum;
  hd->h.count = n;
}

static int e2e_check(void *base, char *why) {
  struct head *hd = base;
  uint64_t nrec = 0, xorsum = 0;
  for (uint64_t i = 0; i < NSLOTS; ++i) {
    struct rec *r = slot(base, i);
    if (!r->used) continue;
    if (memchr(r->key, 0, sizeof r->key) == NULL || memchr(r->value, 0, sizeof r->value) == NULL)
      return sprintf(why, "slot %llu: unterminated string", (unsigned long long)i), 1;
    if (strncmp(r->key, "user:", 5) != 0 || strlen(r->key) != 10)
      return sprintf(why, "slot %llu: bad key", (unsigned long long)i), 1;
    if (r->check != rec_check(r))
      return sprintf(why, "slot %llu (%s): check word does not match", (unsigned long long)i,
                     r->key), 1;
    int found;
    uint64_t j = probe(base, r->key, &found);
    if (!found || j != i)
      return sprintf(why, "slot %llu (%s): lookup finds slot %llu", (unsigned long long)i, r->key,
                     (unsigned long long)j), 1;
    ++nrec;
    xorsum ^= r->check;
  }
  if (nrec != hd->nrec || xorsum != hd->xorsum)
    return sprintf(why, "header says %llu records xor %llx, table has %llu xor %llx",
                   (unsigned long long)hd->nrec, (unsigned long long)hd->xorsum,
                   (unsigned long long)nrec, (unsigned long long)xorsum), 1;
  return 0;
}

#define E2E_DEFINE_MAIN
#include "e2e_common.h"

int main(int argc, char **argv) { return e2e_main(argc, argv); }
