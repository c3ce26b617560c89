; -famsync-hoist-loop-checks: a store (or a group) in a loop whose address
; ScalarEvolution can bound over the loop nest gets ONE range test in the block
; that enters the outermost such loop (its only predecessor outside the loop),
; an i1 flag "may [lo, lo + len) meet the check range?", and each store then
; only branches on that flag; the cold path is the same hook with the store's
; exact address. Two bounds: affine recurrences (start, constant or invariant
; step, backedge-taken count; products and sums checked for overflow at run
; time) and constant ranges of the offset from an invariant base (a
; sign-extended i32 index loaded from memory).
; Positive: a counted loop, a nested loop (invariant outer step), a negative
; step, a group in a loop with two exits, two stores with i32 indices sharing
; one flag across a call. Negative (keep the per-store shift/compare): a base
; loaded in the loop, an i64 index loaded from memory, a header with two
; predecessors outside the loop, and -famsync-hoist-loop-checks=false. (The
; negatives with inbounds GEPs from an invariant root are handled by
; -famsync-base-object-checks, base-object-checks.ll, switched off here.)
; Merging (-famsync-merge-loop-checks): bounds that differ only by constant
; offsets from one start share one test (two fields stored in different
; blocks), also across loops, at the nearest common dominator of the loops'
; predecessors (two loops in sequence); without merging, one test each.
; Cost model (-famsync-loop-check-cost-model): a test is kept only if the
; static block frequencies say it saves at least twice what it costs (a
; store on a rarely taken branch keeps its own check).
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -S %s | FileCheck %s
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -famsync-hoist-loop-checks=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -famsync-fixed-window=false -S %s | FileCheck %s --check-prefix=LOADED
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -famsync-merge-loop-checks=false -S %s | FileCheck %s --check-prefix=NOMERGE
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -famsync-stats -disable-output %s 2>&1 | FileCheck %s --check-prefix=STATS
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -famsync-merge-loop-checks=false -famsync-stats -disable-output %s 2>&1 | FileCheck %s --check-prefix=STATS-NOMERGE
; RUN: %opt -famsync-base-object-checks=false -famsync-unswitch-loop-flags=false -famsync-loop-check-cost-model=false -S %s | FileCheck %s --check-prefix=NOCOST

; STATS: 17 stores instrumented,{{.*}}; 2 stores in 1 grouped checks; 11 stores guarded by 7 hoisted loop checks
; STATS-NOMERGE: 17 stores instrumented,{{.*}}; 2 stores in 1 grouped checks; 11 stores guarded by 9 hoisted loop checks

