#!/usr/bin/env python3
"""report.py — turns one run.sh invocation's CSVs into RESULTS.md and plots.

Reads OUT/ycsb.csv, OUT/btree.csv, OUT/commit_latency.txt and OUT/quick_compare.txt; writes the
Markdown report (machine, exact command, every ratio next to its issue-5 target, per-op latency
tables, memory and space) and, when matplotlib is importable, PNG plots into OUT.

Invariant: every figure printed is computed from those files: the median over repetitions of
each configuration, and ratios of those medians (all measured in the same invocation, the
policies interleaved). Nothing is hard-coded except the targets, which come from issue 5.
"""
import argparse
import csv
import os
import platform
import re
import statistics
import subprocess
from collections import defaultdict

# Issue 5's targets: (what, minimum ratio).
YCSB_TARGET = {"A": 2.5, "B": 2.5, "C": 1.0, "D": 2.5, "E": 1.0, "F": 2.5}
BTREE_TARGET = {"INSERT": 2.0, "READ": 1.0, "DELETE": 2.0}
COMMIT_FLOOR_TARGET = 1.5
# Issue 14: first-write cost per line vs a bare bit-set + index-append loop; ext4 commit vs floor (N <= 64).
STORE_BARE_TARGET = 2.0
FILE_FLOOR_TARGET = 1.2
# The operation of each workload that commits (C has none: its READ).
WRITE_OP = {"A": "UPDATE", "B": "UPDATE", "C": "READ", "D": "INSERT", "E": "INSERT", "F": "READ-MODIFY-WRITE"}
INSTR_OVERHEAD_TARGET = 0.03


def load_csv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def med(values):
    return statistics.median(values) if values else float("nan")


OVERHEAD_TARGET = 0.4  # issue 14 item 3: persistence overhead famsync/PMDK


def overhead_ratios(ycsb, w, storage="shm", op="ALL"):
    """Per repetition: famsync's persistence overhead per op over PMDK's, each (1/ops - 1/ops of none) from the
    run phase of workload W; reps where an overhead is not positive (noise above the signal) are skipped."""
    by_rep = defaultdict(dict)
    for r in ycsb:
        if (r["storage"], r["workload"], r["threads"], r["batch"], r["phase"], r["op"]) == (storage, w, "1", "1",
                                                                                          "run", op):
            by_rep[r["rep"]][r["policy"]] = float(r["ops_per_s"])
    out = []
    for pols in by_rep.values():
        if all(k in pols for k in ("famsync", "pmdk", "none")):
            fo = 1 / pols["famsync"] - 1 / pols["none"]
            po = 1 / pols["pmdk"] - 1 / pols["none"]
            if fo > 0 and po > 0:
                out.append(fo / po)
    return out


def group(rows, keys, field):
    """{tuple(keys): median(field) over repetitions}."""
    acc = defaultdict(list)
    for r in rows:
        acc[tuple(r[k] for k in keys)].append(float(r[field]))
    return {k: med(v) for k, v in acc.items()}


def fmt(x, digits=2):
    if x != x:  # NaN
        return "–"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def verdict(ratio, target, higher_is_better=True):
    if ratio != ratio:
        return "–"
    ok = ratio >= target if higher_is_better else ratio <= target
    return "met" if ok else "**missed**"


def machine():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        info["cpu"] = re.search(r"model name\s*:\s*(.*)", text).group(1)
        info["cores"] = str(text.count("processor\t:"))
        flags = set(re.search(r"flags\s*:\s*(.*)", text).group(1).split())
        info["flags"] = " ".join(f for f in ("clwb", "clflushopt", "avx512f", "hypervisor") if f in flags)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
        info["memory"] = f"{kb / 2**20:.1f} GiB"
    except (OSError, AttributeError):
        pass
    info["kernel"] = platform.release()
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        if dirty:
            info["commit"] += " (+ uncommitted changes)"
    except OSError:
        pass
    return info


