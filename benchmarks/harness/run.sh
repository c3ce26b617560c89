#!/usr/bin/env bash
# run.sh — the whole benchmark harness in one command:
#   benchmarks/harness/run.sh [--quick|--full] [--build DIR] [--out DIR] [--results FILE] [--seed N]
#
# Builds what is missing, then runs, side by side and interleaved (for each repetition, every
# policy of a configuration back to back, so drifting machine load hits them alike):
#   * YCSB A–F on the KV store, and the order-8 b-tree, under famsync / PMDK tx / none /
#     none-instr, on emulated pmem (/dev/shm, PMEM_IS_PMEM_FORCE=1, FAMSYNC_BACKEND=pmem);
#   * YCSB under famsync (file backend) / plain msync / none on ext4 (/var/tmp);
#   * the existing microbenchmarks commit_latency and quick_compare;
# appends every result to CSV files under the output directory, then writes RESULTS.md (tables,
# ratios against issue 5's targets, machine, this exact command) and plots (python3-matplotlib)
# with report.py. --quick is CI-sized (< 5 min); --full is the real measurement.
# Invariant: every number in RESULTS.md comes from the CSVs of this invocation; seeds are fixed
# (--seed, default 42) and recorded in every row.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=quick
build=${FAMSYNC_BUILD_DIR:-$repo/build}
out=""
results=$repo/benchmarks/RESULTS.md
seed=42
shm_dir=${HARNESS_SHM_DIR:-/dev/shm}
disk_dir=${HARNESS_DISK_DIR:-/var/tmp}
command_line="benchmarks/harness/run.sh $*"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --results) results=$2; shift ;;
    --seed) seed=$2; shift ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || out=$repo/benchmarks/results/$mode-$(date +%Y%m%d-%H%M%S)
# The commit the binaries are built from, recorded now: a commit made while the run goes on must
# not be named as the measured source.
source_commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  source_commit="$source_commit (+ uncommitted changes)"
fi
mkdir -p "$out"
log=$out/harness.log
: >"$log"

# ---- sizes ----------------------------------------------------------------------------------------
if [ $mode = quick ]; then
  reps=3
  shm_records=50000; shm_ops=50000; btree_keys=50000
  disk_records=5000; disk_ops=1000
  thread_workloads="A C"; batch_sweep=""
  micro_flag=--quick
else
  reps=5
  shm_records=1000000; shm_ops=1000000; btree_keys=1000000
  disk_records=50000; disk_ops=10000
  thread_workloads="A B C D E F"; batch_sweep="8 64"
  micro_flag=""
fi
workloads="A B C D E F"

# ---- build ------------------------------------------------------------------------------------------
if [ ! -x "$build/bin/harness_famsync" ] || [ ! -x "$build/benchmarks/commit_latency" ]; then
  echo "run.sh: building into $build" >&2
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >>"$log" 2>&1
  fi
fi
ninja -C "$build" harness commit_latency quick_compare pmdk_maps >>"$log" 2>&1 || {
  echo "run.sh: build failed (see $log); is 'add_subdirectory(harness)' in benchmarks/CMakeLists.txt?" >&2
  exit 1
}
hf=$build/bin/harness_famsync
hr=$build/bin/harness_ref

# ---- plan: one line per harness invocation, so the progress line knows the total --------------------
plan=$out/plan.txt
: >"$plan"
for rep in $(seq 1 $reps); do
  for w in $workloads; do
    for p in famsync pmdk none-instr none; do
      echo "shm ycsb $p $w 1 1 $rep" >>"$plan"
    done
  done
  for w in $thread_workloads; do
    for p in famsync pmdk; do echo "shm ycsb $p $w 2 1 $rep" >>"$plan"; done
  done
  for k in $batch_sweep; do
    for p in famsync pmdk; do echo "shm ycsb $p A 1 $k $rep" >>"$plan"; done
  done
  for p in famsync pmdk none-instr none; do echo "shm btree $p - 1 1 $rep" >>"$plan"; done
  for w in $workloads; do
    for p in famsync msync none; do echo "ext4 ycsb $p $w 1 1 $rep" >>"$plan"; done
  done
