#!/usr/bin/env bash
# demo.sh — the README's demo. Builds everything, recompiles an unmodified mmap/msync program
# (examples/msync_app/ledger.c) with famsync-cc, crashes both builds mid-update, recovers, and
# prints a small comparison against PMDK transactions and plain msync.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${FAMSYNC_BUILD_DIR:-build}
echo "== building famsync (runtime, pass plugin, wrappers, tools)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
work=$(mktemp -d "${FAMSYNC_DEMO_DIR:-/var/tmp}/famsync-demo-XXXXXX")  # ext4: msync is real here
trap 'rm -rf "$work"' EXIT

echo "== compiling the same unmodified source twice"
cc -O2 examples/msync_app/ledger.c -o "$work/ledger-plain"
"$build/bin/famsync-cc" -O2 examples/msync_app/ledger.c -o "$work/ledger-famsync"
echo "   cc          -> ledger-plain"
echo "   famsync-cc  -> ledger-famsync"

for flavour in plain famsync; do
  echo "== $flavour: 20 batches of 100 transfers, msync after each; then crash (SIGKILL) mid-batch"
  f="$work/$flavour.ledger"
  "$work/ledger-$flavour" init "$f" 1000 | sed 's/^/   /'
  "$work/ledger-$flavour" run "$f" 20
  ("$work/ledger-$flavour" run "$f" 10 5 | sed 's/^/   /') 2>/dev/null || true
  if [[ $flavour == famsync ]]; then
    echo "   famsync check (before anything reopens the file):"
    "$build/src/famsync" check "$f" | sed 's/^/     /' || true
  fi
  # Reopening maps the file: the famsync build recovers it first.
  "$work/ledger-$flavour" check "$f" | sed 's/^/   after the crash: /' || true
done
echo "   (plain msync leaves the half-done batch in the file; famsync rolled back to the last msync)"

echo "== comparison (quick mode; medians of many runs, this machine, see benchmarks/)"
"$build/benchmarks/quick_compare" --quick "${FAMSYNC_SHM_DIR:-/dev/shm}" "$work"
