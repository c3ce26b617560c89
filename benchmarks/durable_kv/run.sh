#!/usr/bin/env bash
# run.sh — famsync against what users pick instead for durable key-value writes (issue 14 item 5):
#   benchmarks/durable_kv/run.sh [--quick] [--preload N] [--ops N] [--reps N] [--seed N]
#                                [--build DIR] [--out DIR] [--results FILE]
# Needs root (it creates and loop-mounts two file-system images) and the Debian packages
# libsqlite3-dev liblmdb-dev libgdbm-dev xfsprogs e2fsprogs util-linux strace python3
# (scripts/install-deps.sh installs them; this script only checks). kv_gdbm_famsync also needs
# gdbm's Debian source (build_gdbm_famsync.sh; without it that row is reported as not run).
#
# Builds the programs, then, for each repetition, runs every configuration back to back
# (interleaved, so drifting load hits them alike), each on a freshly made directory:
#   ext4 = /var/tmp (ext4 on the machine's disk): famsync, SQLite, LMDB
#   xfs  = a 512 MiB XFS image (mkfs.xfs -m reflink=1, written out in full, loop device with
#          direct I/O): gdbm under famsync and gdbm with gdbm_failure_atomic (needs reflink)
# then one more run of each under strace, for the flush calls per commit (count_flushes.py) and
# the device's sectors written and flush requests per op: the ext4 systems on a 512 MiB ext4
# image made the same way as the XFS one (a device of their own to count on; its timing is not
# used: a flush there is an fsync of the image on the host, which waits for the host's journal
# and varied 15x between repetitions on a shared machine), and writes the DURABLE-KV section of
# benchmarks/RESULTS.md (report.py).
# Invariant: every number in the section comes from this invocation's CSVs; the seed is fixed
# (--seed, default 42) and printed; a failed run stops the script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${FAMSYNC_BUILD_DIR:-$repo/build}
results=$repo/benchmarks/RESULTS.md
out=""
preload=20000 ops=20000 reps=3 seed=42
command_line="benchmarks/durable_kv/run.sh $*"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) preload=5000; ops=2000 ;;
    --preload) preload=$2; shift ;;
    --ops) ops=$2; shift ;;
    --reps) reps=$2; shift ;;
    --seed) seed=$2; shift ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --results) results=$2; shift ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# ---- checks (installs nothing) ----------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
  echo "run.sh: needs root: it creates loop devices and mounts ext4 and XFS images (run with sudo)" >&2
  exit 2
fi
missing=()
for p in libsqlite3-dev liblmdb-dev libgdbm-dev xfsprogs e2fsprogs util-linux strace python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: missing Debian packages: ${missing[*]} (scripts/install-deps.sh installs them)" >&2
  exit 2
fi
grep -qw xfs /proc/filesystems || modprobe xfs 2>/dev/null || true
grep -qw xfs /proc/filesystems || { echo "run.sh: this kernel has no XFS" >&2; exit 2; }

[ -n "$out" ] || out=$repo/benchmarks/results/durable_kv-$(date +%Y%m%d-%H%M%S)
case $out in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$out"
log=$out/run.log
: >"$log"
bin=$build/benchmarks/durable_kv

# ---- build ------------------------------------------------------------------------------------
echo "run.sh: building into $build (log: $log)" >&2
[ -f "$build/CMakeCache.txt" ] ||
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >>"$log" 2>&1
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target famsync famsync-pass kv_famsync kv_sqlite \
  kv_lmdb kv_gdbm_fa >>"$log" 2>&1 || { echo "run.sh: build failed (see $log)" >&2; exit 1; }
gdbm_famsync_note=""
if ! "$here/build_gdbm_famsync.sh" "$build" "$bin/kv_gdbm_famsync" >>"$log" 2>&1; then
  gdbm_famsync_note="not run: build_gdbm_famsync.sh failed: $(grep '^build_gdbm_famsync.sh:' "$log" | tail -1)"
  echo "run.sh: gdbm under famsync $gdbm_famsync_note" >&2
fi

# ---- file systems -----------------------------------------------------------------------------
scratch=/var/tmp/famsync-durable-kv
mnt_ext4=/mnt/famsync-dkv-ext4 mnt_xfs=/mnt/famsync-dkv-xfs
loops=()
cleanup() {
  set +e
  for m in "$mnt_ext4" "$mnt_xfs"; do mountpoint -q "$m" && umount "$m"; done
  for l in "${loops[@]}"; do losetup -d "$l"; done
  rm -rf "$scratch"
}
trap cleanup EXIT
for m in "$mnt_ext4" "$mnt_xfs"; do
  if mountpoint -q "$m"; then echo "run.sh: $m is already mounted (another run?)" >&2; exit 1; fi
