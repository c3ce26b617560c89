/* kernel_writes.c — under `famsync run`, system calls that write into a tracked mapping's
 * not-yet-written pages succeed (no EFAULT from a write-protected page) and what they wrote is
 * committed (DESIGN.md §10). Built with gcc.
 *   kernel_writes FILE         read/readv/preadv from a pipe or file, recv/recvfrom/recvmsg from a
 *                              socket pair and fread from a stream, each straight into its own
 *                              page of FILE's mapping, then msync; prints "ok" or the failed call
 *   kernel_writes FILE check   (WITHOUT famsync) exits 0 if every page holds what was read */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { kPage = 4096, kCalls = 7 };
static const char *const kNames[kCalls] = {"read", "readv", "preadv", "recv", "recvfrom",
                                            "recvmsg", "fread"};

static void payload(int call, char *out) { memset(out, 'A' + call, 100); }

#define FAIL(...) return printf("FAIL: " __VA_ARGS__), printf("\n"), 1

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) return 64;
  char want[100], got[100];
  if (argc == 3) {
    int fd = open(argv[1], O_RDONLY);
    for (int c = 0; c < kCalls; ++c) {
      payload(c, want);
      if (pread(fd, got, 100, (off_t)(c + 1) * kPage + 8) != 100 || memcmp(got, want, 100) != 0)
        FAIL("check: what %s wrote is not in the file", kNames[c]);
    }
    printf("ok\n");
    return 0;
  }
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, (kCalls + 1) * kPage) != 0) FAIL("create");
  char *p = mmap(NULL, (kCalls + 1) * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) FAIL("mmap");
  int sv[2], pipefd[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(pipefd) != 0) FAIL("socketpair/pipe");
  char src_path[] = "/tmp/famsync-kw-XXXXXX";
  int src = mkstemp(src_path);
  for (int c = 0; c < kCalls; ++c) {
    char *dst = p + (c + 1) * kPage + 8;
    payload(c, want);
    ssize_t n = -1;
    struct iovec iov = {dst, 100};
    if (c <= 1 && write(pipefd[1], want, 100) != 100) FAIL("pipe write");
    if (c >= 3 && c <= 5 && write(sv[1], want, 100) != 100) FAIL("socket write");
    if (c == 2 || c == 6) {
      if (pwrite(src, want, 100, 0) != 100) FAIL("source write");
    }
    switch (c) {
      case 0: n = read(pipefd[0], dst, 100); break;
      case 1: n = readv(pipefd[0], &iov, 1); break;
      case 2: n = preadv(src, &iov, 1, 0); break;
      case 3: n = recv(sv[0], dst, 100, MSG_WAITALL); break;
      case 4: n = recvfrom(sv[0], dst, 100, MSG_WAITALL, NULL, NULL); break;
      case 5: {
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        n = recvmsg(sv[0], &m, MSG_WAITALL);
        break;
      }
      case 6: {
        FILE *f = fopen(src_path, "r");
        setvbuf(f, NULL, _IONBF, 0); /* unbuffered: the read goes straight into DST */
        n = (ssize_t)fread(dst, 1, 100, f);
        fclose(f);
        break;
      }
    }
    if (n != 100) FAIL("%s into a tracked page returned %zd (%m)", kNames[c], n);
  }
  unlink(src_path);
  if (msync(p, (kCalls + 1) * kPage, MS_SYNC) != 0) FAIL("msync");
  printf("ok\n");
  return 0;
}
