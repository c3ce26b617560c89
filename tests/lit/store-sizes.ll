; Stores of 1, 2, 4, 8 and 16 bytes call the size-specialised hook, with the
; address cast to i8*, immediately before the store.
; RUN: %opt -S %s | FileCheck %s

define void @sizes(i8* %p8, i16* %p16, i32* %p32, i64* %p64, i128* %p128,
                   i1* %pb, float* %pf, double* %pd, i8** %pp) {
; CHECK-LABEL: @sizes(
; CHECK:       call preserve_mostcc void @__fams_store1.pm(i8* %p8)
; CHECK-NEXT:  br label
; CHECK:       store i8 1, i8* %p8
  store i8 1, i8* %p8
; CHECK:       [[A16:%.*]] = bitcast i16* %p16 to i8*
; CHECK-NEXT:  call preserve_mostcc void @__fams_store2.pm(i8* [[A16]])
; CHECK:       store i16 2, i16* %p16
  store i16 2, i16* %p16
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 4, i32* %p32
  store i32 4, i32* %p32
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       store i64 8, i64* %p64
  store i64 8, i64* %p64
; CHECK:       call preserve_mostcc void @__fams_store16.pm(
; CHECK:       store i128 16, i128* %p128
  store i128 16, i128* %p128
; i1 is stored as one byte.
; CHECK:       call preserve_mostcc void @__fams_store1.pm(
; CHECK:       store i1 true, i1* %pb
  store i1 true, i1* %pb
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store float
  store float 1.0, float* %pf
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       store double
  store double 1.0, double* %pd
; A pointer is 8 bytes on x86-64.
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       store i8* null, i8** %pp
  store i8* null, i8** %pp
; CHECK-NOT:   __fams_store_n
  ret void
}

; CHECK: declare void @__fams_store1(i8*)
; CHECK: declare void @__fams_store2(i8*)
; CHECK: declare void @__fams_store4(i8*)
; CHECK: declare void @__fams_store8(i8*)
; CHECK: declare void @__fams_store16(i8*)
