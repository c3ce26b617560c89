#!/usr/bin/env bash
# install_test.sh — `cmake --install` into a temporary prefix, then build examples/consumer with
# find_package(famsync) and a C program with pkg-config against it, and run both.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d /tmp/famsync-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/famsync"
cmake -S "$src/examples/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
head -c 4096 /dev/zero >"$work/data"
export LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64:$work/prefix/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
"$work/consumer/consumer" "$work/data" | grep -q "run 1 committed"
"$work/consumer/consumer" "$work/data" | grep -q "run 2 committed"
"$work/prefix/bin/famsync" check "$work/data" | grep -q consistent
# pkg-config, from C.
cat >"$work/c.c" <<'C'
#include <famsync/famsync.h>
#include <stdio.h>
int main(int argc, char **argv) {
  fams_region *r;
  int rc = fams_map(argv[1], 0, &r);
  if (rc) { fprintf(stderr, "%s\n", fams_strerror(rc)); return 1; }
  ((char *)fams_region_addr(r))[8] = 0;  /* unannounced write: not relied upon */
  fams_will_write((char *)fams_region_addr(r) + 16, 1);
  ((char *)fams_region_addr(r))[16] = 42;
  return fams_unmap(r);
}
C
pc_dir=$(dirname "$(find "$work/prefix" -name famsync.pc | head -1)")
cc "$work/c.c" -o "$work/c" $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs famsync)
"$work/c" "$work/data"
[[ $(od -An -tu1 -j16 -N1 "$work/data" | tr -d ' ') == 42 ]]
echo "install: 1 passed, 0 failed"
