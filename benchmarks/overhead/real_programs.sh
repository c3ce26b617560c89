#!/usr/bin/env bash
# real_programs.sh — the famsync pass's cost on real programs that never touch a tracked mapping
# (issue 16). Fetches Debian's sources at run time (apt-get source; nothing third-party is kept in
# this repository), builds each program with plain clang and with famsync-cc at the same flags,
# runs a fixed workload, and prints per program: median wall-time ratio of interleaved runs,
# callgrind instruction ratio (deterministic), and binary-size ratios (.text and stripped file).
#
# Programs (at least two C, one C++): lz4 (C, compressor), bzip2 (C, compressor), lua5.4 (C,
# interpreter), lzip (C++, compressor). Workloads are fixed: the input corpus is built from the
# fetched sources themselves (sorted, concatenated, truncated), the Lua script is written here.
#
# Usage: real_programs.sh [options]
#   --build DIR       famsync build tree with bin/famsync-cc (default: <repo>/build)
#   --variant SPEC    add a build variant, SPEC = "name:CC:CXX[:extra compiler flags]" (repeatable);
#                     the first variant is the baseline of every ratio. Default variants:
#                     plain (clang-14) and famsync (DIR/bin/famsync-cc).
#   --scratch DIR     where sources and builds go (default: /var/tmp/famsync-real-programs)
#   --reps N          interleaved timed repetitions (default 9; pinned to one CPU at FIFO priority
#                     when run as root)
#   --programs LIST   comma-separated subset (default: lz4,bzip2,lua,lzip)
#   --results FILE    rewrite the REAL-PROGRAMS section of FILE (e.g. benchmarks/RESULTS.md)
#   --title TEXT      a line under the section heading (what was measured)
#   --section NAME    marker name of the section to rewrite (default REAL-PROGRAMS)
#   --heading TEXT    its heading (default: "## Instrumentation overhead on real programs (issue 16)")
#   --no-callgrind    skip the instruction counts
#   --no-wall         skip the timed runs (instructions and sizes only; wall shows as –)
# Needs: root or sudo for apt-get (only when a deb-src entry or a source package is missing),
# clang-14, valgrind, binutils. Builds run with nice -n 10 and make -j1.
set -euo pipefail
cmdline=("$@")

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$repo/build
scratch=/var/tmp/famsync-real-programs
reps=9
programs=lz4,bzip2,lua,lzip
results=
title=
section_name=REAL-PROGRAMS
heading="## Instrumentation overhead on real programs (issue 16)"
callgrind=yes
wall_runs=yes
variants=()
while (($#)); do
  case $1 in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --variant) variants+=("$2"); shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --programs) programs=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --title) title=$2; shift 2 ;;
    --section) section_name=$2; shift 2 ;;
    --heading) heading=$2; shift 2 ;;
    --no-callgrind) callgrind=no; shift ;;
    --no-wall) wall_runs=no; reps=0; shift ;;
    *) echo "real_programs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
