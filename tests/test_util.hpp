// test_util.hpp — temporary directories and files for famsync tests.
//
// Invariant: every test works in its own fresh directory (under /dev/shm for the pmem backend,
// under $FAMSYNC_TEST_DISK_DIR or /var/tmp for the file backend) that is removed afterwards, so
// tests never share state and can run in parallel.
#pragma once

#include <famsync/famsync.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/xattr.h>
#include <vector>

namespace famsync::test {

// shm_pmem_undo: the pmem backend with FAMSYNC_PMEM_PROTOCOL=undo, for tests that run famsync in
// child processes (the protocol is an environment option, read once per process).
enum class Medium { shm_pmem, disk_file, shm_pmem_undo };

inline const char *medium_name(Medium m) {
  return m == Medium::shm_pmem ? "pmem" : m == Medium::disk_file ? "file" : "pmem_undo";
}
// The FAMSYNC_BACKEND value for M.
inline const char *backend_name(Medium m) { return m == Medium::disk_file ? "file" : "pmem"; }

// The environment a child process needs for M's backend and (on pmem) protocol.
inline std::vector<std::string> child_env_for(Medium m) {
  return {std::string("FAMSYNC_BACKEND=") + backend_name(m),
          std::string("FAMSYNC_PMEM_PROTOCOL=") + (m == Medium::shm_pmem_undo ? "undo" : "redo")};
}

inline unsigned map_flags(Medium m) {
  return m == Medium::disk_file ? FAMS_MAP_FORCE_FILE : FAMS_MAP_FORCE_PMEM;
}

class TempDir {
 public:
  explicit TempDir(Medium m) {
    const char *disk = getenv("FAMSYNC_TEST_DISK_DIR");
    std::string root = m != Medium::disk_file ? "/dev/shm" : (disk ? disk : "/var/tmp");
    std::string templ = root + "/famsync-test-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp " + templ);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::vector<uint8_t> pattern(size_t size, uint64_t seed) {
  std::vector<uint8_t> v(size);
  std::mt19937_64 rng(seed);
  for (auto &b : v) b = static_cast<uint8_t>(rng());
  return v;
}

inline void write_file(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::vector<uint8_t> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The path of DATA's log as its identity names it (the `user.famsync` attribute: "famsync1 <id>
// <dir>"), whether or not the log exists now; "" if the file has no identity.
inline std::string log_path_of(const std::string &data) {
  char value[4200];
  ssize_t n = getxattr(data.c_str(), "user.famsync", value, sizeof value - 1);
  if (n < 42) return {};
  value[n] = '\0';
  return std::string(value + 42) + "/.famsync-" + std::string(value + 9, 32) + ".log";
}

}  // namespace famsync::test
