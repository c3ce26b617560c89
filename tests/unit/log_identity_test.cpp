// log_identity_test.cpp — regression tests for issue 11: a log follows its file through renames
// and links, never applies to another file, keeps the file's permissions, is never created
// through a planted name, does not pile up, and a deleted log is noticed.
// Each test names the reproduction it covers ("#N").
#include "../test_util.hpp"

#include "checksum.hpp"
#include "log_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace famsync::test;

namespace {

constexpr size_t kLine = 64;

// Runs crash_child with ARGS under ENV (NAME=VALUE strings); returns the raw wait status.
int run_child(const std::vector<std::string> &env, const std::vector<std::string> &args) {
  pid_t pid = fork();
  if (pid == 0) {
    for (const std::string &e : env) putenv(strdup(e.c_str()));
    std::vector<char *> argv{const_cast<char *>(FAMSYNC_CRASH_CHILD)};
    for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execv(FAMSYNC_CRASH_CHILD, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::string backend_env(Medium m) { return std::string("FAMSYNC_BACKEND=") + backend_name(m); }

// The protocol the log at PATH records, and its format version.
famsync::LogStaticHeader static_header_of(const std::string &path) {
  auto bytes = read_file(path);
  famsync::LogStaticHeader h{};
  if (bytes.size() >= sizeof h) memcpy(&h, bytes.data(), sizeof h);
  return h;
}

std::vector<std::string> names_in(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Old (all 'A') or new ('B' in every other line, 'A' between)? Returns "old", "new" or "mix".
std::string classify(const std::vector<uint8_t> &bytes) {
  bool all_a = std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) { return c == 'A'; });
  if (all_a) return "old";
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] != ((i / kLine) % 2 == 0 ? 'B' : 'A')) return "mix";
  return "new";
}

class LogIdentityTest : public ::testing::TestWithParam<Medium> {
 protected:
  LogIdentityTest() : dir_(GetParam()) {}

  // DB becomes 16 KiB of 'x', and a child's second commit to it is killed in the middle of the
  // write-back, leaving its log to be turned into a log of an earlier format. Logs of the earlier
  // formats (versions 1-3) on pmem were undo logs, so there the child commits with the undo
  // protocol (no effect on files).
  void crash_leaving_old_protocol_log(const std::string &db) {
    write_file(db, std::vector<uint8_t>(16 * 1024, 'x'));
    int status = run_child({backend_env(GetParam()), "FAMSYNC_PMEM_PROTOCOL=undo",
                            "FAMSYNC_CRASH_AT=commit-mid-writeback:2"},
                           {"rename-commit", db, db});
    ASSERT_TRUE(WIFSIGNALED(status));
  }

