// btree.hpp — a B-tree of order 8 (at most 7 keys and 8 children per node; CLRS minimum degree
// t = 4) with 8-byte keys and values, living in an Arena and written once for every policy.
//
// Insert splits full nodes on the way down and delete fixes under-full children on the way down
// (CLRS), so each operation is a single root-to-leaf pass. Like PMDK's own btree_map example, a
// node is announced whole (pol.will_write(node, sizeof(Node)), 184 bytes = 3 lines) before it is
// changed; under famsync that call is a no-op and only the lines actually stored to are logged.
// Invariant: every node except the root holds between t-1 and 2t-1 keys, keys are strictly
// increasing in-order, all leaves are at the same depth; the root's offset lives in an arena
// root slot (0 = empty tree).
#ifndef FAMSYNC_BENCH_HARNESS_BTREE_HPP
#define FAMSYNC_BENCH_HARNESS_BTREE_HPP

#include "arena.hpp"

namespace harness {

constexpr int kBTreeOrder = 8;
constexpr int kMinDegree = kBTreeOrder / 2;      // t
constexpr int kMaxKeys = 2 * kMinDegree - 1;     // 7

struct BTreeNode {
  uint32_t n;     // keys in use
  uint32_t leaf;  // 1 if the node has no children
  uint64_t key[kMaxKeys];
  uint64_t val[kMaxKeys];
  uint64_t child[kBTreeOrder];
};
static_assert(sizeof(BTreeNode) == 184);

template <typename Policy>
class BTree {
 public:
  BTree(Arena<Policy> &a, unsigned root_slot) : a_(a), slot_(root_slot) {}

  bool get(uint64_t k, uint64_t *v) const {
    uint64_t x = a_.root(slot_);
    while (x != 0) {
      const BTreeNode *nd = node(x);
      int i = lower_bound(nd, k);
      if (i < static_cast<int>(nd->n) && nd->key[i] == k) {
        *v = nd->val[i];
        return true;
      }
      if (nd->leaf) return false;
      x = nd->child[i];
    }
    return false;
  }

  // Inserts or overwrites. Returns true if the key was new.
  bool put(uint64_t k, uint64_t v) {
    uint64_t r = a_.root(slot_);
    if (r == 0) {
      uint64_t x = new_node(true);
      BTreeNode *nd = node(x);
      nd->n = 1;
      nd->key[0] = k;
      nd->val[0] = v;
      a_.set_root(slot_, x);
      return true;
    }
    if (node(r)->n == kMaxKeys) {
      uint64_t s = new_node(false);
      node(s)->child[0] = r;
      split_child(s, 0);
      a_.set_root(slot_, s);
      r = s;
    }
    return put_nonfull(r, k, v);
  }

  // Removes K. Returns true if it was present.
  bool remove(uint64_t k) {
    uint64_t r = a_.root(slot_);
    if (r == 0) return false;
    bool found = remove_from(r, k);
    BTreeNode *rn = node(r);
    if (rn->n == 0) {  // the root emptied: its only child (or nothing) becomes the root
      a_.set_root(slot_, rn->leaf ? 0 : rn->child[0]);
      a_.free(r, sizeof(BTreeNode));
    }
    return found;
  }

  // Calls fn(key, val) for up to COUNT keys >= START in increasing order; returns how many.
  template <typename Fn>
  size_t scan(uint64_t start, size_t count, Fn &&fn) const {
    size_t left = count;
    if (uint64_t r = a_.root(slot_)) scan_from(r, start, left, fn);
    return count - left;
  }

  // Checks the invariant (tests and --verify); returns the number of keys.
  size_t check() const {
    uint64_t r = a_.root(slot_);
    if (r == 0) return 0;
    int leaf_depth = -1;
    size_t n = 0;
    check_node(r, 0, &leaf_depth, nullptr, nullptr, true, &n);
    return n;
  }

 private:
  BTreeNode *node(uint64_t off) const { return a_.template at<BTreeNode>(off); }
  void w(BTreeNode *nd) { a_.policy().will_write(nd, sizeof(BTreeNode)); }

  static int lower_bound(const BTreeNode *nd, uint64_t k) {
    int i = 0;
    while (i < static_cast<int>(nd->n) && nd->key[i] < k) ++i;
    return i;
  }

  uint64_t new_node(bool leaf) {
    uint64_t off = a_.alloc(sizeof(BTreeNode));
    BTreeNode *nd = node(off);
    a_.policy().will_init(nd, sizeof(BTreeNode));
    nd->n = 0;
    nd->leaf = leaf ? 1 : 0;
    if (!leaf) memset(nd->child, 0, sizeof(nd->child));
    return off;
  }

