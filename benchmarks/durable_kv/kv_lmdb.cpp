// kv_lmdb.cpp — the durable_kv workload on Debian's LMDB with its default, durable commits:
// mdb_env_open with no flags (no MDB_NOSYNC, MDB_NOMETASYNC, MDB_WRITEMAP or MDB_MAPASYNC), a
// 1 GiB map, one write transaction per put. LMDB's commit writes the dirty pages, fdatasyncs
// them, then writes the meta page through its O_DSYNC descriptor: two flushes per commit.
// The preload runs in one transaction.
// Invariant: every mdb_* result is checked; any error ends the run.
#include <lmdb.h>

#include "workload.hpp"

namespace durable_kv {
namespace {

class LmdbStore {
 public:
  void open(const std::string &dir) {
    check(mdb_env_create(&env_), "mdb_env_create");
    check(mdb_env_set_mapsize(env_, size_t{1} << 30), "mdb_env_set_mapsize");
    check(mdb_env_open(env_, dir.c_str(), 0, 0644), "mdb_env_open");
    begin();
    check(mdb_dbi_open(txn_, nullptr, 0, &dbi_), "mdb_dbi_open");
  }

  void put(const char *key, const char *value) {
    if (txn_ == nullptr) begin();
    MDB_val k{kKeyBytes, const_cast<char *>(key)}, v{kValueBytes, const_cast<char *>(value)};
    check(mdb_put(txn_, dbi_, &k, &v, 0), "mdb_put");
  }

  void commit() {
    check(mdb_txn_commit(txn_), "mdb_txn_commit");
    txn_ = nullptr;
  }

  bool get(const char *key, char *value) {
    MDB_txn *t;
    check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &t), "mdb_txn_begin");
    MDB_val k{kKeyBytes, const_cast<char *>(key)}, v;
    int rc = mdb_get(t, dbi_, &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND) check(rc, "mdb_get");
    if (rc == 0) {
      if (v.mv_size != kValueBytes) die("mdb_get: value size");
      memcpy(value, v.mv_data, kValueBytes);
    }
    mdb_txn_abort(t);
    return rc == 0;
  }

  void close() { mdb_env_close(env_); }

 private:
  static void check(int rc, const char *what) {
    if (rc != 0) die(what, mdb_strerror(rc));
  }
  void begin() { check(mdb_txn_begin(env_, nullptr, 0, &txn_), "mdb_txn_begin"); }

  MDB_env *env_ = nullptr;
  MDB_txn *txn_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace
}  // namespace durable_kv

int main(int argc, char **argv) {
  auto o = durable_kv::parse(argc, argv, "lmdb");
  durable_kv::LmdbStore store;
  return durable_kv::run(o, store);
}
