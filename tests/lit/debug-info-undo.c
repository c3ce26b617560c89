// An unswitching round that is undone (the function grew beyond
// -famsync-unswitch-max-growth) restores the function from its backup copy;
// in a -g build the restored body must still point at the function's own
// DISubprogram, or the module is broken ("!dbg attachment points at wrong
// subprogram"), which clang, without its verifier in release builds, would
// emit silently. With a growth limit of 1 % both rounds (deep: the inner loop
// of @sweep; counted: the first loop of @work) are undone (REPORT), and the
// output passes the verifier without a word (opt drops invalid debug info
// with only a warning, "ignoring invalid debug info", and exits 0: hence
// `count 0` on its output).
// RUN: %clang_famsync -g -O2 -mllvm -famsync-unswitch-max-growth=1 -mllvm -famsync-unswitch-report -S -emit-llvm -o %t.ll %s 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: %opt_plain -passes=verify -disable-output %t.ll 2>&1 | count 0
// The same without undoing (no limit): unswitched, and valid too.
// RUN: %clang_famsync -g -O2 -mllvm -famsync-unswitch-max-growth=0 -S -emit-llvm -o %t2.ll %s
// RUN: %opt_plain -passes=verify -disable-output %t2.ll 2>&1 | count 0
// REPORT-DAG: famsync-unswitch: deep sweep: {{[0-9]+}} -> {{[0-9]+}} IR instructions, undone
// REPORT-DAG: famsync-unswitch: counted work: {{[0-9]+}} -> {{[0-9]+}} IR instructions, undone

long sweep(int m, int n, long *a, const long *b) {
  long s = 0;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) a[j] += b[j] * i;
    for (int j = 0; j < n; ++j) s += b[j] ^ i;
    for (int j = 1; j < n; ++j) s -= b[j] * b[j - 1];
    for (int j = 2; j < n; ++j) s ^= b[j] + b[j - 2];
    for (int j = 3; j < n; ++j) s |= b[j] - b[j - 3];
    for (int j = 4; j < n; ++j) s += b[j] >> (b[j - 4] & 7);
  }
  return s;
}

struct st { long n; long buf[64]; long pos; };
#define SUM(k) for (int i = k; i < m; ++i) acc += in[i] ^ (in[i - k] + k);
long work(struct st *s, int m, const unsigned char *in) {
  long acc = 0;
  for (int i = 0; i < m; ++i) s->buf[i & 63] += (long)in[i] * i;
  SUM(1) SUM(2) SUM(3) SUM(4) SUM(5) SUM(6) SUM(7) SUM(8) SUM(9) SUM(10) SUM(11) SUM(12) SUM(13) SUM(14)
  for (;;) {
    unsigned char c = *in++;
    if (c == 0)
      break;
    s->pos += c;
  }
  return acc;
}
