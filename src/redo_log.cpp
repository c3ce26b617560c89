// redo_log.cpp — see redo_log.hpp; the protocol is spelled out in DESIGN.md, "Commit protocol".
#include "redo_log.hpp"

#include "checksum.hpp"
#include "crash_point.hpp"
#include "error.hpp"

#include <algorithm>
#include <cerrno>

#include <cstring>

namespace famsync {

int RedoLog::make_room(uint64_t lines, uint64_t committed_size, bool *poisonous) {
  *poisonous = false;
  uint64_t n = redo_group_slots(lines);
  if (n > capacity()) {
    if (int rc = grow(n)) return rc;
  }
  if (tail_ + n > capacity()) {
    if (int rc = checkpoint(committed_size)) {
      *poisonous = true;
      return rc;
    }
  }
  return 0;
}

int RedoLog::append_group(const LineImages &images, uint64_t new_size) {
  const std::vector<uint64_t> &lines = *images.lines;
  uint64_t n = lines.size(), slots = redo_group_slots(n);
  if (version_ != kLogFormatVersion)
    return fail(EINVAL, "internal: appending to a redo log of format version %u", version_);
  if (n == 0 || tail_ + slots > capacity())
    return fail(EINVAL, "internal: redo group of %llu lines does not fit", (unsigned long long)n);
  if (slots * kLogEntrySize <= kSmallGroupBytes) return append_small_group(images, new_size);
  // The body goes out in chunks through one small reused buffer, hashed on the way, and the
  // header last: a 1 GiB commit needs no second 1 GiB copy of its lines. Short pieces (offsets,
  // scattered lines) are gathered into the buffer and written and hashed a chunk at a time: one
  // call per line would cost more than the line (a pmem write call and a hash update each).
  // (Writes to the log are unordered until persist(), so writing the header last orders nothing;
  // a crash before the persist leaves a group whose checksums do not match.)
  const uint64_t start = log_entry_offset(tail_);
  uint64_t at = start + sizeof(RedoGroupHeader);
  XXH3_state_t hash;
  XXH3_64bits_reset_withSeed(&hash, salt());
  chunk_.resize(kChunkBytes);
  size_t gathered = 0;  // bytes waiting in chunk_
  auto write_out = [&](const char *p, size_t len) {
    redo_body_hash_update(&hash, p, len);
    int rc = backend()->write(Medium::log, at, p, len);
    at += len;
    return rc;
  };
  auto flush_gathered = [&] {
    int rc = gathered == 0 ? 0 : write_out(chunk_.data(), gathered);
    gathered = 0;
    return rc;
  };
  auto emit = [&](const char *p, size_t len) {
    if (len >= kDirectBytes) {  // long enough to go out on its own, without a copy
      if (int rc = flush_gathered()) return rc;
      return write_out(p, len);
    }
    if (gathered + len > kChunkBytes) {
      if (int rc = flush_gathered()) return rc;
    }
    copy_line_or_bytes(chunk_.data() + gathered, p, len);  // a scattered commit: line by line
    gathered += len;
    return 0;
  };
  // The offset table, padded with zeros to a multiple of 64 bytes, built in place in chunk_.
  for (uint64_t i = 0; i < n;) {
    if (gathered == kChunkBytes) {
      if (int rc = flush_gathered()) return rc;
    }
    uint64_t k = std::min<uint64_t>((kChunkBytes - gathered) / sizeof(uint64_t), n - i);
    auto *offsets = reinterpret_cast<uint64_t *>(chunk_.data() + gathered);
    for (uint64_t j = 0; j < k; ++j) offsets[j] = lines[i + j] * kLineSize;
    gathered += k * sizeof(uint64_t);
    i += k;
  }
  if (size_t pad = redo_offsets_bytes(n) - n * sizeof(uint64_t)) {
    static constexpr char kZeros[kLineSize] = {};
    if (int rc = emit(kZeros, pad)) return rc;
  }
  // The lines, in the same order. A run of consecutive lines is contiguous in both image
  // layouts (line_images.hpp).
  for (uint64_t i = 0; i < n;) {
    uint64_t j = i + 1;
    while (j < n && lines[j] == lines[j - 1] + 1 && (j - i) * kLineSize < kChunkBytes) ++j;
    if (int rc = emit(images.bytes(i), (j - i) * kLineSize)) return rc;
    i = j;
  }
  if (int rc = flush_gathered()) return rc;
  // The rest of the last slot: zeros, outside the checksum.
  if (uint64_t pad = start + slots * kLogEntrySize - at) {
    memset(chunk_.data(), 0, pad);
    if (int rc = backend()->write(Medium::log, at, chunk_.data(), pad)) return rc;
  }
  RedoGroupHeader h = group_header(n, new_size, XXH3_64bits_digest(&hash));
  if (int rc = backend()->write(Medium::log, start, &h, sizeof h)) return rc;
  return publish_group(slots);
}

// The whole group (header, offsets, lines, the last slot's zeros) built in chunk_ and written
// with one backend call: a commit of a few lines made four (pmem: four pmem_memcpy calls, about
// 150 instructions each, for 1-2 KiB in all).
int RedoLog::append_small_group(const LineImages &images, uint64_t new_size) {
  const std::vector<uint64_t> &lines = *images.lines;
  const uint64_t n = lines.size(), slots = redo_group_slots(n);
  const uint64_t group_bytes = slots * kLogEntrySize;
  const uint64_t offsets_bytes = redo_offsets_bytes(n);
  chunk_.resize(kChunkBytes);
  char *const group = chunk_.data(), *const body = group + sizeof(RedoGroupHeader);
  auto *offsets = reinterpret_cast<uint64_t *>(body);
  for (uint64_t i = 0; i < n; ++i) offsets[i] = lines[i] * kLineSize;
  memset(body + n * sizeof(uint64_t), 0, offsets_bytes - n * sizeof(uint64_t));
  char *at = body + offsets_bytes;
  for (uint64_t i = 0; i < n;) {  // runs of consecutive lines are contiguous in the images
    uint64_t j = i + 1;
    while (j < n && lines[j] == lines[j - 1] + 1) ++j;
    memcpy(at, images.bytes(i), (j - i) * kLineSize);
    at += (j - i) * kLineSize;
    i = j;
  }
  memset(at, 0, group + group_bytes - at);  // the rest of the last slot, outside the checksum
  RedoGroupHeader h = group_header(n, new_size, redo_body_checksum(body, at - body, salt()));
  memcpy(group, &h, sizeof h);
  if (int rc = backend()->write(Medium::log, log_entry_offset(tail_), group, group_bytes))
    return rc;
  return publish_group(slots);
}

RedoGroupHeader RedoLog::group_header(uint64_t lines, uint64_t new_size,
                                      uint64_t body_checksum) const {
  RedoGroupHeader h{};
  h.magic = kRedoGroupMagic;
  h.generation = generation();
  h.sequence = sequence_;
  h.line_count = lines;
  h.file_size = encode_size(new_size);
  h.body_checksum = body_checksum;
  h.checksum = redo_header_checksum(h, salt());
  return h;
}

// The group of SLOTS slots after the tail is written: one drain makes it durable, the commit
// point.
int RedoLog::publish_group(uint64_t slots) {
  crash_point("commit-before-publish");
  if (int rc = backend()->persist(Medium::log)) return rc;
  tail_ += slots;
  ++sequence_;
  return 0;
}

int RedoLog::checkpoint(uint64_t committed_size) {
  // Lines written back with cached stores are durable only once flushed (clwb) and drained.
  // Those past the committed size were cut off by a shrink since: nothing to flush.
  // A run of consecutive lines (each commit lists its lines sorted) is one flush call.
  for (size_t i = 0, n = unflushed_lines_.size(); i < n;) {
    size_t j = i + 1;
    while (j < n && unflushed_lines_[j] == unflushed_lines_[j - 1] + 1) ++j;
    uint64_t off = unflushed_lines_[i] * kLineSize;
    uint64_t end = std::min<uint64_t>((unflushed_lines_[j - 1] + 1) * kLineSize, committed_size);
    if (off < end) {
      if (int rc = backend()->flush(Medium::data, off, end - off)) return rc;
    }
    i = j;
  }
  if (int rc = backend()->persist(Medium::data)) return rc;
  // Only the filter's entries for listed lines can be set (an entry is set when its line is
  // listed): clearing those costs a store per listed line instead of a 32 KiB memset per
  // checkpoint (5 % of the instructions of 64-line commits).
  if (unflushed_lines_.size() < kListedFilterSize / 8) {
    for (uint64_t line : unflushed_lines_) listed_filter_[line % kListedFilterSize] = 0;
  } else {
    listed_filter_.fill(0);
  }
  unflushed_lines_.clear();
  if (unflushed_lines_.capacity() > (1u << 16)) std::vector<uint64_t>().swap(unflushed_lines_);
  crash_point("checkpoint-data-synced");
  // The next generation's size slot must be durable before the generation word is: a separate
  // sync, needed only when the size differs from what that slot already holds (it alternates,
  // so it usually holds the size of two checkpoints ago: equal unless the file was resized).
  uint64_t next = generation() + 1, word = encode_size(committed_size);
  if (size_words_[next & 1] != word) {
    if (int rc = backend()->write_word(Medium::log, log_size_slot_offset(next), word)) return rc;
    if (int rc = backend()->persist(Medium::log)) return rc;
    size_words_[next & 1] = word;
  }
  if (int rc = advance_generation()) return rc;
  tail_ = 0;
  sequence_ = 0;
  crash_point("checkpoint-done");
  return 0;
}

int RedoLog::set_current_size_word(uint64_t word) {
  // With groups in the log the last group's size would win over this word anyway.
  if (tail_ != 0)
    return fail(EINVAL, "internal: changing the committed size with commits in the redo log");
  if (int rc = LogBase::set_current_size_word(word)) return rc;
  size_words_[generation() & 1] = word;
  return 0;
}

namespace {

// Version 3: one 128-byte entry per line, every entry of a group carrying its place in it.
int scan_v3_groups(const ReadLog &read, const RedoLogShape &shape,
                   const std::function<int(const RedoGroup &)> &visit, uint64_t *groups,
                   uint64_t *slots_used) {
  uint64_t slot = 0;
  RedoGroup group;
  for (uint64_t sequence = 0; slot < shape.capacity; ++sequence) {
    LogEntry first;
    if (int rc = read(log_entry_offset(slot), &first, sizeof first)) return rc;
    if (!entry_is_valid(first, shape.salt, shape.generation) || first.sequence != sequence ||
        first.index != 0 || first.group_size == 0 || first.group_size > shape.capacity - slot)
      break;
    group.sequence = sequence;
    group.file_size = first.file_size;
    group.lines = first.group_size;
    group.body.assign(redo_group_bytes(group.lines) - sizeof(RedoGroupHeader), 0);
    bool complete = true;
    for (uint64_t i = 0; i < first.group_size; ++i) {
      LogEntry e = first;
      if (i != 0) {
        if (int rc = read(log_entry_offset(slot + i), &e, sizeof e)) return rc;
        if (!entry_is_valid(e, shape.salt, shape.generation) || e.sequence != sequence ||
            e.index != i || e.group_size != first.group_size || e.file_size != first.file_size) {
          complete = false;  // the commit's log write did not finish: it never happened
          break;
        }
      }
      memcpy(group.body.data() + i * sizeof e.line_offset, &e.line_offset, sizeof e.line_offset);
      memcpy(group.body.data() + redo_offsets_bytes(group.lines) + i * kLineSize, e.bytes,
             kLineSize);
    }
    if (!complete) break;
    if (int rc = visit(group)) return rc;
    slot += first.group_size;
    ++*groups;
  }
  *slots_used = slot;
  return 0;
}

// The most lines a group in CAPACITY slots can hold (bounds a header's line_count before any
// arithmetic on it).
uint64_t max_group_lines(uint64_t capacity) {
  return capacity * kLogEntrySize / (kLineSize + sizeof(uint64_t));
}

// Version 4's group header at SLOT, if it is one of the current generation that fits the log.
bool current_header_at(const RedoGroupHeader &h, const RedoLogShape &shape, uint64_t slot) {
  return redo_header_is_valid(h, shape.salt, shape.generation) &&
         h.line_count <= max_group_lines(shape.capacity) &&
         redo_group_slots(h.line_count) <= shape.capacity - slot;
}

int scan_v4_groups(const ReadLog &read, const RedoLogShape &shape,
                   const std::function<int(const RedoGroup &)> &visit, uint64_t *groups,
                   uint64_t *slots_used) {
  uint64_t slot = 0;
  RedoGroup group;
  for (uint64_t sequence = 0; slot < shape.capacity; ++sequence) {
    RedoGroupHeader h;
    if (int rc = read(log_entry_offset(slot), &h, sizeof h)) return rc;
    if (!current_header_at(h, shape, slot) || h.sequence != sequence) break;
    uint64_t n = h.line_count;
    group.body.resize(redo_group_bytes(n) - sizeof h);
    if (int rc = read(log_entry_offset(slot) + sizeof h, group.body.data(), group.body.size()))
      return rc;
    if (redo_body_checksum(group.body.data(), group.body.size(), shape.salt) != h.body_checksum)
      break;  // the commit's log write did not finish: it never happened
    group.sequence = sequence;
    group.file_size = h.file_size;
    group.lines = n;
    if (int rc = visit(group)) return rc;
    slot += redo_group_slots(n);
    ++*groups;
  }
  *slots_used = slot;
  return 0;
}

bool all_zero(const void *p, size_t len) {
  const unsigned char *b = static_cast<const unsigned char *>(p);
  for (size_t i = 0; i < len; ++i)
    if (b[i] != 0) return false;
  return true;
}

}  // namespace

int scan_redo_groups(const ReadLog &read, const RedoLogShape &shape,
                     const std::function<int(const RedoGroup &)> &visit, uint64_t *groups,
                     uint64_t *slots_used) {
  *groups = 0;
  *slots_used = 0;
  if (shape.version <= kLogFormatVersionV3)
    return scan_v3_groups(read, shape, visit, groups, slots_used);
  return scan_v4_groups(read, shape, visit, groups, slots_used);
}

int find_later_redo_group(const ReadLog &read, const RedoLogShape &shape, uint64_t from,
                          uint64_t groups, bool *found, uint64_t *found_slot,
                          uint64_t *found_sequence) {
  *found = false;
  if (shape.version <= kLogFormatVersionV3) {
    // Every slot is an entry: the first zero or older-generation entry is past the tail (usually
    // the very first one looked at).
    for (uint64_t slot = from; slot < shape.capacity; ++slot) {
      LogEntry e;
      if (int rc = read(log_entry_offset(slot), &e, sizeof e)) return rc;
      bool older = e.generation < shape.generation && e.checksum == entry_checksum(e, shape.salt);
      if (older || all_zero(&e, sizeof e)) break;
      if (entry_is_valid(e, shape.salt, shape.generation) && e.sequence > groups) {
        *found = true;
        *found_slot = slot;
        *found_sequence = e.sequence;
        return 0;
      }
    }
    return 0;
  }
  // Version 4: only group headers are recognisable; the slots between them are offsets and lines.
  // At FROM: zeros or an older generation's header is the tail of the log. A current header
  // (whose body did not verify) gives the next group's place. Anything else is a damaged header
  // or an older generation's body: search slot by slot, through zeros too (lines may be zero),
  // up to an older generation's header (the tail) or the end of the log.
  RedoGroupHeader h;
  uint64_t slot = from;
  if (slot >= shape.capacity) return 0;
  if (int rc = read(log_entry_offset(slot), &h, sizeof h)) return rc;
  auto is_older_header = [&](const RedoGroupHeader &x) {
    return x.generation < shape.generation && redo_header_verifies(x, shape.salt);
  };
  if (all_zero(&h, sizeof h) || is_older_header(h)) return 0;
  bool searching = true;
  if (current_header_at(h, shape, slot)) {
    slot += redo_group_slots(h.line_count);
    searching = false;  // the next group, if any, starts exactly there
  } else {
    ++slot;
  }
  // Headers are read a chunk of slots at a time: a search may cross an older generation's body.
  constexpr uint64_t kChunkSlots = 512;
  std::vector<char> chunk;
  while (slot < shape.capacity) {
    uint64_t n = searching ? std::min(kChunkSlots, shape.capacity - slot) : 1;
    chunk.resize(n * kLogEntrySize);
    if (int rc = read(log_entry_offset(slot), chunk.data(), chunk.size())) return rc;
    for (uint64_t i = 0; i < n; ++i) {
      memcpy(&h, chunk.data() + i * kLogEntrySize, sizeof h);
      if (current_header_at(h, shape, slot + i) && h.sequence > groups) {
        *found = true;
        *found_slot = slot + i;
        *found_sequence = h.sequence;
        return 0;
      }
      if (!searching || is_older_header(h)) return 0;
    }
    slot += n;
  }
  return 0;
}

}  // namespace famsync
