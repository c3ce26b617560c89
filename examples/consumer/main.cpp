// main.cpp — the smallest famsync program: map a file, update it, commit, report.
// Usage: consumer FILE   (FILE must exist and be at least 8 bytes)
#include <famsync/famsync.hpp>

#include <cstdint>
#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer FILE\n");
    return 2;
  }
  try {
    auto file = famsync::MappedFile::open(argv[1]);
    auto runs = file.load<uint64_t>(0) + 1;
    file.store<uint64_t>(0, runs);
    file.commit();
    printf("run %llu committed\n", static_cast<unsigned long long>(runs));
    file.close();
  } catch (const famsync::Error &e) {
    fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  return 0;
}
