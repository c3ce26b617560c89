#!/usr/bin/env bash
# sparse_touch_test.sh — cost grows with what is touched, not with the file (issue 15 item 3).
# The same TOUCH random pages (fixed seed) of a 1 GiB and a 64 GiB sparse file are updated with a
# commit every K, on the file backend and on the pmem backend forced onto the same file system.
# Counts, not times: the anonymous memory after map and after the updates, and the log file's
# size, must not depend on the file's size (before issue 15 the 64 GiB map failed with ENOMEM,
# and the dirty map kept two pages per written page for good). Exits 77 where no 64 GiB sparse
# file can be made. Usage: sparse_touch_test.sh SPARSE_TOUCH [TOUCH=4096] [K=256]
set -u
bin=$1 touch=${2:-4096} k=${3:-256}
dir=$(mktemp -d /var/tmp/famsync-sparse-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failures=0
bad() { echo "FAIL $*"; failures=$((failures + 1)); }
field() { sed -n "s/^$2:.* $3=\([0-9]*\).*/\1/p" <<<"$1"; }   # field OUTPUT PHASE KEY
stat_of() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$(grep "^per_update" <<<"$1")"; }
# Bound on the anonymous memory the updates may add (kB): the written pages (+1/8 for the dirty
# map, its share), the map's 1 MiB floor, one epoch of dirty-map pages (2 per page), and 4 MiB
# for the rest (the working set's bitmap, 1 bit per page of the file: 2 MiB at 64 GiB).
allowed=$(( touch * 4 * 9 / 8 + 1024 + 2 * k * 4 + 4096 ))
# What the 64 GiB file may add over the 1 GiB one for the same pages (kB): the bitmap's 1 bit per
# page of the file (2 MiB: the only state still sized by the file), the dirty map's share (1/8
# of the written pages) and 1 MiB. Without the dirty map's give-back it was 2 pages per page.
allowed_diff=$(( (64 << 30) / 4096 / 8 / 1024 + touch * 4 / 8 + 1024 ))
for backend in file pmem; do
  declare -A grow=() logb=()
  for gib in 1 64; do
    # MADV_RANDOM: this VM's 8 MiB fault readahead would read megabytes of holes per page
    # touched by the pmem backend's undo copy (the kernel's policy, as for plain mmap).
    out=$(SPARSE_TOUCH_MADV_RANDOM=1 "$bin" "$dir/f$gib" "$gib" "$touch" "$k" "$backend" 15 2>&1)
    rc=$?
    echo "$out" | sed "s/^/[$backend ${gib}G] /"
    [[ $rc -eq 77 ]] && { echo "skipped: no ${gib} GiB sparse file here"; exit 77; }
    [[ $rc -eq 0 ]] || { bad "$backend ${gib} GiB: exit $rc"; continue; }
    before=$(field "$out" before rss_anon_kb) mapped=$(field "$out" map rss_anon_kb)
    updated=$(field "$out" updated rss_anon_kb)
    (( mapped - before <= 1024 )) || bad "$backend ${gib} GiB: map added $((mapped - before)) kB anonymous (> 1024)"
    grow[$gib]=$((updated - before))
    (( grow[$gib] <= allowed )) || bad "$backend ${gib} GiB: $touch pages added ${grow[$gib]} kB anonymous (> $allowed)"
    logb[$gib]=$(field "$out" updated log_bytes)
    (( logb[$gib] <= 16 << 20 )) || bad "$backend ${gib} GiB: log file of ${logb[$gib]} bytes (> 16 MiB)"
    fw=$(stat_of "$out" first_write_pages)
    [[ $fw -eq $touch ]] || bad "$backend ${gib} GiB: first_write_pages=$fw, wanted $touch"
    rm -f "$dir/f$gib"
  done
  if [[ -n ${grow[1]:-} && -n ${grow[64]:-} ]]; then
    echo "$backend: anonymous growth 1 GiB ${grow[1]} kB, 64 GiB ${grow[64]} kB (allowed $allowed, difference $allowed_diff); log ${logb[1]} / ${logb[64]} bytes"
    (( grow[64] - grow[1] <= allowed_diff )) || bad "$backend: 64 GiB file added $((grow[64] - grow[1])) kB more than 1 GiB for the same pages"
    [[ ${logb[1]} -eq ${logb[64]} ]] || bad "$backend: log size depends on the file: ${logb[1]} vs ${logb[64]}"
  fi
  unset grow logb
done
[[ $failures -eq 0 ]] && echo "PASS" || { echo "$failures failures"; exit 1; }
