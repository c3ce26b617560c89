#!/usr/bin/env bash
# kc-crash.sh — SIGKILL a famsync-built Kyoto Cabinet during a transaction-heavy run, then recover
# and check: `famsync recover`, Kyoto's own checker (`kchashmgr check` / `kctreemgr check`, no
# repair), and the content of every committed key (kcdriver verify: the state must be that of the
# last reported commit or of the one in flight). The next run reopens the same database as a
# writer (Kyoto repairs its "opened" flag) and continues, so recoveries accumulate.
#
#   kc-crash.sh KCDIR KCDRIVER FAMSYNC_CLI DIR TYPE KILLS SEED
# Kill delays come from SEED (printed), so a failing kill is reproducible.
set -uo pipefail
kc=$1 driver=$2 cli=$3 dir=$4 type=$5 kills=$6 seed=$7
mgr=$kc/kchashmgr
[ "$type" = tree ] && mgr=$kc/kctreemgr
export LD_LIBRARY_PATH=$kc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
mkdir -p "$dir" && rm -rf "${dir:?}"/*
db=$dir/casket.$type progress=$dir/progress.$type
RANDOM=$seed
fail=0 needed=0 last=
for ((i = 1; i <= kills; i++)); do
  "$driver" run "$type" "$db" "$seed" "$progress" 2>"$dir/run.err" &
  pid=$!
  delay_ms=$((50 + RANDOM % 400))
  sleep "$(printf '0.%03d' "$delay_ms")"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if "$cli" check "$db" >/dev/null 2>&1; then :; else needed=$((needed + 1)); fi
  if ! "$cli" recover "$db" >"$dir/recover.out" 2>&1; then
    echo "kill $i (seed $seed, delay ${delay_ms} ms): famsync recover FAILED"; cat "$dir/recover.out"
    fail=$((fail + 1)); break
  fi
  # Exactly what famsync recovered, before Kyoto touches it: every committed key.
  if ! out=$("$driver" verify "$type" "$db" "$seed" "$progress" 2>&1); then
    echo "kill $i (seed $seed, delay ${delay_ms} ms): content check FAILED"; echo "$out"
    fail=$((fail + 1)); break
  fi
  # Kyoto's checker as its manual says to use it after a crash (it repairs first: the database
  # is flagged "opened", and without a WAL nothing cut the file's preallocated tail), then again
  # without repair.
  if ! "$mgr" check "$db" >"$dir/check.out" 2>&1 || ! "$mgr" check -onr "$db" >>"$dir/check.out" 2>&1; then
    echo "kill $i (seed $seed, delay ${delay_ms} ms): $(basename "$mgr") check FAILED"
    tail -5 "$dir/check.out"; fail=$((fail + 1)); break
  fi
  last=$out
done
echo "kyoto $type: $((i > kills ? kills : i)) kills, $fail failures, $needed needed recovery;" \
     "last: $last"
exit $((fail != 0))
