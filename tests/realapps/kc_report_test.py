#!/usr/bin/env python3
"""kc_report_test.py — checks the Kyoto benchmark report (kc_report.py) and that the harness's
report.py keeps its section, on a small synthetic CSV. Runs in CI (ctest kc_report); needs no
Kyoto build. Invariant: every expected number below is computed by hand from the CSV here.

  kc_report_test.py REPO_ROOT
"""
import importlib.util
import os
import subprocess
import sys
import tempfile

CSV = """fs,mode,rep,db,k,ops,seconds,us_per_op
ext4,stock,1,hash,1,10,1.0,600
ext4,famsync,1,hash,1,10,1.0,100
ext4,stock,2,hash,1,10,1.0,900
ext4,famsync,2,hash,1,10,1.0,100
ext4,stock,3,hash,1,10,1.0,700
ext4,famsync,3,hash,1,10,1.0,200
ext4,stock,1,tree,1,10,1.0,800
ext4,famsync,1,tree,1,10,1.0,400
ext4,stock,2,tree,1,10,1.0,800
ext4,famsync,2,tree,1,10,1.0,400
ext4,stock,3,tree,1,10,1.0,800
ext4,famsync,3,tree,1,10,1.0,400
shm,stock,1,hash,1,10,1.0,6
shm,famsync,1,hash,1,10,1.0,2
shm,stock,2,hash,1,10,1.0,6
shm,famsync,2,hash,1,10,1.0,2
shm,stock,3,hash,1,10,1.0,6
shm,famsync,3,hash,1,10,1.0,2
shm,stock,1,tree,1,10,1.0,12
shm,famsync,1,tree,1,10,1.0,12
shm,stock,2,tree,1,10,1.0,12
shm,famsync,2,tree,1,10,1.0,12
shm,stock,3,tree,1,10,1.0,12
shm,famsync,3,tree,1,10,1.0,12
"""

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def main():
    root = sys.argv[1]
    kc_report = os.path.join(root, "tests/realapps/kc_report.py")
    with tempfile.TemporaryDirectory() as d:
        csv_path = os.path.join(d, "kc.csv")
        open(csv_path, "w").write(CSV)
        results = os.path.join(d, "RESULTS.md")
        open(results, "w").write("# results\n\nharness text\n")
        out = subprocess.run([sys.executable, kc_report, csv_path, os.path.join(d, "kyoto"),
                              results, "full"], capture_output=True, text=True)
        check(out.returncode == 0, "kc_report.py exits 0 (stderr: %s)" % out.stderr.strip())
        # hash ext4: per-repeat ratios 6, 9, 3.5 -> median 6.0; stock median 700, famsync 100.
        check("kyoto speedup ext4 hash: k=1 6.0x" in out.stdout, "median of per-repeat ratios")
        check("kyoto speedup ext4 tree: k=1 2.0x" in out.stdout, "tree ratio 2.0")
        check("kyoto speedup shm tree: k=1 1.0x" in out.stdout, "shm tree ratio 1.0")
        body = open(results).read()
        check(body.startswith("# results\n\nharness text\n"), "existing text kept")
        check(body.count("<!-- KYOTO BEGIN") == 1 and body.count("<!-- KYOTO END -->") == 1,
              "one section")
        check("| hash stock µs | 700.0 |" in body, "median stock time per op")
        check("| hash famsync µs | 100.0 |" in body, "median famsync time per op")
        check("**6.0×**" in body, "speedup in the table")
        check("`tests/realapps/run.sh` (full mode)" in body, "command named")
        # A second run replaces the section instead of adding one.
        subprocess.run([sys.executable, kc_report, csv_path, os.path.join(d, "kyoto"), results,
                        "--quick"], capture_output=True, text=True, check=True)
        body = open(results).read()
        check(body.count("<!-- KYOTO BEGIN") == 1, "second run replaces the section")
        check("`tests/realapps/run.sh --quick`" in body, "second run's command")
        # The harness's report.py keeps the section verbatim when it rewrites the file.
        spec = importlib.util.spec_from_file_location(
            "harness_report", os.path.join(root, "benchmarks/harness/report.py"))
        report = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(report)
        kept = report.kept_kyoto_section(results)
        check(len(kept) == 2 and kept[0].startswith("<!-- KYOTO BEGIN")
              and kept[0].endswith("<!-- KYOTO END -->") and "**6.0×**" in kept[0],
              "report.py keeps the section")
        check(report.kept_kyoto_section(os.path.join(d, "missing.md")) == [],
              "no file, nothing kept")
        # ... and the real-program overhead sections (benchmarks/overhead/real_programs.sh) too.
        with open(results, "a") as f:
            f.write("\n<!-- REAL-PROGRAMS BEGIN: x -->\n| lz4 | 1.18x |\n<!-- REAL-PROGRAMS END -->\n")
        kept_all = report.kept_sections(results)
        check(any(k.startswith("<!-- REAL-PROGRAMS BEGIN") and "lz4" in k for k in kept_all)
              and any(k.startswith("<!-- KYOTO BEGIN") for k in kept_all),
              "report.py keeps the real-program section with the Kyoto one")
    if failures:
        print("kc_report_test: %d failure(s)" % len(failures))
        return 1
    print("kc_report_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