clang=${CLANG:-/usr/lib/llvm-14/bin/clang}
clangxx=${CLANGXX:-/usr/lib/llvm-14/bin/clang++}
if ((${#variants[@]} == 0)); then
  variants=("plain:$clang:$clangxx" "famsync:$build/bin/famsync-cc:$build/bin/famsync-c++")
fi
for tool in "$clang" make nice size strip; do
  command -v "$tool" >/dev/null || { echo "real_programs.sh: $tool not found" >&2; exit 2; }
done
if [[ $callgrind == yes ]] && ! command -v valgrind >/dev/null; then
  echo "real_programs.sh: valgrind not found (use --no-callgrind)" >&2; exit 2
fi
mkdir -p "$scratch/src" "$scratch/build" "$scratch/run"
sudo_() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }
log() { echo "[real_programs] $*" >&2; }

# ---- sources -----------------------------------------------------------------------------------
declare -A pkg=([lz4]=lz4 [bzip2]=bzip2 [lua]=lua5.4 [lzip]=lzip)
declare -A lang=([lz4]=C [bzip2]=C [lua]=C [lzip]=C++)

ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return
  fi
  log "adding a deb-src entry for bookworm (/etc/apt/sources.list.d/famsync-deb-src.list)"
  # Same keyring option as the deb822 entry Debian images ship, or apt refuses the conflict.
  local opt=
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
    opt="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
  echo "deb-src ${opt}http://deb.debian.org/debian bookworm main" |
    sudo_ tee /etc/apt/sources.list.d/famsync-deb-src.list >/dev/null
  sudo_ apt-get update -qq
}

fetch() {  # fetch PROGRAM -> prints the extracted source directory
  local p=$1 dir
  dir=$(find "$scratch/src" -maxdepth 1 -mindepth 1 -type d -name "${pkg[$p]}-*" | sort | head -1)
  if [[ -z $dir ]]; then
    ensure_deb_src
    command -v dpkg-source >/dev/null || sudo_ apt-get install -y -qq dpkg-dev >/dev/null
    log "apt-get source ${pkg[$p]}"
    (cd "$scratch/src" && apt-get source -qq "${pkg[$p]}" >/dev/null 2>&1) ||
      (cd "$scratch/src" && apt-get source "${pkg[$p]}" >&2)
    dir=$(find "$scratch/src" -maxdepth 1 -mindepth 1 -type d -name "${pkg[$p]}-*" | sort | head -1)
  fi
  echo "$dir"
}

# ---- builds ------------------------------------------------------------------------------------
# build PROGRAM VARIANT-INDEX -> prints the binary's path. Same flags for every variant.
cflags_common="-O2"
build_one() {
  local p=$1 vi=$2 spec name cc cxx extra src out
  spec=${variants[$vi]}
  IFS=: read -r name cc cxx extra <<<"$spec"
  src=$(fetch "$p")
  out=$scratch/build/$name/$p
  local stamp="$out/.famsync-built"
  # Rebuild when the wrapper, the plugin next to it (build tree or installed) or the flags change.
  local want="$spec|$cflags_common|$(stat -c %Y "$cc" "$(dirname "$cc")"/../{llvm-pass,lib}/libfamsync-pass.so 2>/dev/null | tr '\n' ' ')"
  local bin
  case $p in
    lz4) bin=$out/programs/lz4 ;;
    bzip2) bin=$out/bzip2 ;;
    lua) bin=$out/src/lua ;;
    lzip) bin=$out/lzip ;;
  esac
  if [[ -x $bin && -f $stamp && $(cat "$stamp") == "$want" && ${REBUILD:-0} == 0 ]]; then
    echo "$bin"; return
  fi
  log "building $p ($name)"
  rm -rf "$out"; mkdir -p "$(dirname "$out")"; cp -a "$src" "$out"
  local flags="$cflags_common $extra"
  (
    cd "$out"
    case $p in
      # Debian links the program against ../lib/liblz4: build only the static library, so the
      # library code is compiled (and instrumented) with the same compiler and flags.
      lz4) nice -n 10 make -j1 -C lib liblz4.a CC="$cc" CFLAGS="$flags" MOREFLAGS= &&
             nice -n 10 make -j1 -C programs lz4 CC="$cc" CFLAGS="$flags" MOREFLAGS= ;;
      # Debian's Makefile links bzip2 against its libbz2.so without an rpath (the system's
      # library would run): link the static library instead.
      bzip2) nice -n 10 make -j1 libbz2.a bzip2.o CC="$cc" CFLAGS="$flags -D_FILE_OFFSET_BITS=64" &&
               "$cc" $flags -o bzip2 bzip2.o libbz2.a ;;
      # Debian's patched Makefile needs libtool; upstream's recipe, one compiler run (sequential):
      # every core and library file and lua.c, statically (what `make linux` builds).
      # (debian/rules writes the multiarch header luaconf.h includes; we do the same.)
      lua) printf '#define DEB_HOST_MULTIARCH "x86_64-linux-gnu"\n' >src/lua5.4-deb-multiarch.h &&
             cd src && nice -n 10 "$cc" -std=gnu99 $flags -DLUA_COMPAT_5_3 -DLUA_USE_LINUX \
             -o lua $(ls ./*.c | grep -v luac.c) -lm -ldl -Wl,-E ;;
      lzip) ./configure CXX="$cxx" CXXFLAGS="$flags" >/dev/null &&
              nice -n 10 make -j1 CXX="$cxx" CXXFLAGS="$flags" ;;
    esac
  ) >"$scratch/build/$name-$p.log" 2>&1 || {
    echo "real_programs.sh: build of $p ($name) failed, see $scratch/build/$name-$p.log" >&2
    tail -20 "$scratch/build/$name-$p.log" >&2; exit 1; }
  # The program's own library code must be in the binary (built with the variant's compiler).
  if ldd "$bin" 2>/dev/null | grep -qE 'lib(bz2|lz4|lua|lzip)'; then
    echo "real_programs.sh: $bin links a system copy of its library" >&2; exit 1
  fi
  echo "$want" >"$stamp"
  echo "$bin"
}

# ---- workloads ---------------------------------------------------------------------------------
# The corpus: every .c/.h/.cc file of the sources of ALL four programs (fetched even when
# --programs names fewer: a corpus made of a subset's sources changed the instruction ratios,
# bzip2 1.195x -> 1.127x), sorted by path, concatenated and repeated to SIZE bytes. Deterministic
# for a given set of Debian source versions, which the stamp next to it records.
corpus_sources() { for p in lz4 bzip2 lua lzip; do fetch "$p"; done; }
make_corpus() {  # make_corpus SIZE FILE
  local size=$1 file=$2 sources
  sources=$(corpus_sources | tr '\n' ' ')
  [[ -f $file && $(stat -c %s "$file") == "$size" && -f $file.sources &&
     $(cat "$file.sources") == "$sources" ]] && return
  local tmp=$file.tmp
  : >"$tmp"
  while (($(stat -c %s "$tmp") < size)); do
    # shellcheck disable=SC2086 # one directory per word
    find $sources -maxdepth 2 -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) \
      -print0 | LC_ALL=C sort -z | xargs -0 cat >>"$tmp"
  done
  head -c "$size" "$tmp" >"$file"; rm -f "$tmp"
  echo "$sources" >"$file.sources"
}

write_lua_script() {  # a CPU-bound script: recursion, tables, sorting, strings, closures
  cat >"$1" <<'EOF'
local n = tonumber(arg[1]) or 1
local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
local acc = 0
for round = 1, n do
  acc = acc + fib(24)
  local t, seed = {}, 12345 + round
  for i = 1, 60000 do seed = (seed * 1103515245 + 12345) % 2147483648; t[i] = seed end
  table.sort(t)
  acc = acc + t[1] % 1000
  local parts = {}
  for i = 1, 20000 do parts[#parts + 1] = string.format("%d:%x", i, t[i]) end
  local s = table.concat(parts, ",")
  acc = acc + #s:gsub("%d+", function(d) return #d end)
  local m = {}
  for i = 1, 30000 do m["k" .. (i % 5000)] = (m["k" .. (i % 5000)] or 0) + i end
  local cnt = 0
  for _, v in pairs(m) do cnt = cnt + v % 7 end
  acc = acc + cnt
end
print(acc)
EOF
}

# run_workload PROGRAM BINARY SCALE: the program's fixed job (SCALE: big = timed, small = callgrind).
# Prints the commands, one per line, to run in sequence (no shell syntax; arguments split on
# spaces).
workload_cmds() {
  local p=$1 bin=$2 scale=$3 d=$scratch/run data lua_rounds
  if [[ $scale == big ]]; then data=$d/corpus-8M; lua_rounds=12; else data=$d/corpus-1M; lua_rounds=1; fi
  case $p in
    lz4)
      echo "$bin -q -f -1 $data $d/lz4.$$.lz4"
      echo "$bin -q -f -9 $data $d/lz4.$$.lz4"
      echo "$bin -q -f -d $d/lz4.$$.lz4 $d/lz4.$$.out" ;;
    bzip2)
      echo "$bin -q -f -k -9 $data.bz2in"
      echo "$bin -q -f -d -k $data.bz2in.bz2" ;;
    lua) echo "$bin $d/bench.lua $lua_rounds" ;;
    lzip)
      echo "$bin -q -f -k -3 $data.lzin"
      echo "$bin -q -f -d -k $data.lzin.lz" ;;
  esac
}
prepare_inputs() {
  local d=$scratch/run
  make_corpus $((8 << 20)) "$d/corpus-8M"
  make_corpus $((1 << 20)) "$d/corpus-1M"
  for c in corpus-8M corpus-1M; do
    cp "$d/$c" "$d/$c.bz2in"; cp "$d/$c" "$d/$c.lzin"
  done
  write_lua_script "$d/bench.lua"
}

# Timed runs are pinned to one CPU at FIFO priority 10 when we may (root): on this kind of VM
# the same binary's wall time spread by 20-40 % between back-to-back runs without it.
pin=()
if [[ $(id -u) == 0 ]] && command -v chrt >/dev/null && command -v taskset >/dev/null; then
  pin=(chrt -f 10 taskset -c "$(($(nproc) - 1))")
fi
run_timed() {  # run_timed PROGRAM BINARY -> "elapsed_ns cpu_us" of the whole workload
  # The commands run one after another from a small Python runner: wall time around them all,
  # and their CPU time (user + system, getrusage of the children: microseconds, where the
  # shell's accounting has 10 ms ticks).
  workload_cmds "$1" "$2" big | python3 -c '
import resource, subprocess, sys, time
pin = sys.argv[1:]
cmds = [line.split() for line in sys.stdin if line.strip()]
t0 = time.perf_counter_ns()
for c in cmds:
    if subprocess.run(pin + c, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("real_programs.sh: %r failed" % " ".join(c))
t1 = time.perf_counter_ns()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(t1 - t0, round((ru.ru_utime + ru.ru_stime) * 1e6))
' "${pin[@]}" || exit 1
}
count_instr() {  # count_instr PROGRAM BINARY -> instructions of the small workload (callgrind)
  local total=0 cmd n
  while read -r cmd; do
    # shellcheck disable=SC2086
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null $cmd 2>&1 >/dev/null |
          awk '/Collected :/ {print $4} /refs:/ {gsub(",", "", $4); print $4}' | tail -1)
    total=$((total + n))
  done < <(workload_cmds "$1" "$2" small)
  echo "$total"
}
text_size() { size -A "$1" | awk '$1 == ".text" {print $2}'; }
stripped_size() { strip -o "$scratch/run/stripped.$$" "$1" && stat -c %s "$scratch/run/stripped.$$" && rm -f "$scratch/run/stripped.$$"; }
median() {  # the middle value (mean of the two middle ones for an even count); – if not numbers
  printf '%s\n' "$@" | sort -g | awk '$1 !~ /^[0-9.]+$/ {bad = 1} {a[NR] = $1}
    END {if (bad || NR == 0) print "–"; else if (NR % 2) print a[(NR + 1) / 2];
         else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

# ---- main --------------------------------------------------------------------------------------
IFS=, read -r -a progs <<<"$programs"
nv=${#variants[@]}
declare -A binpath
for p in "${progs[@]}"; do fetch "$p" >/dev/null; done
for p in "${progs[@]}"; do
  for ((v = 0; v < nv; v++)); do binpath[$p,$v]=$(build_one "$p" $v); done
done
prepare_inputs

declare -A wall instr tsize fsize pairw cpur
for p in "${progs[@]}"; do
  log "$p: $reps interleaved timed runs of $nv builds${pin:+ (pinned: ${pin[*]})}"
  declare -a times
  for ((v = 0; v < nv; v++)); do eval "times_$v=(); cpus_$v=()"; done
  ((reps > 0)) && run_timed "$p" "${binpath[$p,0]}" >/dev/null  # warm the page cache
  for ((r = 0; r < reps; r++)); do
    for ((v = 0; v < nv; v++)); do
      read -r t c < <(run_timed "$p" "${binpath[$p,$v]}")
      eval "times_$v+=($t); cpus_$v+=($c)"
    done
  done
  for ((v = 0; v < nv; v++)); do
    if ((reps > 0)); then
      eval "wall[$p,$v]=\$(median \"\${times_$v[@]}\")"
      # Each repetition runs every variant back to back: the median of those pairs' ratios
      # follows the machine's drift less than the ratio of the medians.
      pr=() cr=()
      for ((r = 0; r < reps; r++)); do
        eval "tv=\${times_$v[$r]} t0=\${times_0[$r]} cv=\${cpus_$v[$r]} c0=\${cpus_0[$r]}"
        pr+=("$(ratio "$tv" "$t0")")
        cr+=("$(ratio "$cv" "$c0")")
      done
      pairw[$p,$v]=$(median "${pr[@]}")
      cpur[$p,$v]=$(median "${cr[@]}")
    else
      wall[$p,$v]=0
    fi
    tsize[$p,$v]=$(text_size "${binpath[$p,$v]}")
    fsize[$p,$v]=$(stripped_size "${binpath[$p,$v]}")
    if [[ $callgrind == yes ]]; then
      log "$p: callgrind, variant $v"
      instr[$p,$v]=$(count_instr "$p" "${binpath[$p,$v]}")
    fi
  done
done

# ---- table -------------------------------------------------------------------------------------
vname() { echo "${variants[$1]%%:*}"; }
base=$(vname 0)
table="| program | lang | variant | wall (median of $reps runs) | wall, median of pair ratios | CPU time, median of pair ratios | instructions (callgrind) | .text | stripped binary |"$'\n'
table+="|---|---|---|---|---|---|---|---|---|"$'\n'
declare -A ws is ts fs pws crs
for p in "${progs[@]}"; do
  table+="| ${pkg[$p]} | ${lang[$p]} | $base | $(awk -v t="${wall[$p,0]}" 'BEGIN {if (t > 0) printf "%.3f s", t / 1e9; else printf "–"}') | | | ${instr[$p,0]:-–} | ${tsize[$p,0]} B | ${fsize[$p,0]} B |"$'\n'
  for ((v = 1; v < nv; v++)); do
    w=–; ((reps > 0)) && w=$(ratio "${wall[$p,$v]}" "${wall[$p,0]}")
    i=–; [[ $callgrind == yes ]] && i=$(ratio "${instr[$p,$v]}" "${instr[$p,0]}")
    t=$(ratio "${tsize[$p,$v]}" "${tsize[$p,0]}") f=$(ratio "${fsize[$p,$v]}" "${fsize[$p,0]}")
    pw=–; cr=–; ((reps > 0)) && pw=${pairw[$p,$v]} cr=${cpur[$p,$v]}
    table+="| ${pkg[$p]} | ${lang[$p]} | $(vname $v) | ${w}× | ${pw}× | ${cr}× | ${i}× | ${t}× | ${f}× |"$'\n'
    table=${table//–×/–}
    ws[$v]+="$w " is[$v]+="$i " ts[$v]+="$t " fs[$v]+="$f " pws[$v]+="$pw " crs[$v]+="$cr "
  done
done
summary="| over the set | variant | median wall | worst wall | median / worst of pair ratios | median / worst CPU time | median instr. | worst instr. | worst .text | worst stripped |"$'\n'
summary+="|---|---|---|---|---|---|---|---|---|---|"$'\n'
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
for ((v = 1; v < nv; v++)); do
  # shellcheck disable=SC2086
  summary+="| ${#progs[@]} programs | $(vname $v) | $(median ${ws[$v]})× | $(maxof ${ws[$v]})× | $(median ${pws[$v]})× / $(maxof ${pws[$v]})× | $(median ${crs[$v]})× / $(maxof ${crs[$v]})× | $(median ${is[$v]})× | $(maxof ${is[$v]})× | $(maxof ${ts[$v]})× | $(maxof ${fs[$v]})× |"$'\n'
  summary=${summary//–×/–}
done
versions=""
for p in "${progs[@]}"; do versions+="$(basename "$(fetch "$p")") "; done
echo
echo "$table"
echo "$summary"

if [[ -n $results ]]; then
  begin="<!-- $section_name BEGIN: written by benchmarks/overhead/real_programs.sh -->"
  end="<!-- $section_name END -->"
  section="$begin"$'\n'"$heading"$'\n\n'
  [[ -n $title ]] && section+="$title"$'\n\n'
  wall_text="Wall: median of $reps interleaved runs of the workload${pin:+, each pinned (\`${pin[*]}\`)}, and the median over repetitions of each variant's ratio to the baseline run just before it (wall and CPU time, user + system, of the commands)"
  ((reps == 0)) && wall_text="No wall times (timed workload"
  section+="Built from Debian bookworm sources fetched at run time ($versions), each with plain clang-14 and with famsync-cc at \`$cflags_common\`; no tracked mapping is ever used. $wall_text (8 MiB corpus: lz4 -1/-9/-d, bzip2 -9/-d, lzip -3/-d; Lua script with recursion, sorting, string formatting and tables, 12 rounds); instructions: callgrind on the 1 MiB / 1-round workload (deterministic); sizes of the \`.text\` section and of the stripped binary (with the runtime's libfamsync.so not counted). Ratios are against \`$base\`. Targets: median wall ≤ 1.03×, worst ≤ 1.05×, instructions ≤ 1.10×, binary ≤ 1.3×."$'\n\n'
  section+="$table"$'\n'"$summary"$'\n'"Command: \`benchmarks/overhead/real_programs.sh $(printf '%q ' "${cmdline[@]}")\` on $(nproc) CPUs ($(uname -r))."$'\n'"$end"
  if [[ -f $results ]] && grep -qF "$begin" "$results"; then
    python3 - "$results" "$begin" "$end" "$section" <<'EOF'
import sys
path, begin, end, section = sys.argv[1:]
body = open(path).read()
s, e = body.find(begin), body.find(end)
open(path, "w").write(body[:s] + section + body[e + len(end):])
EOF
  else
    printf '\n%s\n' "$section" >>"$results"
  fi
  log "wrote the $section_name section of $results"
fi
