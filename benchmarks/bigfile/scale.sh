#!/usr/bin/env bash
# scale.sh — files larger than memory at scale (issue 15 items 2 and 4), side by side in one run.
#
# Part 1: a FILE_MB file on /var/tmp (ext4 here), one 8-byte word written into every page in
# order, msync every 1024 pages, inside a memory cgroup of LIMIT_MB (v1 or v2), by one C program
# (scale.c) built plain with gcc and with famsync-cc:
#   plain msync | famsync file backend | famsync pmem backend forced on the ext4 file |
#   `famsync run` (preload) | famsync with an unbounded budget (must be OOM-killed: exit 137)
# Each row: exit status, seconds, peak RssAnon (sampled after each msync), content verified.
# Part 2: ONE commit of BULK_MB of dirty data (every byte of a BULK_MB file written, one msync),
# plain vs famsync on ext4 (file backend) and on /dev/shm (pmem backend; plain msync on tmpfs is
# not durable, shown for the write time only); then the same famsync commit on a loop-mounted
# ext4 too small for its log: the msync must fail with a clear error and the file keep its old
# bytes (all zero).
# Usage: scale.sh [--build DIR] [--limit-mb 512] [--file-mb 2048] [--bulk-mb 1024]
#                 [--results FILE]  (FILE: rewrite the SCALE section of benchmarks/RESULTS.md)
# Needs root (cgroups, loop mount), gcc, e2fsprogs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build limit_mb=512 file_mb=2048 bulk_mb=1024 results=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --limit-mb) limit_mb=$2; shift 2 ;;
    --file-mb) file_mb=$2; shift 2 ;;
    --bulk-mb) bulk_mb=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    *) echo "scale.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "scale.sh: needs root (cgroups, loop mount)"; exit 2; }
famsync=$build/src/famsync
work=$(mktemp -d /var/tmp/famsync-scale-XXXXXX)
shm=/dev/shm/$(basename "$work")
mnt=$work/mnt
cg=""
cleanup() {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  rm -rf "$work" "$shm"
  [[ -n $cg ]] && rmdir "$cg" 2>/dev/null
}
trap cleanup EXIT
gcc -O2 -o "$work/scale-plain" "$here/scale.c" || exit 1
"$build/bin/famsync-cc" -O2 -o "$work/scale-famsync" "$here/scale.c" || exit 1

name=famsync-scale-$$
if [[ -d /sys/fs/cgroup/memory ]]; then
  cg=/sys/fs/cgroup/memory/$name; mkdir "$cg"
  echo $((limit_mb << 20)) >"$cg/memory.limit_in_bytes"
  [[ -e $cg/memory.memsw.limit_in_bytes ]] && echo $((limit_mb << 20)) >"$cg/memory.memsw.limit_in_bytes"
else
  cg=/sys/fs/cgroup/$name; mkdir "$cg"
  echo $((limit_mb << 20)) >"$cg/memory.max"; echo 0 >"$cg/memory.swap.max" 2>/dev/null
