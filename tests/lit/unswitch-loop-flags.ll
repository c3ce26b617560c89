; -famsync-unswitch-loop-flags: a loop whose stores branch on a flag hoisted out
; of it (base-object checks here; loop-hoisted range checks alike) is unswitched
; on that flag by LLVM's non-trivial loop unswitching, after instrumentation:
; the copy for "root outside the check range" stores with no test at all, the
; other calls the hook before every store (the flag was true). The program's own
; loop-invariant conditions are hidden from the unswitcher (llvm.ssa.copy in the
; loop, restored after), so -O2's code for them is left as it was.
; Positive: @shift (two stores per iteration, one flag) has two loop copies, the
; unchecked one without a branch on the flag or a hook. Negative: @own keeps its
; invariant condition (%i6, the program's `if (up)`) inside both copies: no
; branch on it before the loops. Switched off: one loop, a flag test before each store.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-unswitch-loop-flags=false -S %s | FileCheck %s --check-prefix=OFF

; CHECK-LABEL: define dso_local void @shift(
; CHECK: %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK: br i1 %fams.bflag, label %bb8.us, label %bb8
; CHECK: bb8.us:
; CHECK: @__fams_store8.jr)
; CHECK-NEXT: %i13.us = getelementptr
; CHECK-NEXT: store i64 %i12.us, i64* %i13.us
; CHECK: @__fams_store8.jr)
; CHECK-NEXT: %i16.us = getelementptr
; CHECK-NEXT: store i64 %i15.us, i64* %i16.us
; CHECK: bb8:
; CHECK-NEXT: %i9 = phi
; CHECK-NOT: fams
; CHECK: store i64 %i12, i64* %i13
; CHECK-NOT: fams
; CHECK: store i64 %i15, i64* %i16
; CHECK-NOT: fams
; CHECK: br i1 %i17, label %bb8, label %bb7
; CHECK-NEXT: }

; CHECK-LABEL: define dso_local void @own(
; CHECK: %i6 = icmp eq i32 %arg2, 0
; CHECK-NOT: br i1 %i6
; CHECK: br i1 %fams.bflag, label %bb10.us, label %bb10
; CHECK: bb10.us:
; CHECK: br i1 %i6, label %bb18.us, label %bb16.us
; CHECK: bb10:
; CHECK: br i1 %i6, label %bb18, label %bb16

; OFF-LABEL: define dso_local void @shift(
; OFF-NOT: .us
; OFF: bb8:
; OFF: br i1 %fams.bflag, label %fams.hook, label %fams.cont
; OFF: br i1 %fams.bflag, label %fams.hook1, label %fams.cont2
; OFF-LABEL: define dso_local void @own(

; Input: clang-14 -O2 -fno-unroll-loops -fno-vectorize -fno-slp-vectorize, then opt -instnamer, of:
;   void shift(struct node *x, int i) { for (int j = x->n - 1; j >= i; --j) { x->key[j + 1] = x->key[j]; x->val[j + 1] = x->val[j]; } }
;   void own(struct node *x, int i, int up) { for (int j = x->n - 1; j >= i; --j) { x->key[j + 1] = x->key[j]; if (up) note(j); } }
source_filename = "unswitch-loop-flags.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.node = type { i32, i32, [7 x i64], [7 x i64] }

define dso_local void @shift(%struct.node* nocapture noundef %arg, i32 noundef %arg1) local_unnamed_addr {
bb:
  %i = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 0
  %i2 = load i32, i32* %i, align 8
  %i3 = icmp sgt i32 %i2, %arg1
  br i1 %i3, label %bb4, label %bb7

bb4:                                              ; preds = %bb
  %i5 = sext i32 %i2 to i64
  %i6 = sext i32 %arg1 to i64
  br label %bb8

bb7:                                              ; preds = %bb8, %bb
  ret void

bb8:                                              ; preds = %bb8, %bb4
  %i9 = phi i64 [ %i5, %bb4 ], [ %i10, %bb8 ]
  %i10 = add nsw i64 %i9, -1
  %i11 = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 2, i64 %i10
  %i12 = load i64, i64* %i11, align 8
  %i13 = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 2, i64 %i9
  store i64 %i12, i64* %i13, align 8
  %i14 = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 3, i64 %i10
  %i15 = load i64, i64* %i14, align 8
  %i16 = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 3, i64 %i9
  store i64 %i15, i64* %i16, align 8
  %i17 = icmp sgt i64 %i10, %i6
  br i1 %i17, label %bb8, label %bb7
}

define dso_local void @own(%struct.node* nocapture noundef %arg, i32 noundef %arg1, i32 noundef %arg2) local_unnamed_addr {
bb:
  %i = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 0
  %i3 = load i32, i32* %i, align 8
  %i4 = icmp sgt i32 %i3, %arg1
  br i1 %i4, label %bb5, label %bb9

bb5:                                              ; preds = %bb
  %i6 = icmp eq i32 %arg2, 0
  %i7 = sext i32 %i3 to i64
  %i8 = sext i32 %arg1 to i64
  br label %bb10

bb9:                                              ; preds = %bb18, %bb
  ret void

bb10:                                             ; preds = %bb18, %bb5
  %i11 = phi i64 [ %i7, %bb5 ], [ %i12, %bb18 ]
  %i12 = add nsw i64 %i11, -1
  %i13 = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 2, i64 %i12
  %i14 = load i64, i64* %i13, align 8
  %i15 = getelementptr inbounds %struct.node, %struct.node* %arg, i64 0, i32 2, i64 %i11
  store i64 %i14, i64* %i15, align 8
  br i1 %i6, label %bb18, label %bb16

bb16:                                             ; preds = %bb10
  %i17 = trunc i64 %i12 to i32
  tail call void @note(i32 noundef %i17)
  br label %bb18

bb18:                                             ; preds = %bb16, %bb10
  %i19 = icmp sgt i64 %i12, %i8
  br i1 %i19, label %bb10, label %bb9
}

declare void @note(i32 noundef) local_unnamed_addr
