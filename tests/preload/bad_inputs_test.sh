#!/bin/sh
# famsync run: bad inputs get a clear message and no run; the program's SIGSEGV handler chains.
#   bad_inputs_test.sh FAMSYNC SEGV_CHAIN
set -u
famsync=$1 segv=$2
d=$(mktemp -d /var/tmp/famsync-preload-bad.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# No command.
"$famsync" run >"$d/out" 2>&1; rc=$?
[ $rc -eq 64 ] && grep -q "no command given" "$d/out" || fail "run without a command: rc $rc: $(cat "$d/out")"
"$famsync" run -- >"$d/out" 2>&1; rc=$?
[ $rc -eq 64 ] || fail "run -- without a command: rc $rc"
# A command that does not exist.
"$famsync" run -- no-such-command-famsync >"$d/out" 2>&1; rc=$?
[ $rc -eq 127 ] && grep -q "command not found" "$d/out" || fail "missing command: rc $rc: $(cat "$d/out")"
# A missing preload library.
FAMSYNC_PRELOAD_LIB=/nonexistent/lib.so "$famsync" run -- true >"$d/out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "preload library /nonexistent/lib.so is missing" "$d/out" || fail "missing library: rc $rc"
# A setuid program.
cp /usr/bin/true "$d/suid-true" && chmod u+s "$d/suid-true"
"$famsync" run -- "$d/suid-true" >"$d/out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "setuid" "$d/out" || fail "setuid: rc $rc: $(cat "$d/out")"
# A statically linked program (if gcc can link one here).
if printf 'int main(void){return 0;}\n' | gcc -static -x c -o "$d/static" - 2>/dev/null; then
  "$famsync" run -- "$d/static" >"$d/out" 2>&1; rc=$?
  [ $rc -eq 2 ] && grep -q "statically linked" "$d/out" || fail "static: rc $rc: $(cat "$d/out")"
else
  echo "note: no static libc here, static-binary case not run"
fi
# A dynamic program runs, with its arguments and exit status.
"$famsync" run -- sh -c 'exit 7'; rc=$?
[ $rc -eq 7 ] || fail "exit status not passed through: $rc"
out=$("$famsync" run -- sh -c 'echo "$LD_PRELOAD"')
case "$out" in *libfamsync-preload.so*) ;; *) fail "LD_PRELOAD not set: $out" ;; esac

# The program's own SIGSEGV handler still gets its faults; without one, the fault kills it.
"$famsync" run -- "$segv" "$d/f1" handler >"$d/out" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "program handler caught" "$d/out" || fail "segv chain (handler): rc $rc: $(cat "$d/out")"
[ "$(od -An -c -j5000 -N1 "$d/f1" | tr -d ' ')" = x ] || fail "the committed write before the fault is missing"
"$famsync" run -- "$segv" "$d/f2" default >"$d/out" 2>&1; rc=$?
[ $rc -eq 139 ] || fail "segv chain (default): expected death by SIGSEGV (139), got $rc: $(cat "$d/out")"
echo "ok"
