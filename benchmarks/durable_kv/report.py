#!/usr/bin/env python3
"""report.py — the DURABLE-KV section of benchmarks/RESULTS.md, from one run.sh invocation.

Reads runs.csv (one line per timed run), flushes.csv (flush calls per commit, from strace) and
devices.csv (the traced runs' device counters, on loop devices of their own), prints the table, and replaces the text between "<!-- DURABLE-KV BEGIN" and "<!-- DURABLE-KV END -->"
in RESULTS.md (appending the section if there is none). notes.md beside this script, if present,
is included under "Why" (written by hand from a run; its first line says which).
Invariant: every number written comes from the two CSVs; a ratio whose inputs are missing is
reported as "not run", never as met.
"""
import argparse
import csv
import os
import platform
import statistics
import subprocess

FS_LABEL = {"ext4": "ext4 (/var/tmp)", "xfs": "XFS (loop image)"}
BEGIN = "<!-- DURABLE-KV BEGIN"
END = "<!-- DURABLE-KV END -->"
ORDER = [("famsync", "ext4"), ("sqlite", "ext4"), ("lmdb", "ext4"), ("gdbm-famsync", "xfs"),
         ("gdbm-failure-atomic", "xfs")]
SETTINGS = {
    "famsync": "C API: `fams_map` of one file, `fams_will_write` before each write, one "
               "`fams_msync` per op; file backend (default on a non-DAX file: redo log, one "
               "`fdatasync` per commit); default `FAMSYNC_*` settings. Store: open-addressing hash "
               "table of 128-byte slots over the mapping (`kv_famsync.cpp`)",
    "sqlite": "Debian libsqlite3 %s; `journal_mode=WAL`, `synchronous=FULL`, defaults otherwise "
              "(4 KiB pages, `wal_autocheckpoint=1000`); `WITHOUT ROWID` table `kv(k BLOB PRIMARY "
              "KEY, v BLOB)`; one autocommit upsert per op",
    "lmdb": "Debian liblmdb %s; `mdb_env_open` flags 0 (durable: no `MDB_NOSYNC`/`MDB_NOMETASYNC`/"
            "`MDB_WRITEMAP`), map 1 GiB; one write txn per op",
    "gdbm-famsync": "gdbm 1.23 from Debian's source built with `famsync-cc` (static "
                    "`libgdbm.a`), driver built with `famsync-c++`; `GDBM_NEWDB|GDBM_NUMSYNC`, "
                    "mmap on (no `GDBM_NOMMAP`), no `GDBM_SYNC`; `gdbm_store` + `gdbm_sync` per op "
                    "(`gdbm_sync`'s msync/fsync are the famsync commit)",
    "gdbm-failure-atomic": "Debian libgdbm %s; same open flags, then `gdbm_failure_atomic(dbf, "
                           "even, odd)` (reflink snapshot of the file at every `gdbm_sync`); "
                           "`gdbm_store` + `gdbm_sync` per op",
}


def pkg_version(p):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                              text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0
    return "%s, %d logical CPUs, %.1f GiB RAM, Linux %s" % (cpu, os.cpu_count(), mem,
                                                             platform.release())


