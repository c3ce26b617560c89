#!/usr/bin/env bash
# ab_libs.sh — the same instrumented harness binary against two builds of libfamsync.so,
# interleaved: what a runtime change buys, with everything else equal (the binary, the seed, the
# machine's state within a rep). libfamsync.so is found through LD_LIBRARY_PATH, which takes
# precedence over the binary's RUNPATH.
#
# Usage: ab_libs.sh OLD_LIBDIR NEW_LIBDIR [REPS] [WORKLOADS] [THREADS]
#   defaults: REPS 3, WORKLOADS "A B D F", THREADS "2 1"; 50,000 records, 200,000 ops, one commit
#   per write op, emulated pmem under /dev/shm (PMEM_IS_PMEM_FORCE=1, FAMSYNC_BACKEND=pmem).
# Prints one line per run: workload, threads, old|new, run ops/s, and FAMSYNC_STATS'
# racing_lines and dirty_lines (counts: they do not drift with the machine's load).
set -euo pipefail
old=$1 new=$2 reps=${3:-3} workloads=${4:-"A B D F"} threads=${5:-"2 1"}
here=$(cd "$(dirname "$0")" && pwd)
harness=${HARNESS:-$here/../../build/bin/harness_famsync}
dir=$(mktemp -d /dev/shm/famsync-ab.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for rep in $(seq 1 "$reps"); do
  for w in $workloads; do
    for t in $threads; do
      for which in old new; do
        lib=$old
        [ "$which" = new ] && lib=$new
        rm -rf "${dir:?}"/*
        out=$(LD_LIBRARY_PATH=$lib PMEM_IS_PMEM_FORCE=1 FAMSYNC_BACKEND=pmem FAMSYNC_STATS=1 \
              "$harness" ycsb --policy famsync --storage shm --dir "$dir" --workload "$w" \
              --threads "$t" --batch 1 --records 50000 --ops 200000 --seed 1 --rep "$rep" \
              --csv "$dir/out.csv" 2>&1)
        ops=$(grep -o "run [0-9]* ops/s" <<<"$out" | awk '{print $2}')
        racing=$(grep -o "racing_lines=[0-9]*" <<<"$out")
        dirty=$(grep -o " dirty_lines=[0-9]*" <<<"$out")
        echo "$w T=$t $which $ops $racing$dirty"
      done
    done
  done
done
