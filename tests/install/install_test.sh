#!/usr/bin/env bash
# install_test.sh — `cmake --install` into a temporary prefix, then build examples/consumer with
# find_package(famsync) and a C program with pkg-config against it, and run both; then check that
# the man pages are installed and open by name (man -M).
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
# Man pages: famsync(1), famsync(3) with a link page per public function, famsync(7), and
# famsync-cc(1)/famsync-c++(1) when the wrappers are installed; each opens by name with man.
man_root=$work/prefix/share/man
pages=(man1/famsync.1 man3/famsync.3 man7/famsync.7)
[[ -x $work/prefix/bin/famsync-cc ]] && pages+=(man1/famsync-cc.1 man1/famsync-c++.1)
for fn in $(grep -oE 'FAMS_API [^(]*\(' "$work/prefix/include/famsync/famsync.h" |
            grep -oE 'fams_[a-z_]+\($' | tr -d '('); do
  pages+=("man3/$fn.3")
done
for p in "${pages[@]}"; do
  [[ -f $man_root/$p ]] || { echo "install: man page $p not installed in $man_root"; exit 1; }
done
if command -v man >/dev/null; then
  for p in "${pages[@]}"; do
    name=${p#*/} name=${name%.*} section=${p:3:1}
    out=$(LC_ALL=C.UTF-8 MANPAGER=cat man -M "$man_root" "$section" "$name" 2>"$work/man.err")
    if [[ -s $work/man.err ]] || ! grep -q '^NAME' <<<"$out" || ! grep -qw -- "$name" <<<"$out"; then
      echo "install: man -M $man_root $section $name failed:"; cat "$work/man.err"; exit 1
    fi
  done
fi
echo "install: 1 passed, 0 failed"
