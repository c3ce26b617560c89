// file_watch.cpp — the process's inotify instance behind FileWatch (file_watch.hpp): created at
// the first watch, drained by commits under a mutex (so that a drain's events are counted before
// any later drain can report "nothing"), started afresh in a forked child.
#include "file_watch.hpp"

#include "options.hpp"
#include "ring_poll.hpp"

#include <linux/magic.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace famsync {

namespace {

struct Instance {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<int> fd{-1};
  uint64_t id = 0;             // of the live instance; 0 = none (yet, or in a fresh child)
  uint64_t last_id = 0;        // ids are never reused, so a forked child's handles never match
  bool unavailable = false;    // inotify_init1 failed: every commit asks statx (no retry per map)
  bool failed = false;         // a read failed: the instance vouches for nothing any more
  uint64_t generation = 0;     // raised by every drain that read any event
  struct Holders {
    int count = 0;
    bool vanished = false;  // the kernel removed the watch (IN_IGNORED): the file is gone
  };
  std::unordered_map<int, Holders> holders;  // watch descriptor -> handles holding it
  size_t vanished = 0;                       // holders with vanished set
  // A poll of the instance whose wake-ups its owner sees without a system call (ring_poll.hpp);
  // other threads, and every thread without it, ask FIONREAD.
  RingPoll ring;
  uint64_t ring_owner = 0;  // this_thread() of the thread that armed it; 0: none
  std::atomic<int> ring_fd{-1};  // ring.descriptor(), for is_own_descriptor without the mutex
  // Commits by other threads since the owner's last: at kHandOver the ring moves to the thread
  // that commits (a program that maps in one thread and commits in another, as the harness's
  // workers do). Alternating threads reset it, so the ring does not bounce between them.
  unsigned commits_by_others = 0;
};

// A number no other thread of the process ever gets (not the thread pointer: a thread made after
// the owner exited may reuse its memory, and would take itself for the owner of a poll that the
// owner's exit cancelled).
std::atomic<uint64_t> g_thread_tokens{0};
constinit __attribute__((tls_model("initial-exec"))) thread_local uint64_t t_thread_token = 0;
uint64_t this_thread() {
  if (t_thread_token == 0) t_thread_token = g_thread_tokens.fetch_add(1) + 1;
  return t_thread_token;
}

constexpr unsigned kHandOver = 64;

// Arms the ring in the calling thread (its owner from now on); false: FIONREAD for everyone.
bool arm_ring(Instance &in) {
  in.ring_owner = 0;
  in.ring_fd.store(-1);
  if (!in.ring.arm(in.fd.load())) return false;
  in.ring_owner = this_thread();
  in.ring_fd.store(in.ring.descriptor());
  return true;
}

// Never destroyed: regions are committed by exit hooks that may run after static destructors.
Instance &instance() {
  static Instance *const in = new Instance;
  return *in;
}

void reset_in_child() {
  Instance &in = instance();
  pthread_mutex_init(&in.mutex, nullptr);  // a parent's thread may have held it at fork()
  int fd = in.fd.exchange(-1);
  if (fd >= 0) ::close(fd);  // the parent's: the child must never drain its events
  in.id = 0;
  in.unavailable = in.failed = false;
  in.holders.clear();
  in.vanished = 0;
  in.ring.disarm();  // the parent's ring: unmapped and closed here only
  in.ring_owner = 0;
  in.ring_fd.store(-1);
}

// File systems whose every change passes through this kernel (and so through fsnotify). A network
// or FUSE file system can be changed by another machine or a daemon without an event here;
// overlayfs can be changed through its layers.
bool trusted_file_system(int fd) {
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case F2FS_SUPER_MAGIC:
    case TMPFS_MAGIC:
      return true;
    default:
      return false;
  }
}

// Watches the file open as FD (through /proc/self/fd: its inode, whatever its name is now).
// IN_MASK_ADD: an inode watched for two reasons keeps both masks. Returns the watch or -1.
int add_watch(Instance &in, int fd, uint32_t mask) {
  char path[48];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int wd = inotify_add_watch(in.fd.load(), path, mask | IN_MASK_ADD);
  if (wd >= 0) ++in.holders[wd].count;
  return wd;
}

void drop_watch(Instance &in, int wd) {
  if (wd < 0) return;
  auto it = in.holders.find(wd);
  if (it == in.holders.end() || --it->second.count > 0) return;
  bool vanished = it->second.vanished;
  in.holders.erase(it);
  if (vanished)
    --in.vanished;
  else
    (void)inotify_rm_watch(in.fd.load(), wd);
}

bool vanished(const Instance &in, int wd) {
  auto it = in.holders.find(wd);
  return it == in.holders.end() || it->second.vanished;
}