  // x is not full, its child i is: moves the child's median up into x.
  void split_child(uint64_t x_off, int i) {
    BTreeNode *x = node(x_off);
    uint64_t y_off = x->child[i];
    BTreeNode *y = node(y_off);
    uint64_t z_off = new_node(y->leaf);
    BTreeNode *z = node(z_off);
    constexpr int t = kMinDegree;
    z->n = t - 1;
    for (int j = 0; j < t - 1; ++j) z->key[j] = y->key[j + t], z->val[j] = y->val[j + t];
    if (!y->leaf)
      for (int j = 0; j < t; ++j) z->child[j] = y->child[j + t];
    w(x);
    for (int j = static_cast<int>(x->n); j > i; --j) x->child[j + 1] = x->child[j];
    x->child[i + 1] = z_off;
    for (int j = static_cast<int>(x->n) - 1; j >= i; --j) x->key[j + 1] = x->key[j], x->val[j + 1] = x->val[j];
    x->key[i] = y->key[t - 1];
    x->val[i] = y->val[t - 1];
    x->n += 1;
    w(y);
    y->n = t - 1;
  }

  bool put_nonfull(uint64_t x_off, uint64_t k, uint64_t v) {
    for (;;) {
      BTreeNode *x = node(x_off);
      int i = lower_bound(x, k);
      if (i < static_cast<int>(x->n) && x->key[i] == k) {
        w(x);
        x->val[i] = v;
        return false;
      }
      if (x->leaf) {
        w(x);
        for (int j = static_cast<int>(x->n) - 1; j >= i; --j) x->key[j + 1] = x->key[j], x->val[j + 1] = x->val[j];
        x->key[i] = k;
        x->val[i] = v;
        x->n += 1;
        return true;
      }
      if (node(x->child[i])->n == kMaxKeys) {
        split_child(x_off, i);
        if (x->key[i] == k) {
          x->val[i] = v;  // x was announced by split_child
          return false;
        }
        if (k > x->key[i]) ++i;
      }
      x_off = x->child[i];
    }
  }

  // Largest / smallest key-value of the subtree at x.
  void max_of(uint64_t x, uint64_t *k, uint64_t *v) const {
    const BTreeNode *nd = node(x);
    while (!nd->leaf) nd = node(nd->child[nd->n]);
    *k = nd->key[nd->n - 1], *v = nd->val[nd->n - 1];
  }
  void min_of(uint64_t x, uint64_t *k, uint64_t *v) const {
    const BTreeNode *nd = node(x);
    while (!nd->leaf) nd = node(nd->child[0]);
    *k = nd->key[0], *v = nd->val[0];
  }

  // Merges x's child i+1 and key i into child i; frees child i+1.
  void merge(BTreeNode *x, int i) {
    uint64_t y_off = x->child[i], z_off = x->child[i + 1];
    BTreeNode *y = node(y_off), *z = node(z_off);
    w(y);
    int yn = static_cast<int>(y->n);
    y->key[yn] = x->key[i];
    y->val[yn] = x->val[i];
    for (int j = 0; j < static_cast<int>(z->n); ++j) y->key[yn + 1 + j] = z->key[j], y->val[yn + 1 + j] = z->val[j];
    if (!y->leaf)
      for (int j = 0; j <= static_cast<int>(z->n); ++j) y->child[yn + 1 + j] = z->child[j];
    y->n += z->n + 1;
    w(x);
    for (int j = i + 1; j < static_cast<int>(x->n); ++j) x->key[j - 1] = x->key[j], x->val[j - 1] = x->val[j];
    for (int j = i + 2; j <= static_cast<int>(x->n); ++j) x->child[j - 1] = x->child[j];
    x->n -= 1;
    a_.free(z_off, sizeof(BTreeNode));
  }

