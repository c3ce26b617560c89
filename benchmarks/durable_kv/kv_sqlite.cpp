// kv_sqlite.cpp — the durable_kv workload on Debian's SQLite, configured as its users configure
// a durable key-value table: journal_mode=WAL, synchronous=FULL (a WAL commit is durable when it
// returns), default page size, cache and wal_autocheckpoint (1000 pages); a WITHOUT ROWID table
// keyed by the 16-byte key (SQLite's own advice for key-value tables); one transaction per put
// (an upsert in autocommit mode). The preload runs in one explicit transaction.
// Invariant: every statement's result is checked; any error ends the run.
#include <sqlite3.h>

#include "workload.hpp"

namespace durable_kv {
namespace {

class SqliteStore {
 public:
  void open(const std::string &dir) {
    std::string path = dir + "/kv.sqlite";
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) die("sqlite3_open", path);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    prepare("INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            &put_);
    prepare("SELECT v FROM kv WHERE k = ?1", &get_);
    exec("BEGIN");
    in_txn_ = true;
  }

  void put(const char *key, const char *value) {
    bind(put_, key);
    if (sqlite3_bind_blob(put_, 2, value, kValueBytes, SQLITE_STATIC) != SQLITE_OK) fail("bind");
    if (sqlite3_step(put_) != SQLITE_DONE) fail("upsert");
    sqlite3_reset(put_);
  }

  // After the preload's explicit transaction, every put is its own (autocommit) transaction,
  // durable when sqlite3_step returns; commit() has nothing left to do.
  void commit() {
    if (in_txn_) exec("COMMIT");
    in_txn_ = false;
  }

  bool get(const char *key, char *value) {
    bind(get_, key);
    int rc = sqlite3_step(get_);
    bool found = rc == SQLITE_ROW;
    if (found) {
      if (sqlite3_column_bytes(get_, 0) != static_cast<int>(kValueBytes)) fail("value size");
      memcpy(value, sqlite3_column_blob(get_, 0), kValueBytes);
    } else if (rc != SQLITE_DONE) {
      fail("select");
    }
    sqlite3_reset(get_);
    return found;
  }

  void close() {
    sqlite3_finalize(put_);
    sqlite3_finalize(get_);
    if (sqlite3_close(db_) != SQLITE_OK) fail("sqlite3_close");
  }

 private:
  [[noreturn]] void fail(const char *what) { die(what, sqlite3_errmsg(db_)); }
  void exec(const char *sql) {
    char *err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK)
      die(sql, err ? err : "?");
  }
  void prepare(const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(db_, sql, -1, st, nullptr) != SQLITE_OK) fail(sql);
  }
  void bind(sqlite3_stmt *st, const char *key) {
    if (sqlite3_bind_blob(st, 1, key, kKeyBytes, SQLITE_STATIC) != SQLITE_OK) fail("bind");
  }

  sqlite3 *db_ = nullptr;
  sqlite3_stmt *put_ = nullptr, *get_ = nullptr;
  bool in_txn_ = false;
};

}  // namespace
}  // namespace durable_kv

int main(int argc, char **argv) {
  auto o = durable_kv::parse(argc, argv, "sqlite");
  durable_kv::SqliteStore store;
  return durable_kv::run(o, store);
}
