// preload.cpp — libfamsync-preload.so: failure-atomic msync for unmodified, dynamically linked
// programs (LD_PRELOAD; `famsync run -- CMD`). DESIGN.md §10.
//
// The library carries its own copy of the runtime (the famsync_objs objects) and defines the libc
// functions that instrumented code reaches through the pass's renaming: mmap, munmap, msync,
// mremap, fsync, fdatasync, ftruncate, write, pwrite, read, pread, close. Each forwards to the
// same __fams_ entry point instrumented code calls (runtime/interpose.cpp), so the tracking
// policy (DESIGN §7), the logs, recovery and the exit hook are the ones instrumented programs
// get. mprotect, sigaction/signal, and readv/preadv/recv/recvfrom/recvmsg/fread (the kernel
// writing into a protected page) are interposed for page protection's sake (below).
//
// Writes are discovered by page protection instead of store hooks: a tracked mapping's working
// copy is PROT_READ at the start of each epoch (Region::protect_pages; commit and rollback
// re-protect the pages they cleaned). The first write to a page raises SIGSEGV; the handler lists
// every line of the page as written (after_write: their committed bytes stay in the data file
// and are logged from there at commit) and makes the page writable; the write then re-executes.
// The commit compares the listed lines with the file and drops the unchanged ones, so only
// changed 64-byte lines are logged and written back.
//
// Invariants:
//  - Calls made by the runtime itself (this library's code, and libpmem on its behalf) go to
//    libc's functions, never back into the runtime: a caller inside those objects (return
//    address), or any call while this thread is inside an entry point (t_depth), is "internal".
//  - Our SIGSEGV handler stays installed; the program's sigaction/signal for SIGSEGV are recorded
//    and every fault that is not a first write to a protected tracked page goes to the program's
//    handler (or the default action).
#include <famsync/abi.h>

#include "../src/region.hpp"
#include "../src/registry.hpp"
#include "../src/window.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <unistd.h>

namespace {

using famsync::Region;

__attribute__((tls_model("initial-exec"))) thread_local int t_depth = 0;

struct Range {
  uintptr_t lo = 0, hi = 0;
};
Range g_internal[4];  // this library, libpmem, libxxhash (filled by the constructor)
int g_ninternal = 0;
uintptr_t g_page = 4096;

bool internal_caller(void *ret) {
  // The exit and fork hooks run outside every wrapper: their libc calls (some made by libstdc++,
  // e.g. an ifstream's read) would otherwise come back in, and at exit deadlock on the lock the
  // hook holds (found by tests/preload/kernel_writes.c exiting without msync).
  if (t_depth > 0 || famsync::registry::in_process_hook()) return true;
  auto a = reinterpret_cast<uintptr_t>(ret);
  for (int i = 0; i < g_ninternal; ++i)
    if (a - g_internal[i].lo < g_internal[i].hi - g_internal[i].lo) return true;
  return false;
}

// Keeps the call in the wrapper (never a tail call), so the callee's own libc calls see a return
// address inside this library even if the compiler turns them into tail calls.
struct Depth {
  Depth() { ++t_depth; }
  ~Depth() { --t_depth; }
};

template <typename F>
F real(const char *name) {
  void *p = dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    fprintf(stderr, "famsync-preload: libc has no %s\n", name);
    abort();
  }
  return reinterpret_cast<F>(p);
}
#define REAL(name) \
  static auto real_##name = real<decltype(&::name)>(#name)

// ---- SIGSEGV: first write to a protected page --------------------------------------------

struct sigaction g_prog_segv;  // the program's SIGSEGV disposition (as it believes it set it)

// ---- The program's own mprotect of its tracked mappings ------------------------------------
// Ranges inside tracked mappings that the program made non-writable: a write fault there is the
// program's, not a first write. Written under g_readonly_mutex (mprotect), read lock-free by the
// SIGSEGV handler; a range is emptied (hi first) before it is reused. A program racing its own
// mprotect against its own writes to the same pages gets either outcome, as with the kernel.
struct ReadOnlyRange {
  std::atomic<uintptr_t> lo{0}, hi{0};
};
constexpr int kReadOnlyRanges = 64;
ReadOnlyRange g_readonly[kReadOnlyRanges];
std::mutex g_readonly_mutex;

