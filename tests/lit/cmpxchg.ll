; cmpxchg is a store of its value size, hooked before the operation (whether
; or not the exchange succeeds: logging an unchanged line is harmless).
; RUN: %opt -S %s | FileCheck %s

define i1 @cas(i64* %p, i16* %q) {
; CHECK-LABEL: @cas(
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       cmpxchg i64* %p, i64 0, i64 1 seq_cst seq_cst
  %r = cmpxchg i64* %p, i64 0, i64 1 seq_cst seq_cst
; CHECK:       call preserve_mostcc void @__fams_store2.pm(
; CHECK:       cmpxchg weak i16* %q
  %s = cmpxchg weak i16* %q, i16 0, i16 1 acq_rel monotonic
  %ok = extractvalue { i64, i1 } %r, 1
  ret i1 %ok
}