def parse_commit_latency(path):
    """The pmem rows of commit_latency's output ("scattered|contiguous N store commit floor
    commit/floor x [(st+cm)/floor x [floor2 commit/floor2 x] bare store/bare x st-flt cm-flt reps]";
    the bracketed columns are absent from older outputs, and then None)."""
    rows = []
    if not os.path.exists(path):
        return rows
    for line in open(path):
        m = re.match(r"(scattered|contiguous)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x"
                     r"(?:\s+([\d.]+)x(?:\s+([\d.]+)\s+([\d.]+)x)?\s+([\d.]+)\s+([\d.]+)x\s+([\d.]+)"
                     r"\s+([\d.]+))?", line)
        if m:
            def opt(i):
                return float(m[i]) if m[i] is not None else None
            rows.append(dict(layout=m[1], n=int(m[2]), store=float(m[3]), commit=float(m[4]), floor=float(m[5]),
                             ratio=float(m[6]), total_ratio=opt(7), floor2=opt(8), ratio2=opt(9), bare=opt(10),
                             store_bare=opt(11), store_flt=opt(12), commit_flt=opt(13)))
    return rows


# Columns of commit_latency's ordinary-file rows ("file N ..."), in order; ratios end in "x".
CL_FILE_COLUMNS = ["n", "store", "commit", "commit_mean", "floor", "msync", "mstore", "ratio", "total_ratio",
                   "msync_ratio", "total_msync_ratio", "store_flt", "commit_flt", "mstore_flt", "commit_kib",
                   "msync_kib", "floor_kib", "commit_flushes", "msync_flushes", "floor_flushes", "reps"]


def parse_commit_latency_file(path):
    """The ordinary-file rows of commit_latency's output (issue 14), one dict per N."""
    rows = []
    if not os.path.exists(path):
        return rows
    for line in open(path):
        f = line.split()
        if len(f) != len(CL_FILE_COLUMNS) + 1 or f[0] != "file" or not f[1].isdigit():
            continue
        row = {k: float(v.rstrip("x")) for k, v in zip(CL_FILE_COLUMNS, f[1:])}
        row["n"] = int(row["n"])
        rows.append(row)
    return rows


