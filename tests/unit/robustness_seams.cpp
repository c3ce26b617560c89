// robustness_seams.cpp — see robustness_seams.hpp. Invariant: the failing backend passes every
// call through to the real file backend except data reads while failing is switched on.
#include "robustness_seams.hpp"

#include "backend.hpp"
#include "error.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace famsync::test {
namespace {

std::atomic<bool> g_fail_reads{false};

class FailingReads final : public Backend {
 public:
  explicit FailingReads(std::unique_ptr<Backend> in) : in_(std::move(in)) {}
  const char *name() const override { return in_->name(); }
  int write(Medium m, uint64_t o, const void *s, size_t n) override { return in_->write(m, o, s, n); }
  int write_word(Medium m, uint64_t o, uint64_t v) override { return in_->write_word(m, o, v); }
  int read(Medium m, uint64_t o, void *d, size_t n) override {
    if (m == Medium::data && g_fail_reads.load())
      return fail(EIO, "injected read failure at %llu", (unsigned long long)o);
    return in_->read(m, o, d, n);
  }
  int persist(Medium m) override { return in_->persist(m); }
  int grow_log(uint64_t s) override { return in_->grow_log(s); }
  uint64_t log_size() const override { return in_->log_size(); }
  int set_data_size(uint64_t s) override { return in_->set_data_size(s); }

 private:
  std::unique_ptr<Backend> in_;
};

int factory(int data_fd, uint64_t, int log_fd, uint64_t log_size, bool,
            std::unique_ptr<Backend> *out) {
  std::unique_ptr<Backend> inner;
  if (int rc = make_file_backend(data_fd, log_fd, log_size, &inner)) return rc;
  *out = std::make_unique<FailingReads>(std::move(inner));
  return 0;
}

}  // namespace

void install_failing_reads_backend() { set_backend_factory_for_testing(factory); }
void uninstall_failing_reads_backend() {
  g_fail_reads = false;
  set_backend_factory_for_testing(nullptr);
}
void set_fail_reads(bool fail) { g_fail_reads = fail; }

int make_pmem_backend_with_bad_log(const std::string &path, uint64_t map_bytes) {
  int fd = open(path.c_str(), O_RDWR);
  if (fd < 0) return errno;
  std::unique_ptr<Backend> b;
  int rc = make_pmem_backend(fd, 4096, map_bytes, /*log_fd=*/-1, 8192, &b);
  close(fd);
  return rc;
}

}  // namespace famsync::test
