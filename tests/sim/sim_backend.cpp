// sim_backend.cpp — the simulated persistence domain (see sim_backend.hpp for the model).
//
// Invariant kept by every mutator: for each medium, a granule is in `dirty` iff first_seq != 0,
// and outside `dirty` persisted == visible. drain() is the only place persisted changes.
#include "sim_backend.hpp"

#include "log_format.hpp"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace famsync::sim {
namespace {

std::atomic<uint64_t> g_instances{0};

uint64_t load_u64(const std::vector<uint8_t> &v, uint64_t off) {
  uint64_t x = 0;
  if (off + 8 <= v.size()) memcpy(&x, v.data() + off, 8);
  return x;
}

// Write-through of the visible image to the real file (which plays the page cache).
int pwrite_real(int fd, const void *src, size_t len, uint64_t off) {
  auto *p = static_cast<const char *>(src);
  while (len > 0) {
    ssize_t n = ::pwrite(fd, p, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno != 0 ? errno : EIO;
    p += n, len -= static_cast<size_t>(n), off += static_cast<uint64_t>(n);
  }
  return 0;
}

std::vector<uint8_t> read_all(int fd, uint64_t size) {
  std::vector<uint8_t> v(size);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, v.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // past EOF reads as zero, as through a mapping
    done += static_cast<uint64_t>(n);
  }
  return v;
}

}  // namespace

Break break_from_env() {
  const char *v = getenv("FAMSYNC_SIM_BREAK");
  if (v == nullptr || *v == '\0' || strcmp(v, "none") == 0) return Break::none;
  if (strcmp(v, "skip-log-persist") == 0) return Break::skip_log_persist;
  if (strcmp(v, "drop-log-persist") == 0) return Break::drop_log_persist;
  if (strcmp(v, "no-drain-data") == 0) return Break::no_drain_data;
  if (strcmp(v, "ignore-resize") == 0) return Break::ignore_resize;
  if (strcmp(v, "no-flush") == 0) return Break::no_flush;
  fprintf(stderr, "sim: unknown FAMSYNC_SIM_BREAK=%s (want none|skip-log-persist|"
          "drop-log-persist|no-drain-data|ignore-resize|no-flush)\n", v);
  abort();  // a typo must not silently test the correct protocol
}

const char *break_name(Break b) {
  switch (b) {
    case Break::none: return "none";
    case Break::skip_log_persist: return "skip-log-persist";
    case Break::drop_log_persist: return "drop-log-persist";
    case Break::no_drain_data: return "no-drain-data";
    case Break::ignore_resize: return "ignore-resize";
    case Break::no_flush: return "no-flush";
  }
  return "?";
}

const char *kind_name(Event::Kind k) {
  switch (k) {
    case Event::Kind::write: return "write";
    case Event::Kind::write_word: return "write_word";
    case Event::Kind::persist: return "persist";
    case Event::Kind::grow_log: return "grow_log";
    case Event::Kind::set_data_size: return "set_data_size";
  }
  return "?";
}

SimBackend::SimBackend(Model model, Break brk, int data_fd, std::vector<uint8_t> data, int log_fd,
                       std::vector<uint8_t> log, Observer observer, bool write_through,
                       std::function<void(const SimBackend &)> on_destroy)
    : model_(model), break_(brk), instance_(++g_instances), observer_(std::move(observer)),
      write_through_(write_through), on_destroy_(std::move(on_destroy)) {
  Media *all[2] = {&media_[0], &media_[1]};
  media_[0].fd = data_fd;
  media_[0].visible = std::move(data);
  media_[1].fd = log_fd;
  media_[1].visible = std::move(log);
  for (Media *md : all) {
    md->persisted = md->visible;  // what is in the files at open is taken as durable
    uint64_t granules = (md->visible.size() + granule_size() - 1) / granule_size();
    md->first_seq.assign(granules, 0);
    md->last_seq.assign(granules, 0);
    md->unflushed.assign(granules, 0);
  }
}

SimBackend::~SimBackend() {
  if (on_destroy_) on_destroy_(*this);
}

