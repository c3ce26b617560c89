// kcdriver.cc — Kyoto Cabinet benchmark and crash-test driver for famsync (issue #6).
//
// Links against a Kyoto Cabinet built with famsync-c++ and kyoto-famsync.patch. The same binary
// measures both configurations: with FAMSYNC_DISABLE=1 nothing is tracked and Kyoto runs its
// stock hard transactions (WAL, fsync per record, msync + 2 fsyncs per commit); without it the
// database is a tracked mapping and the patch replaces the WAL with the commit msync.
//
//   kcdriver bench  hash|tree PATH K SECONDS SEED   random set/remove, commit every K ops
//   kcdriver run    hash|tree PATH SEED PROGRESS    transactions until killed; after each commit
//                                                   the committed transaction number goes to
//                                                   PROGRESS (an ordinary, untracked file)
//   kcdriver verify hash|tree PATH SEED PROGRESS    the database (recovered with `famsync
//                                                   recover`) must equal the model after the
//                                                   last reported commit or the one after it
//   kcdriver semantics hash|tree PATH               transactions keep stock Kyoto's meaning
//                                                   with the WAL off: clear(), defrag() and
//                                                   removals inside committed and aborted
//                                                   transactions, checked after a reopen, and
//                                                   copy() of uncommitted records
//
// Transaction t of a run is a pure function of (SEED, t): its operations, and whether it is
// aborted (1 in 8) — so verify can rebuild the committed state from the transaction number.
#include <kchashdb.h>
#include <kcplantdb.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>

namespace {

using kyotocabinet::BasicDB;

constexpr int64_t kMapSize = 1LL << 30;  // tune_map: the whole database is mapped
constexpr int kKeySpace = 20000;

std::unique_ptr<BasicDB> make_db(const std::string &type) {
  if (type == "hash") {
    auto db = std::make_unique<kyotocabinet::HashDB>();
    db->tune_map(kMapSize);
    db->tune_buckets(100000);
    return db;
  }
  if (type == "tree") {
    auto db = std::make_unique<kyotocabinet::TreeDB>();
    db->tune_map(kMapSize);
    db->tune_buckets(10000);
    return db;
  }
  fprintf(stderr, "kcdriver: type must be hash or tree\n");
  exit(2);
}

void die(BasicDB &db, const char *what) {
  fprintf(stderr, "kcdriver: %s: %s\n", what, db.error().message());
  exit(1);
}

std::string key_of(uint64_t n) {
  char buf[32];
  snprintf(buf, sizeof buf, "key%08" PRIu64, n);
  return buf;
}

std::string value_of(std::mt19937_64 &rng, uint64_t tag) {
  std::string v = "v" + std::to_string(tag) + ":";
  v.append(rng() % 200 + 8, static_cast<char>('a' + rng() % 26));
  return v;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ---- bench ------------------------------------------------------------------------------------
int bench(const std::string &type, const std::string &path, int k, double seconds, uint64_t seed) {
  auto db = make_db(type);
  if (!db->open(path, BasicDB::OWRITER | BasicDB::OCREATE | BasicDB::OTRUNCATE))
    die(*db, "open");
  std::mt19937_64 rng(seed);
  // Preload half the key space in one transaction (not timed).
  if (!db->begin_transaction(true)) die(*db, "begin");
  for (uint64_t i = 0; i < kKeySpace; i += 2) db->set(key_of(i), value_of(rng, i));
  if (!db->end_transaction(true)) die(*db, "commit");
  uint64_t ops = 0, txs = 0;
  double start = now_s(), elapsed = 0;
  while (elapsed < seconds || txs < 4) {
    if (!db->begin_transaction(true)) die(*db, "begin");
    for (int i = 0; i < k; ++i, ++ops) {
      uint64_t key = rng() % kKeySpace;
      if (rng() % 2) {
        if (!db->set(key_of(key), value_of(rng, ops))) die(*db, "set");
      } else {
        db->remove(key_of(key));  // a missing key is fine
      }
    }
    if (!db->end_transaction(true)) die(*db, "commit");
    ++txs;
    elapsed = now_s() - start;
  }
  if (!db->close()) die(*db, "close");
  printf("%s,%d,%" PRIu64 ",%.6f,%.3f\n", type.c_str(), k, ops, elapsed, elapsed / ops * 1e6);
  return 0;
}

// ---- crash test -------------------------------------------------------------------------------
struct Tx {
  bool abort = false;
  std::vector<std::pair<std::string, std::string>> ops;  // value "" = remove
};

Tx tx_of(uint64_t seed, uint64_t t) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + t);
  Tx tx;
  tx.abort = rng() % 8 == 0;
  int n = 1 + static_cast<int>(rng() % 16);
  for (int i = 0; i < n; ++i) {
    uint64_t key = rng() % 2000;
    bool remove = rng() % 4 == 0;
    tx.ops.emplace_back(key_of(key), remove ? std::string() : value_of(rng, t));
  }
  return tx;
}

