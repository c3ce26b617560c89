; Stores whose size is not 1/2/4/8/16 bytes call __fams_store_n with the
; store size in bytes (not the bit width, not the alloc size).
; RUN: %opt -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

define void @odd(i24* %a, <3 x i32>* %b, x86_fp80* %c, i40* %d, <{ i64, i32 }>* %e) {
; CHECK-LABEL: @odd(
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 3)
; CHECK:       store i24 7, i24* %a
  store i24 7, i24* %a
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 12)
; CHECK:       store <3 x i32>
  store <3 x i32> <i32 1, i32 2, i32 3>, <3 x i32>* %b
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 10)
; CHECK:       store x86_fp80
  store x86_fp80 0xK3FFF8000000000000000, x86_fp80* %c
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 5)
; CHECK:       store i40
  store i40 1, i40* %d
; A first-class aggregate store of a packed <{ i64, i32 }>: 12 bytes.
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 12)
; CHECK:       store <{ i64, i32 }>
  store <{ i64, i32 }> zeroinitializer, <{ i64, i32 }>* %e
  ret void
}