bool program_made_read_only(uintptr_t addr) {
  for (ReadOnlyRange &r : g_readonly)
    if (addr < r.hi.load(std::memory_order_acquire) && addr >= r.lo.load(std::memory_order_acquire))
      return true;
  return false;
}

// Under g_readonly_mutex. False if the table is full.
bool add_read_only(uintptr_t lo, uintptr_t hi) {
  for (ReadOnlyRange &r : g_readonly) {
    if (r.hi.load(std::memory_order_relaxed) != 0) continue;
    r.lo.store(lo, std::memory_order_release);
    r.hi.store(hi, std::memory_order_release);
    return true;
  }
  return false;
}

// Under g_readonly_mutex: [lo, hi) is writable again; ranges are cut around it.
bool remove_read_only(uintptr_t lo, uintptr_t hi) {
  bool fits = true;
  for (ReadOnlyRange &r : g_readonly) {
    uintptr_t rlo = r.lo.load(std::memory_order_relaxed), rhi = r.hi.load(std::memory_order_relaxed);
    if (rhi == 0 || rhi <= lo || rlo >= hi) continue;
    r.hi.store(0, std::memory_order_release);  // emptied first: never a wider range meanwhile
    if (rlo < lo) {
      r.lo.store(rlo, std::memory_order_release);
      r.hi.store(lo, std::memory_order_release);
      if (rhi > hi) fits = add_read_only(hi, rhi) && fits;
    } else if (rhi > hi) {
      r.lo.store(hi, std::memory_order_release);
      r.hi.store(rhi, std::memory_order_release);
    }
  }
  return fits;
}

void warn_read_only_table_full() {
  static std::atomic<bool> said{false};
  if (!said.exchange(true))
    fprintf(stderr, "famsync-preload: more than %d ranges of tracked mappings made read-only with "
                    "mprotect: a write to a further one is taken for a first write, not a fault\n",
            kReadOnlyRanges);
}

// Logs the page at ADDR of a protected tracked region and makes it writable. False if ADDR is
// not such a page (the fault is not ours).
bool record_page(uintptr_t addr) {
  if (!famsync::window::in_window(addr)) return false;
  if (program_made_read_only(addr)) return false;
  Region *r = famsync::region_in_window(addr);
  if (r == nullptr || !r->page_protected() || !r->contains(addr)) return false;
  uintptr_t page = addr & ~(g_page - 1);
  // The page's lines are listed as written (after_write: the data file keeps their committed
  // bytes, logged from there at commit); the commit drops those the program left unchanged.
  // A region inherited across fork() never commits (the parent owns its log): not listed.
  if (!r->disowned()) r->after_write(page, g_page);
  return mprotect(reinterpret_cast<void *>(page), g_page, PROT_READ | PROT_WRITE) == 0;
}

void on_segv(int sig, siginfo_t *info, void *uctx) {
  int saved = errno;
  if (info != nullptr && info->si_code == SEGV_ACCERR &&
      record_page(reinterpret_cast<uintptr_t>(info->si_addr))) {
    errno = saved;
    return;  // the write re-executes on a writable, logged page
  }
  errno = saved;
  const struct sigaction &p = g_prog_segv;
  if ((p.sa_flags & SA_SIGINFO) && p.sa_sigaction != nullptr) {
    p.sa_sigaction(sig, info, uctx);
  } else if (p.sa_handler != SIG_DFL && p.sa_handler != SIG_IGN) {
    p.sa_handler(sig);
  } else {
    // Default action (SIG_IGN cannot ignore a real fault either): re-raised by the re-executed
    // instruction once the default disposition is back.
    REAL(sigaction);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    real_sigaction(SIGSEGV, &dfl, nullptr);
  }
}

// Before the kernel writes into [buf, buf+len) (read/pread of another fd), the protected tracked
// pages there are recorded and made writable, or the call would fail with EFAULT.
void prepare_kernel_write(void *buf, size_t len) {
  auto lo = reinterpret_cast<uintptr_t>(buf);
  if (len == 0 || !famsync::window::in_window(lo) ||
      !famsync::window::in_window(lo + len - 1))
    return;
  for (uintptr_t p = lo & ~(g_page - 1); p < lo + len; p += g_page) record_page(p);
}