void apply_tx(std::map<std::string, std::string> &model, const Tx &tx) {
  if (tx.abort) return;
  for (auto &[k, v] : tx.ops) {
    if (v.empty()) model.erase(k);
    else model[k] = v;
  }
}

uint64_t read_progress(const std::string &progress) {
  FILE *f = fopen(progress.c_str(), "r");
  if (f == nullptr) return 0;
  unsigned long long n = 0;
  if (fscanf(f, "%llu", &n) != 1) n = 0;
  fclose(f);
  return n;
}

void write_progress(int fd, uint64_t t) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%020" PRIu64 "\n", t);
  if (pwrite(fd, buf, n, 0) != n) {
    perror("kcdriver: progress");
    exit(1);
  }
}

int run(const std::string &type, const std::string &path, uint64_t seed,
        const std::string &progress) {
  uint64_t t = read_progress(progress);  // verify rewrote it to the recovered transaction
  auto db = make_db(type);
  if (!db->open(path, BasicDB::OWRITER | BasicDB::OCREATE)) die(*db, "open");
  int pfd = open(progress.c_str(), O_RDWR | O_CREAT, 0644);
  if (pfd < 0) {
    perror("kcdriver: progress");
    return 1;
  }
  for (;;) {
    Tx tx = tx_of(seed, ++t);
    if (!db->begin_transaction(true)) die(*db, "begin");
    for (auto &[k, v] : tx.ops) {
      if (v.empty()) db->remove(k);
      else if (!db->set(k, v)) die(*db, "set");
    }
    if (!db->end_transaction(!tx.abort)) die(*db, "end_transaction");
    write_progress(pfd, t);  // t is committed (or aborted) now
  }
}

// Equal to the model after transaction N? Prints the first difference when asked.
bool matches(BasicDB &db, const std::map<std::string, std::string> &model, bool explain) {
  if (db.count() != static_cast<int64_t>(model.size())) {
    if (explain)
      fprintf(stderr, "  count %lld, expected %zu\n", (long long)db.count(), model.size());
    return false;
  }
  for (auto &[k, v] : model) {
    std::string got;
    if (!db.get(k, &got) || got != v) {
      if (explain) fprintf(stderr, "  %s differs\n", k.c_str());
      return false;
    }
  }
  return true;
}

int verify(const std::string &type, const std::string &path, uint64_t seed,
           const std::string &progress) {
  uint64_t n = read_progress(progress);
  std::map<std::string, std::string> model;
  for (uint64_t t = 1; t <= n; ++t) apply_tx(model, tx_of(seed, t));
  auto db = make_db(type);
  // Read-only and without Kyoto's repair, so what is checked is exactly what famsync recovered
  // (run `famsync recover PATH` first: a read-only mapping is not tracked, so not recovered).
  if (!db->open(path, BasicDB::OREADER | BasicDB::ONOREPAIR)) die(*db, "reopen");
  uint64_t recovered = n;
  if (!matches(*db, model, false)) {
    apply_tx(model, tx_of(seed, n + 1));  // the commit in flight may have reached its commit point
    recovered = n + 1;
    if (!matches(*db, model, true)) {
      fprintf(stderr, "kcdriver: FAIL: state is neither transaction %" PRIu64 " nor %" PRIu64
                      "\n", n, n + 1);
      return 1;
    }
  }
  if (!db->close()) die(*db, "close");
  int pfd = open(progress.c_str(), O_RDWR | O_CREAT, 0644);
  write_progress(pfd, recovered);
  close(pfd);
  printf("ok: %zu records = state after transaction %" PRIu64 " (last reported %" PRIu64 ")\n",
         model.size(), recovered, n);
  return 0;
}