def main():
    ap = argparse.ArgumentParser()
    for a in ("runs", "flushes", "devices", "results", "command", "seed", "preload", "ops", "reps",
              "load-before", "load-after", "elapsed", "gdbm-famsync-note", "source"):
        ap.add_argument("--" + a, default="")
    a = ap.parse_args()

    runs = {}
    loads = []
    for r in csv.DictReader(open(a.runs)):
        runs.setdefault((r["system"], r["fs"]), []).append(r)
        loads.append(float(r["load1"]))
    flushes = {(r["system"], r["fs"]): r for r in csv.DictReader(open(a.flushes))}
    devices = {}
    if a.devices and os.path.exists(a.devices):
        devices = {(r["system"], r["fs"]): r for r in csv.DictReader(open(a.devices))}

    def med(key, field):
        rs = runs.get(key)
        return statistics.median(float(r[field]) for r in rs) if rs else None

    rows = []
    hdr = ("| system | fs | ops/s (median) | min–max | µs/op | flush calls/commit (strace) | "
           "device flushes/op | device KiB/op |")
    rows.append(hdr)
    rows.append("|---|---|---|---|---|---|---|---|")
    settings = []
    vers = {"sqlite": pkg_version("libsqlite3-0"), "lmdb": pkg_version("liblmdb0"),
            "gdbm-failure-atomic": pkg_version("libgdbm6")}
    for key in ORDER:
        system, fs = key
        rs = runs.get(key)
        setting = SETTINGS[system] % vers[system] if system in vers else SETTINGS[system]
        settings.append("- `%s`: %s." % (system, setting))
        if not rs:
            note = a.gdbm_famsync_note if system == "gdbm-famsync" else "not run"
            rows.append("| %s | %s | %s | | | | | |" % (system, FS_LABEL[fs], note or "not run"))
            continue
        ops = [float(r["ops_per_s"]) for r in rs]
        f = flushes.get(key)
        if f:
            parts = ["%s %s" % (round(int(f[k]) / int(f["ops"]), 2), k)
                     for k in ("fsync", "fdatasync", "msync", "sync_file_range", "syncfs",
                               "dsync_writes", "ficlone") if int(f[k])]
            fl = "**%s** (%s)" % (f["flushes_per_commit"], ", ".join(parts))
        else:
            fl = "–"
        dv = devices.get(key)
        dev_b = float(dv["dev_bytes_per_op"]) if dv else med(key, "dev_bytes_per_op")
        dev_f = float(dv["dev_flushes_per_op"]) if dv else med(key, "dev_flushes_per_op")
        rows.append("| %s | %s | %.0f | %.0f–%.0f | %.0f | %s | %s | %s |" % (
            system, FS_LABEL[fs], statistics.median(ops), min(ops), max(ops), 1e6 / statistics.median(ops),
            fl, "–" if dev_f is None or dev_f < 0 else "%.2f" % dev_f,
            "–" if dev_b is None or dev_b < 0 else "%.1f" % (dev_b / 1024)))

    def ratio(x, y):
        mx, my = med(x, "ops_per_s"), med(y, "ops_per_s")
        return None if mx is None or my is None else mx / my

    def paired(x, y):
        """Per-repetition ratios (the two runs of a repetition ran minutes apart at most)."""
        bx = {r["rep"]: float(r["ops_per_s"]) for r in runs.get(x, [])}
        by = {r["rep"]: float(r["ops_per_s"]) for r in runs.get(y, [])}
        return [bx[k] / by[k] for k in sorted(bx, key=int) if k in by]

    targets = [
        ("famsync / LMDB (ext4)", ("famsync", "ext4"), ("lmdb", "ext4"), 1.8),
        ("famsync / SQLite (ext4)", ("famsync", "ext4"), ("sqlite", "ext4"), 1.0),
        ("gdbm under famsync / gdbm_failure_atomic (XFS)", ("gdbm-famsync", "xfs"),
         ("gdbm-failure-atomic", "xfs"), 5.0),
    ]
    trows = ["| ratio of ops/s | of the medians | target | | per repetition (same rep, back to back) |",
             "|---|---|---|---|---|"]
    for name, x, y, t in targets:
        r, p = ratio(x, y), paired(x, y)
        ps = ", ".join("%.2f" % v for v in p) + (" (median %.2f)" % statistics.median(p) if p else "")
        if r is None:
            trows.append("| %s | not run | ≥ %.1f× | **not measured** | |" % (name, t))
        else:
            trows.append("| %s | %.2f× | ≥ %.1f× | %s | %s |" % (
                name, r, t, "met" if r >= t else "**missed**", ps))

    notes_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    notes = open(notes_path).read().strip() if os.path.exists(notes_path) else ""
    md = [
        "%s: written by benchmarks/durable_kv/run.sh (report.py); kept by benchmarks/harness/report.py -->" % BEGIN,
        "## Durable key-value writes: famsync vs what users pick instead (issue 14, item 5)",
        "",
        "- **Command:** `%s` (%s s; seed **%s**; %s repetitions, interleaved; median reported)"
        % (a.command.strip(), a.elapsed, a.seed, a.reps),
        "- **Machine:** %s; load average before %s, after %s, at the end of each timed run %.2f–%.2f "
        "(other builds shared the 2 vCPUs and the disk: compare ratios, expect run-to-run spread)"
        % (machine(), a.load_before, a.load_after, min(loads), max(loads)),
        "- **Source:** commit %s" % a.source,
        "- **Workload** (`workload.hpp`, the same for every system): 16-byte printable keys, "
        "100-byte values; %s records preloaded and made durable once (not timed), then %s timed "
        "operations, each one durable commit: with probability ½ the insert of a new key, else "
        "the update of a uniformly chosen existing key. After the timed phase every key is read "
        "back and checked against the value last written." % (a.preload, a.ops),
        "- **File systems:** timed runs of famsync, SQLite and LMDB on /var/tmp (ext4 on the "
        "virtio disk, the machine's only real file system); the gdbm pair on a 512 MiB XFS image "
        "(`mkfs.xfs -m crc=1,reflink=1`, written out in full under /var/tmp, attached with "
        "`losetup --direct-io=on`: a flush of the loop device is an fsync of the image on the "
        "host's ext4). **Device counters** (/sys/block/loopN/stat: sectors written, flush "
        "requests; over the timed phase plus a final `syncfs`, per op) come from the traced run "
        "of each system on a loop device of its own: the XFS image, and for the ext4 systems a "
        "512 MiB ext4 image made the same way.",
        "- **Flush calls per commit:** one extra run per system under `strace -f`, calls between "
        "the timed phase's two markers divided by the ops: fsync, fdatasync, msync(MS_SYNC), "
        "sync_file_range(WAIT_AFTER), syncfs, and writes to O_DSYNC/O_SYNC descriptors "
        "(LMDB's meta page); FICLONE ioctls listed but not counted as flushes.",
        "",
        "\n".join(rows),
        "",
        "Settings, as the systems' users configure them for durable commits:",
        "",
        "\n".join(settings),
        "",
        "\n".join(trows),
        "",
    ]
    if notes:
        md += ["### Why", "", notes, ""]
    md.append(END)
    section = "\n".join(md)

    print(section)
    body = open(a.results).read() if os.path.exists(a.results) else ""
    s, e = body.find(BEGIN), body.find(END)
    if s >= 0 and e > s:
        body = body[:s] + section + body[e + len(END):]
    else:
        body = body.rstrip("\n") + "\n\n" + section + "\n"
    open(a.results, "w").write(body)


if __name__ == "__main__":
    main()