// Reads every queued event. Any event raises the generation: which region it concerns does not
// matter, each region looks once. A watch the kernel removed while held (IN_IGNORED: the file's
// last name went and nothing else held its dentry — a log created with O_TMPFILE and linked, once
// unlinked — or its file system went away) can vouch for nothing more: its regions ask statx at
// every commit from then on. A failing read leaves the instance unable to vouch for anything.
void drain(Instance &in) {
  // FIONREAD first: it only sums the queue under its lock (188 ns here), where a read that
  // finds nothing also joins and leaves the instance's wait queue (241 ns; statx 263 ns).
  int queued = 0;
  if (ioctl(in.fd.load(), FIONREAD, &queued) == 0 && queued == 0) return;
  alignas(struct inotify_event) char buf[4096];
  for (;;) {
    ssize_t n = ::read(in.fd.load(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ++in.generation;
    if (n <= 0) {
      in.failed = true;
      return;
    }
    for (char *p = buf; p < buf + n;) {
      auto *e = reinterpret_cast<struct inotify_event *>(p);
      if ((e->mask & IN_IGNORED) != 0) {
        auto it = in.holders.find(e->wd);
        if (it != in.holders.end() && !it->second.vanished) {
          it->second.vanished = true;
          ++in.vanished;
        }
      }
      p += sizeof *e + e->len;
    }
  }
}

class Locked {
 public:
  explicit Locked(Instance &in) : in_(in) { pthread_mutex_lock(&in_.mutex); }
  ~Locked() { pthread_mutex_unlock(&in_.mutex); }

 private:
  Instance &in_;
};

}  // namespace

void FileWatch::start(int data_fd, int log_fd) {
  stop();
  if (!options().file_watch || !trusted_file_system(data_fd) || !trusted_file_system(log_fd))
    return;
  static std::once_flag fork_hook;
  std::call_once(fork_hook, [] { pthread_atfork(nullptr, nullptr, reset_in_child); });
  Instance &in = instance();
  Locked lock(in);
  if (in.id == 0) {
    if (in.unavailable) return;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {  // EMFILE: the user's fs.inotify.max_user_instances; ENOSYS
      in.unavailable = true;
      return;
    }
    in.fd.store(fd);
    in.id = ++in.last_id;
    if (options().file_watch_ring) arm_ring(in);
  }
  int data_wd = add_watch(in, data_fd, IN_MODIFY);
  int log_wd = add_watch(in, log_fd, IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
  if (data_wd < 0 || log_wd < 0) {  // ENOSPC: fs.inotify.max_user_watches; ENOENT: no /proc
    drop_watch(in, data_wd);
    drop_watch(in, log_wd);
    return;
  }
  data_watch_ = data_wd;
  log_watch_ = log_wd;
  instance_ = in.id;
  seen_ = kNever;  // the first commit asks the kernel, after the watches are in place
}

void FileWatch::stop() {
  if (instance_ == 0) return;
  Instance &in = instance();
  {
    Locked lock(in);
    if (instance_ == in.id) {  // not a parent's watch in a forked child
      drop_watch(in, data_watch_);
      drop_watch(in, log_watch_);
    }
  }
  instance_ = 0;
  data_watch_ = log_watch_ = -1;
  seen_ = kNever;
}

bool FileWatch::may_have_changed(uint64_t *generation) {
  *generation = kNever;
  if (instance_ == 0) return true;
  Instance &in = instance();
  // Another commit is draining: its events may not be counted yet, so this one cannot know.
  if (pthread_mutex_trylock(&in.mutex) != 0) return true;
  bool look = true;
  if (instance_ == in.id && !in.failed) {
    // The ring's owner reads two words of shared memory; a wake-up since its last look (an event
    // queued, or the ring's own completions) sends it to the kernel like everyone else.
    bool owner = in.ring_owner != 0 && in.ring_owner == this_thread();
    if (owner) {
      in.commits_by_others = 0;
    } else if (in.ring_owner != 0 && ++in.commits_by_others >= kHandOver) {
      // Hand the ring over: the old poll goes with the old ring; events queued before the new
      // poll was armed are read by the drain below, later ones wake the new poll.
      in.commits_by_others = 0;
      in.ring_fd.store(-1);  // before its number is closed, and so free for the program's use
      in.ring.disarm();
      arm_ring(in);
    }
    if (!owner || !in.ring.quiet()) {
      if (owner && !in.ring.get_events()) {  // disarmed: FIONREAD from now on
        in.ring_owner = 0;
        in.ring_fd.store(-1);
      }
      drain(in);
    }
    if (!in.failed &&
        (in.vanished == 0 || (!vanished(in, data_watch_) && !vanished(in, log_watch_)))) {
      *generation = in.generation;
      look = in.generation != seen_;
    }
  }
  pthread_mutex_unlock(&in.mutex);
  return look;
}

bool FileWatch::is_own_descriptor(int descriptor) {
  Instance &in = instance();
  return descriptor >= 0 && (descriptor == in.fd.load(std::memory_order_relaxed) ||
                             descriptor == in.ring_fd.load(std::memory_order_relaxed));
}

}  // namespace famsync
