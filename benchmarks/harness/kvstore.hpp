// kvstore.hpp — the YCSB key-value store: a chained hash index over fixed-size records (10 fields
// of 100 bytes), plus an optional ordered index (the BTree, key -> record offset) for scans.
// Written once over an Arena; every persistence policy runs this same code.
//
// Keys are the 64-bit values YCSB derives from a key number (FNV-64 of it, "insertorder=hashed");
// the textual key "user<digits>" is that number printed, so ordering by the number is the order a
// store keyed by the zero-padding-free numeric key would scan in.
// Invariant: every record is reachable from exactly one bucket chain; when the ordered index
// exists it holds exactly the keys of the hash index, each mapping to its record's offset.
#ifndef FAMSYNC_BENCH_HARNESS_KVSTORE_HPP
#define FAMSYNC_BENCH_HARNESS_KVSTORE_HPP

#include "arena.hpp"
#include "btree.hpp"

namespace harness {

constexpr int kFields = 10;
constexpr int kFieldBytes = 100;
constexpr size_t kValueBytes = kFields * kFieldBytes;

struct Record {
  uint64_t key;
  uint64_t next;  // next record in the bucket chain (offset), 0 = end
  char field[kFields][kFieldBytes];
};
static_assert(sizeof(Record) == 1016);

template <typename Policy>
class KVStore {
 public:
  KVStore(Arena<Policy> &a) : a_(a), ordered_(a, kRootOrdered) {}

  // Creates the bucket array (inside the caller's write unit). ORDERED adds the b-tree index.
  void format(uint64_t expected_records, bool ordered) {
    uint64_t nb = 1;
    while (nb < expected_records) nb <<= 1;
    uint64_t table = a_.alloc(nb * 8);
    a_.policy().will_init(a_.template at<char>(table), nb * 8);
    memset(a_.template at<char>(table), 0, nb * 8);
    a_.set_root(kRootHashTable, table);
    a_.set_root(kRootHashBuckets, nb);
    a_.set_root(kRootRecordCount, 0);
    a_.set_root(kRootHasOrdered, ordered ? 1 : 0);
  }

  void attach() {
    table_ = a_.template at<uint64_t>(a_.root(kRootHashTable));
    mask_ = a_.root(kRootHashBuckets) - 1;
    has_ordered_ = a_.root(kRootHasOrdered) != 0;
  }

  // Inserts a new record (all fields from VALUE); an existing key has its fields overwritten.
  void insert(uint64_t key, const char *value) {
    if (Record *r = find(key)) {
      a_.policy().will_write(r->field, kValueBytes);
      memcpy(r->field, value, kValueBytes);
      return;
    }
    uint64_t off = a_.alloc(sizeof(Record));
    Record *r = a_.template at<Record>(off);
    a_.policy().will_init(r, sizeof(Record));
    uint64_t *bucket = &table_[slot(key)];
    r->key = key;
    r->next = *bucket;
    memcpy(r->field, value, kValueBytes);
    a_.policy().will_write(bucket, 8);
    *bucket = off;
    a_.set_root(kRootRecordCount, a_.root(kRootRecordCount) + 1);
    if (has_ordered_) ordered_.put(key, off);
  }

  // Copies all fields into OUT (kValueBytes). Returns false if the key is absent.
  bool read(uint64_t key, char *out) const {
    const Record *r = find(key);
    if (r == nullptr) return false;
    memcpy(out, r->field, kValueBytes);
    return true;
  }

  // Overwrites one field. Returns false if the key is absent.
  bool update(uint64_t key, int field, const char *value) {
    Record *r = find(key);
    if (r == nullptr) return false;
    a_.policy().will_write(r->field[field], kFieldBytes);
    memcpy(r->field[field], value, kFieldBytes);
    return true;
  }

  // Reads all fields of up to COUNT records with keys >= START, in key order, into OUT (reused
  // for each record, as a client consuming the result would). Returns the number read.
  size_t scan(uint64_t start, size_t count, char *out) const {
    if (!has_ordered_) Arena<Policy>::die("scan needs the ordered index (--ordered)");
    return ordered_.scan(start, count, [&](uint64_t, uint64_t off) {
      memcpy(out, a_.template at<Record>(off)->field, kValueBytes);
    });
  }

  uint64_t size() const { return a_.root(kRootRecordCount); }
  bool has_ordered() const { return has_ordered_; }
  size_t check_ordered() const { return has_ordered_ ? ordered_.check() : 0; }

 private:
  uint64_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull >> 17) & mask_; }
  Record *find(uint64_t key) const {
    for (uint64_t off = table_[slot(key)]; off != 0;) {
      Record *r = a_.template at<Record>(off);
      if (r->key == key) return r;
      off = r->next;
    }
    return nullptr;
  }

  Arena<Policy> &a_;
  BTree<Policy> ordered_;
  uint64_t *table_ = nullptr;
  uint64_t mask_ = 0;
  bool has_ordered_ = false;
};

}  // namespace harness

#endif  // FAMSYNC_BENCH_HARNESS_KVSTORE_HPP
