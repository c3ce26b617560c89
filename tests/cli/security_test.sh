#!/usr/bin/env bash
# security_test.sh — famsync against a second, unprivileged user (issue 11, items 6, 8, 10):
#  - a log planted by another user in a shared, world-writable FAMSYNC_LOG_DIR under the
#    victim's log name is never applied to root's 0600 file;
#  - the log of a 0600 file is not readable by that user;
#  - a setuid-root program ignores FAMSYNC_* set by the user who runs it.
# Runs as root (it needs a second user and a setuid binary); exits 77 (skipped) otherwise.
# Usage: security_test.sh FAMSYNC_BIN CRASH_CHILD_BIN
set -u
famsync=$1 child=$2
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
command -v setpriv >/dev/null || { echo "skipped: no setpriv"; exit 77; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# /var/tmp, not /dev/shm: the setuid bit must work there (no nosuid mount).
dir=$(mktemp -d /var/tmp/famsync-sec-XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
failures=0 passes=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL $name"; failures=$((failures + 1)); fi
}
logof() {
  python3 -c 'import os,sys; v=os.getxattr(sys.argv[1],"user.famsync").decode().split(" ",2); print(v[2]+"/.famsync-"+v[1]+".log")' "$1"
}

shared=$dir/shared
mkdir "$shared" && chmod 1777 "$shared"
export FAMSYNC_BACKEND=file FAMSYNC_LOG_DIR=$shared

# The victim: root's 0600 file, left with an interrupted commit (its log in the shared dir).
victim=$dir/victim
head -c 16384 /dev/zero | tr '\0' 'v' >"$victim"; chmod 600 "$victim"
(FAMSYNC_CRASH_AT=commit-before-publish exec "$child" poke "$victim" 0 "root-data") 2>/dev/null
vlog=$(logof "$victim")
check victim-log-exists test -f "$vlog"
check victim-log-mode [ "$(stat -c %a "$vlog")" = 600 ]
check nobody-cannot-read-log bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat '$vlog' >/dev/null 2>&1"
cp "$victim" "$dir/victim.before"

# The attacker crashes a commit of its own file, then puts that log under the victim's log name
# (the directory is sticky: it cannot replace root's log, so root's log is moved away first, as
# if root's last close had removed it).
mkdir "$dir/att" && chown 65534:65534 "$dir/att"
att=$dir/att/mine
nobody bash -c "head -c 16384 /dev/zero | tr '\\0' 'X' >'$att'"
(FAMSYNC_CRASH_AT=commit-after-writeback exec setpriv --reuid=65534 --regid=65534 --clear-groups \
  "$child" poke "$att" 0 "attacker-bytes") 2>/dev/null
alog=$(logof "$att")
check attacker-log-owned [ "$(stat -c %u "$alog")" = 65534 ]
mv "$vlog" "$dir/victim-log.saved"
nobody mv "$alog" "$vlog"
out=$("$famsync" recover "$victim" 2>&1); rc=$?
check planted-log-refused [ $rc -eq 2 ]
check planted-log-message grep -q "owned by uid 65534" <<<"$out"
check victim-untouched cmp -s "$victim" "$dir/victim.before"
rm -f "$vlog"; mv "$dir/victim-log.saved" "$vlog"
check victim-recovers "$famsync" recover "$victim"

# A setuid-root famsync program run by the user with FAMSYNC_* set: the variables are ignored
# (no crash at the hook, no log in the user's directory) and it says so.
cp "$child" "$dir/suid-child" && chown root:root "$dir/suid-child" && chmod 4755 "$dir/suid-child"
target=$dir/suid-target
head -c 8192 /dev/zero >"$target"
mkdir "$dir/userlogs" && chown 65534:65534 "$dir/userlogs"
out=$(FAMSYNC_LOG_DIR=$dir/userlogs FAMSYNC_CRASH_AT=commit-before-publish \
      setpriv --reuid=65534 --regid=65534 --clear-groups "$dir/suid-child" poke "$target" 0 "suid" 2>&1)
rc=$?
check suid-no-crash [ $rc -eq 0 ]
check suid-says-so grep -q "secure-execution mode" <<<"$out"
check suid-no-user-log [ -z "$(ls -A "$dir/userlogs")" ]
check suid-committed [ "$(head -c 4 "$target")" = suid ]

echo "security: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