  TempDir dir_;
};

// #1: rename a mapped file, then crash inside the next commit: recovery under the new name
// yields the old or the new state (before: the log stayed under the old name, `famsync check`
// said "consistent" over a mix of 257 of 512 lines).
TEST_P(LogIdentityTest, RenameThenCrashInCommitRecoversUnderNewName) {
  // Every commit step of both protocols (a point the backend's protocol lacks does not fire:
  // the child then finishes cleanly, and the file must hold the new state).
  int fired = 0;
  for (const char *point : {"commit-before-publish:2", "commit-after-publish:2",
                            "commit-mid-writeback:2", "commit-after-writeback:2",
                            "commit-after-retire:2", "checkpoint-data-synced:1",
                            "checkpoint-done:1"}) {
    std::string tmp = dir_.file("db.tmp"), db = dir_.file("db");
    write_file(tmp, std::vector<uint8_t>(64 * 1024, 'x'));
    int status = run_child({backend_env(GetParam()), std::string("FAMSYNC_CRASH_AT=") + point},
                           {"rename-commit", tmp, db});
    if (WIFSIGNALED(status)) ++fired;
    else ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << point << ": " << status;
    ASSERT_EQ(access(tmp.c_str(), F_OK), -1) << "the rename must have happened";
    ASSERT_EQ(fams_recover(db.c_str()), 0) << point << ": " << fams_last_error_message();
    std::string state = classify(read_file(db));
    EXPECT_NE(state, "mix") << point << ": recovery under the new name left a mix";
    unlink(log_path_of(db).c_str());
    unlink(db.c_str());
  }
  EXPECT_GE(fired, 5) << "too few crash points fired: the test no longer tests crashes";
}

// #2 + rename over: DB crashed inside a commit, then a rebuilt file is renamed over it, and it
// crashed inside a commit too. Recovering DB must use the rebuilt file's log, never the replaced
// file's (before: "belongs to another file", and the advised --force-identity destroyed it).
TEST_P(LogIdentityTest, RenameOverACrashedFileUsesTheNewFilesLog) {
  std::string db = dir_.file("db"), rebuilt = dir_.file("db.rebuild"), moved = dir_.file("db.x");
  write_file(db, std::vector<uint8_t>(16 * 1024, 'z'));
  write_file(rebuilt, std::vector<uint8_t>(16 * 1024, 'x'));
  // The old db: crash mid-commit (its log stays with live entries).
  int status = run_child({backend_env(GetParam()), "FAMSYNC_CRASH_AT=commit-mid-writeback:2"},
                         {"rename-commit", db, moved});
  ASSERT_TRUE(WIFSIGNALED(status));
  std::string old_log = log_path_of(moved);
  // The rebuilt file: renamed over "db" inside its own crashing commit.
  ASSERT_EQ(rename(moved.c_str(), db.c_str()), 0);  // put the old one back at "db" first
  status = run_child({backend_env(GetParam()), "FAMSYNC_CRASH_AT=commit-mid-writeback:2"},
                     {"rename-commit", rebuilt, db});
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(fams_recover(db.c_str()), 0) << fams_last_error_message();
  EXPECT_NE(classify(read_file(db)), "mix");
  EXPECT_NE(log_path_of(db), old_log) << "the replaced file's log must not be the new file's";
  struct stat st;
  EXPECT_EQ(stat(old_log.c_str(), &st), 0) << "the replaced file's log is kept (for `famsync gc`)";
}

// #3: after renaming a mapped file, the same process maps a new file under the old name (before:
// EBUSY from the renamed file's own log).
TEST_P(LogIdentityTest, SameProcessMapsANewFileUnderARenamedName) {
  std::string tmp = dir_.file("X.tmp.rebuild"), x = dir_.file("X");
  write_file(tmp, pattern(8192, 1));
  fams_region *a = nullptr, *b = nullptr;
  ASSERT_EQ(fams_map(tmp.c_str(), map_flags(GetParam()), &a), 0) << fams_last_error_message();
  ASSERT_EQ(rename(tmp.c_str(), x.c_str()), 0);
  write_file(tmp, pattern(8192, 2));
  ASSERT_EQ(fams_map(tmp.c_str(), map_flags(GetParam()), &b), 0) << fams_last_error_message();
  EXPECT_EQ(fams_unmap(b), 0);
  EXPECT_EQ(fams_unmap(a), 0);
}

// #4: an application's glob over its own files never matches a log (before:
// NAME-00000-of-00003.famslog matched NAME-00000-of-*).
TEST_P(LogIdentityTest, LogNamesNeverMatchTheApplicationsGlobs) {
  std::string shard = dir_.file("NAME-00000-of-00003");
  write_file(shard, pattern(4096, 3));
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(shard.c_str(), map_flags(GetParam()), &r), 0);
  int matches = 0;
  for (const std::string &name : names_in(dir_.path()))
    if (fnmatch("NAME-00000-of-*", name.c_str(), 0) == 0 || fnmatch("*", name.c_str(), FNM_PERIOD) == 0)
      ++matches;
  EXPECT_EQ(matches, 1) << "only the data file may match";
  EXPECT_EQ(fams_unmap(r), 0);
}

// #5: a cleanly closed file leaves no log behind (before: 8 MiB logs piled up).
TEST_P(LogIdentityTest, CleanCloseLeavesNoLog) {
  std::string path = dir_.file("small");
  write_file(path, std::vector<uint8_t>(71, 'q'));
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), map_flags(GetParam()), &r), 0);
  static_cast<char *>(fams_region_addr(r))[3] = 'w';
  ASSERT_EQ(fams_will_write(static_cast<char *>(fams_region_addr(r)) + 3, 1), 0);
  ASSERT_EQ(fams_msync(r), 0);
  struct stat st;
  ASSERT_EQ(stat(log_path_of(path).c_str(), &st), 0) << "a mapped file has a log";
  ASSERT_EQ(fams_unmap(r), 0);
  EXPECT_EQ(names_in(dir_.path()), std::vector<std::string>{"small"});
}

