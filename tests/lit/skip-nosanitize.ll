; Stores marked !nosanitize (code emitted by other instrumentations) are not
; instrumented.
; RUN: %opt -S %s | FileCheck %s

define void @ns(i8* %shadow, i8* %p) {
; CHECK-LABEL: @ns(
; CHECK-NOT:   __fams_store
; CHECK:       store i8 0, i8* %shadow, align 1, !nosanitize
; CHECK:       call preserve_mostcc void @__fams_store1.pm(i8* %p)
; CHECK:       store i8 1, i8* %p
  store i8 0, i8* %shadow, align 1, !nosanitize !0
  store i8 1, i8* %p
  ret void
}
!0 = !{}
