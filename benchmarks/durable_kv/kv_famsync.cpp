// kv_famsync.cpp — the durable_kv workload on a plain mmap key-value store made failure-atomic
// by famsync's C API: fams_map() of one file, fams_will_write() before each write, one
// fams_msync() per commit (FAMSYNC_BACKEND unset: the file backend on an ordinary file system,
// a redo log and one fdatasync per commit).
//
// The store is what one writes by hand over mmap: a header line, then an open-addressing hash
// table (linear probing) of 128-byte slots {used, key, value}; an insert writes one slot and the
// header's count, an update the value only.
// Invariant: the table always has at least one free slot (capacity ≥ 1.5 × the keys it will
// hold), so a probe ends at the key or at a free slot.
#include <famsync/famsync.h>
#include <fcntl.h>
#include <unistd.h>

#include "workload.hpp"

namespace durable_kv {
namespace {

struct Header {
  uint64_t magic, capacity, count, pad[5];
};
struct alignas(64) Slot {
  uint32_t used;
  char key[kKeyBytes];
  char value[kValueBytes];
};
static_assert(sizeof(Header) == 64 && sizeof(Slot) == 128);
constexpr uint64_t kMagic = 0x766b2d636e79736dull;  // "msync-kv"

class FamsyncStore {
 public:
  explicit FamsyncStore(uint64_t max_keys) {
    capacity_ = 1;
    while (capacity_ * 2 < max_keys * 3) capacity_ <<= 1;
  }

  void open(const std::string &dir) {
    path_ = dir + "/kv.famsync";
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, sizeof(Header) + capacity_ * sizeof(Slot)) != 0 || fsync(fd) != 0)
      die("cannot create", path_);
    ::close(fd);
    check(fams_map(path_.c_str(), 0, &region_), "fams_map");
    hdr_ = static_cast<Header *>(fams_region_addr(region_));
    slots_ = reinterpret_cast<Slot *>(hdr_ + 1);
    check(fams_will_write(hdr_, sizeof(Header)), "fams_will_write");
    hdr_->magic = kMagic;
    hdr_->capacity = capacity_;
    hdr_->count = 0;
  }

  void put(const char *key, const char *value) {
    Slot *s = probe(key);
    if (s->used) {
      check(fams_will_write(s->value, kValueBytes), "fams_will_write");
      memcpy(s->value, value, kValueBytes);
      return;
    }
    check(fams_will_write(s, sizeof(Slot)), "fams_will_write");
    memcpy(s->key, key, kKeyBytes);
    memcpy(s->value, value, kValueBytes);
    s->used = 1;
    check(fams_will_write(&hdr_->count, sizeof hdr_->count), "fams_will_write");
    hdr_->count++;
  }

  void commit() { check(fams_msync(region_), "fams_msync"); }

  bool get(const char *key, char *value) {
    Slot *s = probe(key);
    if (!s->used) return false;
    memcpy(value, s->value, kValueBytes);
    return true;
  }

  void close() { check(fams_unmap(region_), "fams_unmap"); }

 private:
  static void check(int rc, const char *what) {
    if (rc != 0)
      die(what, std::string(fams_strerror(rc)) + " (" + fams_last_error_message() + ")");
  }
  Slot *probe(const char *key) {
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < kKeyBytes; ++i) h = (h ^ static_cast<uint8_t>(key[i])) * 1099511628211ull;
    for (uint64_t i = h & (capacity_ - 1);; i = (i + 1) & (capacity_ - 1)) {
      Slot *s = &slots_[i];
      if (!s->used || memcmp(s->key, key, kKeyBytes) == 0) return s;
    }
  }

  std::string path_;
  uint64_t capacity_;
  fams_region *region_ = nullptr;
  Header *hdr_ = nullptr;
  Slot *slots_ = nullptr;
};

}  // namespace
}  // namespace durable_kv

int main(int argc, char **argv) {
  auto o = durable_kv::parse(argc, argv, "famsync");
  durable_kv::FamsyncStore store(o.preload + o.ops);
  return durable_kv::run(o, store);
}