void protect_if_tracked(void *addr) {
  if (addr == MAP_FAILED || !famsync::window::in_window(reinterpret_cast<uintptr_t>(addr))) return;
  Region *r = famsync::region_in_window(reinterpret_cast<uintptr_t>(addr));
  if (r != nullptr && !r->disowned()) {
    if (int rc = r->protect_pages())
      fprintf(stderr, "famsync-preload: mprotect of a tracked mapping failed: %s\n", strerror(rc));
  }
}

int add_range(struct dl_phdr_info *info, size_t, void *) {
  const char *name = info->dlpi_name ? info->dlpi_name : "";
  Dl_info self{};
  dladdr(reinterpret_cast<void *>(&add_range), &self);
  bool ours = self.dli_fbase != nullptr &&
              reinterpret_cast<uintptr_t>(self.dli_fbase) == info->dlpi_addr && name[0] != '\0';
  if (!ours && !strstr(name, "libpmem") && !strstr(name, "libxxhash")) return 0;
  if (g_ninternal == 4) return 0;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    lo = std::min<uintptr_t>(lo, info->dlpi_addr + ph.p_vaddr);
    hi = std::max<uintptr_t>(hi, info->dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  if (lo < hi) g_internal[g_ninternal++] = Range{lo, hi};
  return 0;
}

__attribute__((constructor)) void preload_init() {
  g_page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  dl_iterate_phdr(add_range, nullptr);
  Depth d;
  struct sigaction sa {};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  REAL(sigaction);
  real_sigaction(SIGSEGV, &sa, &g_prog_segv);
  __fams_module_init();
  if (getenv("FAMSYNC_PRELOAD_DEBUG") != nullptr)
    for (int i = 0; i < g_ninternal; ++i)
      fprintf(stderr, "famsync-preload: internal range %#lx-%#lx\n", (unsigned long)g_internal[i].lo,
              (unsigned long)g_internal[i].hi);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags,
                                                   int fd, off_t off) {
  REAL(mmap);
  if (internal_caller(__builtin_return_address(0))) return real_mmap(addr, len, prot, flags, fd, off);
  Depth d;
  void *p = __fams_mmap(addr, len, prot, flags, fd, off);
  protect_if_tracked(p);
  return p;
}
__attribute__((visibility("default"))) void *mmap64(void *addr, size_t len, int prot, int flags,
                                                     int fd, off_t off) {
  REAL(mmap);
  if (internal_caller(__builtin_return_address(0))) return real_mmap(addr, len, prot, flags, fd, off);
  Depth d;
  void *p = __fams_mmap(addr, len, prot, flags, fd, off);
  protect_if_tracked(p);
  return p;
}

__attribute__((visibility("default"))) int munmap(void *addr, size_t len) {
  REAL(munmap);
  if (internal_caller(__builtin_return_address(0))) return real_munmap(addr, len);
  Depth d;
  int rc = __fams_munmap(addr, len);
  return rc;
}

__attribute__((visibility("default"))) int msync(void *addr, size_t len, int flags) {
  REAL(msync);
  if (internal_caller(__builtin_return_address(0))) return real_msync(addr, len, flags);
  Depth d;
  int rc = __fams_msync(addr, len, flags);
  return rc;
}

__attribute__((visibility("default"))) void *mremap(void *old_addr, size_t old_len, size_t new_len,
                                                     int flags, ...) {
  void *new_addr = nullptr;
  if (flags & MREMAP_FIXED) {
    va_list ap;
    va_start(ap, flags);
    new_addr = va_arg(ap, void *);
    va_end(ap);
  }
  REAL(mremap);
  if (internal_caller(__builtin_return_address(0)))
    return real_mremap(old_addr, old_len, new_len, flags, new_addr);
  Depth d;
  void *p = __fams_mremap(old_addr, old_len, new_len, flags, new_addr);
  protect_if_tracked(p);  // grown pages come in writable: protect the mapping again
  return p;
}

__attribute__((visibility("default"))) int fsync(int fd) {
  REAL(fsync);
  if (internal_caller(__builtin_return_address(0))) return real_fsync(fd);
  Depth d;
  int rc = __fams_fsync(fd);
  return rc;
}

__attribute__((visibility("default"))) int fdatasync(int fd) {
  REAL(fdatasync);
  if (internal_caller(__builtin_return_address(0))) return real_fdatasync(fd);
  Depth d;
  int rc = __fams_fdatasync(fd);
  return rc;
}

// mprotect inside a tracked, page-protected mapping: write permission stays ours to give, page
// by page at first writes, or the program's writes to the range would go unseen (pages already
// written this epoch fault once more and are made writable again, their lines listed already);
// a range the program makes non-writable is remembered, so a write there is its own fault.
__attribute__((visibility("default"))) int mprotect(void *addr, size_t len, int prot) {
  REAL(mprotect);
  auto lo = reinterpret_cast<uintptr_t>(addr);
  if (internal_caller(__builtin_return_address(0)) || len == 0 ||
      !famsync::window::in_window(lo))
    return real_mprotect(addr, len, prot);
  Depth d;
  Region *r = famsync::region_in_window(lo);
  if (r == nullptr || !r->page_protected() || r->disowned() || !r->contains(lo))
    return real_mprotect(addr, len, prot);
  uintptr_t hi = lo + ((len + g_page - 1) & ~(g_page - 1));
  std::lock_guard lock(g_readonly_mutex);
  if (prot & PROT_WRITE) {
    int rc = real_mprotect(addr, len, (prot & ~PROT_WRITE) | PROT_READ);
    if (rc == 0 && !remove_read_only(lo, hi)) warn_read_only_table_full();
    return rc;
  }
  int rc = real_mprotect(addr, len, prot);
  if (rc == 0 && !add_read_only(lo, hi)) warn_read_only_table_full();
  return rc;
}

// close: the last descriptor of a file whose mapping was unmapped releases its region.
__attribute__((visibility("default"))) int close(int fd) {
  REAL(close);
  if (internal_caller(__builtin_return_address(0))) return real_close(fd);
  Depth d;
  return __fams_close(fd);
}

__attribute__((visibility("default"))) int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  if (internal_caller(__builtin_return_address(0))) return real_ftruncate(fd, len);
  Depth d;
  int rc = __fams_ftruncate(fd, len);
  return rc;
}
__attribute__((visibility("default"))) int ftruncate64(int fd, off_t len) {
  REAL(ftruncate);
  if (internal_caller(__builtin_return_address(0))) return real_ftruncate(fd, len);
  Depth d;
  int rc = __fams_ftruncate(fd, len);
  return rc;
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n) {
  REAL(write);
  if (internal_caller(__builtin_return_address(0))) return real_write(fd, buf, n);
  Depth d;
  ssize_t rc = __fams_write(fd, buf, n);
  return rc;
}