done
rm -rf "$scratch" && mkdir -p "$scratch" "$mnt_ext4" "$mnt_xfs"
# Written out in full, not sparse: a flush on the loop device is an fsync of the image, which
# must not allocate blocks of the host file system as it goes.
for f in ext4 xfs; do dd if=/dev/zero of="$scratch/$f.img" bs=1M count=512 oflag=direct status=none; done
mkfs.ext4 -q -F "$scratch/ext4.img" >>"$log" 2>&1
mkfs.xfs -q -f -m crc=1,reflink=1 "$scratch/xfs.img" >>"$log" 2>&1
loop_ext4=$(losetup --find --show --direct-io=on "$scratch/ext4.img"); loops+=("$loop_ext4")
loop_xfs=$(losetup --find --show --direct-io=on "$scratch/xfs.img"); loops+=("$loop_xfs")
mount "$loop_ext4" "$mnt_ext4"
mount "$loop_xfs" "$mnt_xfs"
mkdir -p "$scratch/vartmp"
stat_of() { echo "/sys/block/$(basename "$1")/stat"; }

# ---- plans: system program fs timed-dir counted-dir dev-stat ------------------------------------
plan=()
plan+=("famsync kv_famsync ext4 $scratch/vartmp $mnt_ext4 $(stat_of "$loop_ext4")")
plan+=("sqlite kv_sqlite ext4 $scratch/vartmp $mnt_ext4 $(stat_of "$loop_ext4")")
plan+=("lmdb kv_lmdb ext4 $scratch/vartmp $mnt_ext4 $(stat_of "$loop_ext4")")
if [ -z "$gdbm_famsync_note" ]; then
  plan+=("gdbm-famsync kv_gdbm_famsync xfs $mnt_xfs $mnt_xfs $(stat_of "$loop_xfs")")
fi
plan+=("gdbm-failure-atomic kv_gdbm_fa xfs $mnt_xfs $mnt_xfs $(stat_of "$loop_xfs")")

csv=$out/runs.csv counts=$out/flushes.csv devices=$out/devices.csv
header="system,fs,rep,seed,preload,ops,keys,seconds,ops_per_s,dev_bytes_per_op,dev_flushes_per_op,load1"
echo "$header" >"$csv"
echo "$header" >"$devices"
echo "system,fs,ops,fsync,fdatasync,msync,sync_file_range,syncfs,dsync_writes,ficlone,flushes_per_commit" >"$counts"
fresh_dir() { rm -rf "$1" && mkdir -p "$1" && sync -f "$1"; }

echo "run.sh: seed $seed, $preload preloaded records, $ops timed ops, $reps repetitions; output $out" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
for rep in $(seq 1 "$reps"); do
  for entry in "${plan[@]}"; do
    read -r system program fs dir cdir dev <<<"$entry"
    d=$dir/$system
    fresh_dir "$d"
    args=(--dir "$d" --fs "$fs" --seed "$seed" --preload "$preload" --ops "$ops" --rep "$rep")
    if [ "$dir" = "$cdir" ]; then args+=(--dev-stat "$dev"); fi
    printf '\r[rep %d/%d %4ds] %-40s' "$rep" "$reps" "$(($(date +%s) - start))" "$system on $fs" >&2
    echo "+ $program ${args[*]}" >>"$log"
    line=$("$bin/$program" "${args[@]}" 2>>"$log") || {
      echo; echo "run.sh: FAILED: $program ${args[*]} (see $log)" >&2; exit 1; }
    echo "$line,$(cut -d' ' -f1 /proc/loadavg)" >>"$csv"
    rm -rf "$d"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo >&2

# ---- flush calls and device counters per commit: one more run of each, traced, on its own loop
# device (counts do not depend on timing; this run's timing is not used) ----------------------------
trace=fsync,fdatasync,msync,sync_file_range,syncfs,ioctl,access,openat,open,close,write,pwrite64,writev,pwritev,pwritev2
for entry in "${plan[@]}"; do
  read -r system program fs dir cdir dev <<<"$entry"
  d=$cdir/$system
  fresh_dir "$d"
  printf '\r[strace] %-40s' "$system on $fs" >&2
  line=$(strace -f -qq -e trace=$trace -o "$out/$system.strace" "$bin/$program" --dir "$d" \
    --fs "$fs" --seed "$seed" --preload "$preload" --ops "$ops" --dev-stat "$dev" 2>>"$log") || {
    echo; echo "run.sh: FAILED under strace: $program (see $log)" >&2; exit 1; }
  echo "$line,$(cut -d' ' -f1 /proc/loadavg)" >>"$devices"
  c=$(python3 "$here/count_flushes.py" "$system" "$ops" "$out/$system.strace")
  echo "${c%%,*},$fs,${c#*,}" >>"$counts"
  rm -f "$out/$system.strace"
  rm -rf "$d"
done
echo >&2

python3 "$here/report.py" --runs "$csv" --flushes "$counts" --devices "$devices" --results "$results" \
  --command "$command_line" --seed "$seed" --preload "$preload" --ops "$ops" --reps "$reps" \
  --load-before "$load_before" --load-after "$load_after" --elapsed "$(($(date +%s) - start))" \
  --gdbm-famsync-note "$gdbm_famsync_note" --source "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "run.sh: done in $(($(date +%s) - start)) s; CSVs in $out; section DURABLE-KV of $results" >&2
