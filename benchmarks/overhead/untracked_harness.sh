#!/usr/bin/env bash
# untracked_harness.sh — the harness's "none-instr vs none" (issue 16, item 2): the same YCSB and
# b-tree code on anonymous memory, built with famsync-c++ (harness_famsync --policy none-instr)
# and with plain clang++ (harness_ref --policy none), so it measures only what the pass costs
# where no tracked mapping is used. run.sh measures the same pair but unpinned, between the
# other policies' runs; here every repetition runs the two back to back, pinned to one CPU at
# FIFO priority (root), and the loss is the median over repetitions of each pair's ratio.
#
# Usage: untracked_harness.sh [--build DIR] [--reps N] [--records N] [--ops N] [--keys N]
#                             [--out DIR] [--seed N] [--instructions]
#   defaults: <repo>/build, 7 repetitions, YCSB 1,000,000 records and ops, b-tree 1,000,000 keys
#   (run.sh --full's sizes), seed 42. Prints one line per benchmark: both throughputs (medians),
#   the median and spread of the pair losses, and the target (loss <= 3 %).
#   --instructions: instead, one callgrind run per benchmark and policy (whole process: load and
#   run phases; deterministic), and the instruction ratio none-instr / none.
# Needs: the harness built (ninja -C DIR harness); valgrind for --instructions.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$repo/build reps=7 records=1000000 ops=1000000 keys=1000000 seed=42 out="" instructions=no
while (($#)); do
  case $1 in
    --build) build=$2; shift ;;
    --reps) reps=$2; shift ;;
    --records) records=$2; shift ;;
    --ops) ops=$2; shift ;;
    --keys) keys=$2; shift ;;
    --seed) seed=$2; shift ;;
    --out) out=$2; shift ;;
    --instructions) instructions=yes ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "untracked_harness.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
hf=$build/bin/harness_famsync hr=$build/bin/harness_ref
for b in "$hf" "$hr"; do
  [[ -x $b ]] || { echo "untracked_harness.sh: $b missing (ninja -C $build harness)" >&2; exit 1; }
done
out=${out:-$(mktemp -d /tmp/untracked-harness.XXXXXX)}
mkdir -p "$out"
csv=$out/runs.csv
: >"$csv"
# What every run is started under: pinned to one CPU at FIFO priority (root), or callgrind.
prefix=()
if [[ $(id -u) == 0 ]]; then prefix=(chrt -f 10 taskset -c "$(($(nproc) - 1))"); fi

if [[ $instructions == yes ]]; then
  prefix=(valgrind --tool=callgrind --callgrind-out-file=/dev/null)
fi

run() {  # run POLICY BENCH [WORKLOAD]
  local policy=$1 bench=$2 w=${3:-} bin=$hr
  [[ $policy == none-instr ]] && bin=$hf
  local args=(--policy "$policy" --storage shm --dir /dev/shm --seed "$seed" --rep "$rep" --csv "$csv")
  if [[ $bench == ycsb ]]; then
    args+=(--workload "$w" --threads 1 --batch 1 --records "$records" --ops "$ops")
  else
    args+=(--keys "$keys")
  fi
  "${prefix[@]}" "$bin" "$bench" "${args[@]}" >>"$out/log.txt" 2>&1 </dev/null || {
    echo "untracked_harness.sh: FAILED: $bin $bench ${args[*]} (see $out/log.txt)" >&2
    exit 1
  }
}

if [[ $instructions == yes ]]; then
  echo "untracked_harness.sh: instructions (callgrind), YCSB $records records / $ops ops," \
    "b-tree $keys keys, seed $seed" >&2
  rep=1
  echo "| benchmark | none (instructions) | none-instr | ratio |"
  echo "|---|---|---|---|"
  for b in A B C D E F btree; do
    declare -A ir=()
    for policy in none none-instr; do
      : >"$out/log.txt"
      if [[ $b == btree ]]; then run "$policy" btree; else run "$policy" ycsb "$b"; fi
      ir[$policy]=$(awk '/refs:/ {gsub(",", "", $4); print $4}' "$out/log.txt" | tail -1)
    done
    name="YCSB $b"; [[ $b == btree ]] && name="b-tree (insert, read, delete)"
    echo "| $name | ${ir[none]} | ${ir[none-instr]} | $(awk -v a="${ir[none-instr]}" -v b="${ir[none]}" 'BEGIN {printf "%.3f×", a / b}') |"
  done
  exit 0
fi

echo "untracked_harness.sh: $reps reps, YCSB $records records / $ops ops, b-tree $keys keys," \
  "seed $seed${prefix:+, pinned (${prefix[*]})}; raw rows in $csv" >&2
for ((rep = 1; rep <= reps; rep++)); do
  for w in A B C D E F; do
    # Alternate which policy runs first, so neither always follows the other's page-cache state.
    if ((rep % 2)); then run none ycsb "$w"; run none-instr ycsb "$w"
    else run none-instr ycsb "$w"; run none ycsb "$w"; fi
  done
  if ((rep % 2)); then run none btree; run none-instr btree
  else run none-instr btree; run none btree; fi
  printf '\r[rep %d/%d]' "$rep" "$reps" >&2
done
echo >&2

python3 - "$csv" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def key(r):
    if r["bench"] == "ycsb":
        return ("YCSB " + r["workload"], "ALL") if r["op"] == "ALL" and r["phase"] == "run" else None
    if r["phase"] == "run" and r["op"] in ("INSERT", "READ", "DELETE"):
        return ("b-tree " + r["op"].lower(), r["op"])
    return None
tp = {}
for r in rows:
    k = key(r)
    if k is None:
        continue
    tp.setdefault((k[0], r["policy"]), {})[r["rep"]] = float(r["ops_per_s"])
names = sorted({k[0] for k in tp}, key=lambda n: (not n.startswith("YCSB"), n))
print("| benchmark | none ops/s (median) | none-instr ops/s (median) | loss, median of pairs | pair losses min–max | target | |")
print("|---|---|---|---|---|---|---|")
for n in names:
    a, b = tp.get((n, "none"), {}), tp.get((n, "none-instr"), {})
    reps = sorted(set(a) & set(b))
    if not reps:
        continue
    losses = [1 - b[r] / a[r] for r in reps]
    loss = statistics.median(losses)
    print(f"| {n} | {statistics.median(a.values()):,.0f} | {statistics.median(b.values()):,.0f} | "
          f"{loss * 100:.1f}% | {min(losses) * 100:.1f}% – {max(losses) * 100:.1f}% | ≤ 3% | "
          f"{'met' if loss <= 0.03 else '**missed**'} |")
EOF
