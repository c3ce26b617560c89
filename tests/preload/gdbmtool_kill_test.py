#!/usr/bin/env python3
"""Kill test for preload mode on a program as Debian ships it: /usr/bin/gdbmtool (package
gdbmtool, linked against Debian's libgdbm, which maps its database MAP_SHARED and commits with
msync + fsync in gdbm_sync). Never rebuilt: it runs under `famsync run`.

  gdbmtool_kill_test.py FAMSYNC KILLS [--seed S]

A load script feeds gdbmtool one operation at a time -- `store` of a record whose size varies
from 30 B to 3 KiB (so buckets split and the file grows: gdbm remaps it), every fifth op a
`delete` -- each followed by `sync` and a `count` whose printed answer acknowledges the sync. The
process is SIGKILLed at a random moment; then `famsync recover` runs, then gdbmtool itself,
without famsync, opens the database read-only and lists it (its own consistency checks: a
damaged bucket or header fails the open or the listing). The listed records must be exactly
the state after some op m (old or new at every sync, never a mix), with m at least the last
acknowledged op. The next run continues from m on the recovered database.
KILLS kills on tmpfs (/dev/shm, FAMSYNC_BACKEND=pmem) and KILLS on /var/tmp (file backend).
Exit 0 if every state was whole. The seed is printed; failures print it too."""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

famsync, kills = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20261128
GDBMTOOL = shutil.which("gdbmtool") or "/usr/bin/gdbmtool"
OPS = 200000  # never reached: the kill comes first


def op(i):
    """Op i: ('store', key, value) or ('delete', key). Keys deleted were stored 3 ops before."""
    if i % 5 == 4:
        return ("delete", f"k{i - 3}")
    size = 30 + (i * 2654435761) % 3000
    return ("store", f"k{i}", (f"v{i}-" * (size // 4 + 1))[:size])


def apply(state, i):
    o = op(i)
    if o[0] == "store":
        state[o[1]] = o[2]
    else:
        state.pop(o[1], None)


def feed(proc, path, start):
    try:
        proc.stdin.write(f"open {path}\n".encode())
        for i in range(start, OPS):
            o = op(i)
            cmd = f"store {o[1]} {o[2]}" if o[0] == "store" else f"delete {o[1]}"
            proc.stdin.write(f"{cmd}\nsync\ncount\n".encode())
        proc.stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # killed


def listed(path):
    """The database as gdbmtool (no famsync) lists it, or an error string."""
    for args in (["count"], ["list"]):
        r = subprocess.run([GDBMTOOL, "-r", path] + args, capture_output=True, text=True)
        if r.returncode != 0 or "recovery" in r.stderr or "rror" in r.stderr:
            return f"gdbmtool {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()[-400:]}"
        if args == ["count"]:
            count = r.stdout.strip()
    records = {}
    for line in r.stdout.splitlines():
        key, _, value = line.partition(" ")
        records[key] = value
    if f"There are {len(records)} item" not in count and not (len(records) == 1 and "There is 1 item" in count):
        return f"count says {count!r} but list gave {len(records)} records"
    return records


def campaign(directory, backend):
    env = dict(os.environ, FAMSYNC_BACKEND=backend)
    rng = random.Random(f"{seed}-{backend}")
    d = tempfile.mkdtemp(prefix="famsync-gdbmtool-", dir=directory)
    path = os.path.join(d, "t.gdbm")
    state, done = {}, 0  # the database's state after ops [0, done)
    failures = progressed = 0
    try:
        for k in range(kills):
            p = subprocess.Popen([famsync, "run", "--", GDBMTOOL], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            answers = []  # drained as they come: a full pipe would stall gdbmtool
            threads = [threading.Thread(target=feed, args=(p, path, done), daemon=True),
                       threading.Thread(target=lambda: answers.extend(p.stdout), daemon=True)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 0.6))
            p.send_signal(signal.SIGKILL)
            p.wait()
            for t in threads:
                t.join()
            err = p.stderr.read()
            # Every op prints one count after its sync returned (gdbmtool's stdout is a pipe, so
            # fully buffered: answers still in its buffer at the kill are lost, which only makes
            # ACKED a looser lower bound).
            acked = done + sum(1 for l in answers if l.startswith(b"There "))
            if p.returncode != -signal.SIGKILL:
                print(f"[{backend}] kill {k} (seed {seed}): FAIL: gdbmtool ended with "
                      f"{p.returncode} before the kill: {err.decode(errors='replace')[-400:]}")
                failures += 1
                break
            rec = subprocess.run([famsync, "recover", path], capture_output=True, text=True, env=env)
            if rec.returncode != 0:
                print(f"[{backend}] kill {k} (seed {seed}): FAIL: famsync recover: {rec.stderr}")
                failures += 1
                break
            got = listed(path) if os.path.exists(path) else {}
            if isinstance(got, str):
                print(f"[{backend}] kill {k} (seed {seed}): FAIL: {got}")
                failures += 1
                break
            # Find the op count m >= done whose state the database holds (ops after the last
            # answer may have been synced: search well past it).
            m, model = done, dict(state)
            while model != got and m < acked + 2000:
                apply(model, m)
                m += 1
            if model != got:
                print(f"[{backend}] kill {k} (seed {seed}): FAIL: {len(got)} records match no "
                      f"state after op {done}..{acked + 2000} (acknowledged: {acked} ops)")
                failures += 1
                break
            if m < acked:
                print(f"[{backend}] kill {k} (seed {seed}): FAIL: the database lost acknowledged "
                      f"ops: it holds the state after {m} ops, {acked} were acknowledged")
                failures += 1
                break
            progressed += m > acked
            state, done = model, m
        print(f"[{backend} {directory}] {kills} kills, {done} ops survived in the end, "
              f"{len(state)} records, {progressed} kills after a sync not yet acknowledged, "
              f"{'FAIL' if failures else 'ok'} (seed {seed})")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return failures == 0


if not os.access(GDBMTOOL, os.X_OK):
    print("gdbmtool is not installed (Debian package gdbmtool): apt-get install -y gdbmtool")
    sys.exit(1)
ok = campaign("/dev/shm", "pmem")
ok = campaign("/var/tmp", "file") and ok
sys.exit(0 if ok else 1)
