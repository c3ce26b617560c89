#!/usr/bin/env bash
# overhead.sh — famsync pass overhead on code that never touches a tracked mapping.
# Runs the plain and the famsync-cc build of untracked_work.c alternately (REPS times each, same
# machine, same run), prints median ns/store for both and the ratio; then counts instructions of
# one round of each with callgrind (deterministic, immune to the noise of a shared VM).
# Usage: overhead.sh BIN_DIR [REPS]
set -euo pipefail
bin=$1 reps=${2:-7}
plain=() instr=()
for ((i = 0; i < reps; i++)); do
  plain+=("$("$bin/untracked_work_plain" 3 | awk '{print $2}')")
  instr+=("$("$bin/untracked_work_famsync" 3 | awk '{print $2}')")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mp=$(median "${plain[@]}") mi=$(median "${instr[@]}")
echo "untracked stores, median of $reps interleaved runs: plain $mp ns/store, famsync-cc $mi ns/store, ratio $(awk -v a="$mi" -v b="$mp" 'BEGIN {printf "%.3f", a / b}')"
if command -v valgrind >/dev/null; then
  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 1 2>&1 | awk '/refs:/ {gsub(",", "", $4); print $4}'; }
  cp=$(count "$bin/untracked_work_plain") ci=$(count "$bin/untracked_work_famsync")
  echo "instructions (callgrind, 1 round): plain $cp, famsync-cc $ci, ratio $(awk -v a="$ci" -v b="$cp" 'BEGIN {printf "%.3f", a / b}')"
fi
