#!/usr/bin/env bash
# cli_test.sh — the `famsync` command end to end: check/info/recover on a file left mid-commit,
# on a damaged log, and on bad usage; exit codes and messages are asserted.
# Usage: cli_test.sh FAMSYNC_BIN CRASH_CHILD_BIN
set -u
famsync=$1 child=$2
dir=$(mktemp -d /dev/shm/famsync-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failures=0 passes=0
logof() {  # the log named by a file's identity (user.famsync = "famsync1 <id> <dir>")
  python3 -c 'import os,sys; v=os.getxattr(sys.argv[1],"user.famsync").decode().split(" ",2); print(v[2]+"/.famsync-"+v[1]+".log")' "$1"
}
expect() {  # expect NAME WANT_EXIT GREP_PATTERN -- command...
  local name=$1 want=$2 pattern=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -ne $want ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want), output:"; echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}

f=$dir/data
head -c 10000 /dev/urandom >"$f"
cp "$f" "$dir/original"
expect no-log 0 "consistent (no log)" -- "$famsync" check "$f"
expect info-no-log 0 "never mapped with famsync" -- "$famsync" info "$f"

# Undo protocol (pmem backend with FAMSYNC_PMEM_PROTOCOL=undo). Leave a commit interrupted after
# write-back: the file holds new bytes, the log the old ones.
export FAMSYNC_BACKEND=pmem FAMSYNC_PMEM_PROTOCOL=undo
(FAMSYNC_CRASH_AT=commit-after-writeback exec "$child" poke "$f" 100 "interrupted-commit") 2>/dev/null
cmp -s "$f" "$dir/original" && { echo "FAIL setup: the crash left the file unchanged"; failures=$((failures+1)); }
expect check-needs 1 "NEEDS RECOVERY" -- "$famsync" check "$f"
expect info-live 0 "live entries: 1 (1 valid, 0 torn)" -- "$famsync" info "$f"
expect info-state 0 "needs recovery" -- "$famsync" info "$f"

# A growth that was never committed: check and info name it, recover cuts the file back.
for backend in pmem file; do
  g=$dir/grown-$backend
  head -c 5000 /dev/urandom >"$g"
  cp "$g" "$dir/grown-orig"
  (FAMSYNC_BACKEND=$backend exec "$child" grow-and-die "$g" 9000) 2>/dev/null
  [[ $(stat -c %s "$g") == 9000 ]] || { echo "FAIL setup: $backend growth not in the file"; failures=$((failures+1)); }
  expect grown-check-$backend 1 "grew to 9000 bytes after its last commit (committed size 5000)" -- "$famsync" check "$g"
  expect grown-info-$backend 0 "committed size: 5000 bytes  (the file is longer" -- "$famsync" info "$g"
  expect grown-recover-$backend 0 "cut back from 9000 to its committed size, 5000 bytes" -- "$famsync" recover "$g"
  if cmp -s "$g" "$dir/grown-orig"; then passes=$((passes + 1)); else echo "FAIL grown-content-$backend"; failures=$((failures+1)); fi
  expect grown-clean-$backend 0 "consistent" -- "$famsync" check "$g"
done

# A damaged header is refused and the file left alone.
log=$(logof "$f")
cp "$log" "$dir/log.good"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[33]^=0x10; open(p,"r+b").write(b)' "$log"  # a salt bit
expect check-corrupt 2 "header checksum mismatch" -- "$famsync" check "$f"
expect recover-corrupt 2 "corrupt" -- "$famsync" recover "$f"
cmp -s "$f" "$dir/original" && { echo "FAIL corrupt log: recover changed the file"; failures=$((failures+1)); }
cp "$dir/log.good" "$log"

# The log follows the file through a rename: check and recover find it under the new name.
mv "$f" "$dir/renamed"
expect rename-check 1 "NEEDS RECOVERY" -- "$famsync" check "$dir/renamed"
expect rename-info 0 "$log" -- "$famsync" info "$dir/renamed"
mv "$dir/renamed" "$f"
# A log another user could have written is never applied.
chmod 666 "$log"
expect untrusted-mode 2 "wider than its data file" -- "$famsync" recover "$f"
chmod 644 "$log"

expect recover 0 "rolled back an interrupted commit (1 lines restored" -- "$famsync" recover "$f"
if cmp -s "$f" "$dir/original"; then passes=$((passes+1)); else echo "FAIL recover: content not restored"; failures=$((failures+1)); fi
expect recover-again 0 "nothing to recover" -- "$famsync" recover "$f"
expect check-clean 0 "consistent" -- "$famsync" check "$f"

# A copy made with its extended attributes carries the file's identity, so it finds the file's
# log, which names the original inode: refused unless forced.
(FAMSYNC_CRASH_AT=commit-after-writeback exec "$child" poke "$f" 0 "again") 2>/dev/null
cp --preserve=xattr "$f" "$dir/copy"
expect check-foreign 2 "names inode" -- "$famsync" check "$dir/copy"
expect recover-foreign 2 "another file" -- "$famsync" recover "$dir/copy"
expect recover-forced 0 "rolled back" -- "$famsync" recover --force-identity "$dir/copy"
if cmp -s "$dir/copy" "$dir/original"; then passes=$((passes+1)); else echo "FAIL forced recover: content"; failures=$((failures+1)); fi

# Redo protocol (file backend): a commit past its log fdatasync survives the crash even if the
# data file never got it; recovery replays it.
export FAMSYNC_BACKEND=file; unset FAMSYNC_PMEM_PROTOCOL
cp "$dir/original" "$dir/r"
(FAMSYNC_CRASH_AT=commit-after-publish exec "$child" poke "$dir/r" 64 "redo-committed") 2>/dev/null
cp "$dir/original" "$dir/r"   # as if the kernel had written back none of the data
expect redo-check 1 "committed groups are not yet in the file" -- "$famsync" check "$dir/r"
expect redo-info 0 "redo groups:  1 (1 lines)" -- "$famsync" info "$dir/r"
expect redo-recover 0 "replayed 1 committed groups (1 lines)" -- "$famsync" recover "$dir/r"
if [[ $(dd if="$dir/r" bs=1 skip=64 count=14 2>/dev/null) == redo-committed ]]; then passes=$((passes+1)); else echo "FAIL redo recover: content"; failures=$((failures+1)); fi
expect redo-clean 0 "consistent" -- "$famsync" check "$dir/r"
unset FAMSYNC_BACKEND

# gc: a log that protects nothing (its process was killed after a complete commit) is removed; one
# holding an interrupted commit is kept and named (undo: commit-after-retire is its step).
export FAMSYNC_BACKEND=pmem FAMSYNC_PMEM_PROTOCOL=undo
cp "$dir/original" "$dir/g1"; cp "$dir/original" "$dir/g2"
(FAMSYNC_CRASH_AT=commit-after-writeback exec "$child" poke "$dir/g2" 0 "torn") 2>/dev/null
(FAMSYNC_CRASH_AT=commit-after-retire exec "$child" poke "$dir/g1" 0 "done") 2>/dev/null
g1log=$(logof "$dir/g1") g2log=$(logof "$dir/g2")
rm "$dir/g1" "$dir/g2"
expect gc 1 "1 logs removed, 0 in use, 1 holding a commit to recover" -- "$famsync" gc "$dir"
expect gc-names 1 "interrupted commit of the file last seen at $dir/g2" -- "$famsync" gc "$dir"
if [[ ! -e $g1log && -e $g2log ]]; then passes=$((passes+1)); else echo "FAIL gc: wrong logs removed"; failures=$((failures+1)); fi
# ... and a map that creates a log collects the stale logs of its directory.
cp "$dir/original" "$dir/g3"; cp "$dir/original" "$dir/g4"
(FAMSYNC_CRASH_AT=commit-after-retire exec "$child" poke "$dir/g3" 0 "done") 2>/dev/null
g3log=$(logof "$dir/g3")
[[ -e $g3log ]] || { echo "FAIL setup: no stale log for g3"; failures=$((failures+1)); }
"$child" poke "$dir/g4" 0 "clean" || { echo "FAIL poke g4"; failures=$((failures+1)); }
if [[ ! -e $g3log && ! -e $(logof "$dir/g4") ]]; then passes=$((passes+1)); else echo "FAIL map-time gc / clean close left a log"; failures=$((failures+1)); fi
# A live entry damaged after the crash (issue 12, item 5): check says DAMAGED, recover refuses
# (exit 2) and leaves the file as it is.
cp "$dir/original" "$dir/d1"
(FAMSYNC_CRASH_AT=commit-after-writeback exec "$child" poke "$dir/d1" 0 "damaged-later") 2>/dev/null
python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(4096+5); b=f.read(1); f.seek(4096+5); f.write(bytes([b[0]^64]))' "$(logof "$dir/d1")"
cp "$dir/d1" "$dir/d1.before"
expect check-damaged 2 "DAMAGED: 1 of the interrupted commit's 1 log entries do not verify" -- "$famsync" check "$dir/d1"
expect recover-damaged 2 "is damaged" -- "$famsync" recover "$dir/d1"
if cmp -s "$dir/d1" "$dir/d1.before"; then passes=$((passes+1)); else echo "FAIL recover-damaged changed the file"; failures=$((failures+1)); fi
unset FAMSYNC_BACKEND FAMSYNC_PMEM_PROTOCOL

# The protocol on pmem: redo by default, undo on request, a bad value warned about and ignored.
# A commit interrupted after its commit point leaves the log for `info` to show.
for choice in default undo bogus; do
  cp "$dir/original" "$dir/p-$choice"
  env_args=(FAMSYNC_BACKEND=pmem)
  [[ $choice != default ]] && env_args+=("FAMSYNC_PMEM_PROTOCOL=$choice")
  out=$(env "${env_args[@]}" FAMSYNC_CRASH_AT=commit-after-writeback "$child" poke "$dir/p-$choice" 0 "x" 2>&1)
  want=redo; [[ $choice == undo ]] && want=undo
  expect "protocol-$choice" 0 "$want protocol" -- "$famsync" info "$dir/p-$choice"
  if [[ $choice == bogus ]]; then
    if grep -q "ignoring FAMSYNC_PMEM_PROTOCOL=bogus (want redo or undo)" <<<"$out"; then
      passes=$((passes + 1))
    else
      echo "FAIL protocol-bogus: no warning, output:"; echo "$out" | sed 's/^/    /'
      failures=$((failures + 1))
    fi
  fi
done

expect missing 2 "No such file" -- "$famsync" check "$dir/missing"
expect usage 64 "usage:" -- "$famsync"
expect usage-cmd 64 "unknown command" -- "$famsync" frobnicate "$f"
expect help 0 "usage:" -- "$famsync" --help

echo "cli: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
