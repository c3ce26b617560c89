#!/bin/sh
# Preload mode commits changed 64-byte lines, not whole pages: page_lines writes 4 pages and
# changes 3 lines; the commit must log and write back exactly those 3 (FAMSYNC_STATS), and the
# file must hold the changes. Then the same without msync: the exit commits. Both backends.
#   page_lines_test.sh FAMSYNC PAGE_LINES
set -u
famsync=$1 prog=$2
d=$(mktemp -d /var/tmp/famsync-lines.XXXXXX)
s=/dev/shm/$(basename "$d")
trap 'rm -rf "$d" "$s"*' EXIT
rc=0
for backend in file pmem; do
  f=$d/f; [ $backend = pmem ] && f=$s
  FAMSYNC_BACKEND=$backend FAMSYNC_STATS=1 "$famsync" run -- "$prog" "$f" 2>"$d/err" ||
    { echo "FAIL ($backend): the program failed: $(cat "$d/err")"; rc=1; continue; }
  stats=$(grep '^famsync stats:' "$d/err")
  for want in commits=1 dirty_lines=3 unchanged_lines=253; do
    case " $stats " in *" $want "*) ;; *) echo "FAIL ($backend): expected $want in: $stats"; rc=1;; esac
  done
  "$prog" "$f" check || { echo "FAIL ($backend): the file does not hold the changes"; rc=1; }
  [ $backend = pmem ] && case " $stats " in *" writeback_bytes=192 "*) ;; *)
    echo "FAIL (pmem): expected writeback_bytes=192 (3 lines) in: $stats"; rc=1;; esac
  echo "$backend: $stats"
  # No msync: the exit hook commits (its libc calls must not re-enter the runtime: this aborted
  # with "pthread_rdlock ... Resource deadlock avoided" before).
  FAMSYNC_BACKEND=$backend "$famsync" run -- "$prog" "$f" exit 2>"$d/err" ||
    { echo "FAIL ($backend): the program exiting without msync failed: $(cat "$d/err")"; rc=1; continue; }
  "$prog" "$f" check || { echo "FAIL ($backend): the exit did not commit the changes"; rc=1; }
done
exit $rc
