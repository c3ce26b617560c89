#!/usr/bin/env python3
"""count_flushes.py — flush system calls per commit, from an `strace -f` log of one durable_kv run.

  count_flushes.py SYSTEM OPS TRACE  ->  one CSV line:
  system,ops,fsync,fdatasync,msync,sync_file_range,syncfs,dsync_writes,ficlone,flushes_per_commit

Only the timed phase counts: the calls between the program's two marker access() calls
(workload.hpp). dsync_writes are writes to descriptors opened with O_DSYNC or O_SYNC (LMDB writes
its meta page that way: a flush without an fsync call). flushes_per_commit = (fsync + fdatasync +
msync(MS_SYNC) + sync_file_range(WAIT_AFTER) + syncfs + dsync_writes) / OPS.
Invariant: a trace without both markers is an error, never a zero count.
"""
import re
import sys

SYSCALL = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$")
RET = re.compile(r"=\s+(-?\d+)")


def count(path):
    c = dict(fsync=0, fdatasync=0, msync=0, sync_file_range=0, syncfs=0, dsync_writes=0, ficlone=0)
    dsync_fds = {}  # pid -> set of fds opened with O_DSYNC/O_SYNC
    pending_open = {}  # pid -> True when an O_DSYNC openat is unfinished
    begun = ended = False
    for line in open(path, errors="replace"):
        m = SYSCALL.match(line.strip())
        if not m:
            continue
        pid, resumed, name, rest = m.group(1), m.group(2), m.group(3), m.group(4)
        fds = dsync_fds.setdefault(pid, set())
        if resumed:
            if resumed in ("openat", "open") and pending_open.pop(pid, False):
                r = RET.search(rest)
                if r and int(r.group(1)) >= 0:
                    fds.add(int(r.group(1)))
            continue
        if name == "access" and "durable_kv-timed-phase-begin" in rest:
            begun = True
            continue
        if name == "access" and "durable_kv-timed-phase-end" in rest:
            ended = True
            break
        if name in ("openat", "open") and ("O_DSYNC" in rest or "O_SYNC" in rest):
            if "<unfinished" in rest:
                pending_open[pid] = True
            else:
                r = RET.search(rest.rsplit(")", 1)[-1])
                if r and int(r.group(1)) >= 0:
                    fds.add(int(r.group(1)))
            continue
        if name == "close":
            fd = re.match(r"(\d+)", rest)
            if fd:
                fds.discard(int(fd.group(1)))
            continue
        if not begun:
            continue
        if name in ("fsync", "fdatasync", "syncfs"):
            c[name] += 1
        elif name == "msync" and "MS_SYNC" in rest:
            c["msync"] += 1
        elif name == "sync_file_range" and "SYNC_FILE_RANGE_WAIT_AFTER" in rest:
            c["sync_file_range"] += 1
        elif name == "ioctl" and "FICLONE" in rest:
            c["ficlone"] += 1
        elif name in ("write", "pwrite64", "writev", "pwritev", "pwritev2"):
            fd = re.match(r"(\d+)", rest)
            if fd and int(fd.group(1)) in fds:
                c["dsync_writes"] += 1
    if not (begun and ended):
        sys.exit("count_flushes.py: %s lacks the timed-phase markers" % path)
    return c


def main():
    system, ops, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    c = count(path)
    flushes = (c["fsync"] + c["fdatasync"] + c["msync"] + c["sync_file_range"] + c["syncfs"] +
               c["dsync_writes"])
    print("%s,%d,%d,%d,%d,%d,%d,%d,%d,%.3f" % (
        system, ops, c["fsync"], c["fdatasync"], c["msync"], c["sync_file_range"], c["syncfs"],
        c["dsync_writes"], c["ficlone"], flushes / ops))


if __name__ == "__main__":
    main()