int SimBackend::store(Event::Kind kind, Medium m, uint64_t off, const void *src, size_t len,
                      bool cached) {
  std::lock_guard lock(mu_);
  Media &md = media_[idx(m)];
  if (off > md.visible.size() || len > md.visible.size() - off) return EINVAL;  // as real ones do
  if (len == 0) return 0;
  memcpy(md.visible.data() + off, src, len);
  if (write_through_)
    if (int rc = pwrite_real(md.fd, src, len, off)) return rc;
  Event e{kind, m, off, len, ++seq_};
  uint64_t g = granule_size();
  for (uint64_t i = off / g, last = (off + len - 1) / g; i <= last; ++i) {
    if (md.first_seq[i] == 0) {
      md.first_seq[i] = e.seq;
      md.dirty.push_back(i);
    }
    md.last_seq[i] = e.seq;
    // A cached store waits for its clwb; an NT store or clwb'd word needs none (it supersedes an
    // unflushed cached store of the same granule).
    md.unflushed[i] = cached ? 1 : 0;
  }
  notify(e);
  return 0;
}

int SimBackend::stage(Medium m, uint64_t off, const void *src, size_t len) {
  if (model_ != Model::pmem) return write(m, off, src, len);  // the file model has no cache
  return store(Event::Kind::write, m, off, src, len, /*cached=*/true);
}

int SimBackend::flush(Medium m, uint64_t off, size_t len) {
  std::lock_guard lock(mu_);
  if (break_ == Break::no_flush) return 0;
  Media &md = media_[idx(m)];
  if (off > md.visible.size() || len > md.visible.size() - off) return EINVAL;
  if (len == 0) return 0;
  // clwb acts on whole cache lines: every granule of the lines the range touches.
  uint64_t g = granule_size(), line_lo = off / 64 * 64, line_hi = (off + len + 63) / 64 * 64;
  for (uint64_t i = line_lo / g; i < std::min<uint64_t>(line_hi / g, md.unflushed.size()); ++i)
    md.unflushed[i] = 0;
  return 0;
}

int SimBackend::write(Medium m, uint64_t off, const void *src, size_t len) {
  // File model: a log write is one event per 128-byte slot, in order, so that a crash is
  // explored between any two slots of a long write (a redo group's body goes out in 64 KiB
  // pieces, each copied into the page cache page by page): the pending set only grows between
  // drains, so this adds crash points and removes none. (pmem: NT stores of one call are
  // unordered anyway, and its crash unit is a line.)
  if (model_ == Model::file && m == Medium::log && len > kLogEntrySize) {
    const char *p = static_cast<const char *>(src);
    for (size_t done = 0; done < len;) {
      size_t n = std::min<size_t>(len - done, kLogEntrySize - (off + done) % kLogEntrySize);
      if (int rc = store(Event::Kind::write, m, off + done, p + done, n)) return rc;
      done += n;
    }
    return 0;
  }
  return store(Event::Kind::write, m, off, src, len);
}

int SimBackend::write_word(Medium m, uint64_t off, uint64_t value) {
  if (off % 8 != 0) return EINVAL;
  return store(Event::Kind::write_word, m, off, &value, sizeof value);
}

int SimBackend::read(Medium m, uint64_t off, void *dst, size_t len) {
  std::lock_guard lock(mu_);
  const std::vector<uint8_t> &v = media_[idx(m)].visible;
  size_t avail = off >= v.size() ? 0 : static_cast<size_t>(std::min<uint64_t>(v.size() - off, len));
  if (avail > 0) memcpy(dst, v.data() + off, avail);
  memset(static_cast<char *>(dst) + avail, 0, len - avail);
  return 0;
}

void SimBackend::drain(Media &md) {
  uint64_t g = granule_size();
  std::vector<uint64_t> kept;  // cached stores not flushed: still pending
  for (uint64_t i : md.dirty) {
    if (md.unflushed[i]) {
      kept.push_back(i);
      continue;
    }
    uint64_t lo = i * g, hi = std::min<uint64_t>(lo + g, md.visible.size());
    memcpy(md.persisted.data() + lo, md.visible.data() + lo, hi - lo);
    md.first_seq[i] = md.last_seq[i] = 0;
  }
  md.dirty.swap(kept);
  ++md.version;
}

