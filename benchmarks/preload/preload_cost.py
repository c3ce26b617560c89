#!/usr/bin/env python3
"""preload_cost.py — preload mode's first-write and commit cost next to instrumented mode and
plain msync, on both backends (issue 17 item 5). One C program (preload_cost.c), run three ways
side by side in one invocation, interleaved:
  plain         gcc -O2, no famsync: the kernel's MAP_SHARED first write and msync
  preload       the same gcc binary under `famsync run` (page protection, fault per page/epoch)
  instrumented  famsync-cc -O2 (store hooks, no faults after the first epoch)
Backends: ext4 or whatever /var/tmp is (file backend), /dev/shm with FAMSYNC_BACKEND=pmem
(emulated pmem; plain msync on tmpfs writes nothing, so its commit column is not a floor).
Each epoch writes one 8-byte word into each of PAGES pages and commits with msync(MS_SYNC).
Reported per backend and way: the first epoch (fresh mapping) in ns/page, later epochs' first
writes in ns/page (median), the commit (median, µs), minor faults per page in later epochs, and
ratios to plain. Usage: preload_cost.py [--build DIR] [--pages N] [--rounds R] [--reps K]
[--results FILE]  (FILE: rewrite the PRELOAD section of benchmarks/RESULTS.md)."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
ap = argparse.ArgumentParser()
ap.add_argument("--build", default=os.path.join(root, "build"))
ap.add_argument("--pages", type=int, default=4096)
ap.add_argument("--rounds", type=int, default=9)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--results")
a = ap.parse_args()

famsync = os.path.join(a.build, "src", "famsync")
famsync_cc = os.path.join(a.build, "bin", "famsync-cc")
for tool in (famsync, famsync_cc):
    if not os.access(tool, os.X_OK):
        sys.exit(f"preload_cost: {tool} is missing (build famsync first)")
scratch = tempfile.mkdtemp(prefix="famsync-preload-cost-")
src = os.path.join(here, "preload_cost.c")
plain_bin, instr_bin = os.path.join(scratch, "plain"), os.path.join(scratch, "instrumented")
subprocess.run(["gcc", "-O2", "-o", plain_bin, src], check=True)
subprocess.run([famsync_cc, "-O2", "-o", instr_bin, src], check=True)

ways = {"plain": [plain_bin], "preload": [famsync, "run", "--", plain_bin], "instrumented": [instr_bin]}
backends = [("file", "/var/tmp"), ("pmem", "/dev/shm")]
rows = {}  # (backend, way) -> lists
try:
    for rep in range(a.reps):
        for backend, directory in backends:
            for way, cmd in ways.items():
                d = tempfile.mkdtemp(prefix="famsync-pc-", dir=directory)
                env = dict(os.environ, FAMSYNC_BACKEND=backend)
                out = subprocess.run(cmd + [os.path.join(d, "f"), str(a.pages), str(a.rounds)],
                                     capture_output=True, text=True, env=env)
                shutil.rmtree(d, ignore_errors=True)
                if out.returncode != 0:
                    sys.exit(f"preload_cost: {way} on {backend} failed: {out.stderr}")
                r = rows.setdefault((backend, way), {"first": [], "write": [], "commit": [], "faults": []})
                for line in out.stdout.split("\n"):
                    if not line.strip():
                        continue
                    n, write_ns, commit_ns, faults = line.split()
                    if n == "0":
                        r["first"].append(float(write_ns))
                    else:
                        r["write"].append(float(write_ns))
                        r["commit"].append(float(commit_ns) / 1000)
                        r["faults"].append(float(faults))
finally:
    shutil.rmtree(scratch, ignore_errors=True)

med = statistics.median
lines = [f"{a.pages} pages ({a.pages * 4 // 1024} MiB), one 8-byte store per page per epoch, "
         f"msync(MS_SYNC) per epoch; {a.reps} interleaved runs of {a.rounds} epochs each; medians.",
         "",
         "| backend | way | 1st epoch ns/page | later epochs ns/page | ×plain | minor faults/page | commit µs | ×plain |",
         "|---|---|---:|---:|---:|---:|---:|---:|"]
for backend, _ in backends:
    base = rows[(backend, "plain")]
    for way in ways:
        r = rows[(backend, way)]
        lines.append(f"| {backend} | {way} | {med(r['first']):.0f} | {med(r['write']):.0f} | "
                     f"{med(r['write']) / med(base['write']):.2f} | {med(r['faults']):.2f} | "
                     f"{med(r['commit']):.0f} | {med(r['commit']) / med(base['commit']):.2f} |")
lines += ["",
          "Minor faults count the kernel's own write faults (plain MAP_SHARED on ext4: page_mkwrite "
          "after each msync cleaned the page). Preload mode's write faults are protection faults "
          "delivered as SIGSEGV, one per written page per epoch (page protection is restored at "
          "every commit), and do not show there: they are the later-epoch ns/page column. "
          "Instrumented code takes no fault after the first epoch. Plain msync on tmpfs (pmem "
          "rows) writes nothing back and makes nothing durable: its columns are no floor, only "
          "the cost of the kernel path; commit ratios there are shown for completeness."]
print("\n".join(lines))
if a.results:
    begin = "<!-- PRELOAD BEGIN: written by benchmarks/preload/preload_cost.py; kept by benchmarks/harness/report.py -->"
    end = "<!-- PRELOAD END -->"
    section = "\n".join([begin, "## Preload mode (`famsync run`) vs instrumented vs plain msync (issue 17)", ""]
                        + lines + ["", end])
    body = open(a.results).read()
    s, e = body.find("<!-- PRELOAD BEGIN"), body.find(end)
    body = body[:s] + section + body[e + len(end):] if s >= 0 and e > s else body.rstrip("\n") + "\n\n" + section + "\n"
    open(a.results, "w").write(body)
