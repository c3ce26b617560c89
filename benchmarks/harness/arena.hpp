// arena.hpp — a persistent arena: offset pointers and a small segregated-fit allocator, written
// once and instantiated per persistence policy.
//
// The arena is a byte range [base, base + size) that a policy provides (a famsync working copy, a
// PMDK root object, a MAP_SHARED file, anonymous memory). Everything inside refers to everything
// else by 64-bit offsets from base (0 = null), so the same bytes are valid wherever the range is
// mapped. Layout: a 4 KiB header (magic, size, bump pointer, one free-list head per 64-byte size
// class up to 4 KiB, named root slots), then blocks, 64-byte aligned.
//
// The policy contract every data structure here follows (see policies_*.hpp):
//   pol.will_write(p, n)  before modifying n committed bytes at p (PMDK: pmemobj_tx_add_range;
//                         famsync: nothing — the pass instruments the stores themselves;
//                         msync/none: nothing);
//   pol.will_init(p, n)   before filling a block that was just allocated: its old contents do not
//                         matter on rollback, because the allocation itself rolls back
//                         (PMDK: add_range with POBJ_XADD_NO_SNAPSHOT, so it is flushed at commit).
// Invariant: no byte of the arena is modified without one of these calls first, and a block is
// reachable from a root or a free list, never both (so a rolled-back transaction leaves a
// consistent heap).
#ifndef FAMSYNC_BENCH_HARNESS_ARENA_HPP
#define FAMSYNC_BENCH_HARNESS_ARENA_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace harness {

constexpr uint64_t kArenaMagic = 0x414e45524153594eull;  // arbitrary; identifies a formatted arena
constexpr size_t kLine = 64;
constexpr size_t kHeaderBytes = 4096;
constexpr size_t kClasses = 64;  // 64-byte classes: 64, 128, ..., 4096
constexpr size_t kMaxClassBytes = kClasses * kLine;

// Root slots the data structures use.
enum RootSlot : unsigned {
  kRootBTree = 0,       // root node of the standalone b-tree benchmark's tree
  kRootHashTable = 1,   // offset of the bucket array
  kRootHashBuckets = 2, // bucket count (power of two)
  kRootRecordCount = 3, // records in the KV store
  kRootOrdered = 4,     // root node of the KV store's ordered index (0 = empty)
  kRootHasOrdered = 5,  // 1 if the KV store maintains the ordered index
  kRootSlots = 8,
};

struct ArenaHeader {
  uint64_t magic;
  uint64_t size;
  uint64_t bump;                // next never-allocated offset
  uint64_t pad0[5];             // bump on a line of its own: it is written by most allocations
  uint64_t free_head[kClasses]; // singly linked through each free block's first word
  uint64_t root[kRootSlots];
};
static_assert(sizeof(ArenaHeader) <= kHeaderBytes);

template <typename Policy>
class Arena {
 public:
  Arena(Policy &pol, void *base, size_t size) : pol_(pol), base_(static_cast<char *>(base)) {
    if (reinterpret_cast<uintptr_t>(base) % kLine != 0) die("arena base not 64-byte aligned");
    (void)size;
  }

  // Formats a fresh arena (inside the caller's write unit).
  void format(size_t size) {
    ArenaHeader *h = header();
    pol_.will_write(h, sizeof(ArenaHeader));
    memset(h, 0, sizeof(ArenaHeader));
    h->magic = kArenaMagic;
    h->size = size;
    h->bump = kHeaderBytes;
  }

  void check() const {
    if (header()->magic != kArenaMagic) die("arena magic mismatch");
  }

  template <typename T = char>
  T *at(uint64_t off) const {
    return reinterpret_cast<T *>(base_ + off);
  }
  uint64_t off(const void *p) const { return static_cast<uint64_t>(static_cast<const char *>(p) - base_); }

  ArenaHeader *header() const { return reinterpret_cast<ArenaHeader *>(base_); }
  uint64_t root(unsigned slot) const { return header()->root[slot]; }
  void set_root(unsigned slot, uint64_t v) {
    pol_.will_write(&header()->root[slot], 8);
    header()->root[slot] = v;
  }

  // Returns the offset of a 64-byte-aligned block of at least n bytes; its contents are
  // undefined and the caller must will_init() the bytes it fills. Blocks above 4 KiB come from
  // the bump pointer and are never reused (the hash table's bucket array).
  uint64_t alloc(size_t n) {
    ArenaHeader *h = header();
    size_t rounded = (n + kLine - 1) / kLine * kLine;
    if (rounded <= kMaxClassBytes) {
      size_t c = rounded / kLine - 1;
      if (uint64_t blk = h->free_head[c]) {
        uint64_t next = *at<uint64_t>(blk);
        pol_.will_write(&h->free_head[c], 8);
        h->free_head[c] = next;
        return blk;
      }
    }
    if (h->bump + rounded > h->size) die("arena full (raise --arena-mb)");
    pol_.will_write(&h->bump, 8);
    uint64_t blk = h->bump;
    h->bump += rounded;
    return blk;
  }

  void free(uint64_t blk, size_t n) {
    size_t rounded = (n + kLine - 1) / kLine * kLine;
    if (rounded > kMaxClassBytes) return;  // large blocks are never reused
    ArenaHeader *h = header();
    size_t c = rounded / kLine - 1;
    pol_.will_write(at<uint64_t>(blk), 8);
    *at<uint64_t>(blk) = h->free_head[c];
    pol_.will_write(&h->free_head[c], 8);
    h->free_head[c] = blk;
  }

  Policy &policy() const { return pol_; }
  [[noreturn]] static void die(const char *what) {
    fprintf(stderr, "harness: %s\n", what);
    abort();
  }

 private:
  Policy &pol_;
  char *base_;
};

}  // namespace harness

#endif  // FAMSYNC_BENCH_HARNESS_ARENA_HPP
