// inspect.cpp — see inspect.hpp.
#include "inspect.hpp"

#include "checksum.hpp"
#include "error.hpp"
#include "os.hpp"
#include "redo_log.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace famsync {

int inspect_log(const std::string &data_path, LogReport *report) {
  report->data_path = data_path;
  int data_fd = ::open(data_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (data_fd < 0) return fail_errno("open %s", data_path.c_str());
  struct stat st;
  if (fstat(data_fd, &st) != 0) {
    int rc = fail_errno("fstat %s", data_path.c_str());
    ::close(data_fd);
    return rc;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(data_fd);
    return fail(FAMS_ENOTREGULAR, "%s is not a regular file", data_path.c_str());
  }
  report->data_size = static_cast<uint64_t>(st.st_size);
  report->data_ino = st.st_ino;
  FileIdentity id;
  bool has_id = false;
  LogFile &lf = report->log;
  int rc = read_identity(data_fd, st, &id, &has_id);
  if (rc == 0) {
    report->has_identity = has_id;
    report->identity_derived = id.derived;
    if (has_id) report->log_path = id.derived ? log_file_name(id) : id.log_dir + "/" + log_file_name(id);
    rc = find_log_file(data_fd, st, data_path, has_id ? &id : nullptr, /*read_only=*/true, &lf,
                       &report->log_exists);
  }
  ::close(data_fd);
  if (rc != 0) return rc;
  if (!report->log_exists) return 0;
  report->log_path = lf.path;
  uint64_t size_word = current_size_word(lf.dynamic);
  ReadLog read_log = [&](uint64_t off, void *dst, size_t len) {
    return os::pread_full(lf.fd, dst, len, off, lf.path.c_str());
  };
  RedoLogShape shape{lf.fixed.version, lf.fixed.salt, lf.dynamic.generation, lf.capacity()};
  if (lf.protocol() == LogProtocol::redo) {  // the last complete group's size wins
    uint64_t groups = 0, slots = 0;
    int rc = scan_redo_groups(read_log, shape,
                              [&](const RedoGroup &group) {
                                if (size_is_recorded(group.file_size)) size_word = group.file_size;
                                return 0;
                              },
                              &groups, &slots);
    if (rc != 0) {
      close_log_file(&lf);
      return rc;
    }
  }
  report->size_recorded = size_is_recorded(size_word);
  report->committed_size = report->size_recorded ? decode_size(size_word) : report->data_size;
  // Entries past the committed size are dropped by recovery's cut, not applied.
  auto note_range = [&](uint64_t line_offset) {
    if (line_offset % kLineSize != 0 ||
        (line_offset < report->committed_size && line_offset >= report->data_size))
      ++report->out_of_range;
  };
  if (lf.protocol() == LogProtocol::undo) {
    for (uint64_t slot = 0; slot < lf.live(); ++slot) {
      LogEntry e;
      if (int rc = os::pread_full(lf.fd, &e, sizeof e, log_entry_offset(slot), lf.path.c_str())) {
        close_log_file(&lf);
        return rc;
      }
      if (!entry_is_valid(e, lf.fixed.salt, lf.dynamic.generation)) {
        ++report->torn_live;
      } else {
        ++report->valid_live;
        note_range(e.line_offset);
      }
    }
    report->pending = report->valid_live;
  } else {
    uint64_t slots = 0, lines = 0;
    int rc = scan_redo_groups(read_log, shape,
                              [&](const RedoGroup &group) {
                                for (size_t i = 0; i < group.lines; ++i)
                                  note_range(group.offset(i));
                                lines += group.lines;
                                return 0;
                              },
                              &report->redo_groups, &slots);
    if (rc != 0) {
      close_log_file(&lf);
      return rc;
    }
    report->pending = lines;
  }
  close_log_file(&lf);
  return 0;
}

}  // namespace famsync
