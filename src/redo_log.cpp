// redo_log.cpp — see redo_log.hpp; the protocol is spelled out in DESIGN.md, "Commit protocol".
#include "redo_log.hpp"

#include "checksum.hpp"
#include "crash_point.hpp"
#include "error.hpp"

#include <cerrno>

#include <cstring>

namespace famsync {

int RedoLog::make_room(uint64_t n, uint64_t committed_size, bool *poisonous) {
  *poisonous = false;
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
  uint64_t n = lines.size();
  if (tail_ + n > capacity())
    return fail(EINVAL, "internal: redo group of %llu entries does not fit", (unsigned long long)n);
  for (uint64_t i = 0; i < n; ++i) {
    LogEntry e;
    memcpy(e.bytes, images.bytes(i), kLineSize);
    e.line_offset = lines[i] * kLineSize;
    e.generation = generation();
    e.sequence = sequence_;
    e.index = i;
    e.group_size = n;
    e.file_size = encode_size(new_size);
    e.reserved = 0;
    e.checksum = entry_checksum(e, salt());
    if (int rc = backend()->write(Medium::log, log_entry_offset(tail_ + i), &e, sizeof e))
      return rc;
  }
  crash_point("commit-before-publish");
  if (int rc = backend()->persist(Medium::log)) return rc;
  tail_ += n;
  ++sequence_;
  return 0;
}

int RedoLog::checkpoint(uint64_t committed_size) {
  if (int rc = backend()->persist(Medium::data)) return rc;
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

int scan_redo_groups(const ReadSlot &read, uint64_t salt, uint64_t generation, uint64_t capacity,
                     const std::function<int(const std::vector<LogEntry> &)> &visit,
                     uint64_t *groups, uint64_t *slots_used) {
  *groups = 0;
  uint64_t slot = 0;
  std::vector<LogEntry> group;
  for (uint64_t sequence = 0; slot < capacity; ++sequence) {
    LogEntry first;
    if (int rc = read(slot, &first)) return rc;
    if (!entry_is_valid(first, salt, generation) || first.sequence != sequence ||
        first.index != 0 || first.group_size == 0 || first.group_size > capacity - slot)
      break;
    group.assign(1, first);
    bool complete = true;
    for (uint64_t i = 1; i < first.group_size; ++i) {
      LogEntry e;
      if (int rc = read(slot + i, &e)) return rc;
      if (!entry_is_valid(e, salt, generation) || e.sequence != sequence || e.index != i ||
          e.group_size != first.group_size || e.file_size != first.file_size) {
        complete = false;  // the commit's log write did not finish: it never happened
        break;
      }
      group.push_back(e);
    }
    if (!complete) break;
    if (int rc = visit(group)) return rc;
    slot += first.group_size;
    ++*groups;
  }
  *slots_used = slot;
  return 0;
}

}  // namespace famsync
