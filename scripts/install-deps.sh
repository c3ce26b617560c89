#!/usr/bin/env bash
# install-deps.sh — installs the Debian packages famsync builds, tests and benchmarks with.
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config python3
          clang-14 llvm-14-dev llvm-14-tools libclang-rt-14-dev
          libpmem-dev libpmemobj-dev libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev
          man-db groff-base  # man-db, groff-base: the man_pages test renders docs/man
          e2fsprogs util-linux  # mkfs.ext4, mount/losetup: the full-file-system and big-file tests
          gdbmtool  # Debian's own gdbmtool binary, run unmodified under `famsync run` (preload tests)
          # benchmarks/durable_kv: the competitors, XFS with reflink for gdbm's crash tolerance,
          # strace for the flush counts
          libsqlite3-dev liblmdb-dev libgdbm-dev xfsprogs strace)
if [[ "${1:-}" == "--with-plots" ]]; then packages+=(python3-matplotlib); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "famsync: installing Debian packages: ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
