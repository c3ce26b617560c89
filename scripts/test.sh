#!/usr/bin/env bash
# test.sh — the README's test command: installs what is missing, builds everything, runs ctest.
# Extra arguments go to ctest (e.g. `scripts/test.sh -L crash`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${FAMSYNC_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 900 "$@"