done
total=$(($(wc -l <"$plan") + 2))
start=$(date +%s)
n=0
progress() {
  n=$((n + 1))
  printf '\r[%3d/%3d %4ds] %-60s' "$n" "$total" "$(($(date +%s) - start))" "$1" >&2
}

run_one() {  # storage bench policy workload threads batch rep
  local storage=$1 bench=$2 policy=$3 w=$4 threads=$5 batch=$6 rep=$7 bin dir
  case $policy in famsync | none-instr) bin=$hf ;; *) bin=$hr ;; esac
  local args=(--policy "$policy" --storage "$storage" --seed "$seed" --rep "$rep" --csv "$out/$bench.csv")
  if [ "$storage" = shm ]; then
    dir=$shm_dir
    export PMEM_IS_PMEM_FORCE=1 FAMSYNC_BACKEND=pmem
  else
    dir=$disk_dir
    unset PMEM_IS_PMEM_FORCE
    export FAMSYNC_BACKEND=file
  fi
  args+=(--dir "$dir")
  if [ "$bench" = ycsb ]; then
    args+=(--workload "$w" --threads "$threads" --batch "$batch")
    if [ "$storage" = shm ]; then
      args+=(--records "$shm_records" --ops "$shm_ops")
    else
      # Loading thousands of records with one msync each would dominate the run on ext4: the load
      # phase (not compared) commits every 500 inserts; the run phase commits every operation.
      args+=(--records "$disk_records" --ops "$disk_ops" --load-batch 500)
    fi
  else
    args+=(--keys "$btree_keys")
  fi
  progress "$storage $bench $policy $w T=$threads k=$batch rep $rep"
  echo "+ $bin $bench ${args[*]}" >>"$log"
  "$bin" "$bench" "${args[@]}" </dev/null >>"$log" 2>&1 || {
    echo >&2
    echo "run.sh: FAILED: $bin $bench ${args[*]} (see $log)" >&2
    exit 1
  }
}

echo "run.sh: $mode mode, seed $seed, output $out" >&2
# A short correctness run first: famsync's verify mode reports any store the pass missed.
FAMSYNC_VERIFY=1 PMEM_IS_PMEM_FORCE=1 FAMSYNC_BACKEND=pmem \
  "$hf" ycsb --policy famsync --workload E --records 2000 --ops 2000 --batch 4 --verify \
  --dir "$shm_dir" --seed "$seed" --csv "$out/verify.csv" >>"$log" 2>&1 || {
  echo "run.sh: the FAMSYNC_VERIFY=1 correctness run failed (see $log)" >&2
  exit 1
}
while read -r storage bench policy w threads batch rep; do
  run_one "$storage" "$bench" "$policy" "$w" "$threads" "$batch" "$rep"
done <"$plan"

# Both microbenchmarks choose their backends explicitly; the pmem floor needs libpmem forced.
unset FAMSYNC_BACKEND
export PMEM_IS_PMEM_FORCE=1
progress "commit_latency $micro_flag"
"$build/benchmarks/commit_latency" "$shm_dir" $micro_flag >"$out/commit_latency.txt" 2>>"$log"
progress "quick_compare $micro_flag"
"$build/benchmarks/quick_compare" "$shm_dir" "$disk_dir" $micro_flag >"$out/quick_compare.txt" 2>>"$log"
# PMDK's own example maps (external reference for the PMDK numbers), when they could be built.
if [ -x "$build/benchmarks/pmdk_examples/pmdk_maps" ]; then
  progress "pmdk_maps (PMDK's btree_map and hashmap_tx examples)"
  "$build/benchmarks/pmdk_examples/pmdk_maps" "$shm_dir" 50000 >"$out/pmdk_maps.txt" 2>>"$log" || true
fi
echo >&2

# Debian's python3-matplotlib lives in /usr/bin/python3; a pyenv/venv python3 first in PATH may lack it.
py=python3
for cand in /usr/bin/python3 python3; do
  if "$cand" -c 'import matplotlib' 2>/dev/null; then py=$cand; break; fi
done
"$py" "$here/report.py" --out "$out" --results "$results" --mode "$mode" --seed "$seed" \
  --command "$command_line" --elapsed "$(($(date +%s) - start))" --source "$source_commit"
echo "run.sh: done in $(($(date +%s) - start)) s: $results, CSVs and plots in $out" >&2
