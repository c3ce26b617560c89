// famsync/famsync.hpp — C++ RAII wrapper over the C API (famsync.h).
//
// famsync::MappedFile owns one tracked region. commit() makes every change since the last commit
// durable, atomically; rollback() discards them. The destructor never throws and never commits:
// it rolls back what was not committed and unmaps, so an exception unwinding through a scope
// leaves the file at its last commit (call close() to commit-and-unmap explicitly).
// Errors are reported as famsync::Error (a std::system_error in famsync::category()).
#pragma once

#include <famsync/famsync.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace famsync {

// std::error_category for fams_ error codes (positive errno values and FAMS_E*).
inline const std::error_category &category() {
  struct Category final : std::error_category {
    const char *name() const noexcept override { return "famsync"; }
    std::string message(int code) const override { return fams_strerror(code); }
  };
  static const Category instance;
  return instance;
}

class Error : public std::system_error {
 public:
  Error(int code, const std::string &what) : std::system_error(code, category(), what) {}
};

namespace detail {
inline void check(int rc, const char *what) {
  if (rc != 0) {
    std::string detail = fams_last_error_message();
    throw Error(rc, detail.empty() ? std::string(what) : std::string(what) + ": " + detail);
  }
}
}  // namespace detail

enum class Backend : unsigned { automatic = 0, pmem = FAMS_MAP_FORCE_PMEM, file = FAMS_MAP_FORCE_FILE };

class MappedFile {
 public:
  // Maps PATH (recovering it first). Throws Error (see fams_map for the codes).
  static MappedFile open(const std::string &path, Backend backend = Backend::automatic) {
    fams_region *r = nullptr;
    detail::check(fams_map(path.c_str(), static_cast<unsigned>(backend), &r), "famsync: open");
    return MappedFile(r);
  }

  MappedFile(MappedFile &&other) noexcept : region_(std::exchange(other.region_, nullptr)) {}
  MappedFile &operator=(MappedFile &&other) noexcept {
    if (this != &other) {
      discard();
      region_ = std::exchange(other.region_, nullptr);
    }
    return *this;
  }
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile() { discard(); }

  bool is_open() const noexcept { return region_ != nullptr; }
  std::byte *data() const noexcept { return static_cast<std::byte *>(fams_region_addr(region_)); }
  std::size_t size() const noexcept { return fams_region_size(region_); }
  std::span<const std::byte> bytes() const noexcept { return {data(), size()}; }

  // Announces a write of [offset, offset+len) (for code not compiled with the famsync pass).
  void will_write(std::size_t offset, std::size_t len) {
    check_range(offset, len);
    detail::check(fams_will_write(data() + offset, len), "famsync: will_write");
  }

  // Announces and performs a write: the convenient way to update the file without the pass.
  void write(std::size_t offset, const void *src, std::size_t len) {
    will_write(offset, len);
    std::memcpy(data() + offset, src, len);
  }
  template <typename T>
    requires std::is_trivially_copyable_v<T>
  void store(std::size_t offset, const T &value) {
    write(offset, &value, sizeof value);
  }
  template <typename T>
    requires std::is_trivially_copyable_v<T>
  T load(std::size_t offset) const {
    check_range(offset, sizeof(T));
    T value;
    std::memcpy(&value, data() + offset, sizeof value);
    return value;
  }

  void commit() { detail::check(fams_msync(region_), "famsync: commit"); }
  void rollback() { detail::check(fams_rollback(region_), "famsync: rollback"); }
  // Sets the file's size (fams_resize): growth is committed by the next commit(), shrinking at once.
  // The view follows: data(), size() and bytes() cover the new size (data() may move: do not keep
  // pointers into the file across a resize).
  void resize(std::uint64_t new_size) {
    detail::check(fams_resize(region_, new_size), "famsync: resize");
  }
  // Non-throwing commit for callers that prefer codes.
  std::error_code try_commit() noexcept { return {fams_msync(region_), category()}; }

  // Commits and unmaps. Throws Error if the commit fails (the file then keeps its last commit).
  void close() {
    fams_region *r = std::exchange(region_, nullptr);
    detail::check(fams_unmap(r), "famsync: close");
  }

  fams_stat_counters stats() const {
    fams_stat_counters s{};
    detail::check(fams_stats(region_, &s), "famsync: stats");
    return s;
  }
  fams_region *native_handle() const noexcept { return region_; }

 private:
  explicit MappedFile(fams_region *r) : region_(r) {}

  void check_range(std::size_t offset, std::size_t len) const {
    if (region_ == nullptr) throw Error(FAMS_ENOTTRACKED, "famsync: file is not open");
    if (offset > size() || len > size() - offset)
      throw Error(EINVAL, "famsync: range [" + std::to_string(offset) + ", +" +
                              std::to_string(len) + ") is outside the " +
                              std::to_string(size()) + "-byte file");
  }

  // Rolls back uncommitted changes, then unmaps (which then has nothing to commit). If the
  // rollback fails part-way the region refuses every commit (fams_rollback), so the unmap commits
  // nothing and the file keeps its last commit: the destructor never commits, even then.
  void discard() noexcept {
    if (region_ == nullptr) return;
    fams_region *r = std::exchange(region_, nullptr);
    (void)fams_rollback(r);  // on failure commits are refused: the unmap below writes nothing
    (void)fams_unmap(r);
  }

  fams_region *region_ = nullptr;
};

}  // namespace famsync