// ---- transaction semantics ---------------------------------------------------------------------
// Each case runs on a fresh database holding kSemanticsKeys records, does something inside a
// transaction, commits or aborts, reopens, and compares the database with the model. Kyoto's own
// wicked test found the first of these (clear() inside a transaction left the old bucket array,
// since a cut inside a transaction may not shrink the file under famsync): this keeps it found
// in one deterministic run instead of one wicked run in three.
constexpr uint64_t kSemanticsKeys = 3000;

using Model = std::map<std::string, std::string>;

// matches() plus: no key of the case's key space that the model lacks may be found, and a full
// cursor walk visits exactly the model's records (stale buckets or chains show up here).
bool matches_exactly(BasicDB &db, const Model &model) {
  if (!matches(db, model, true)) return false;
  for (uint64_t i = 0; i < kSemanticsKeys + 10; ++i) {
    std::string got;
    if (model.count(key_of(i)) == 0 && db.get(key_of(i), &got)) {
      fprintf(stderr, "  %s was removed but is found\n", key_of(i).c_str());
      return false;
    }
  }
  std::unique_ptr<BasicDB::Cursor> cur(db.cursor());
  size_t walked = 0;
  std::string k, v;
  if (cur->jump()) {
    while (cur->get(&k, &v, true)) {
      auto it = model.find(k);
      if (it == model.end() || it->second != v) {
        fprintf(stderr, "  the cursor walk meets %s, which the model does not hold\n", k.c_str());
        return false;
      }
      ++walked;
    }
  }
  if (walked != model.size()) {
    fprintf(stderr, "  the cursor walk visits %zu records, expected %zu\n", walked, model.size());
    return false;
  }
  return true;
}

// Opens PATH as a new, empty database and sets kSemanticsKeys records (values from SEED) outside
// any transaction; returns them as the model.
Model open_and_fill(BasicDB &db, const std::string &path, uint64_t seed) {
  if (!db.open(path, BasicDB::OWRITER | BasicDB::OCREATE | BasicDB::OTRUNCATE)) die(db, "open");
  std::mt19937_64 rng(seed);
  Model model;
  for (uint64_t i = 0; i < kSemanticsKeys; ++i) {
    std::string v = value_of(rng, i);
    if (!db.set(key_of(i), v)) die(db, "set");
    model[key_of(i)] = v;
  }
  return model;
}

bool semantics_case(const std::string &type, const std::string &path, const char *name,
                    bool commit, void (*body)(BasicDB &, Model &)) {
  Model model;
  {
    auto db = make_db(type);
    model = open_and_fill(*db, path, 7);
    if (!db->synchronize(true)) die(*db, "synchronize");
    Model after = model;
    if (!db->begin_transaction(true)) die(*db, "begin");
    body(*db, after);
    if (!db->end_transaction(commit)) die(*db, "end_transaction");
    if (commit) model = after;
    // Also check it before the reopen: an abort must restore what the program sees now.
    if (!matches_exactly(*db, model)) {
      fprintf(stderr, "kcdriver: FAIL: %s %s (%s): wrong before reopen\n", type.c_str(), name,
              commit ? "commit" : "abort");
      return false;
    }
    if (!db->close()) die(*db, "close");
  }
  auto db = make_db(type);
  if (!db->open(path, BasicDB::OREADER | BasicDB::ONOREPAIR)) die(*db, "reopen");
  bool ok = matches_exactly(*db, model);
  if (!ok)
    fprintf(stderr, "kcdriver: FAIL: %s %s (%s): wrong after reopen\n", type.c_str(), name,
            commit ? "commit" : "abort");
  db->close();
  return ok;
}