// #6: the log gets the data file's permission bits whatever the umask (before: 0644 from the
// umask for a 0600 file).
TEST_P(LogIdentityTest, LogModeFollowsTheDataFile) {
  for (mode_t data_mode : {0600, 0640, 0644}) {
    std::string path = dir_.file("m" + std::to_string(data_mode));
    write_file(path, pattern(4096, data_mode));
    ASSERT_EQ(chmod(path.c_str(), data_mode), 0);
    mode_t old = umask(data_mode == 0644 ? 077 : 0);
    fams_region *r = nullptr;
    ASSERT_EQ(fams_map(path.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
    umask(old);
    struct stat st;
    ASSERT_EQ(stat(log_path_of(path).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, data_mode) << "data mode " << std::oct << data_mode;
    EXPECT_EQ(fams_unmap(r), 0);
  }
}

// #7: another process gets EBUSY through a hard link or a symlink too (before: each name had
// its own log and lock).
TEST_P(LogIdentityTest, LinksAndSymlinksShareTheOneLock) {
  std::string db = dir_.file("db"), hard = dir_.file("db2"), sym = dir_.file("link");
  write_file(db, pattern(8192, 4));
  ASSERT_EQ(link(db.c_str(), hard.c_str()), 0);
  ASSERT_EQ(symlink(db.c_str(), sym.c_str()), 0);
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(db.c_str(), map_flags(GetParam()), &r), 0);
  for (const std::string &name : {hard, sym}) {
    int status = run_child({backend_env(GetParam())}, {"try-map", name});
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), EBUSY) << name;
  }
  EXPECT_EQ(fams_unmap(r), 0);
}

// #8: a log another user owns, or that others may write, is never applied (before: a crafted
// log in a shared FAMSYNC_LOG_DIR was replayed into root's 0600 file).
TEST_P(LogIdentityTest, UntrustedLogIsNeverApplied) {
  std::string path = dir_.file("victim");
  write_file(path, std::vector<uint8_t>(16 * 1024, 'x'));
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  int status = run_child({backend_env(GetParam()), "FAMSYNC_CRASH_AT=commit-mid-writeback:2"},
                         {"rename-commit", path, path});
  ASSERT_TRUE(WIFSIGNALED(status));
  std::string log = log_path_of(path);
  auto before = read_file(path);
  ASSERT_EQ(chmod(log.c_str(), 0606), 0);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_EFOREIGN);
  EXPECT_NE(std::string(fams_last_error_message()).find("wider than its data file"), std::string::npos)
      << fams_last_error_message();
  EXPECT_EQ(read_file(path), before);
  ASSERT_EQ(chmod(log.c_str(), 0600), 0);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(log.c_str(), 65534, 65534), 0);  // nobody
    EXPECT_EQ(fams_recover(path.c_str()), FAMS_EFOREIGN);
    EXPECT_NE(std::string(fams_last_error_message()).find("owned by uid 65534"), std::string::npos)
        << fams_last_error_message();
    EXPECT_EQ(read_file(path), before);
    ASSERT_EQ(chown(log.c_str(), 0, 0), 0);
  }
  ASSERT_EQ(fams_recover(path.c_str()), 0) << fams_last_error_message();
  EXPECT_NE(classify(read_file(path)), "mix");
}

// #9: a symlink planted under the log's name is never followed (before: the temporary name was
// opened with O_CREAT|O_TRUNC and a root process overwrote the link's target).
TEST_P(LogIdentityTest, PlantedSymlinkIsNeverFollowed) {
  std::string path = dir_.file("data"), target = dir_.file("precious");
  write_file(path, pattern(4096, 5));
  write_file(target, std::vector<uint8_t>(22, 'p'));
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), map_flags(GetParam()), &r), 0);  // gives it an identity
  ASSERT_EQ(fams_unmap(r), 0);                                        // and removes the log
  std::string log = log_path_of(path);
  ASSERT_EQ(symlink(target.c_str(), log.c_str()), 0);
  EXPECT_NE(fams_map(path.c_str(), map_flags(GetParam()), &r), 0) << "a planted link must be refused";
  EXPECT_EQ(read_file(target), std::vector<uint8_t>(22, 'p')) << "the link's target was written";
}

