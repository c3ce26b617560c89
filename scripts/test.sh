#!/usr/bin/env bash
# test.sh — the README's test command: installs what is missing, builds everything, runs ctest,
# then runs the unit and crash tiers again under ASan+UBSan and the unit tier under TSan.
# Extra arguments go to the main ctest run (e.g. `scripts/test.sh -L crash`).
# FAMSYNC_SKIP_SANITIZERS=1 skips the two sanitizer builds (they take a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
build=${FAMSYNC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 "$@"

if [[ "${FAMSYNC_SKIP_SANITIZERS:-0}" != 1 && $# -eq 0 ]]; then
  sanitize() {  # sanitize NAME FLAGS CTEST-ARGS...
    local name=$1 flags=$2; shift 2
    echo "== sanitizer run: $name"
    cmake -S . -B "$build-$name" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFAMSYNC_SANITIZE="$flags" \
      -DFAMSYNC_BUILD_PASS=OFF -DFAMSYNC_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "$build-$name" -j "$jobs" >/dev/null
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 TSAN_OPTIONS=halt_on_error=1 \
      ctest --test-dir "$build-$name" --output-on-failure -j "$jobs" --timeout 900 "$@"
  }
  # The crash-state explorations (sim_*) run in the main stage; under ASan they take minutes.
  # bigfile_cgroup measures the process's anonymous memory, which ASan's own shadow inflates.
  sanitize asan address,undefined -L "unit|crash|fault" -E "kill_storm|install|sim_|bigfile"
  sanitize tsan thread -L unit -E "install|cli|example"
fi
