; -famsync-small-memintrinsic-checks: a memcpy/memmove/memset of a constant
; length of at most -famsync-group-max-span (4096) bytes is checked like a
; group of stores, by its last byte ((d + len - 1) >> 41 == 16: a range that
; starts in the window, or below it and reaches into it, ends in the check
; range), and a base-object flag can replace that check (the intrinsic writes
; inside the object of its destination's inbounds root); the cold path is the
; same __fams_before_write_range(d, len). Negative (keep the range test
; off < size || -off < len): a variable length, a length above the span, and
; the option off.
; RUN: %opt -famsync-unswitch-loop-flags=false -S %s | FileCheck %s
; RUN: %opt -famsync-unswitch-loop-flags=false -famsync-small-memintrinsic-checks=false -S %s | FileCheck %s --check-prefix=OFF

declare void @llvm.memcpy.p0i8.p0i8.i64(i8*, i8*, i64, i1)
declare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)

define void @small(i8* %d, i8* %s) {
; CHECK-LABEL: @small(
; CHECK:         %fams.mlast = getelementptr i8, i8* %d, i64 15
; CHECK-NEXT:    %fams.addr = ptrtoint i8* %fams.mlast to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont
; CHECK:       fams.hook:
; CHECK-NEXT:    call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 16)
; CHECK:       fams.cont:
; CHECK-NEXT:    call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 16, i1 false)
; OFF-LABEL: @small(
; OFF-NOT:       fams.mlast
; OFF:           %fams.reaches = icmp ult i64 %fams.negoff, 16
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 16, i1 false)
  ret void
}

define void @large_or_variable(i8* %d, i8* %s, i64 %n) {
; CHECK-LABEL: @large_or_variable(
; CHECK-NOT:     fams.mlast
; CHECK:         %fams.reaches = icmp ult i64 %fams.negoff, 8192
; CHECK:         call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 8192, i1 false)
; CHECK:         %fams.reaches{{[0-9]*}} = icmp ult i64 %fams.negoff{{[0-9]*}}, %n
; CHECK:         call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 %n, i1 false)
  call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 8192, i1 false)
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 %n, i1 false)
  ret void
}

; A 16-byte copy to p + idx[i] (lz4's wild copies): one test of %p.
define void @copies(i8* %p, i8* %s, i64* %idx, i64 %n) {
; CHECK-LABEL: @copies(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.addr = ptrtoint i8* %p to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK:         br i1 %fams.bflag, label %fams.hook, label %fams.cont
; CHECK:       fams.hook:
; CHECK-NEXT:    call preserve_mostcc void @__fams_before_write_range.pm(i8* %a, i64 16)
; OFF-LABEL: @copies(
; OFF-NOT:       bflag
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i8, i8* %p, i64 %k
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* %a, i8* %s, i64 16, i1 false)
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}
