#!/usr/bin/env bash
# man_test.sh — renders every man page in docs/man the way an installed one is read, and checks
# that the pages name what the code has.
#
# For each page, laid out in a man tree (man1/, man3/, man7/, plus the fams_*(3) links that
# `cmake --install` generates, so `.so` requests resolve as they do when installed):
#   * `groff -man -Tutf8 -ww -z` and `man --warnings -l` must succeed and print nothing on stderr
#     (any groff warning, a failed .so, an unknown macro fails the test);
#   * lexgrog must parse its NAME section (what mandb/whatis/apropos read);
#   * .TH must name the page and section its file name says;
#   * every famsync page it cites (famsync-cc(1), fams_map(3), ...) must exist.
# And against the sources: every FAMS_API function and FAMS_E* code of famsync.h is in
# famsync(3), every environment variable src/options.cpp reads is in famsync(7), every command of
# the famsync tool's usage is in famsync(1).
# Usage: man_test.sh SOURCE_DIR       Exit: 0 pass, 1 fail, 77 skip (man or groff missing).
set -u
src=$1
mandir=$src/docs/man
for tool in man groff lexgrog; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh installs man-db and groff-base)"
    exit 77
  fi
done
export LC_ALL=C.UTF-8 MANWIDTH=100 MANPAGER=cat PAGER=cat MAN_KEEP_FORMATTING=
work=$(mktemp -d /tmp/famsync-man-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0 passes=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { passes=$((passes + 1)); }

# The tree, as installed.
for page in "$mandir"/*.[1-9]; do
  section=${page##*.}
  mkdir -p "$work/man$section"
  cp "$page" "$work/man$section/"
done
functions=$(sed -n '/^\.SH NAME/,/^\.SH/p' "$mandir/famsync.3" | grep -oE 'fams_[a-z_]+' | sort -u)
for fn in $functions; do printf '.so man3/famsync.3\n' >"$work/man3/$fn.3"; done

cd "$work"
for page in man*/*; do
  name=$(basename "$page") section=${page%%/*}; section=${section#man}
  title=${name%.*}
  if groff -man -Tutf8 -ww -z "$page" 2>"$work/err" && [[ ! -s $work/err ]]; then
    passes=$((passes + 1))
  else
    fail "$page: groff -ww:"; sed 's/^/    /' "$work/err"
  fi
  if man --warnings -l "$page" >"$work/out" 2>"$work/err" && [[ ! -s $work/err ]] &&
     grep -q '^NAME' "$work/out" && [[ $(wc -l <"$work/out") -gt 10 ]]; then
    passes=$((passes + 1))
  else
    fail "$page: man -l (stdout $(wc -l <"$work/out") lines):"; sed 's/^/    /' "$work/err"
  fi
  if lexgrog "$page" >"$work/err" 2>&1; then
    passes=$((passes + 1))
  else
    fail "$page: lexgrog cannot parse its NAME section:"; sed 's/^/    /' "$work/err"
  fi
  # A link page (.so) is checked through the page it includes.
  grep -q '^\.so ' "$page" && continue
  th=$(grep -m1 '^\.TH' "$page" | awk '{print $2, $3}')
  upper=$(tr '[:lower:]' '[:upper:]' <<<"$title")
  if [[ $th == "$upper $section" ]]; then passes=$((passes + 1)); else fail "$page: .TH says '$th', want '$upper $section'"; fi
  # Citations of famsync's own pages must resolve in the tree.
  man -l "$page" 2>/dev/null | grep -oE '\b(famsync[-+a-z]*|fams_[a-z_]+)\([0-9]\)' | sort -u |
    while IFS='()' read -r ref sec; do
      [[ -e man$sec/$ref.$sec ]] || echo "$ref($sec)"
    done >"$work/missing"
  if [[ -s $work/missing ]]; then
    fail "$page cites pages that do not exist: $(tr '\n' ' ' <"$work/missing")"
  else
    passes=$((passes + 1))
  fi
done

# The pages against the code.
header=$src/include/famsync/famsync.h
api=$(grep -oE 'FAMS_API [^(]*\(' "$header" | grep -oE 'fams_[a-z_]+\($' | tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$api") <(echo "$functions") | tr '\n' ' ')
extra=$(comm -13 <(echo "$api") <(echo "$functions") | tr '\n' ' ')
[[ -n $api ]] || fail "no FAMS_API function found in $header"
[[ -z $missing ]] && ok || fail "famsync.3 NAME lacks public functions of famsync.h: $missing"
[[ -z $extra ]] && ok || fail "famsync.3 NAME names functions famsync.h does not declare: $extra"
for fn in $api; do
  grep -qE "^\.SS .*\b$fn\(\)" "$mandir/famsync.3" && ok || fail "famsync.3 has no .SS section for $fn()"
done
for code in $(grep -oE '#define (FAMS_E[A-Z]+|FAMS_MAP_[A-Z_]+)' "$header" | awk '{print $2}'); do
  grep -q "$code" "$mandir/famsync.3" && ok || fail "famsync.3 does not mention $code"
done
for var in $(grep -oE '"(FAMSYNC_[A-Z_]+|PMEM_IS_PMEM_FORCE)"' "$src/src/options.cpp" | tr -d '"' | sort -u); do
  grep -q "$var" "$mandir/famsync.7" && ok || fail "famsync.7 does not describe $var (read by src/options.cpp)"
done
for cmd in $(grep -oE '"(usage: |       )famsync [a-z]+' "$src/src/cli/famsync_main.cpp" | awk '{print $NF}'); do
  grep -qE "^\.B(I|R)? \"?$cmd\b" "$mandir/famsync.1" && ok || fail "famsync.1 does not document the command '$cmd'"
done

echo "man pages: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
