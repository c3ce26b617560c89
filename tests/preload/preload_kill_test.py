#!/usr/bin/env python3
"""Kill test for preload mode: an unmodified program (the gcc-built preload_writer, or a Python
script writing through mmap) runs under `famsync run`, is SIGKILLed at a random moment, its file
is recovered with `famsync recover`, and every word must hold the same round: the last one the
program acknowledged (printed after its msync/fsync/flush returned) or the next — never a mix.

  preload_kill_test.py FAMSYNC WRITER KILLS [--python] [--control]
Runs KILLS kills on tmpfs (/dev/shm, FAMSYNC_BACKEND=pmem) and KILLS on ext4 or whatever
/var/tmp is (file backend). Exit 0 if every state was old-or-new. The writer pauses in the middle
of each round's stores, so many kills land mid-round.
--control runs the same kills WITHOUT famsync and exits 0 only if some state was mixed: proof
that the check can see what famsync prevents."""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

famsync, writer, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
python = "--python" in sys.argv
control = "--control" in sys.argv
here = os.path.dirname(os.path.abspath(__file__))


def command(path):
    if control:
        return [writer, path, "1000000"]
    if python:
        return [famsync, "run", "--", sys.executable, os.path.join(here, "py_mmap_writer.py"),
                path, "1000000"]
    return [famsync, "run", "--", writer, path, "1000000"]


def check(path):
    out = subprocess.run([writer, path, "check"], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stdout + out.stderr
    return int(out.stdout), ""


def run_one(path, env, rng):
    p = subprocess.Popen(command(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    time.sleep(rng.uniform(0.02, 0.4 if python else 0.15))
    p.send_signal(signal.SIGKILL)
    out, err = p.communicate()
    acks = [int(x) for x in out.split()]
    if p.returncode != -signal.SIGKILL:
        return f"writer ended with {p.returncode} before the kill: {err.decode()[-500:]}"
    if not os.path.exists(path):
        # Killed before the writer created the file (its start-up under `famsync run`, a Python
        # interpreter, can outlast the shortest delay on a loaded machine): nothing to check.
        return (0, acks)
    if control:
        value, why = check(path)
        return why if value is None else (value, acks)
    rec = subprocess.run([famsync, "recover", path], capture_output=True, text=True, env=env)
    if rec.returncode != 0:
        return f"famsync recover failed: {rec.stderr}"
    value, why = check(path)
    if value is None:
        return f"mixed state after a kill ({len(acks)} acks this run): {why}"
    return (value, acks)


def campaign(directory, backend):
    env = dict(os.environ, FAMSYNC_BACKEND=backend, PRELOAD_WRITER_PAUSE_US="2000")
    rng = random.Random(f"{backend}-{kills}")
    d = tempfile.mkdtemp(prefix="famsync-preload-", dir=directory)
    path = os.path.join(d, "data")
    last_acked = 0
    failures = 0
    progressed = 0
    try:
        for i in range(kills):
            r = run_one(path, env, rng)
            if isinstance(r, str):
                print(f"[{backend} {directory}] kill {i}: FAIL: {r}")
                failures += 1
                break
            value, acks = r
            if acks:
                last_acked = acks[-1]
            if value not in (last_acked, last_acked + 1):
                print(f"[{backend} {directory}] kill {i}: FAIL: file holds round {value}, "
                      f"last acknowledged {last_acked}")
                failures += 1
                break
            progressed += value != last_acked
            last_acked = value  # the next run continues from what the file holds
        print(f"[{backend} {directory}] {kills} kills, final round {last_acked}, "
              f"{progressed} kills after the msync of an unacknowledged round, "
              f"{'FAIL' if failures else 'ok'}")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return failures == 0


ok = campaign("/dev/shm", "pmem")
ok = campaign("/var/tmp", "file") and ok
if control:
    print("control (no famsync):", "a mixed state was seen, as expected" if not ok
          else "no mixed state seen: the check would not catch a broken famsync")
    sys.exit(0 if not ok else 1)
sys.exit(0 if ok else 1)