void clear_then_set(BasicDB &db, Model &m) {
  if (!db.clear()) die(db, "clear");
  m.clear();
  for (uint64_t i = 0; i < 10; ++i) {  // a few records after the clear, in the emptied file
    if (!db.set(key_of(kSemanticsKeys + i), "after-clear")) die(db, "set");
    m[key_of(kSemanticsKeys + i)] = "after-clear";
  }
}

void remove_half_then_defrag(BasicDB &db, Model &m) {
  for (uint64_t i = 0; i < kSemanticsKeys; i += 2) {
    if (!db.remove(key_of(i))) die(db, "remove");
    m.erase(key_of(i));
  }
  // defrag moves records and cuts the file's tail.
  bool defragged = false;
  if (auto *h = dynamic_cast<kyotocabinet::HashDB *>(&db)) defragged = h->defrag(0);
  else if (auto *t = dynamic_cast<kyotocabinet::TreeDB *>(&db)) defragged = t->defrag(0);
  if (!defragged) die(db, "defrag");
  if (!db.set(key_of(1), "after-defrag")) die(db, "set");
  m[key_of(1)] = "after-defrag";
}

void grow(BasicDB &db, Model &m) {
  std::string big(4000, 'g');
  for (uint64_t i = 0; i < kSemanticsKeys; i += 3) {
    if (!db.set(key_of(i), big)) die(db, "set");
    m[key_of(i)] = big;
  }
}

// copy() outside a transaction: Kyoto synchronizes "logically" (no msync) and then reads the
// file through a stream, which under famsync sees committed bytes only. The copy must still hold
// every record set since the last commit.
bool semantics_copy(const std::string &type, const std::string &path) {
  Model model;
  std::string copy_path = path + ".copy";
  {
    auto db = make_db(type);
    model = open_and_fill(*db, path, 11);
    if (!db->copy(copy_path)) die(*db, "copy");
    if (!db->close()) die(*db, "close");
  }
  auto db = make_db(type);
  bool ok = db->open(copy_path, BasicDB::OREADER | BasicDB::ONOREPAIR);
  if (!ok)
    fprintf(stderr, "  opening the copy: %s\n", db->error().message());
  else
    ok = matches_exactly(*db, model);
  if (!ok) fprintf(stderr, "kcdriver: FAIL: %s copy (no transaction)\n", type.c_str());
  db->close();
  unlink(copy_path.c_str());
  return ok;
}

int semantics(const std::string &type, const std::string &path) {
  struct Case {
    const char *name;
    void (*body)(BasicDB &, Model &);
  } cases[] = {{"clear", clear_then_set}, {"defrag", remove_half_then_defrag}, {"grow", grow}};
  int failed = 0, run = 0;
  for (const Case &c : cases)
    for (bool commit : {true, false}) {
      ++run;
      if (!semantics_case(type, path, c.name, commit, c.body)) ++failed;
    }
  ++run;
  if (!semantics_copy(type, path)) ++failed;
  printf("kcdriver semantics %s: %d of %d cases correct\n", type.c_str(), run - failed, run);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc >= 7 && !strcmp(argv[1], "bench"))
    return bench(argv[2], argv[3], atoi(argv[4]), atof(argv[5]), strtoull(argv[6], 0, 10));
  if (argc >= 6 && !strcmp(argv[1], "run"))
    return run(argv[2], argv[3], strtoull(argv[4], 0, 10), argv[5]);
  if (argc >= 6 && !strcmp(argv[1], "verify"))
    return verify(argv[2], argv[3], strtoull(argv[4], 0, 10), argv[5]);
  if (argc >= 4 && !strcmp(argv[1], "semantics")) return semantics(argv[2], argv[3]);
  fprintf(stderr,
          "usage: kcdriver bench hash|tree PATH K SECONDS SEED\n"
          "       kcdriver run|verify hash|tree PATH SEED PROGRESS\n"
          "       kcdriver semantics hash|tree PATH\n");
  return 2;
}
