#!/usr/bin/env python3
"""kc_report.py — the Kyoto Cabinet benchmark's report (issue #6), from one run.sh invocation.

Reads the CSV written by tests/realapps/run.sh (fs,mode,rep,db,k,ops,seconds,us_per_op: each
repeat runs stock then famsync back to back), prints the speedups (median over repeats of stock
time per op ÷ famsync time per op of the same repeat), draws the
time-per-op-vs-k plot (Snapshot's Figure 2 shape) and writes benchmarks/results/kyoto/: the CSV,
the plot and section.md, the Markdown section that benchmarks/RESULTS.md carries between the
KYOTO markers (spliced here; benchmarks/harness/report.py keeps it when it rewrites the file).
Invariant: every number written comes from this CSV.

  kc_report.py CSV OUT_DIR RESULTS_MD MODE_LABEL
"""
import csv
import datetime
import os
import shutil
import sys

BEGIN = "<!-- KYOTO BEGIN: written by tests/realapps/kc_report.py; kept by benchmarks/harness/report.py -->"
END = "<!-- KYOTO END -->"


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def load(path):
    """Median time per op per (fs, mode, db, k), median per-repeat speedup per (fs, db, k), ks,
    and the number of repeats."""
    rows = list(csv.DictReader(open(path)))
    per = {}
    for r in rows:
        per.setdefault((r["fs"], r["mode"], r["db"], int(r["k"])), {})[int(r.get("rep") or 1)] = \
            float(r["us_per_op"])
    t = {key: median(list(v.values())) for key, v in per.items()}
    speedup = {}
    for (fs, mode, db, k), stock in per.items():
        if mode != "stock":
            continue
        fam = per[(fs, "famsync", db, k)]
        speedup[(fs, db, k)] = median([stock[rep] / fam[rep] for rep in stock if rep in fam])
    reps = max(len(v) for v in per.values())
    return t, speedup, sorted({int(r["k"]) for r in rows}), reps


def plot(t, ks, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, fs in zip(axes, ("ext4", "shm")):
        for db in ("hash", "tree"):
            for mode, style in (("stock", "--o"), ("famsync", "-s")):
                ax.plot(ks, [t[(fs, mode, db, k)] for k in ks], style, label="%s %s" % (db, mode))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("ops per transaction (k)")
        ax.set_ylabel("time per op (µs)")
        ax.set_title("Kyoto Cabinet, %s" % fs)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def section(t, speedup, ks, reps, label, have_plot):
    when = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%MZ")
    command = ("`tests/realapps/run.sh --quick`" if label == "--quick"
               else "`tests/realapps/run.sh` (full mode)")
    md = ["## Kyoto Cabinet 1.2.79: stock hard transactions (WAL) vs WAL off + famsync (issue 6)\n",
          "From %s at %s on %d CPUs, not from the harness above. Random "
          "set/remove over 20000 keys, a hard transaction committed every k ops; stock and famsync "
          "run back to back at each point (`kcdriver bench`, under SCHED_FIFO when root), %d "
          "time(s) per point. ext4 = /var/tmp, famsync redo log + fdatasync; shm = /dev/shm, "
          "famsync pmem backend forced. Time per op in µs, median of the repeats; speedup = "
          "median of the repeats' stock ÷ famsync. Target: ≥ 8× at k = 1 on ext4.\n"
          % (command, when, os.cpu_count() or 0, reps)]
    for fs in ("ext4", "shm"):
        md.append("| %s | %s |" % (fs, " | ".join("k=%d" % k for k in ks)))
        md.append("|---|%s" % ("---|" * len(ks)))
        for db in ("hash", "tree"):
            for mode in ("stock", "famsync"):
                md.append("| %s %s µs | %s |" % (db, mode, " | ".join(
                    "%.1f" % t[(fs, mode, db, k)] for k in ks)))
            md.append("| **%s speedup** | %s |" % (db, " | ".join(
                "**%.1f×**" % speedup[(fs, db, k)] for k in ks)))
        md.append("")
    if have_plot:
        md.append("![kc-bench.png](results/kyoto/kc-bench.png)\n")
    return "\n".join(md)


def splice(results_md, text):
    """Replaces the KYOTO section of RESULTS_MD (or appends one)."""
    body = open(results_md).read() if os.path.exists(results_md) else ""
    block = BEGIN + "\n" + text.rstrip("\n") + "\n" + END + "\n"
    if BEGIN in body and END in body:
        head, rest = body.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        body = head + block + tail
    else:
        body = body.rstrip("\n") + "\n\n" + block
    with open(results_md, "w") as f:
        f.write(body)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: kc_report.py CSV OUT_DIR RESULTS_MD MODE_LABEL")
    csv_path, out, results_md, label = sys.argv[1:]
    t, speedup, ks, reps = load(csv_path)
    for fs in ("ext4", "shm"):
        for db in ("hash", "tree"):
            sp = ["k=%d %.1fx" % (k, speedup[(fs, db, k)]) for k in ks]
            print("kyoto speedup %s %s: %s" % (fs, db, ", ".join(sp)))
    os.makedirs(out, exist_ok=True)
    if os.path.abspath(csv_path) != os.path.abspath(os.path.join(out, "kc-bench.csv")):
        shutil.copyfile(csv_path, os.path.join(out, "kc-bench.csv"))
    have_plot = plot(t, ks, os.path.join(out, "kc-bench.png"))
    print("plot: %s" % (os.path.join(out, "kc-bench.png") if have_plot
                        else "python3-matplotlib not installed"))
    text = section(t, speedup, ks, reps, label, have_plot)
    with open(os.path.join(out, "section.md"), "w") as f:
        f.write(text + "\n")
    splice(results_md, text)
    print("kyoto section: %s" % results_md)


if __name__ == "__main__":
    main()