// The log's commit point is the persist that makes a new nonzero live_count durable.
bool SimBackend::breaks_this_persist(Medium m) const {
  switch (break_) {
    case Break::none: return false;
    case Break::skip_log_persist: {
      if (m != Medium::log) return false;
      const Media &lg = media_[idx(Medium::log)];
      uint64_t want = load_u64(lg.visible, kLogLiveCountOffset);
      return want != 0 && want != load_u64(lg.persisted, kLogLiveCountOffset);
    }
    case Break::drop_log_persist: return m == Medium::log;
    case Break::no_drain_data: return m == Medium::data;
    case Break::ignore_resize: return false;
    case Break::no_flush: return false;
  }
  return false;
}

int SimBackend::persist(Medium m) {
  std::lock_guard lock(mu_);
  Event e{Event::Kind::persist, m, 0, 0, ++seq_};
  if (!breaks_this_persist(m)) {
    if (model_ == Model::pmem) {  // sfence: drains the WC buffers and clwb'd lines of both files
      drain(media_[0]);
      drain(media_[1]);
    } else {  // fdatasync: this file only
      drain(media_[idx(m)]);
    }
  }
  notify(e);
  return 0;
}

int SimBackend::grow_log(uint64_t new_size) {
  std::lock_guard lock(mu_);
  Media &lg = media_[idx(Medium::log)];
  if (new_size <= lg.visible.size()) return 0;
  if (write_through_)
    if (int rc = posix_fallocate(lg.fd, 0, static_cast<off_t>(new_size)); rc != 0) return rc;
  lg.visible.resize(new_size, 0);
  lg.persisted.resize(new_size, 0);
  uint64_t granules = (new_size + granule_size() - 1) / granule_size();
  lg.first_seq.resize(granules, 0);
  lg.last_seq.resize(granules, 0);
  lg.unflushed.resize(granules, 0);
  Event e{Event::Kind::grow_log, Medium::log, 0, new_size, ++seq_};
  notify(e);
  return 0;
}

int SimBackend::set_data_size(uint64_t new_size) {
  std::lock_guard lock(mu_);
  Media &d = media_[idx(Medium::data)];
  if (write_through_) {
    if (::ftruncate(d.fd, static_cast<off_t>(new_size)) != 0) return errno;
  }
  if (break_ == Break::ignore_resize) return 0;  // the real file changes, the durable image not
  if (model_ == Model::file) drain(d);  // fsync
  uint64_t g = granule_size();
  uint64_t granules = (new_size + g - 1) / g;
  // Pending granules that start at or past the new end are gone; a partial last granule keeps
  // its pending bytes below the end.
  std::vector<uint64_t> kept;
  for (uint64_t i : d.dirty) {
    if (i < granules) kept.push_back(i);
    else d.first_seq[i] = d.last_seq[i] = d.unflushed[i] = 0;
  }
  d.dirty.swap(kept);
  d.visible.resize(new_size, 0);
  d.persisted.resize(new_size, 0);
  d.first_seq.resize(granules, 0);
  d.last_seq.resize(granules, 0);
  d.unflushed.resize(granules, 0);
  ++d.version;  // crash-image keys name the data image's shape too
  Event e{Event::Kind::set_data_size, Medium::data, 0, new_size, ++seq_};
  notify(e);
  return 0;
}

uint64_t SimBackend::log_size() const {
  std::lock_guard lock(mu_);
  return media_[idx(Medium::log)].visible.size();
}

void SimBackend::notify(const Event &e) {
  if (observer_) observer_(*this, e);
}

std::vector<Unit> SimBackend::pending_units() const {
  std::vector<Unit> units;
  uint64_t g = granule_size();
  for (Medium m : {Medium::data, Medium::log}) {
    const Media &md = media_[idx(m)];
    std::vector<uint64_t> dirty = md.dirty;
    std::sort(dirty.begin(), dirty.end());
    for (uint64_t i : dirty) {
      uint64_t lo = i * g, hi = std::min<uint64_t>(lo + g, md.visible.size());
      // A write of the bytes already persisted changes no crash image: not a unit.
      if (memcmp(md.visible.data() + lo, md.persisted.data() + lo, hi - lo) == 0) continue;
      uint64_t u = i / kGranulesPerUnit;
      uint8_t bit = static_cast<uint8_t>(1u << (i % kGranulesPerUnit));
      if (!units.empty() && units.back().medium == m && units.back().index == u) {
        units.back().dirty_mask |= bit;
        units.back().first_seq = std::min(units.back().first_seq, md.first_seq[i]);
      } else {
        units.push_back(Unit{m, u, bit, md.first_seq[i]});
      }
    }
  }
  std::stable_sort(units.begin(), units.end(),
                   [](const Unit &a, const Unit &b) { return a.first_seq < b.first_seq; });
  return units;
}