// #11: a new file never receives the log of a deleted file, even with the same inode number
// (before: the old file's log was replayed into it).
TEST_P(LogIdentityTest, NewFileReusingAnInodeNumberGetsNoOldLog) {
  std::string db = dir_.file("db");
  write_file(db, std::vector<uint8_t>(16 * 1024, 'x'));
  int status = run_child({backend_env(GetParam()), "FAMSYNC_CRASH_AT=commit-mid-writeback:2"},
                         {"rename-commit", db, db});
  ASSERT_TRUE(WIFSIGNALED(status));
  struct stat st;
  ASSERT_EQ(stat(db.c_str(), &st), 0);
  ino_t old_ino = st.st_ino;
  unlink(db.c_str());
  // Make new files until one reuses the inode number (ext4 reuses them at once; tmpfs never).
  bool reused = false;
  for (int i = 0; i < 64 && !reused; ++i) {
    write_file(db, std::vector<uint8_t>(16 * 1024, 'n'));
    ASSERT_EQ(stat(db.c_str(), &st), 0);
    reused = st.st_ino == old_ino;
    if (!reused) ASSERT_EQ(rename(db.c_str(), dir_.file("other" + std::to_string(i)).c_str()), 0);
  }
  if (!reused) write_file(db, std::vector<uint8_t>(16 * 1024, 'n'));
  ASSERT_EQ(fams_recover(db.c_str()), 0) << fams_last_error_message();
  EXPECT_EQ(read_file(db), std::vector<uint8_t>(16 * 1024, 'n'))
      << "a log of the deleted file was applied (inode reused: " << reused << ")";
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(db.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
  EXPECT_EQ(static_cast<char *>(fams_region_addr(r))[0], 'n');
  EXPECT_EQ(fams_unmap(r), 0);
  if (!reused) printf("note: %s never reused inode %llu; checked the identity rule only\n",
                      medium_name(GetParam()), (unsigned long long)old_ino);
}

// #12: deleting the log while the file is mapped fails the next commit loudly, with nothing
// written (before: the commit succeeded, a crash left an unrecoverable mix, and a second
// process could map the file and be overwritten).
TEST_P(LogIdentityTest, DeletedLogPoisonsTheNextCommit) {
  std::string path = dir_.file("data");
  auto initial = pattern(8192, 6);
  write_file(path, initial);
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), map_flags(GetParam()), &r), 0);
  auto *p = static_cast<char *>(fams_region_addr(r));
  ASSERT_EQ(fams_will_write(p, 4096), 0);
  memset(p, 'D', 4096);
  ASSERT_EQ(unlink(log_path_of(path).c_str()), 0);
  EXPECT_EQ(fams_msync(r), FAMS_EPOISONED);
  EXPECT_NE(std::string(fams_last_error_message()).find("deleted or replaced"), std::string::npos)
      << fams_last_error_message();
  EXPECT_EQ(read_file(path), initial) << "nothing may be written without a log";
  EXPECT_EQ(fams_msync(r), FAMS_EPOISONED) << "poisoned for good";
  fams_unmap(r);
  EXPECT_EQ(read_file(path), initial);
}

// Renames, links and unlinks between a crashed commit, a crashed recovery and the final recovery:
// every step finds the one log, and the result is old or new.
TEST_P(LogIdentityTest, NamesChangeAroundACrashedRecovery) {
  for (const char *point : {"recovery-mid-apply", "recovery-applied", "recovery-size-restored"}) {
    std::string db = dir_.file("db"), alias = dir_.file("alias"), sub = dir_.file("sub");
    ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
    std::string moved = sub + "/moved";
    write_file(db, std::vector<uint8_t>(64 * 1024, 'x'));
    int status = run_child({backend_env(GetParam()), "FAMSYNC_CRASH_AT=commit-mid-writeback:2"},
                           {"rename-commit", db, db});
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_EQ(link(db.c_str(), alias.c_str()), 0);
    ASSERT_EQ(unlink(db.c_str()), 0);
    status = run_child({backend_env(GetParam()), std::string("FAMSYNC_CRASH_AT=") + point},
                       {"recover", alias});
    // (The redo log may have nothing to apply at this point: then recovery just finishes.)
    ASSERT_EQ(rename(alias.c_str(), moved.c_str()), 0);  // across directories
    ASSERT_EQ(fams_recover(moved.c_str()), 0) << point << ": " << fams_last_error_message();
    EXPECT_NE(classify(read_file(moved)), "mix") << point;
    unlink(log_path_of(moved).c_str());
    unlink(moved.c_str());
    rmdir(sub.c_str());
  }
}