; p[i] = x for i in [0, n): the guard block is the loop's only predecessor.
define void @count(i64* %p, i64 %n, i64 %x) {
; Addresses p + 8i, i <= n - 1: lo = p, len = 8 (n - 1) + 8.
; CHECK-LABEL: @count(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %guard = icmp sgt i64 %n, 0
; CHECK-NEXT:    %fams.lstart = ptrtoint i64* %p to i64
; CHECK-NEXT:    [[N:%.*]] = add i64 %n, -1
; CHECK-NEXT:    [[M:%.*]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 [[N]], i64 8)
; CHECK-NEXT:    %fams.lovf = extractvalue { i64, i1 } [[M]], 1
; CHECK-NEXT:    [[E:%.*]] = extractvalue { i64, i1 } [[M]], 0
; CHECK-NEXT:    [[S:%.*]] = call { i64, i1 } @llvm.uadd.with.overflow.i64(i64 8, i64 [[E]])
; CHECK-NEXT:    %fams.lovf1 = extractvalue { i64, i1 } [[S]], 1
; CHECK-NEXT:    %fams.lovf2 = or i1 %fams.lovf, %fams.lovf1
; CHECK-NEXT:    [[LEN:%.*]] = extractvalue { i64, i1 } [[S]], 0
; CHECK-NEXT:    %fams.off = sub i64 %fams.lstart, 35184372088832
; CHECK-NEXT:    %fams.in = icmp ult i64 %fams.off, 2199023255552
; CHECK-NEXT:    %fams.negoff = sub i64 0, %fams.off
; CHECK-NEXT:    %fams.reaches = icmp ult i64 %fams.negoff, [[LEN]]
; CHECK-NEXT:    %fams.hit = or i1 %fams.in, %fams.reaches
; CHECK-NEXT:    %fams.lflag = or i1 %fams.hit, %fams.lovf2
; CHECK-NEXT:    br i1 %guard, label %loop, label %exit
; CHECK:       loop:
; CHECK-NEXT:    %i = phi
; CHECK-NEXT:    br i1 %fams.lflag, label %fams.hook, label %fams.cont, !prof
; CHECK:       fams.hook:
; CHECK-NEXT:    %a.fams.cold = getelementptr inbounds i64, i64* %p, i64 %i
; CHECK-NEXT:    [[A:%.*]] = bitcast i64* %a.fams.cold to i8*
; CHECK-NEXT:    call preserve_mostcc void @__fams_store8.pm(i8* [[A]])
; CHECK:       fams.cont:
; CHECK-NEXT:    %a = getelementptr inbounds i64, i64* %p, i64 %i
; CHECK-NEXT:    store i64 %x, i64* %a
; CHECK-NOT:     lshr
; CHECK:         ret void
; OFF-LABEL: @count(
; OFF-NOT:       fams.lflag
; OFF:         loop:
; OFF:           %fams.hi = lshr i64 %fams.addr, 41
; OFF-NEXT:      %fams.in = icmp eq i64 %fams.hi, 16
; OFF-NEXT:      br i1 %fams.in, label %fams.hook
; LOADED-LABEL: @count(
; LOADED-NEXT:  entry:
; LOADED-NEXT:    %fams.base = load i64, i64* @__fams_window_base
; LOADED-NEXT:    %fams.size = load i64, i64* @__fams_window_size
; LOADED:         %fams.off = sub i64 %fams.lstart, %fams.base
; LOADED-NEXT:    %fams.in = icmp ult i64 %fams.off, %fams.size
; LOADED:         %fams.lflag = or i1 %fams.hit, %fams.lovf2
; LOADED:       loop:
; LOADED-NOT:     %fams.base
; LOADED:         br i1 %fams.lflag, label %fams.hook
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i64, i64* %p, i64 %i
  store i64 %x, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

; for (i = 0; i < n; i++) for (j = 0; j < m; j++) p[i*m + j] = x
define void @nested(i64* %p, i64 %n, i64 %m, i64 %x) {
; p + 8 (i m + j): one test before the outer loop; the outer step 8m is
; not a constant, so its sign is tested at run time (|8m|, and the arc starts
; (n - 1) |8m| lower if 8m < 0).
; CHECK-LABEL: @nested(
; CHECK-NEXT:  entry:
; CHECK:         %fams.lstart = ptrtoint i64* %p to i64
; CHECK:         call { i64, i1 } @llvm.umul.with.overflow.i64(i64 {{%.*}}, i64 8)
; CHECK:         [[STEP:%.*]] = shl i64 %m, 3
; CHECK-NEXT:    [[NEG:%.*]] = icmp slt i64 [[STEP]], 0
; CHECK-NEXT:    [[MINUS:%.*]] = sub i64 0, [[STEP]]
; CHECK-NEXT:    %fams.labs = select i1 [[NEG]], i64 [[MINUS]], i64 [[STEP]]
; CHECK-NEXT:    [[M:%.*]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 {{%.*}}, i64 %fams.labs)
; CHECK:         [[E:%.*]] = extractvalue { i64, i1 } [[M]], 0
; CHECK-NEXT:    [[DOWN:%.*]] = select i1 [[NEG]], i64 [[E]], i64 0
; CHECK-NEXT:    %fams.llo = sub i64 %fams.lstart, [[DOWN]]
; CHECK:         %fams.lflag = or i1
; CHECK-NEXT:    br i1 %g1, label %outer, label %exit
; CHECK:       outer:
; CHECK-NOT:     fams
; CHECK:       inner:
; CHECK-NOT:     lshr
; CHECK:         br i1 %fams.lflag, label %fams.hook, label %fams.cont
; CHECK-NOT:     lshr
; CHECK:         ret void
entry:
  %g1 = icmp sgt i64 %n, 0
  br i1 %g1, label %outer, label %exit
outer:
  %i = phi i64 [ 0, %entry ], [ %i.next, %outer.latch ]
  %row = mul nsw i64 %i, %m
  %g2 = icmp sgt i64 %m, 0
  br i1 %g2, label %inner, label %outer.latch
inner:
  %j = phi i64 [ 0, %outer ], [ %j.next, %inner ]
  %k = add nsw i64 %row, %j
  %a = getelementptr inbounds i64, i64* %p, i64 %k
  store i64 %x, i64* %a
  %j.next = add nuw nsw i64 %j, 1
  %d2 = icmp eq i64 %j.next, %m
  br i1 %d2, label %outer.latch, label %inner
outer.latch:
  %i.next = add nuw nsw i64 %i, 1
  %d1 = icmp eq i64 %i.next, %n
  br i1 %d1, label %exit, label %outer
exit:
  ret void
}

; for (i = n; i > 0; i--) p[i - 1] = i: a negative step.
define void @down(i32* %p, i64 %n) {
; A negative step: the first address is p + 4n - 4 (the constant -4 goes
; into the offset), the arc starts 4 (n - 1) lower.
; CHECK-LABEL: @down(
; CHECK-NEXT:  entry:
; CHECK:         %scevgep = getelementptr i32, i32* %p, i64 %n
; CHECK-NEXT:    %fams.lstart = ptrtoint i32* %scevgep to i64
; CHECK-NEXT:    %fams.llo = add i64 %fams.lstart, -4
; CHECK-NEXT:    [[N:%.*]] = add i64 %n, -1
; CHECK-NEXT:    [[M:%.*]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 [[N]], i64 4)
; CHECK-NEXT:    %fams.lovf = extractvalue { i64, i1 } [[M]], 1
; CHECK-NEXT:    [[E:%.*]] = extractvalue { i64, i1 } [[M]], 0
; CHECK-NEXT:    %fams.llo1 = sub i64 %fams.llo, [[E]]
; CHECK-NEXT:    call { i64, i1 } @llvm.uadd.with.overflow.i64(i64 4, i64 [[E]])
; CHECK:         %fams.off = sub i64 %fams.llo1, 35184372088832
; CHECK:         %fams.lflag = or i1
; CHECK:       loop:
; CHECK-NOT:     lshr
; CHECK:         br i1 %fams.lflag, label %fams.hook, label %fams.cont
; CHECK:         call preserve_mostcc void @__fams_store4.pm(
; CHECK-NOT:     lshr
; CHECK:         ret void
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ %n, %entry ], [ %i.prev, %loop ]
  %i.prev = add nsw i64 %i, -1
  %a = getelementptr inbounds i32, i32* %p, i64 %i.prev
  %v = trunc i64 %i to i32
  store i32 %v, i32* %a
  %more = icmp ugt i64 %i, 1
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

; ptr[q[i]] = i, ptr[r[i]] = 0 with 32-bit indices loaded from memory: each
; index is a sign-extended i32, so both stores lie in [ptr - 2^33, ptr + 2^33)
; and share one flag.
define void @sext32(i32* %ptr, i32* %q, i32* %r, i64 %n) {
; Constant range: sext(i32) * 4 is in [-2^33, 2^33 - 4], so the arc is
; [ptr - 2^33, + 2^34). One flag for both stores; the call between them does
; not matter (the flag is a pure address test).
; CHECK-LABEL: @sext32(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.lstart = ptrtoint i32* %ptr to i64
; CHECK-NEXT:    %fams.llo = add i64 %fams.lstart, -8589934592
; CHECK-NEXT:    %fams.off = sub i64 %fams.llo, 35184372088832
; CHECK-NEXT:    %fams.in = icmp ult i64 %fams.off, 2199023255552
; CHECK-NEXT:    %fams.negoff = sub i64 0, %fams.off
; CHECK-NEXT:    %fams.reaches = icmp ult i64 %fams.negoff, 17179869184
; CHECK-NEXT:    %fams.lflag = or i1 %fams.in, %fams.reaches
; CHECK-NEXT:    br label %loop
; CHECK-NOT:     lshr
; CHECK:         br i1 %fams.lflag, label %fams.hook, label %fams.cont
; CHECK:         call preserve_mostcc void @__fams_store4.pm(
; CHECK:         call void @opaque()
; CHECK-NOT:     lshr
; CHECK:         br i1 %fams.lflag, label %fams.hook{{[0-9]+}}, label %fams.cont{{[0-9]+}}
; CHECK:         call preserve_mostcc void @__fams_store4.pm(
; CHECK-NOT:     lshr
; CHECK:         ret void
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %qa = getelementptr inbounds i32, i32* %q, i64 %i
  %qi = load i32, i32* %qa
  %qx = sext i32 %qi to i64
  %a = getelementptr inbounds i32, i32* %ptr, i64 %qx
  %v = trunc i64 %i to i32
  store i32 %v, i32* %a
  call void @opaque()
  %ra = getelementptr inbounds i32, i32* %r, i64 %i
  %ri = load i32, i32* %ra
  %rx = sext i32 %ri to i64
  %b = getelementptr inbounds i32, i32* %ptr, i64 %rx
  store i32 0, i32* %b
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}
declare void @opaque()

; p[2i], p[2i+1] in one block (a group) of a loop with two exits.
define void @group(i32* %p, i32* %stop, i64 %n) {
; Two exits: the symbolic maximum of the backedge-taken count,
; umax(n, 1) - 1, bounds both. The group [p + 8i, + 8) branches on the flag
; and computes its address only on the cold path.
; CHECK-LABEL: @group(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.lstart = ptrtoint i32* %p to i64
; CHECK-NEXT:    %umax = call i64 @llvm.umax.i64(i64 %n, i64 1)
; CHECK-NEXT:    [[N:%.*]] = add i64 %umax, -1
; CHECK-NEXT:    call { i64, i1 } @llvm.umul.with.overflow.i64(i64 [[N]], i64 8)
; CHECK:         call { i64, i1 } @llvm.uadd.with.overflow.i64(i64 8,
; CHECK:         %fams.lflag = or i1
; CHECK:       latch:
; CHECK-NEXT:    %i2 = shl nuw i64 %i, 1
; CHECK-NEXT:    %a = getelementptr inbounds i32, i32* %p, i64 %i2
; CHECK-NEXT:    br i1 %fams.lflag, label %fams.hook, label %fams.cont
; CHECK:       fams.hook:
; CHECK-NEXT:    %fams.gaddr = getelementptr i32, i32* %p, i64 %i2
; CHECK-NEXT:    %fams.gbase = bitcast i32* %fams.gaddr to i8*
; CHECK-NEXT:    %fams.gstart = getelementptr i8, i8* %fams.gbase, i64 0
; CHECK-NEXT:    call preserve_mostcc void @__fams_before_write_range.pm(i8* %fams.gstart, i64 8)
; CHECK:       fams.cont:
; CHECK-NEXT:    store i32 1, i32* %a
; CHECK-NOT:     @__fams
; CHECK:         store i32 2, i32* %b
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %s = getelementptr inbounds i32, i32* %stop, i64 %i
  %sv = load i32, i32* %s
  %z = icmp eq i32 %sv, 0
  br i1 %z, label %exit, label %latch
latch:
  %i2 = shl nuw i64 %i, 1
  %a = getelementptr inbounds i32, i32* %p, i64 %i2
  store i32 1, i32* %a
  %i21 = or i64 %i2, 1
  %b = getelementptr inbounds i32, i32* %p, i64 %i21
  store i32 2, i32* %b
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

; Negative: the base pointer is loaded in the loop (pp[i][0] = i).
define void @base_variant(i32** %pp, i64 %n) {
; CHECK-LABEL: @base_variant(
; CHECK-NOT:     fams.lflag
; CHECK:         %p = load i32*, i32** %pa
; CHECK:         %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %pa = getelementptr inbounds i32*, i32** %pp, i64 %i
  %p = load i32*, i32** %pa
  %v = trunc i64 %i to i32
  store i32 %v, i32* %p
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

; Negative: a 64-bit index loaded from memory has no useful bound.
define void @idx64(i32* %ptr, i64* %q, i64 %n) {
; CHECK-LABEL: @idx64(
; CHECK-NOT:     fams.lflag
; CHECK:         %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %qa = getelementptr inbounds i64, i64* %q, i64 %i
  %qi = load i64, i64* %qa
  %a = getelementptr inbounds i32, i32* %ptr, i64 %qi
  store i32 0, i32* %a
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

; Negative: the loop header has two predecessors outside the loop (no
; preheader, no single block to put the test in).
define void @no_preheader(i64* %p, i64 %n, i1 %c) {
; CHECK-LABEL: @no_preheader(
; CHECK-NOT:     fams.lflag
; CHECK:         %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook
; CHECK-NOT:     fams.lflag
; CHECK:         ret void
entry:
  br i1 %c, label %left, label %right
left:
  br label %loop
right:
  br label %loop
loop:
  %i = phi i64 [ 0, %left ], [ 1, %right ], [ %i.next, %loop ]
  %a = getelementptr inbounds i64, i64* %p, i64 %i
  store i64 %i, i64* %a
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

%struct.t = type { i32, i32, i64 }

; p[i].a in one branch, p[i].c in the other (not one group): starts p and
; p + 8 differ by a constant, so one arc [p, p + 16 (n - 1) + 16).
define void @fields(%struct.t* %p, i1* %c, i64 %n) {
; CHECK-LABEL: @fields(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.lstart = ptrtoint %struct.t* %p to i64
; CHECK:         call { i64, i1 } @llvm.umul.with.overflow.i64(i64 {{%.*}}, i64 16)
; CHECK:         call { i64, i1 } @llvm.uadd.with.overflow.i64(i64 16,
; CHECK:         %fams.lflag = or i1
; CHECK-NOT:     fams.lflag{{[0-9]+}} =
; CHECK:         br i1 %fams.lflag, label %fams.hook, label %fams.cont
; CHECK:         store i32 1, i32* %a
; CHECK:         br i1 %fams.lflag, label %fams.hook{{[0-9]+}}, label %fams.cont{{[0-9]+}}
; CHECK:         store i64 2, i64* %f
; NOMERGE-LABEL: @fields(
; NOMERGE:         %fams.lflag = or i1
; NOMERGE:         %fams.lflag{{[0-9]+}} = or i1
; NOMERGE:         br i1 %fams.lflag, label
; NOMERGE:         br i1 %fams.lflag{{[0-9]+}}, label
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %ca = getelementptr inbounds i1, i1* %c, i64 %i
  %cv = load i1, i1* %ca
  br i1 %cv, label %then, label %else
then:
  %a = getelementptr inbounds %struct.t, %struct.t* %p, i64 %i, i32 0
  store i32 1, i32* %a
  br label %latch
else:
  %f = getelementptr inbounds %struct.t, %struct.t* %p, i64 %i, i32 2
  store i64 2, i64* %f
  br label %latch
latch:
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

; Two loops in sequence storing ptr[q[i]] (sign-extended i32 indices): one
; test in the entry block, the nearest common dominator of both loops'
; predecessors; without merging, one before each loop.
define void @two_loops(i32* %ptr, i32* %q, i64 %n, i64 %m) {
; CHECK-LABEL: @two_loops(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.lstart = ptrtoint i32* %ptr to i64
; CHECK-NEXT:    %fams.llo = add i64 %fams.lstart, -8589934592
; CHECK:         %fams.lflag = or i1 %fams.in, %fams.reaches
; CHECK-NEXT:    br label %loop1
; CHECK:         br i1 %fams.lflag, label
; CHECK:       mid:
; CHECK-NOT:     fams.l
; CHECK:         br i1 %fams.lflag, label
; NOMERGE-LABEL: @two_loops(
; NOMERGE:       entry:
; NOMERGE:         %fams.lflag = or i1
; NOMERGE:       mid:
; NOMERGE:         %fams.lflag{{[0-9]+}} = or i1
entry:
  br label %loop1
loop1:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop1 ]
  %qa = getelementptr inbounds i32, i32* %q, i64 %i
  %qi = load i32, i32* %qa
  %qx = sext i32 %qi to i64
  %a = getelementptr inbounds i32, i32* %ptr, i64 %qx
  store i32 0, i32* %a
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %mid, label %loop1
mid:
  br label %loop2
loop2:
  %j = phi i64 [ 0, %mid ], [ %j.next, %loop2 ]
  %qb = getelementptr inbounds i32, i32* %q, i64 %j
  %qj = load i32, i32* %qb
  %qy = sext i32 %qj to i64
  %b = getelementptr inbounds i32, i32* %ptr, i64 %qy
  store i32 1, i32* %b
  %j.next = add nuw i64 %j, 1
  %done2 = icmp uge i64 %j.next, %m
  br i1 %done2, label %exit, label %loop2
exit:
  ret void
}

; Negative (cost model): the store runs on a branch taken once in 1000
; iterations, so the test before the loop would cost more than it saves;
; it keeps its own check. NOCOST (-famsync-loop-check-cost-model=false):
; hoisted.
define void @rare(i64* %p, i1* %c, i64 %n) {
; CHECK-LABEL: @rare(
; CHECK-NOT:     fams.lflag
; CHECK:         %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook
; CHECK:         ret void
; NOCOST-LABEL: @rare(
; NOCOST:         %fams.lflag = or i1
; NOCOST:         br i1 %fams.lflag, label %fams.hook
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %ca = getelementptr inbounds i1, i1* %c, i64 %i
  %cv = load i1, i1* %ca
  br i1 %cv, label %then, label %latch, !prof !0
then:
  %a = getelementptr inbounds i64, i64* %p, i64 %i
  store i64 %i, i64* %a
  br label %latch
latch:
  %i.next = add nuw i64 %i, 1
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}

; Negative: two pointers walking towards each other (lua's reverse()): SCEV
; knows only a constant maximum of the trip count (about 2^60), which makes
; the arc wider than 4 TiB (the flag would be true on every run, and every
; store would call its hook); per-store checks.
%struct.tv = type { i64, i8 }
define void @reverse(%struct.tv* %from0, %struct.tv* %to0) {
; CHECK-LABEL: @reverse(
; CHECK-NOT:     fams.lflag
; CHECK:         %fams.hi = lshr i64 %fams.addr, 41
; CHECK:         %fams.hi{{[0-9]+}} = lshr i64 %fams.addr{{[0-9]+}}, 41
; CHECK-NOT:     fams.lflag
; CHECK:         ret void
entry:
  %g = icmp ult %struct.tv* %from0, %to0
  br i1 %g, label %loop, label %exit
loop:
  %from = phi %struct.tv* [ %from0, %entry ], [ %from.next, %loop ]
  %to = phi %struct.tv* [ %to0, %entry ], [ %to.next, %loop ]
  %fv = getelementptr inbounds %struct.tv, %struct.tv* %from, i64 0, i32 0
  %tv = getelementptr inbounds %struct.tv, %struct.tv* %to, i64 0, i32 0
  %x = load i64, i64* %fv
  %y = load i64, i64* %tv
  store i64 %y, i64* %fv
  store i64 %x, i64* %tv
  %from.next = getelementptr inbounds %struct.tv, %struct.tv* %from, i64 1
  %to.next = getelementptr inbounds %struct.tv, %struct.tv* %to, i64 -1
  %c = icmp ult %struct.tv* %from.next, %to.next
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

!0 = !{!"branch_weights", i32 1, i32 1000}