void SimBackend::crash_image(const std::vector<Unit> &units, const std::vector<uint8_t> &masks,
                             std::vector<uint8_t> *data, std::vector<uint8_t> *log) const {
  std::vector<uint8_t> *out[2] = {data, log};
  for (unsigned k = 0; k < 2; ++k)
    out[k]->assign(media_[k].persisted.begin(), media_[k].persisted.end());
  uint64_t g = granule_size();
  for (size_t u = 0; u < units.size(); ++u) {
    uint8_t mask = masks[u] & units[u].dirty_mask;
    const Media &md = media_[idx(units[u].medium)];
    std::vector<uint8_t> &img = *out[idx(units[u].medium)];
    for (unsigned b = 0; b < kGranulesPerUnit; ++b) {
      if (!(mask >> b & 1)) continue;
      uint64_t lo = (units[u].index * kGranulesPerUnit + b) * g;
      uint64_t hi = std::min<uint64_t>(lo + g, md.visible.size());
      memcpy(img.data() + lo, md.visible.data() + lo, hi - lo);
    }
  }
}

SimBackend::UnitHash SimBackend::unit_hash(const Unit &u, uint8_t mask) const {
  const Media &md = media_[idx(u.medium)];
  uint64_t rec[5 + kGranulesPerUnit] = {instance_, media_[0].version, media_[1].version,
                                        u.index * 2 + idx(u.medium), mask};
  for (unsigned b = 0; b < kGranulesPerUnit; ++b)
    if (mask >> b & 1) rec[5 + b] = md.last_seq[u.index * kGranulesPerUnit + b];
  return {XXH3_64bits_withSeed(rec, sizeof rec, 1), XXH3_64bits_withSeed(rec, sizeof rec, 2)};
}

std::vector<SimBackend::UnitHash> SimBackend::unit_hashes(const std::vector<Unit> &units) const {
  std::vector<UnitHash> h(units.size());
  for (size_t i = 0; i < units.size(); ++i) h[i] = unit_hash(units[i], units[i].dirty_mask);
  return h;
}

void SimBackend::image_key(const std::vector<Unit> &units, const std::vector<uint8_t> &masks,
                           const std::vector<UnitHash> &full, uint64_t out[2]) const {
  // The empty selection's key names the persisted images (instance + drain versions).
  uint64_t head[3] = {instance_, media_[0].version, media_[1].version};
  out[0] = XXH3_64bits_withSeed(head, sizeof head, 3);
  out[1] = XXH3_64bits_withSeed(head, sizeof head, 4);
  for (size_t u = 0; u < units.size(); ++u) {
    uint8_t mask = masks[u] & units[u].dirty_mask;
    if (mask == 0) continue;
    UnitHash h = mask == units[u].dirty_mask ? full[u] : unit_hash(units[u], mask);
    out[0] += h.a;
    out[1] += h.b;
  }
}

// ---- Factory ------------------------------------------------------------------------------------

namespace {
thread_local FactoryMode t_mode;

int sim_factory(int data_fd, uint64_t data_size, int log_fd, uint64_t log_size, bool want_pmem,
                std::unique_ptr<Backend> *out) {
  const FactoryMode &mode = t_mode;
  if (mode.passthrough) {
    return want_pmem ? make_pmem_backend(data_fd, data_size, log_fd, log_size, out)
                     : make_file_backend(data_fd, log_fd, log_size, out);
  }
  Model model = mode.force_model ? mode.model : (want_pmem ? Model::pmem : Model::file);
  *out = std::make_unique<SimBackend>(model, mode.brk, data_fd, read_all(data_fd, data_size),
                                      log_fd, read_all(log_fd, log_size), mode.observer,
                                      mode.write_through, mode.on_destroy);
  return 0;
}
}  // namespace

FactoryMode set_thread_mode(FactoryMode mode) {
  set_backend_factory_for_testing(sim_factory);
  FactoryMode old = std::move(t_mode);
  t_mode = std::move(mode);
  return old;
}

const FactoryMode &thread_mode() { return t_mode; }

}  // namespace famsync::sim