def commit_latency_section(cl, clf):
    """Markdown lines and (what, measured, target, verdict) rows for commit_latency's output."""
    md, summary = [], []
    if cl:
        md.append("## Commit latency vs dirty lines, pmem backend (benchmarks/commit_latency, medians, µs)\n")
        extended = cl[0]["bare"] is not None
        in_place = cl[0]["floor2"] is not None
        if extended:
            md.append("`floor` = N·64 B of non-temporal stores from a just-written DRAM copy of the same layout + drain "
                      "+ 8-byte commit record + write-back + drain, measured rep by rep next to famsync; every "
                      "interval is bounded by MFENCE+LFENCE, so it ends when its stores are durable. "
                      + ("`floor2` = the in-place floor: the same lines NT-stored packed into a log + commit record "
                         "+ flush + one drain, then NT-stored in place (what any commit that updates the file in "
                         "place must do at least; every line crosses the bus twice). " if in_place else "")
                      + "`store` = first writes (`fams_will_write` + one 8-byte store per line); `bare` = the same "
                      "stores + set a bit + append the line index (issue 14 item 2). `flt` = page faults per rep "
                      "(store/commit).\n")
            extra = "floor2 | commit/floor2 | " if in_place else ""
            md.append("| layout | N lines | store | commit | floor | commit/floor | (store+commit)/floor | " + extra
                      + "bare | store/bare | flt | commit ≤ 1.5× floor | store ≤ 2× bare |")
            md.append("|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if in_place else ""))
        else:
            md.append("| layout | N lines | store | commit | floor | commit/floor | target | |")
            md.append("|---|---|---|---|---|---|---|---|")
        for r in cl:
            v = verdict(r["ratio"], COMMIT_FLOOR_TARGET, False)
            if extended:
                vb = verdict(r["store_bare"], STORE_BARE_TARGET, False)
                extra = f"{r['floor2']:.3f} | {r['ratio2']:.2f}× | " if in_place else ""
                md.append(f"| {r['layout']} | {r['n']} | {r['store']:.2f} | {r['commit']:.2f} | {r['floor']:.3f} | "
                          f"{r['ratio']:.2f}× | {r['total_ratio']:.2f}× | {extra}{r['bare']:.3f} | "
                          f"{r['store_bare']:.2f}× | {r['store_flt']:.0f}/{r['commit_flt']:.0f} | {v} | {vb} |")
            else:
                md.append(f"| {r['layout']} | {r['n']} | {r['store']:.2f} | {r['commit']:.2f} | {r['floor']:.2f} | "
                          f"{r['ratio']:.2f}× | ≤ {COMMIT_FLOOR_TARGET}× | {v} |")
            summary.append((f"pmem commit/floor, {r['layout']} {r['n']} lines", f"{r['ratio']:.2f}×",
                            f"≤ {COMMIT_FLOOR_TARGET}×", v))
            if extended:
                summary.append((f"pmem first write/bare loop, {r['layout']} {r['n']} lines", f"{r['store_bare']:.2f}×",
                                f"≤ {STORE_BARE_TARGET}×", vb))
        md.append("")
    if clf:
        md.append("## Commit latency vs dirty lines, ordinary file (benchmarks/commit_latency, medians, µs)\n")
        md.append("famsync's file backend (`FAMS_MAP_FORCE_FILE`) in the disk directory, N lines scattered one per "
                  "4 KiB page; `floor` = one `pwrite` of N·64 B + one `fdatasync` into a zero-filled, fsynced file on "
                  "the same file system; `msync` = plain `mmap(MAP_SHARED)` + `msync(MS_SYNC)` of the same lines (not "
                  "failure-atomic; `mstore` = its stores, with their write faults). `commit mean` includes the "
                  "checkpoints the median hides. KiB and flushes per rep are the block device's counters (medians; "
                  "they include other processes' I/O).\n")
        md.append("| N | store | commit | commit mean | floor | msync | mstore | commit/floor | (store+commit)/floor | "
                  "commit/msync | (store+commit)/(mstore+msync) | KiB cm/ms/fl | flushes cm/ms/fl | "
                  "commit ≤ msync | commit ≤ 1.2× floor (N ≤ 64) |")
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in clf:
            vm = verdict(r["msync_ratio"], 1.0, False)
            vf = verdict(r["ratio"], FILE_FLOOR_TARGET, False) if r["n"] <= 64 else "–"
            md.append(f"| {r['n']} | {r['store']:.1f} | {r['commit']:.1f} | {r['commit_mean']:.1f} | {r['floor']:.1f} | "
                      f"{r['msync']:.1f} | {r['mstore']:.1f} | {r['ratio']:.2f}× | {r['total_ratio']:.2f}× | "
                      f"{r['msync_ratio']:.2f}× | {r['total_msync_ratio']:.2f}× | "
                      f"{r['commit_kib']:.0f}/{r['msync_kib']:.0f}/{r['floor_kib']:.0f} | "
                      f"{r['commit_flushes']:.0f}/{r['msync_flushes']:.0f}/{r['floor_flushes']:.0f} | {vm} | {vf} |")
            summary.append((f"ext4 commit/msync, {r['n']} scattered lines", f"{r['msync_ratio']:.2f}×", "≤ 1.0×", vm))
            if r["n"] <= 64:
                summary.append((f"ext4 commit/file floor, {r['n']} scattered lines", f"{r['ratio']:.2f}×",
                                f"≤ {FILE_FLOOR_TARGET}×", vf))
        md.append("")
    return md, summary


def parse_quick_compare(path):
    rows = []
    if not os.path.exists(path):
        return rows
    for line in open(path):
        m = re.match(r"(\d+)\s+\|\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x\s+\|\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x", line)
        if m:
            rows.append(dict(k=int(m[1]), fp=float(m[2]), pm=float(m[3]), sp=float(m[4]), ff=float(m[5]),
                             ms=float(m[6]), ratio=float(m[7])))
    return rows


KYOTO_BEGIN = "<!-- KYOTO BEGIN"
KYOTO_END = "<!-- KYOTO END -->"
# Sections other scripts write into RESULTS.md, kept verbatim (markers included) by this rewrite.
KEPT_SECTIONS = ["KYOTO", "REAL-PROGRAMS", "REAL-PROGRAMS-IDEAS", "REAL-PROGRAMS-NOTES",
                 "REAL-PROGRAMS-HOIST", "REAL-PROGRAMS-HOIST-NOTES", "REAL-PROGRAMS-H16C",
                 "REAL-PROGRAMS-H16C-NOTES", "REAL-PROGRAMS-H16D", "REAL-PROGRAMS-H16D-NOTES",
                 "LARGE-FILES", "GROUP-COMMIT", "PRELOAD", "SCALE", "DURABLE-KV", "STOP23", "PMEM-REDO",
                 "REAL-PROGRAMS-WALL", "STOP24", "STOP25", "STOP26", "STOP27", "STOP28", "STOP29"]


def kept_section(results_path, name):
    """The section between "<!-- NAME BEGIN" and "<!-- NAME END -->", verbatim, then a blank
    line; [] if there is none."""
    if not os.path.exists(results_path):
        return []
    body = open(results_path).read()
    begin, end_marker = "<!-- %s BEGIN" % name, "<!-- %s END -->" % name
    start, end = body.find(begin), body.find(end_marker)
    if start < 0 or end < start:
        return []
    return [body[start:end + len(end_marker)], ""]


def kept_kyoto_section(results_path):
    """The Kyoto Cabinet section (tests/realapps/kc_report.py writes it, from another script's run)."""
    return kept_section(results_path, "KYOTO")


def kept_sections(results_path):
    """Every section of KEPT_SECTIONS found in RESULTS_PATH, in that order."""
    out = []
    for name in KEPT_SECTIONS:
        out += kept_section(results_path, name)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--mode", default="?")
    ap.add_argument("--seed", default="?")
    ap.add_argument("--command", default="?")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--source", default=None,
                    help="the commit the measured binaries were built from (run.sh records it at "
                         "its start; default: the checkout's HEAD now)")
    a = ap.parse_args()

    ycsb = load_csv(os.path.join(a.out, "ycsb.csv"))
    btree = load_csv(os.path.join(a.out, "btree.csv"))
    cl = parse_commit_latency(os.path.join(a.out, "commit_latency.txt"))
    clf = parse_commit_latency_file(os.path.join(a.out, "commit_latency.txt"))
    qc = parse_quick_compare(os.path.join(a.out, "quick_compare.txt"))

    key = ["storage", "policy", "workload", "threads", "batch", "phase", "op"]
    thr = group(ycsb, key, "ops_per_s")
    p50 = group(ycsb, key, "p50_us")
    reps = defaultdict(int)
    for r in ycsb + btree:
        if r["op"] in ("ALL", "INSERT") and r["phase"] in ("run",):
            reps[(r["bench"], r["storage"], r["policy"], r["workload"], r["threads"], r["batch"], r["op"])] += 1
    nreps = max(reps.values()) if reps else 0
    sizes = {}
    for r in ycsb:
        sizes[(r["storage"])] = (r["records"], r["ops"])
    for r in btree:
        sizes["btree"] = (r["records"], r["ops"])

    def ycsb_thr(storage, policy, w, threads="1", batch="1"):
        return thr.get((storage, policy, w, threads, batch, "run", "ALL"), float("nan"))

    md = []
    m = machine()
    if a.source:
        m["commit"] = a.source
    md.append("# famsync benchmark results\n")
    md.append("Generated by `benchmarks/harness/report.py` from one invocation of the harness; do not edit by hand.\n")
    md.append(f"- **Command:** `{a.command}` ({a.mode} mode, {a.elapsed} s; seed {a.seed}; "
              f"median of {nreps} interleaved repetitions per configuration)")
    md.append(f"- **Machine:** {m.get('cpu', '?')}, {m.get('cores', '?')} logical CPUs, {m.get('memory', '?')} RAM, "
              f"Linux {m.get('kernel', '?')}; CPU flags: {m.get('flags', '?')}")
    md.append(f"- **Source:** commit {m.get('commit', '?')}")
    md.append("- **Storage settings:** `shm` = pmem emulated on /dev/shm, PMDK and famsync both forced onto the pmem path "
              "(`PMEM_IS_PMEM_FORCE=1`, `FAMSYNC_BACKEND=pmem`; famsync's protocol on pmem: "
              f"{os.environ.get('FAMSYNC_PMEM_PROTOCOL', 'redo')} log); `ext4` = /var/tmp on the virtio disk, "
              "famsync file backend (redo log, one fdatasync per commit) vs plain `msync(MS_SYNC)` (not failure-atomic).")
    md.append("- **Policies** (the same data-structure code, `benchmarks/harness/`): `famsync` = plain stores compiled with "
              "famsync-c++ + `fams_msync` per write op; `pmdk` = libpmemobj tx per write op, `pmemobj_tx_add_range` before "
              "every modification; `msync` = MAP_SHARED + msync per write op; `none` = anonymous memory, no persistence "
              "(plain clang++); `none-instr` = the same in the famsync-c++ build (instrumentation on untracked memory).")
    if "shm" in sizes:
        md.append(f"- **Sizes:** shm YCSB {sizes['shm'][0]} records, {sizes['shm'][1]} ops; "
                  + (f"ext4 YCSB {sizes['ext4'][0]} records, {sizes['ext4'][1]} ops; " if "ext4" in sizes else "")
                  + (f"b-tree {sizes['btree'][0]} keys." if "btree" in sizes else ""))
    md.append("- **Noise:** 2 shared vCPUs under KVM; compare ratios, not absolute numbers.\n")

    summary = []  # (what, measured, target, verdict)

    # ---- YCSB on emulated pmem -------------------------------------------------------------------
    if ycsb:
        md.append("## YCSB on emulated pmem (/dev/shm), 1 thread, one commit per write op\n")
        md.append("`ceiling` = none/PMDK: the ratio famsync would reach if its persistence cost were zero. "
                  "`write p50` = PMDK/famsync median latency of the workload's write operation (robust to the "
                  "machine's scheduling stalls, which hit throughput). `overhead famsync/PMDK` (issue 14 item 3) = "
                  "the persistence overhead per operation, (1/ops − 1/ops of `none`), famsync's divided by PMDK's, "
                  "computed per repetition (each rep runs every policy back to back) and given as the median with "
                  "the range over repetitions; target ≤ 0.4 on A, B, D, F.\n")
        md.append("| workload | famsync ops/s | PMDK ops/s | none ops/s | none-instr ops/s | famsync/PMDK | ceiling | "
                  "write p50 PMDK/famsync | overhead famsync/PMDK (range) | target | |")
        md.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for w in "ABCDEF":
            f, p, n, ni = (ycsb_thr("shm", pol, w) for pol in ("famsync", "pmdk", "none", "none-instr"))
            if f != f:
                continue
            r = f / p
            wop = WRITE_OP[w]
            lat = (p50.get(("shm", "pmdk", w, "1", "1", "run", wop), float("nan"))
                   / p50.get(("shm", "famsync", w, "1", "1", "run", wop), float("nan")))
            ov = overhead_ratios(ycsb, w)
            ov_txt = "–" if not ov else f"{statistics.median(ov):.2f} ({min(ov):.2f}–{max(ov):.2f})"
            md.append(f"| {w} | {fmt(f)} | {fmt(p)} | {fmt(n)} | {fmt(ni)} | {r:.2f}× | {n / p:.2f}× | "
                      f"{fmt(lat)}{'' if lat != lat else '×'} ({wop.lower()}) | {ov_txt} | ≥ {YCSB_TARGET[w]}× | "
                      f"{verdict(r, YCSB_TARGET[w])} |")
            summary.append((f"YCSB {w} famsync/PMDK (shm, 1 thread)", f"{r:.2f}×", f"≥ {YCSB_TARGET[w]}×",
                            verdict(r, YCSB_TARGET[w])))
            if ov and w in "ABDF":
                om = statistics.median(ov)
                summary.append((f"YCSB {w} persistence overhead famsync/PMDK (shm, 1 thread)",
                                f"{om:.2f} ({min(ov):.2f}–{max(ov):.2f})", f"≤ {OVERHEAD_TARGET}",
                                verdict(om, OVERHEAD_TARGET, False)))
        md.append("")
        threaded = [w for w in "ABCDEF" if ("shm", "famsync", w, "2", "1", "run", "ALL") in thr]
        if threaded:
            md.append("### 2 threads (one global lock around each op and its commit)\n")
            md.append("| workload | famsync ops/s | PMDK ops/s | famsync/PMDK | famsync 2T/1T | PMDK 2T/1T |")
            md.append("|---|---|---|---|---|---|")
            for w in threaded:
                f, p = ycsb_thr("shm", "famsync", w, "2"), ycsb_thr("shm", "pmdk", w, "2")
                md.append(f"| {w} | {fmt(f)} | {fmt(p)} | {f / p:.2f}× | {f / ycsb_thr('shm', 'famsync', w):.2f} | "
                          f"{p / ycsb_thr('shm', 'pmdk', w):.2f} |")
            md.append("")
        batches = sorted({r["batch"] for r in ycsb if r["batch"] != "1"}, key=int)
        if batches:
            md.append("### Commit every k ops (workload A, 1 thread)\n")
            md.append("| k | famsync ops/s | PMDK ops/s | famsync/PMDK |")
            md.append("|---|---|---|---|")
            for k in ["1"] + batches:
                f, p = ycsb_thr("shm", "famsync", "A", "1", k), ycsb_thr("shm", "pmdk", "A", "1", k)
                md.append(f"| {k} | {fmt(f)} | {fmt(p)} | {f / p:.2f}× |")
            md.append("")

        md.append("### Per-operation latency, shm, 1 thread (µs; medians over repetitions of each statistic)\n")
        md.append("| workload | op | policy | count | avg | min | max | p50 | p95 | p99 | p99.9 |")
        md.append("|---|---|---|---|---|---|---|---|---|---|---|")
        stats = {s: group(ycsb, key, s) for s in ("count", "avg_us", "min_us", "max_us", "p50_us", "p95_us", "p99_us",
                                                    "p999_us")}
        ops_seen = sorted({(r["workload"], r["phase"], r["op"]) for r in ycsb if r["storage"] == "shm"})
        for w, phase, op in ops_seen:
            if op == "ALL" or (phase == "load" and w != "A"):
                continue
            for pol in ("famsync", "pmdk"):
                k = ("shm", pol, w, "1", "1", phase, op)
                if k not in stats["count"]:
                    continue
                name = op + (" (load)" if phase == "load" else "")
                md.append(f"| {w} | {name} | {pol} | {stats['count'][k]:.0f} | "
                          + " | ".join(fmt(stats[s][k]) for s in ("avg_us", "min_us", "max_us", "p50_us", "p95_us",
                                                                  "p99_us", "p999_us")) + " |")
        md.append("")

    # ---- b-tree ------------------------------------------------------------------------------------
    if btree:
        bthr = group(btree, ["storage", "policy", "op"], "ops_per_s")
        bp50 = group(btree, ["storage", "policy", "op"], "p50_us")
        md.append("## B-tree (order 8, 8-byte keys/values) on emulated pmem, one commit per write op\n")
        md.append("| op | famsync ops/s | PMDK ops/s | none ops/s | none-instr ops/s | famsync p50 µs | PMDK p50 µs | "
                  "famsync/PMDK | target | |")
        md.append("|---|---|---|---|---|---|---|---|---|---|")
        for op in ("INSERT", "READ", "DELETE"):
            f, p, n, ni = (bthr.get(("shm", pol, op), float("nan")) for pol in ("famsync", "pmdk", "none", "none-instr"))
            r = f / p
            md.append(f"| {op} | {fmt(f)} | {fmt(p)} | {fmt(n)} | {fmt(ni)} | {fmt(bp50.get(('shm', 'famsync', op), float('nan')))} | "
                      f"{fmt(bp50.get(('shm', 'pmdk', op), float('nan')))} | {r:.2f}× | ≥ {BTREE_TARGET[op]}× | "
                      f"{verdict(r, BTREE_TARGET[op])} |")
            summary.append((f"b-tree {op.lower()} famsync/PMDK", f"{r:.2f}×", f"≥ {BTREE_TARGET[op]}×",
                            verdict(r, BTREE_TARGET[op])))
        md.append("")

    # ---- instrumentation overhead on untracked memory --------------------------------------------
    over = []
    for w in "ABCDEF":
        n, ni = ycsb_thr("shm", "none", w), ycsb_thr("shm", "none-instr", w)
        if n == n and ni == ni:
            over.append((f"YCSB {w}", 1 - ni / n))
    if btree:
        for op in ("INSERT", "READ", "DELETE"):
            n, ni = bthr.get(("shm", "none", op)), bthr.get(("shm", "none-instr", op))
            if n and ni:
                over.append((f"b-tree {op.lower()}", 1 - ni / n))
    if over:
        md.append("## Instrumentation overhead on untracked memory (none-instr vs none: same code, anonymous memory)\n")
        md.append("| benchmark | throughput loss | target | |")
        md.append("|---|---|---|---|")
        for name, o in over:
            md.append(f"| {name} | {o * 100:.1f}% | ≤ {INSTR_OVERHEAD_TARGET * 100:.0f}% | "
                      f"{verdict(o, INSTR_OVERHEAD_TARGET, False)} |")
        mo = med([o for _, o in over])
        summary.append(("instrumentation overhead, untracked memory (median over benchmarks)", f"{mo * 100:.1f}%",
                        f"≤ {INSTR_OVERHEAD_TARGET * 100:.0f}%", verdict(mo, INSTR_OVERHEAD_TARGET, False)))
        md.append("")

    # ---- ext4 ----------------------------------------------------------------------------------------
    if any(r["storage"] == "ext4" for r in ycsb):
        md.append("## YCSB on ext4 (/var/tmp), 1 thread, one commit per write op\n")
        md.append("| workload | famsync ops/s | msync ops/s | none ops/s | famsync/msync | write op | famsync p50 µs | "
                  "msync p50 µs |")
        md.append("|---|---|---|---|---|---|---|---|")
        for w in "ABCDEF":
            f, s, n = (ycsb_thr("ext4", pol, w) for pol in ("famsync", "msync", "none"))
            if f != f:
                continue
            wop = WRITE_OP[w]
            fp = p50.get(("ext4", "famsync", w, "1", "1", "run", wop), float("nan"))
            sp = p50.get(("ext4", "msync", w, "1", "1", "run", wop), float("nan"))
            md.append(f"| {w} | {fmt(f)} | {fmt(s)} | {fmt(n)} | {f / s:.2f}× | {wop} | {fmt(fp)} | {fmt(sp)} |")
        md.append("")
    if qc:
        md.append("## One failure-atomic update of K random words (benchmarks/quick_compare: the two of each pair timed in alternation; medians, µs; ratios: medians of the per-round ratios)\n")
        md.append("| K | famsync shm | PMDK shm | PMDK/famsync | famsync ext4 | msync ext4 | famsync ≤ msync? |")
        md.append("|---|---|---|---|---|---|---|")
        for r in qc:
            ok = r["ff"] <= r["ms"]
            md.append(f"| {r['k']} | {r['fp']:.2f} | {r['pm']:.2f} | {r['sp']:.2f}× | {r['ff']:.1f} | {r['ms']:.1f} | "
                      f"{'met' if ok else '**missed**'} |")
            summary.append((f"ext4 commit, {r['k']} dirty words: famsync vs msync latency", f"{r['ff']:.1f} vs {r['ms']:.1f} µs",
                            "famsync ≤ msync", "met" if ok else "**missed**"))
        md.append("")
    cl_md, cl_summary = commit_latency_section(cl, clf)
    md += cl_md
    summary += cl_summary

    # ---- memory and space ----------------------------------------------------------------------------
    rows = [r for r in ycsb if r["phase"] == "run" and r["op"] == "ALL" and r["threads"] == "1" and r["batch"] == "1"]
    if rows:
        fields = ["peak_rss_kb", "arena_bytes", "data_file_bytes", "log_file_bytes", "arena_rss_kb", "medium_rss_kb",
                  "meta_rss_kb"]
        mem = {f: group(rows, ["storage", "policy", "workload"], f) for f in fields}
        md.append("## Memory and space per YCSB configuration (1 thread; at rest after the last commit)\n")
        md.append("`arena RSS` = resident bytes of the mapping holding the data (famsync: the DRAM working copy); "
                  "`medium RSS` = other mappings of the policy's files (famsync on /dev/shm: the data file mapped for "
                  "write-back and the log — DAX, not DRAM, on real pmem); `meta` = growth of anonymous memory from "
                  "before mapping to the end, minus the same growth under `none` (the harness's own), as a fraction of "
                  "the mapping size (target for famsync ≤ 2%). The PMDK pool's size is the harness's choice "
                  "(arena + 3% + 48 MiB), not PMDK's need.\n")
        md.append("| storage | workload | policy | peak RSS MiB | mapping MiB | data file MiB | log file MiB | arena RSS MiB | "
                  "medium RSS MiB | meta KiB | meta / mapping |")
        md.append("|---|---|---|---|---|---|---|---|---|---|---|")
        meta_fracs = []
        for (storage, pol, w) in sorted(mem["peak_rss_kb"]):
            g = lambda f: mem[f][(storage, pol, w)]
            base = mem["meta_rss_kb"].get((storage, "none-instr" if pol == "famsync" else "none", w), 0.0)
            meta = g("meta_rss_kb") - (base if pol != "none" and pol != "none-instr" else 0.0)
            frac = meta * 1024 / g("arena_bytes")
            if pol == "famsync":
                meta_fracs.append(frac)
            md.append(f"| {storage} | {w} | {pol} | {g('peak_rss_kb') / 1024:.1f} | {g('arena_bytes') / 2**20:.0f} | "
                      f"{g('data_file_bytes') / 2**20:.1f} | {g('log_file_bytes') / 2**20:.2f} | {g('arena_rss_kb') / 1024:.1f} | "
                      f"{g('medium_rss_kb') / 1024:.1f} | {meta:.0f} | {frac * 100:.2f}% |")
        if meta_fracs:
            mx = max(meta_fracs)
            summary.append(("famsync in-memory metadata / mapping size (max over configurations)", f"{mx * 100:.2f}%",
                            "≤ 2%", verdict(mx, 0.02, False)))
        md.append("")

    # ---- summary first -----------------------------------------------------------------------------
    head = ["## Targets (issue 5)\n", "| measure | measured | target | |", "|---|---|---|---|"]
    head += [f"| {w} | {m_} | {t} | {v} |" for w, m_, t, v in summary]
    head.append("")
    intro_end = next(i for i, l in enumerate(md) if l.startswith("## "))
    md = md[:intro_end] + head + md[intro_end:]

    pm_path = os.path.join(a.out, "pmdk_maps.txt")
    if os.path.exists(pm_path):
        md.append("## PMDK's own example maps (external reference, /dev/shm, pmem forced)\n")
        md.append("PMDK's `btree_map` and `hashmap_tx` examples from Debian's libpmemobj-dev, built in place "
                  "(`benchmarks/pmdk_examples/`), one transaction per insert/remove, 50000 random keys: "
                  "the harness's PMDK b-tree above should be in the same range.\n")
        md.append("```")
        with open(pm_path) as f:
            md.extend(line.rstrip("\n") for line in f)
        md.append("```\n")

    plots = make_plots(a.out, ycsb_thr, bthr if btree else {}, cl)
    if plots:
        md.append("## Plots\n")
        rel = os.path.relpath(a.out, os.path.dirname(os.path.abspath(a.results)))
        md += [f"![{p}]({rel}/{p})" for p in plots]
        md.append("")
    md += kept_sections(a.results)
    with open(a.results, "w") as f:
        f.write("\n".join(md) + "\n")
    print(f"report.py: wrote {a.results}")