  // Child i of x has t-1 keys: give it one more (borrow from a sibling or merge). Returns the
  // index of the child that now holds the range child i held.
  int fill(BTreeNode *x, int i) {
    constexpr unsigned t = kMinDegree;
    if (i > 0 && node(x->child[i - 1])->n >= t) {  // borrow from the left sibling
      BTreeNode *c = node(x->child[i]), *s = node(x->child[i - 1]);
      w(c);
      for (int j = static_cast<int>(c->n) - 1; j >= 0; --j) c->key[j + 1] = c->key[j], c->val[j + 1] = c->val[j];
      if (!c->leaf)
        for (int j = static_cast<int>(c->n); j >= 0; --j) c->child[j + 1] = c->child[j];
      c->key[0] = x->key[i - 1];
      c->val[0] = x->val[i - 1];
      if (!c->leaf) c->child[0] = s->child[s->n];
      c->n += 1;
      w(x);
      x->key[i - 1] = s->key[s->n - 1];
      x->val[i - 1] = s->val[s->n - 1];
      w(s);
      s->n -= 1;
      return i;
    }
    if (i < static_cast<int>(x->n) && node(x->child[i + 1])->n >= t) {  // borrow from the right
      BTreeNode *c = node(x->child[i]), *s = node(x->child[i + 1]);
      w(c);
      c->key[c->n] = x->key[i];
      c->val[c->n] = x->val[i];
      if (!c->leaf) c->child[c->n + 1] = s->child[0];
      c->n += 1;
      w(x);
      x->key[i] = s->key[0];
      x->val[i] = s->val[0];
      w(s);
      for (int j = 1; j < static_cast<int>(s->n); ++j) s->key[j - 1] = s->key[j], s->val[j - 1] = s->val[j];
      if (!s->leaf)
        for (int j = 1; j <= static_cast<int>(s->n); ++j) s->child[j - 1] = s->child[j];
      s->n -= 1;
      return i;
    }
    if (i < static_cast<int>(x->n)) {
      merge(x, i);
      return i;
    }
    merge(x, i - 1);
    return i - 1;
  }

  bool remove_from(uint64_t x_off, uint64_t k) {
    constexpr unsigned t = kMinDegree;
    for (;;) {
      BTreeNode *x = node(x_off);
      int i = lower_bound(x, k);
      if (i < static_cast<int>(x->n) && x->key[i] == k) {
        if (x->leaf) {
          w(x);
          for (int j = i + 1; j < static_cast<int>(x->n); ++j) x->key[j - 1] = x->key[j], x->val[j - 1] = x->val[j];
          x->n -= 1;
          return true;
        }
        uint64_t y = x->child[i], z = x->child[i + 1];
        if (node(y)->n >= t) {
          uint64_t pk, pv;
          max_of(y, &pk, &pv);
          w(x);
          x->key[i] = pk, x->val[i] = pv;
          k = pk;
          x_off = y;
          continue;
        }
        if (node(z)->n >= t) {
          uint64_t sk, sv;
          min_of(z, &sk, &sv);
          w(x);
          x->key[i] = sk, x->val[i] = sv;
          k = sk;
          x_off = z;
          continue;
        }
        merge(x, i);
        x_off = y;
        continue;
      }
      if (x->leaf) return false;
      if (node(x->child[i])->n < t) i = fill(x, i);
      x_off = x->child[i];
    }
  }

  template <typename Fn>
  void scan_from(uint64_t x_off, uint64_t start, size_t &left, Fn &fn) const {
    const BTreeNode *x = node(x_off);
    int i = lower_bound(x, start);
    for (int j = i; j <= static_cast<int>(x->n) && left > 0; ++j) {
      if (!x->leaf) scan_from(x->child[j], start, left, fn);
      if (j < static_cast<int>(x->n) && left > 0) {
        fn(x->key[j], x->val[j]);
        --left;
      }
    }
  }

  void check_node(uint64_t x_off, int depth, int *leaf_depth, const uint64_t *lo, const uint64_t *hi,
                  bool is_root, size_t *count) const {
    const BTreeNode *x = node(x_off);
    if (x->n > static_cast<unsigned>(kMaxKeys) || (!is_root && x->n < static_cast<unsigned>(kMinDegree - 1)))
      Arena<Policy>::die("btree: node key count out of range");
    for (unsigned j = 0; j < x->n; ++j) {
      if (j > 0 && x->key[j - 1] >= x->key[j]) Arena<Policy>::die("btree: keys not increasing");
      if ((lo && x->key[j] <= *lo) || (hi && x->key[j] >= *hi)) Arena<Policy>::die("btree: key out of parent range");
    }
    *count += x->n;
    if (x->leaf) {
      if (*leaf_depth < 0) *leaf_depth = depth;
      if (*leaf_depth != depth) Arena<Policy>::die("btree: leaves at different depths");
      return;
    }
    for (unsigned j = 0; j <= x->n; ++j)
      check_node(x->child[j], depth + 1, leaf_depth, j == 0 ? lo : &x->key[j - 1], j == x->n ? hi : &x->key[j],
                 false, count);
  }

  Arena<Policy> &a_;
  unsigned slot_;
};

}  // namespace harness

#endif  // FAMSYNC_BENCH_HARNESS_BTREE_HPP
