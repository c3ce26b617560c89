; -famsync-base-object-checks: a plain store whose address is a chain of
; inbounds GEPs from a root pointer R (through a pointer recurrence: from the
; value it starts with) lies in R's allocated object (LangRef: otherwise the
; GEP is poison and the store UB); a tracked mapping, or one past its end, is
; inside the check range. So "R is outside the check range" (one shift/compare
; right after R's definition, at function entry for an argument) replaces the
; store's own check: the store only branches on that flag, and the cold path
; is the same hook with the store's exact address.
; Positive: an i64 index loaded from memory (SCEV cannot bound it; the loop
; hoisting keeps a per-store check there), and a pointer recurrence with no
; trip count (while (*s) *d++ = *s++), a web of such phis and selects.
; Negative (keep the per-store shift/compare): a GEP that is not inbounds, a
; root loaded in the loop (the test would run as often as the store), a
; recurrence started from three roots (two are taken: one flag tests both),
; and -famsync-base-object-checks=false.
; RUN: %opt -famsync-unswitch-loop-flags=false -S %s | FileCheck %s
; RUN: %opt -famsync-unswitch-loop-flags=false -famsync-base-object-checks=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-unswitch-loop-flags=false -famsync-fixed-window=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-unswitch-loop-flags=false -famsync-base-check-two-roots=false -S %s | FileCheck %s --check-prefix=ONEROOT
; RUN: %opt -famsync-unswitch-loop-flags=false -famsync-stats -disable-output %s 2>&1 | FileCheck %s --check-prefix=STATS

; STATS: 8 stores instrumented,{{.*}}; 5 stores guarded by 5 base-object checks (1 of two roots)

; p[idx[i]] = x, idx an i64 array: SCEV cannot bound the index.
; CHECK-LABEL: @scatter64(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.addr = ptrtoint i64* %p to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    %guard = icmp sgt i64 %n, 0
; CHECK:       loop:
; CHECK:         br i1 %fams.bflag, label %fams.hook, label %fams.cont, !prof
; CHECK:       fams.hook:
; CHECK-NEXT:    %a.fams.cold = getelementptr inbounds i64, i64* %p, i64 %k
; CHECK-NEXT:    [[A:%.*]] = bitcast i64* %a.fams.cold to i8*
; CHECK-NEXT:    call preserve_mostcc void @__fams_store8.pm(i8* [[A]])
; CHECK:       fams.cont:
; CHECK-NEXT:    %a = getelementptr inbounds i64, i64* %p, i64 %k
; CHECK-NEXT:    store i64 %x, i64* %a
; OFF-LABEL: @scatter64(
; OFF-NOT:     bflag
; OFF:         %a = getelementptr inbounds i64, i64* %p, i64 %k
; OFF-NEXT:    %fams.addr = ptrtoint i64* %a to i64
define void @scatter64(i64* %p, i64* %idx, i64 %n, i64 %x) {
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i64, i64* %p, i64 %k
  store i64 %x, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; while (*s) *d++ = *s++; -- no trip count; the root of d is the argument.
; CHECK-LABEL: @copy(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.addr = ptrtoint i8* %d to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK:       loop:
; CHECK-NEXT:    %dp = phi i8* [ %d, %entry ], [ %dn, %fams.cont ]
; CHECK-NEXT:    %sp = phi
; CHECK-NEXT:    %c = phi
; CHECK-NEXT:    br i1 %fams.bflag, label %fams.hook, label %fams.cont, !prof
; CHECK:       fams.hook:
; CHECK-NEXT:    call preserve_mostcc void @__fams_store1.pm(i8* %dp)
; CHECK:       fams.cont:
; CHECK-NEXT:    store i8 %c, i8* %dp
; OFF-LABEL: @copy(
; OFF-NOT:     bflag
; OFF:         %fams.addr = ptrtoint i8* %dp to i64
define void @copy(i8* %d, i8* %s) {
entry:
  %c0 = load i8, i8* %s
  %z0 = icmp eq i8 %c0, 0
  br i1 %z0, label %exit, label %loop
loop:
  %dp = phi i8* [ %d, %entry ], [ %dn, %loop ]
  %sp = phi i8* [ %s, %entry ], [ %sn, %loop ]
  %c = phi i8 [ %c0, %entry ], [ %c1, %loop ]
  store i8 %c, i8* %dp
  %dn = getelementptr inbounds i8, i8* %dp, i64 1
  %sn = getelementptr inbounds i8, i8* %sp, i64 1
  %c1 = load i8, i8* %sn
  %z = icmp eq i8 %c1, 0
  br i1 %z, label %exit, label %loop
exit:
  ret void
}

; Negative: the GEP is not inbounds (p + k may leave p's object).
; CHECK-LABEL: @scatter64_noinbounds(
; CHECK-NOT:     bflag
; CHECK:         %a = getelementptr i64, i64* %p, i64 %k
; CHECK-NEXT:    %fams.addr = ptrtoint i64* %a to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof
define void @scatter64_noinbounds(i64* %p, i64* %idx, i64 %n, i64 %x) {
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr i64, i64* %p, i64 %k
  store i64 %x, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; Negative: the root is loaded in the loop (one test per store: no gain).
; CHECK-LABEL: @reload(
; CHECK-NOT:     bflag
; CHECK:         %a = getelementptr inbounds i64, i64* %p, i64 %k
; CHECK-NEXT:    %fams.addr = ptrtoint i64* %a to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof
define void @reload(i64** %pp, i64* %idx, i64 %n, i64 %x) {
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %p = load i64*, i64** %pp
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i64, i64* %p, i64 %k
  store i64 %x, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; A phi of two different roots (std::sort's partition: `last` restarts from
; the previous partition's cut, `first` from the argument): every byte the
; store writes lies in %a's or %b's object, so one flag "either is in the
; check range", computed once after both, replaces the per-store check.
; CHECK-LABEL: @tworoots(
; CHECK:         %fams.in = icmp eq i64 %fams.hi, 16
; CHECK:         %fams.in{{[0-9]+}} = icmp eq i64 %fams.hi{{[0-9]+}}, 16
; CHECK-NEXT:    %fams.bflag = or i1 %fams.in, %fams.in{{[0-9]+}}
; CHECK:         %k = load i64, i64* %ia
; CHECK-NEXT:    br i1 %fams.bflag, label %fams.hook, label %fams.cont, !prof
; CHECK:         call preserve_mostcc void @__fams_store1.pm(i8* %q.fams.cold)
; OFF-LABEL: @tworoots(
; OFF-NOT:     bflag
; OFF-LABEL: @threeroots(
; ONEROOT-LABEL: @tworoots(
; ONEROOT-NOT:     bflag
; ONEROOT:         %fams.in = icmp eq i64 %fams.hi, 16
; ONEROOT-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof
; ONEROOT-LABEL: @threeroots(
define void @tworoots(i8* %a, i8* %b, i1 %w, i64* %idx, i64 %n) {
entry:
  %r = select i1 %w, i8* %a, i8* %b
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %dp = phi i8* [ %a, %entry ], [ %b, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %q = getelementptr inbounds i8, i8* %dp, i64 %k
  store i8 1, i8* %q
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; Negative: a web started from three roots keeps its per-store check.
; CHECK-LABEL: @threeroots(
; CHECK-NOT:     bflag
; CHECK:         %q = getelementptr inbounds i8, i8* %dp, i64 %k
; CHECK-NEXT:    %fams.addr = ptrtoint i8* %q to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof
define void @threeroots(i8* %a, i8* %b, i8* %c3, i1 %w, i64* %idx, i64 %n) {
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %dp = phi i8* [ %a, %entry ], [ %next, %latch ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %q = getelementptr inbounds i8, i8* %dp, i64 %k
  store i8 1, i8* %q
  br i1 %w, label %left, label %latch
left:
  br label %latch
latch:
  %next = phi i8* [ %b, %loop ], [ %c3, %left ]
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; A web of phis (lzip's get_match_pairs: ptr0 = newptr + 1 on one side of a
; branch, ptr0 unchanged on the other): the latch phi merges a new GEP of %base
; and the header phi; every value lies in %base's object.
; CHECK-LABEL: @web(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.addr = ptrtoint i32* %base to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK:       loop:
; CHECK:         br i1 %fams.bflag, label %fams.hook, label %fams.cont, !prof
; CHECK:       fams.cont:
; CHECK:         store i32 %v, i32* %p
; OFF-LABEL: @web(
; OFF-NOT:     bflag
; OFF:         %fams.addr = ptrtoint i32* %p to i64
define void @web(i32* %base, i64* %idx, i64 %n) {
entry:
  %p0 = getelementptr inbounds i32, i32* %base, i64 2
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %p = phi i32* [ %p0, %entry ], [ %q, %latch ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %v = trunc i64 %k to i32
  store i32 %v, i32* %p
  %c = icmp slt i64 %k, 100
  br i1 %c, label %move, label %latch
move:
  %np = getelementptr inbounds i32, i32* %base, i64 %k
  %np1 = getelementptr inbounds i32, i32* %np, i64 1
  br label %latch
latch:
  %q = phi i32* [ %np1, %move ], [ %p, %loop ]
  %i.next = add nuw nsw i64 %i, 1
  %d = icmp slt i64 %i.next, %n
  br i1 %d, label %loop, label %exit
exit:
  ret void
}

; The same web after if-conversion: a select between a new GEP of %base and
; the phi.
; CHECK-LABEL: @web_select(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.addr = ptrtoint i32* %base to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK:         br i1 %fams.bflag, label %fams.hook, label %fams.cont, !prof
; OFF-LABEL: @web_select(
; OFF-NOT:     bflag
; OFF:         %fams.addr = ptrtoint i32* %p to i64
define void @web_select(i32* %base, i64* %idx, i64 %n) {
entry:
  %p0 = getelementptr inbounds i32, i32* %base, i64 2
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %p = phi i32* [ %p0, %entry ], [ %q, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %v = trunc i64 %k to i32
  store i32 %v, i32* %p
  %c = icmp slt i64 %k, 100
  %np = getelementptr inbounds i32, i32* %base, i64 %k
  %q = select i1 %c, i32* %np, i32* %p
  %i.next = add nuw nsw i64 %i, 1
  %d = icmp slt i64 %i.next, %n
  br i1 %d, label %loop, label %exit
exit:
  ret void
}