__attribute__((visibility("default"))) ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(pwrite);
  if (internal_caller(__builtin_return_address(0))) return real_pwrite(fd, buf, n, off);
  Depth d;
  ssize_t rc = __fams_pwrite(fd, buf, n, off);
  return rc;
}
__attribute__((visibility("default"))) ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
  REAL(pwrite);
  if (internal_caller(__builtin_return_address(0))) return real_pwrite(fd, buf, n, off);
  Depth d;
  ssize_t rc = __fams_pwrite(fd, buf, n, off);
  return rc;
}

// read/pread: a tracked fd is served from the working copy (__fams_read: a userspace copy, so a
// protected destination page simply faults into our handler); any other fd reading into a
// protected tracked page has that page recorded and unprotected first.
__attribute__((visibility("default"))) ssize_t read(int fd, void *buf, size_t n) {
  REAL(read);
  if (internal_caller(__builtin_return_address(0))) return real_read(fd, buf, n);
  Depth d;
  prepare_kernel_write(buf, n);
  ssize_t rc = __fams_read(fd, buf, n);
  return rc;
}

__attribute__((visibility("default"))) ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  REAL(pread);
  if (internal_caller(__builtin_return_address(0))) return real_pread(fd, buf, n, off);
  Depth d;
  prepare_kernel_write(buf, n);
  ssize_t rc = __fams_pread(fd, buf, n, off);
  return rc;
}
__attribute__((visibility("default"))) ssize_t pread64(int fd, void *buf, size_t n, off_t off) {
  REAL(pread);
  if (internal_caller(__builtin_return_address(0))) return real_pread(fd, buf, n, off);
  Depth d;
  prepare_kernel_write(buf, n);
  ssize_t rc = __fams_pread(fd, buf, n, off);
  return rc;
}