// Rewrites the static header of LOG (a log file's bytes) as format VERSION wrote it.
void set_log_version(std::vector<uint8_t> *log, uint32_t version) {
  famsync::LogStaticHeader h;
  memcpy(&h, log->data(), sizeof h);
  h.version = version;
  h.checksum = famsync::static_header_checksum(h);
  memcpy(log->data(), &h, sizeof h);
}

// Versions 1 and 2 wrote the undo live word as a plain count (version 3 tags it with the
// generation).
void plain_live_count(std::vector<uint8_t> *log) {
  famsync::LogDynamicHeader d;
  memcpy(&d, log->data() + famsync::kLogGenerationOffset, sizeof d);
  d.live_count = famsync::live_entries(d, famsync::kLogFormatVersion);
  memcpy(log->data() + famsync::kLogGenerationOffset, &d, sizeof d);
}

// A log of format version 2 (the identity block, but a plain live count) left by a crash is still
// recovered (torn entries skipped, as version 2 did), then replaced by a log of the current format.
TEST_P(LogIdentityTest, Version2LogIsRecoveredAndReplaced) {
  std::string db = dir_.file("db");
  ASSERT_NO_FATAL_FAILURE(crash_leaving_old_protocol_log(db));
  std::string log = log_path_of(db);
  auto bytes = read_file(log);
  set_log_version(&bytes, famsync::kLogFormatVersionV2);
  plain_live_count(&bytes);
  write_file(log, bytes);
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(db.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
  EXPECT_NE(classify(read_file(db)), "mix") << "the version-2 log was not applied";
  famsync::LogStaticHeader h = static_header_of(log_path_of(db));
  EXPECT_EQ(h.version, famsync::kLogFormatVersion) << "replaced by a log of the current format";
  EXPECT_EQ(h.protocol, static_cast<uint32_t>(famsync::LogProtocol::redo))
      << "and of the protocol wanted now (redo, on pmem too)";
  EXPECT_EQ(fams_unmap(r), 0);
}

// Rewrites the version-4 redo groups of LOG (a file-backend crash's log) as version 3 wrote them:
// one 128-byte entry per line, each carrying its group's sequence, size and file size. Returns
// the number of lines rewritten.
size_t redo_groups_to_version3(std::vector<uint8_t> *log) {
  using namespace famsync;
  LogStaticHeader st;
  LogDynamicHeader dyn;
  memcpy(&st, log->data(), sizeof st);
  memcpy(&dyn, log->data() + kLogGenerationOffset, sizeof dyn);
  std::vector<LogEntry> entries;
  uint64_t slot = 0;
  for (uint64_t sequence = 0;; ++sequence) {
    RedoGroupHeader h;
    memcpy(&h, log->data() + log_entry_offset(slot), sizeof h);
    if (!redo_header_is_valid(h, st.salt, dyn.generation) || h.sequence != sequence) break;
    const uint8_t *body = log->data() + log_entry_offset(slot) + sizeof h;
    for (uint64_t i = 0; i < h.line_count; ++i) {
      LogEntry e{};
      memcpy(&e.line_offset, body + i * 8, 8);
      memcpy(e.bytes, body + redo_offsets_bytes(h.line_count) + i * kLineSize, kLineSize);
      e.generation = dyn.generation;
      e.sequence = sequence;
      e.index = i;
      e.group_size = h.line_count;
      e.file_size = h.file_size;
      e.checksum = entry_checksum(e, st.salt);
      entries.push_back(e);
    }
    slot += redo_group_slots(h.line_count);
  }
  std::fill(log->begin() + kLogHeaderSize, log->begin() + log_entry_offset(slot), 0);
  // Version 3 needs more slots than version 4 did (a small log, FAMSYNC_LOG_ENTRIES=4): grow it.
  if (log->size() < log_entry_offset(entries.size())) log->resize(log_entry_offset(entries.size()));
  for (size_t i = 0; i < entries.size(); ++i)
    memcpy(log->data() + log_entry_offset(i), &entries[i], sizeof entries[i]);
  set_log_version(log, kLogFormatVersionV3);
  return entries.size();
}

// A log of format version 3 (redo: an entry per line) left by a crash is still recovered, then
// replaced by a log of the current format (version 4 packs redo groups).
TEST_P(LogIdentityTest, Version3LogIsRecoveredAndReplaced) {
  std::string db = dir_.file("db");
  ASSERT_NO_FATAL_FAILURE(crash_leaving_old_protocol_log(db));
  std::string log = log_path_of(db);
  auto bytes = read_file(log);
  famsync::LogStaticHeader h;
  memcpy(&h, bytes.data(), sizeof h);
  ASSERT_EQ(h.version, famsync::kLogFormatVersion);
  if (GetParam() == Medium::disk_file) {
    // As if none of the commit's write-back had reached the file: only a replay of the log can
    // give "new".
    write_file(db, std::vector<uint8_t>(16 * 1024, 'A'));
    EXPECT_EQ(redo_groups_to_version3(&bytes), 16u * 1024 / 64 + 16u * 1024 / 128)
        << "two groups: the fill with 'A' (256 lines) and every other line (128)";
  } else {
    set_log_version(&bytes, famsync::kLogFormatVersionV3);  // undo entries did not change in 4
  }
  write_file(log, bytes);
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(db.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
  if (GetParam() == Medium::disk_file)
    EXPECT_EQ(classify(read_file(db)), "new") << "the version-3 groups were not replayed";
  else
    EXPECT_NE(classify(read_file(db)), "mix") << "the version-3 log was not applied";
  h = static_header_of(log_path_of(db));
  EXPECT_EQ(h.version, famsync::kLogFormatVersion) << "replaced by a log of the current format";
  EXPECT_EQ(h.protocol, static_cast<uint32_t>(famsync::LogProtocol::redo));
  EXPECT_EQ(fams_unmap(r), 0);
}

// A log of format version 1 (FILE.famslog, no identity block) left by a crash is still recovered,
// then removed; the file then gets an identity and a log of the current format.
TEST_P(LogIdentityTest, OldFormatLogIsRecoveredAndRemoved) {
  std::string db = dir_.file("db");
  ASSERT_NO_FATAL_FAILURE(crash_leaving_old_protocol_log(db));
  // Turn the crash's log into what version 1 wrote: version 1, no identity block, PATH.famslog,
  // and a data file without an identity.
  std::string log = log_path_of(db), old = db + ".famslog";
  auto bytes = read_file(log);
  set_log_version(&bytes, famsync::kLogFormatVersionLegacy);
  plain_live_count(&bytes);
  std::fill(bytes.begin() + famsync::kLogIdentityOffset, bytes.begin() + 4096, 0);
  write_file(old, bytes);
  ASSERT_EQ(unlink(log.c_str()), 0);
  ASSERT_EQ(removexattr(db.c_str(), "user.famsync"), 0);
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(db.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
  EXPECT_NE(classify(read_file(db)), "mix") << "the old log was not applied";
  struct stat st;
  EXPECT_NE(stat(old.c_str(), &st), 0) << "the old log must be removed once applied";
  EXPECT_EQ(stat(log_path_of(db).c_str(), &st), 0) << "a log of the current format replaces it";
  EXPECT_EQ(fams_unmap(r), 0);
  // Version 1 left logs under old names: one that names another inode is never applied.
  std::string other = dir_.file("other");
  write_file(other, std::vector<uint8_t>(16 * 1024, 'o'));
  write_file(other + ".famslog", bytes);  // db's old log under other's old log name
  ASSERT_EQ(fams_recover(other.c_str()), 0) << fams_last_error_message();
  EXPECT_EQ(read_file(other), std::vector<uint8_t>(16 * 1024, 'o'));
}

INSTANTIATE_TEST_SUITE_P(Backends, LogIdentityTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
