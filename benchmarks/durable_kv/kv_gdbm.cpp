// kv_gdbm.cpp — the durable_kv workload on gdbm 1.23, built twice from this one source:
//   kv_gdbm_fa       Debian's libgdbm with gdbm's own crash tolerance: gdbm_failure_atomic(dbf,
//                    even, odd) after the open (reflink snapshots at every gdbm_sync: needs XFS
//                    or Btrfs), defined KV_GDBM_FAILURE_ATOMIC;
//   kv_gdbm_famsync  compiled with famsync-c++ and linked with a libgdbm.a that was itself built
//                    from Debian's source with famsync-cc (build_gdbm_famsync.sh): gdbm's own
//                    mmap (GDBM_NOMMAP not given) is a tracked mapping, and gdbm_sync's
//                    msync + fsync is the commit.
// Both open with GDBM_NEWDB | GDBM_NUMSYNC (the crash-tolerance chapter's advice), default block
// and cache sizes, mmap on, no GDBM_SYNC; each put is gdbm_store(GDBM_REPLACE) + gdbm_sync.
// Invariant: every gdbm call's result is checked; any error ends the run.
#include <gdbm.h>

#include "workload.hpp"

namespace durable_kv {
namespace {

class GdbmStore {
 public:
  void open(const std::string &dir) {
    std::string path = dir + "/kv.gdbm";
    dbf_ = gdbm_open(path.c_str(), 0, GDBM_NEWDB | GDBM_NUMSYNC, 0644, nullptr);
    if (dbf_ == nullptr) die("gdbm_open", gdbm_strerror(gdbm_errno));
#ifdef KV_GDBM_FAILURE_ATOMIC
    std::string even = dir + "/kv.gdbm.even", odd = dir + "/kv.gdbm.odd";
    if (gdbm_failure_atomic(dbf_, even.c_str(), odd.c_str()) != 0)
      fail("gdbm_failure_atomic (needs a reflink file system: XFS with reflink=1, or Btrfs)");
#endif
  }

  void put(const char *key, const char *value) {
    datum k{const_cast<char *>(key), static_cast<int>(kKeyBytes)};
    datum v{const_cast<char *>(value), static_cast<int>(kValueBytes)};
    if (gdbm_store(dbf_, k, v, GDBM_REPLACE) != 0) fail("gdbm_store");
  }

  void commit() {
    if (gdbm_sync(dbf_) != 0) fail("gdbm_sync");
  }

  bool get(const char *key, char *value) {
    datum k{const_cast<char *>(key), static_cast<int>(kKeyBytes)};
    datum v = gdbm_fetch(dbf_, k);
    if (v.dptr == nullptr) {
      if (gdbm_errno != GDBM_ITEM_NOT_FOUND) fail("gdbm_fetch");
      return false;
    }
    bool ok = v.dsize == static_cast<int>(kValueBytes);
    if (ok) memcpy(value, v.dptr, kValueBytes);
    free(v.dptr);
    if (!ok) die("gdbm_fetch: value size");
    return true;
  }

  void close() {
    if (gdbm_close(dbf_) != 0) die("gdbm_close", gdbm_strerror(gdbm_errno));
  }

 private:
  [[noreturn]] void fail(const char *what) { die(what, gdbm_db_strerror(dbf_)); }

  GDBM_FILE dbf_ = nullptr;
};

}  // namespace
}  // namespace durable_kv

int main(int argc, char **argv) {
#ifdef KV_GDBM_FAILURE_ATOMIC
  const char *name = "gdbm-failure-atomic";
#else
  const char *name = "gdbm-famsync";
#endif
  auto o = durable_kv::parse(argc, argv, name);
  durable_kv::GdbmStore store;
  return durable_kv::run(o, store);
}