// Other calls in which the kernel (or libc's internal read) writes into the caller's buffers:
// the protected tracked pages there are recorded and made writable first, or they would fail
// with EFAULT. (A tracked fd read this way reads the file, not pending changes: as in
// instrumented code, only read/pread are served from the working copy.)
void prepare_iov(const struct iovec *iov, int n) {
  for (int i = 0; i < n && iov != nullptr; ++i) prepare_kernel_write(iov[i].iov_base, iov[i].iov_len);
}

__attribute__((visibility("default"))) ssize_t readv(int fd, const struct iovec *iov, int n) {
  REAL(readv);
  if (internal_caller(__builtin_return_address(0))) return real_readv(fd, iov, n);
  Depth d;
  prepare_iov(iov, n);
  return real_readv(fd, iov, n);
}
__attribute__((visibility("default"))) ssize_t preadv(int fd, const struct iovec *iov, int n,
                                                      off_t off) {
  REAL(preadv);
  if (internal_caller(__builtin_return_address(0))) return real_preadv(fd, iov, n, off);
  Depth d;
  prepare_iov(iov, n);
  return real_preadv(fd, iov, n, off);
}
__attribute__((visibility("default"), alias("preadv"))) ssize_t preadv64(int, const struct iovec *,
                                                                         int, off_t);
__attribute__((visibility("default"))) ssize_t recv(int fd, void *buf, size_t len, int flags) {
  REAL(recv);
  if (internal_caller(__builtin_return_address(0))) return real_recv(fd, buf, len, flags);
  Depth d;
  prepare_kernel_write(buf, len);
  return real_recv(fd, buf, len, flags);
}
__attribute__((visibility("default"))) ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                                                        struct sockaddr *from, socklen_t *fromlen) {
  REAL(recvfrom);
  if (internal_caller(__builtin_return_address(0)))
    return real_recvfrom(fd, buf, len, flags, from, fromlen);
  Depth d;
  prepare_kernel_write(buf, len);
  return real_recvfrom(fd, buf, len, flags, from, fromlen);
}
__attribute__((visibility("default"))) ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  REAL(recvmsg);
  if (internal_caller(__builtin_return_address(0))) return real_recvmsg(fd, msg, flags);
  Depth d;
  if (msg != nullptr) prepare_iov(msg->msg_iov, static_cast<int>(msg->msg_iovlen));
  return real_recvmsg(fd, msg, flags);
}
__attribute__((visibility("default"))) size_t fread(void *ptr, size_t size, size_t n, FILE *f) {
  REAL(fread);
  if (internal_caller(__builtin_return_address(0))) return real_fread(ptr, size, n, f);
  Depth d;
  if (size != 0 && n <= SIZE_MAX / size) prepare_kernel_write(ptr, size * n);
  return real_fread(ptr, size, n, f);
}

// The program's SIGSEGV disposition is recorded, not installed: ours stays and chains to it.
__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction *act,
                                                      struct sigaction *old) {
  REAL(sigaction);
  if (sig != SIGSEGV || internal_caller(__builtin_return_address(0)))
    return real_sigaction(sig, act, old);
  if (old != nullptr) *old = g_prog_segv;
  if (act != nullptr) g_prog_segv = *act;
  return 0;
}

__attribute__((visibility("default"))) sighandler_t signal(int sig, sighandler_t handler) {
  REAL(signal);
  if (sig != SIGSEGV || internal_caller(__builtin_return_address(0)))
    return real_signal(sig, handler);
  sighandler_t old = (g_prog_segv.sa_flags & SA_SIGINFO) ? SIG_DFL : g_prog_segv.sa_handler;
  g_prog_segv = {};
  g_prog_segv.sa_handler = handler;
  return old;
}

}  // extern "C"