def make_plots(out, ycsb_thr, bthr, cl):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: python3-matplotlib not installed; no plots")
        return []
    made = []
    ws = [w for w in "ABCDEF" if ycsb_thr("shm", "famsync", w) == ycsb_thr("shm", "famsync", w)]
    if ws:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        sp = [ycsb_thr("shm", "famsync", w) / ycsb_thr("shm", "pmdk", w) for w in ws]
        ax.bar(ws, sp, color="tab:blue", label="famsync / PMDK")
        ax.scatter(ws, [YCSB_TARGET[w] for w in ws], color="tab:red", marker="_", s=400, label="target", zorder=3)
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_ylabel("throughput speedup over PMDK")
        ax.set_xlabel("YCSB workload (emulated pmem, 1 thread)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out, "ycsb_speedup.png"), dpi=120)
        made.append("ycsb_speedup.png")
    if bthr:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ops = ["INSERT", "READ", "DELETE"]
        pols = [p for p in ("famsync", "pmdk", "none-instr", "none") if ("shm", p, "INSERT") in bthr]
        width = 0.8 / len(pols)
        for i, p in enumerate(pols):
            ax.bar([j + i * width for j in range(3)], [bthr[("shm", p, o)] / 1e6 for o in ops], width, label=p)
        ax.set_xticks([j + width * (len(pols) - 1) / 2 for j in range(3)], ops)
        ax.set_ylabel("M ops/s")
        ax.set_title("b-tree (order 8), emulated pmem")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out, "btree_ops.png"), dpi=120)
        made.append("btree_ops.png")
    if cl:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for layout, color in (("scattered", "tab:blue"), ("contiguous", "tab:green")):
            rs = [r for r in cl if r["layout"] == layout]
            ax.plot([r["n"] for r in rs], [r["commit"] for r in rs], "o-", color=color, label=f"commit ({layout})")
            ax.plot([r["n"] for r in rs], [r["floor"] for r in rs], "x--", color=color, label=f"floor ({layout})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("dirty 64-byte lines")
        ax.set_ylabel("µs")
        ax.set_title("famsync commit latency, pmem backend")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "commit_latency.png"), dpi=120)
        made.append("commit_latency.png")
    return made


if __name__ == "__main__":
    main()
