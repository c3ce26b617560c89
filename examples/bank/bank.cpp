// bank.cpp — example of the C++ API: money moves between accounts, and however the process dies,
// the file always holds balances that add up (each transfer batch commits atomically).
//
//   bank init FILE ACCOUNTS       create FILE with ACCOUNTS accounts of 1000 each
//   bank run FILE BATCHES [--die-in-batch K]
//                                 each batch: 50 random transfers, then commit; with
//                                 --die-in-batch the process SIGKILLs itself halfway through
//                                 batch K (a crash with uncommitted transfers in flight)
//   bank check FILE               verify the invariant (exit 1 if violated)
#include <famsync/famsync.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr int64_t kOpening = 1000;

struct Header {
  uint64_t accounts;
  uint64_t batches_committed;
};

int init(const char *path, uint64_t accounts) {
  std::vector<char> bytes(sizeof(Header) + accounts * sizeof(int64_t));
  Header h{accounts, 0};
  memcpy(bytes.data(), &h, sizeof h);
  for (uint64_t i = 0; i < accounts; ++i)
    memcpy(bytes.data() + sizeof h + i * sizeof(int64_t), &kOpening, sizeof kOpening);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  printf("created %s: %llu accounts, total %lld\n", path, (unsigned long long)accounts,
         (long long)(accounts * kOpening));
  return 0;
}

int run(const char *path, uint64_t batches, uint64_t die_in_batch) {
  auto file = famsync::MappedFile::open(path);
  auto h = file.load<Header>(0);
  std::mt19937_64 rng(h.batches_committed + 1);
  auto account = [&](uint64_t i) { return sizeof(Header) + i * sizeof(int64_t); };
  for (uint64_t b = 1; b <= batches; ++b) {
    for (int t = 0; t < 50; ++t) {
      uint64_t from = rng() % h.accounts, to = rng() % h.accounts;
      int64_t amount = static_cast<int64_t>(rng() % 100);
      file.store(account(from), file.load<int64_t>(account(from)) - amount);
      if (b == die_in_batch && t == 25) {
        printf("dying in batch %llu with a transfer half done\n", (unsigned long long)b);
        fflush(stdout);
        kill(getpid(), SIGKILL);
      }
      file.store(account(to), file.load<int64_t>(account(to)) + amount);
    }
    h.batches_committed++;
    file.store(0, h);
    file.commit();
  }
  printf("committed %llu batches (total %llu)\n", (unsigned long long)batches,
         (unsigned long long)h.batches_committed);
  file.close();
  return 0;
}

int check(const char *path) {
  auto file = famsync::MappedFile::open(path);  // recovers first, if a crash left work undone
  auto h = file.load<Header>(0);
  int64_t total = 0;
  for (uint64_t i = 0; i < h.accounts; ++i)
    total += file.load<int64_t>(sizeof(Header) + i * sizeof(int64_t));
  bool ok = total == static_cast<int64_t>(h.accounts) * kOpening;
  printf("%s: %llu batches committed, total %lld: %s\n", path,
         (unsigned long long)h.batches_committed, (long long)total, ok ? "consistent" : "BROKEN");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    if (argc == 4 && strcmp(argv[1], "init") == 0) return init(argv[2], strtoull(argv[3], nullptr, 10));
    if (argc >= 4 && strcmp(argv[1], "run") == 0) {
      uint64_t die = argc == 6 && strcmp(argv[4], "--die-in-batch") == 0 ? strtoull(argv[5], nullptr, 10) : 0;
      return run(argv[2], strtoull(argv[3], nullptr, 10), die);
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0) return check(argv[2]);
  } catch (const famsync::Error &e) {
    fprintf(stderr, "bank: %s\n", e.what());
    return 1;
  }
  fprintf(stderr, "usage: bank init FILE N | bank run FILE BATCHES [--die-in-batch K] | bank check FILE\n");
  return 2;
}
