; libatomic calls (atomics clang cannot inline: 16 bytes without -mcx16, _Atomic structs) write
; their object: hooked before the call by its size (generic forms: the size argument).
; RUN: %opt -S %s | FileCheck %s

declare void @__atomic_store(i64, i8*, i8*, i32)
declare i1 @__atomic_compare_exchange(i64, i8*, i8*, i8*, i32, i32)
declare i128 @__atomic_fetch_add_16(i8*, i128, i32)
declare void @__atomic_store_16(i8*, i128, i32)

define void @atomics(i8* %obj, i8* %val, i8* %expected, i64 %n) {
; CHECK-LABEL: @atomics(
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %obj, i64 %n)
; CHECK:       call void @__atomic_store(i64 %n, i8* %obj, i8* %val, i32 5)
  call void @__atomic_store(i64 %n, i8* %obj, i8* %val, i32 5)
; compare_exchange writes the object, and *expected on failure.
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %obj, i64 %n)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %expected, i64 %n)
; CHECK:       call i1 @__atomic_compare_exchange(
  %ok = call i1 @__atomic_compare_exchange(i64 %n, i8* %obj, i8* %expected, i8* %val, i32 5, i32 5)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %obj, i64 16)
; CHECK:       call i128 @__atomic_fetch_add_16(
  %old = call i128 @__atomic_fetch_add_16(i8* %obj, i128 1, i32 5)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %obj, i64 16)
; CHECK:       call void @__atomic_store_16(
  call void @__atomic_store_16(i8* %obj, i128 7, i32 5)
  ret void
}