fi
in_cgroup() { sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"; }

out=()
row() { out+=("$1"); echo "$1"; }
row "Part 1: ${file_mb} MiB file on /var/tmp, one word per page in order, msync every 1024 pages, in a ${limit_mb} MiB memory cgroup ($(date -u +%F\ %H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg))."
row ""
row "| way | exit | seconds | peak RssAnon MiB | content |"
row "|---|---:|---:|---:|---|"
run_update() {  # run_update LABEL ENV... -- CMD...
  local label=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
  rm -f "$work/big"; truncate -s ${file_mb}M "$work/big"
  local res rc
  res=$(env "${envs[@]}" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" update "$work/big" 1024 2>"$work/err")
  rc=$?
  set -- $res
  if [[ $rc -eq 0 ]]; then
    row "| $label | 0 | $1 | $(( $2 / 1024 )) | $3 |"
  else
    row "| $label | $rc$([[ $rc -eq 137 ]] && echo ' (OOM-killed)') | – | – | $(tail -c 120 "$work/err" | tr '\n|' '  ') |"
  fi
}
run_update "plain mmap + msync (gcc)" X=1 -- "$work/scale-plain"
run_update "famsync-cc, file backend" FAMSYNC_BACKEND=file -- "$work/scale-famsync"
run_update "famsync-cc, pmem backend forced on the ext4 file" FAMSYNC_BACKEND=pmem -- "$work/scale-famsync"
run_update "famsync run (preload), file backend" FAMSYNC_BACKEND=file -- "$famsync" run -- "$work/scale-plain"
run_update "famsync-cc, file backend, unbounded budget" FAMSYNC_BACKEND=file FAMSYNC_WORKING_SET_MB=1000000 -- "$work/scale-famsync"
rm -f "$work/big"

row ""
row "Part 2: one msync of ${bulk_mb} MiB of dirty data (every byte of a ${bulk_mb} MiB file), no cgroup."
row ""
row "| where | way | write s | msync s | content | log file after |"
row "|---|---|---:|---:|---|---|"
run_bulk() {  # run_bulk WHERE-LABEL DIR WAY-LABEL ENV... -- CMD...
  local where=$1 dir=$2 label=$3; shift 3
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
  mkdir -p "$dir"; rm -f "$dir/bulk"; truncate -s ${bulk_mb}M "$dir/bulk"
  local res rc
  res=$(env "${envs[@]}" "$@" bulk "$dir/bulk" 2>"$work/err"); rc=$?
  local logs
  logs=$(ls -la "$dir"/.famsync-*.log 2>/dev/null | awk '{printf "%d MiB ", $5/1048576}')
  set -- $res
  if [[ $rc -eq 0 ]]; then
    row "| $where | $label | $1 | $2 | $3 | ${logs:-none (removed at unmap)} |"
  else
    local zero=changed
    cmp -s -n $((bulk_mb << 20)) "$dir/bulk" /dev/zero && zero="old bytes kept (all zero)"
    row "| $where | $label | ${1:-–} | failed (exit $rc) | $zero; message: $(grep -m1 famsync "$work/err" | cut -c1-200 | tr '|' ' ') | ${logs:-none} |"
  fi
  rm -rf "$dir"/bulk "$dir"/.famsync-*.log
}
run_bulk "ext4 /var/tmp" "$work/b" "plain msync" X=1 -- "$work/scale-plain"
run_bulk "ext4 /var/tmp" "$work/b" "famsync-cc (file backend)" FAMSYNC_BACKEND=file -- "$work/scale-famsync"
run_bulk "tmpfs /dev/shm" "$shm" "plain msync (not durable)" X=1 -- "$work/scale-plain"
run_bulk "tmpfs /dev/shm" "$shm" "famsync-cc (pmem backend)" FAMSYNC_BACKEND=pmem -- "$work/scale-famsync"
# A file system with room for the file but not for its log.
mkdir -p "$mnt"
truncate -s $((bulk_mb + bulk_mb / 2 + 64))M "$work/fs.img"
if mkfs.ext4 -q -F "$work/fs.img" && mount -o loop "$work/fs.img" "$mnt"; then
  run_bulk "ext4 loop, $((bulk_mb + bulk_mb / 2 + 64)) MiB" "$mnt/d" "famsync-cc (file backend)" FAMSYNC_BACKEND=file -- "$work/scale-famsync"
  run_bulk "ext4 loop, $((bulk_mb + bulk_mb / 2 + 64)) MiB" "$mnt/d" "famsync-cc (pmem backend forced)" FAMSYNC_BACKEND=pmem -- "$work/scale-famsync"
  umount "$mnt"
else
  row "| ext4 loop | – | – | – | could not make or mount a loop file system | – |"
fi

if [[ -n $results ]]; then
  python3 - "$results" "${out[@]}" <<'PY'
import sys
path, lines = sys.argv[1], sys.argv[2:]
begin = "<!-- SCALE BEGIN: written by benchmarks/bigfile/scale.sh; kept by benchmarks/harness/report.py -->"
end = "<!-- SCALE END -->"
section = "\n".join([begin, "## Files larger than memory, at scale (issue 15 items 2 and 4)", ""] + lines + ["", end])
body = open(path).read()
s, e = body.find("<!-- SCALE BEGIN"), body.find(end)
body = body[:s] + section + body[e + len(end):] if s >= 0 and e > s else body.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(body)
PY
fi
