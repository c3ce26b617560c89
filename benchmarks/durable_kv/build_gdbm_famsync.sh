#!/usr/bin/env bash
# build_gdbm_famsync.sh — builds kv_gdbm_famsync: kv_gdbm.cpp compiled with famsync-c++ and
# linked with a static libgdbm built from Debian's gdbm 1.23 source with famsync-cc.
#   benchmarks/durable_kv/build_gdbm_famsync.sh BUILD_DIR OUT_BINARY
# Reuses the gdbm tree tests/realapps/run.sh fetched and built with famsync-cc
# (BUILD_DIR/realapps/src/gdbm-*) when there is one; otherwise fetches the source with
# `apt-get source gdbm` into BUILD_DIR/durable_kv/src (needs a deb-src line: the script says how
# and stops if there is none; it changes nothing in the system) and builds only its library.
# Invariant: the library linked in carries famsync's instrumentation (checked with nm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
out=$2
cc=$build/bin/famsync-cc
cxx=$build/bin/famsync-c++
[ -x "$cc" ] && [ -x "$cxx" ] || { echo "build_gdbm_famsync.sh: $cc missing (build the project with FAMSYNC_BUILD_PASS=ON)" >&2; exit 1; }

gdbm=""
for d in "$build"/realapps/src/gdbm-*/ "$build"/durable_kv/src/gdbm-*/; do
  [ -d "$d" ] && [ -f "$d/src/gdbm.h" ] && [ -f "$d/src/.libs/libgdbm.a" ] && { gdbm=${d%/}; break; }
done
if [ -z "$gdbm" ]; then
  src=$build/durable_kv/src
  mkdir -p "$src"
  if ! ls -d "$src"/gdbm-*/ >/dev/null 2>&1; then
    if ! apt-get source --print-uris gdbm >/dev/null 2>&1; then
      cat >&2 <<EOF
build_gdbm_famsync.sh: apt has no deb-src entry, so gdbm's source cannot be fetched. Add one, e.g.
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \\
    > /etc/apt/sources.list.d/famsync-realapps-src.sources && apt-get update
(tests/realapps/run.sh adds the same entry), or run tests/realapps/run.sh once.
EOF
      exit 3
    fi
    (cd "$src" && apt-get source -qq gdbm >/dev/null 2>&1) || { echo "build_gdbm_famsync.sh: apt-get source gdbm failed" >&2; exit 1; }
  fi
  gdbm=$(ls -d "$src"/gdbm-*/ | head -1); gdbm=${gdbm%/}
  echo "build_gdbm_famsync.sh: building $gdbm/src with famsync-cc" >&2
  (cd "$gdbm" && { [ -f Makefile ] || CC=$cc ./configure --disable-nls --without-readline; } &&
     make -C src) >"$build/durable_kv/gdbm-build.log" 2>&1 ||
    { echo "build_gdbm_famsync.sh: gdbm build failed (see $build/durable_kv/gdbm-build.log)" >&2; exit 1; }
fi
lib=$gdbm/src/.libs/libgdbm.a
nm "$lib" 2>/dev/null | grep ' U __fams_' >/dev/null ||
  { echo "build_gdbm_famsync.sh: $lib has no famsync instrumentation (not built with famsync-cc?)" >&2; exit 1; }
"$cxx" -std=c++20 -O2 -DNDEBUG -Wall -I"$gdbm/src" "$here/kv_gdbm.cpp" "$lib" -o "$out"
echo "build_gdbm_famsync.sh: $out (gdbm from $gdbm)" >&2
