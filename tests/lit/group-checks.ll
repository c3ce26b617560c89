; Grouped checks: plain stores in one block through one base pointer (plus
; constant offsets, also after a variable first GEP index: p[i], p[i + 1],
; p[i].field) share ONE check of the last byte of their covering range
; [min, max), placed before the first of them, and ONE range hook
; __fams_before_write_range(base + min, max - min) on the cold path.
; Negative tests: a call, an atomic instruction or a fence between two stores,
; different bases or variable indices, another block, a span wider than
; -famsync-group-max-span, an "or" whose bits may overlap, a merge block, and
; -famsync-group-checks=false all keep one check per store.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-group-checks=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-fixed-window=false -S %s | FileCheck %s --check-prefix=LOADED
; RUN: %opt -famsync-stats -disable-output %s 2>&1 | FileCheck %s --check-prefix=STATS

%struct.s = type { i64, i32, i16, i8, i64 }

; Five fields of one struct: one check at byte 23, one hook for 24 bytes.
define void @fields(%struct.s* %p, i64 %x) {
; CHECK-LABEL: @fields(
; CHECK:         %fams.gbase = bitcast %struct.s* %p to i8*
; CHECK-NEXT:    %fams.glast = getelementptr i8, i8* %fams.gbase, i64 23
; CHECK-NEXT:    %fams.addr = ptrtoint i8* %fams.glast to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof
; CHECK:       fams.hook:
; CHECK-NEXT:    %fams.gstart = getelementptr i8, i8* %fams.gbase, i64 0
; CHECK-NEXT:    call preserve_mostcc void @__fams_before_write_range.pm(i8* %fams.gstart, i64 24)
; CHECK-NEXT:    br label %fams.cont
; CHECK:       fams.cont:
; CHECK-NOT:     @__fams_
; CHECK:         ret void
; OFF-LABEL: @fields(
; OFF-COUNT-5:   call preserve_mostcc void @__fams_store{{[0-9]+}}.pm(
; OFF-NOT:       @__fams_before_write_range
; OFF:           ret void
; LOADED-LABEL: @fields(
; LOADED:         %fams.gstart = getelementptr i8, i8* %fams.gbase, i64 0
; LOADED:         %fams.off = sub i64 %fams.addr, %fams.base
; LOADED:         %fams.reaches = icmp ult i64 %fams.negoff, 24
; LOADED:         call preserve_mostcc void @__fams_before_write_range.pm(i8* %fams.gstart, i64 24)
; LOADED-NOT:     @__fams_
; LOADED:         ret void
  %a = getelementptr inbounds %struct.s, %struct.s* %p, i64 0, i32 0
  store i64 %x, i64* %a
  %b = getelementptr inbounds %struct.s, %struct.s* %p, i64 0, i32 1
  store i32 1, i32* %b
  %c = getelementptr inbounds %struct.s, %struct.s* %p, i64 0, i32 2
  store i16 2, i16* %c
  %d = getelementptr inbounds %struct.s, %struct.s* %p, i64 0, i32 3
  store i8 3, i8* %d
  %e = getelementptr inbounds %struct.s, %struct.s* %p, i64 0, i32 4
  store i64 %x, i64* %e
  ret void
}

; An unrolled loop body: p[i], p[i | 1] (disjoint bits), p[i + 2], p[i - 1]:
; one group at p + i*8 covering [-8, 24), the check at its last byte (+23).
define void @unrolled(i64* %p, i64 %j) {
; CHECK-LABEL: @unrolled(
; CHECK:         %fams.gaddr = getelementptr i64, i64* %p, i64 %i
; CHECK-NEXT:    %fams.gbase = bitcast i64* %fams.gaddr to i8*
; CHECK-NEXT:    %fams.glast = getelementptr i8, i8* %fams.gbase, i64 23
; CHECK:       fams.hook:
; CHECK-NEXT:    %fams.gstart = getelementptr i8, i8* %fams.gbase, i64 -8
; CHECK-NEXT:    call preserve_mostcc void @__fams_before_write_range.pm(i8* %fams.gstart, i64 32)
; CHECK-NOT:     @__fams_
; CHECK:         ret void
  %i = shl i64 %j, 1
  %p0 = getelementptr inbounds i64, i64* %p, i64 %i
  store i64 0, i64* %p0
  %i1 = or i64 %i, 1
  %p1 = getelementptr inbounds i64, i64* %p, i64 %i1
  store i64 1, i64* %p1
  %i2 = add nsw i64 %i, 2
  %p2 = getelementptr inbounds i64, i64* %p, i64 %i2
  store i64 2, i64* %p2
  %im = add i64 %i, -1
  %pm = getelementptr inbounds i64, i64* %p, i64 %im
  store i64 3, i64* %pm
  ret void
}

; Array of structs, p[i].a and p[i].e: one group over [0, 24).
define void @array_of_structs(%struct.s* %p, i64 %i) {
; CHECK-LABEL: @array_of_structs(
; CHECK:         %fams.gaddr = getelementptr %struct.s, %struct.s* %p, i64 %i
; CHECK:         call preserve_mostcc void @__fams_before_write_range.pm(i8* %fams.gstart, i64 24)
; CHECK-NOT:     @__fams_
; CHECK:         ret void
  %a = getelementptr inbounds %struct.s, %struct.s* %p, i64 %i, i32 0
  store i64 1, i64* %a
  %e = getelementptr inbounds %struct.s, %struct.s* %p, i64 %i, i32 4
  store i64 2, i64* %e
  ret void
}

declare void @g()

; Negative: a call between the stores (it may commit: msync, munmap, ...).
define void @call_between(i64* %p) {
; CHECK-LABEL: @call_between(
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 1
; CHECK:         call void @g()
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 2
; CHECK-NOT:     @__fams_before_write_range
  store i64 1, i64* %p
  call void @g()
  %q = getelementptr i64, i64* %p, i64 1
  store i64 2, i64* %q
  ret void
}

; Negative: an atomic instruction or a fence between the stores (another
; thread's commit may become ordered before the second store).
define void @atomic_between(i64* %p, i32* %flag) {
; CHECK-LABEL: @atomic_between(
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 1
; CHECK:         load atomic i32
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 2
; CHECK:         fence acquire
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 3
; CHECK-NOT:     @__fams_before_write_range
  store i64 1, i64* %p
  %f = load atomic i32, i32* %flag acquire, align 4
  %q = getelementptr i64, i64* %p, i64 1
  store i64 2, i64* %q
  fence acquire
  %r = getelementptr i64, i64* %p, i64 2
  store i64 3, i64* %r
  ret void
}

; Negative: different base pointers; different variable indices; an "or" whose
; bits may overlap the index's (not an addition).
define void @different(i64* %p, i64* %q, i64 %i, i64 %j, i64 %k) {
; CHECK-LABEL: @different(
; CHECK-COUNT-6: call preserve_mostcc void @__fams_store8.pm(
; CHECK-NOT:     @__fams_before_write_range
; CHECK:         ret void
  store i64 1, i64* %p
  store i64 2, i64* %q
  %pi = getelementptr i64, i64* %p, i64 %i
  store i64 3, i64* %pi
  %pj = getelementptr i64, i64* %p, i64 %j
  store i64 4, i64* %pj
  %k1 = or i64 %k, 1
  %pk = getelementptr i64, i64* %p, i64 %k
  store i64 5, i64* %pk
  %pk1 = getelementptr i64, i64* %p, i64 %k1
  store i64 6, i64* %pk1
  ret void
}

; Extended basic blocks: a group continues into a successor whose single
; predecessor is the block (%then); the check before the first member runs on
; every path to the others. A merge block (%exit, two predecessors) starts
; over, and so does every block with -famsync-group-across-blocks=false (EBB).
; RUN: %opt -famsync-group-across-blocks=false -S %s | FileCheck %s --check-prefix=EBB
define void @blocks(i64* %p, i1 %c) {
; CHECK-LABEL: @blocks(
; CHECK:         %fams.glast = getelementptr i8, i8* %fams.gbase, i64 15
; CHECK:         call preserve_mostcc void @__fams_before_write_range.pm(i8* %fams.gstart, i64 16)
; CHECK:         store i64 1, i64* %p
; CHECK:       then:
; CHECK-NEXT:    %q = getelementptr
; CHECK-NEXT:    store i64 2, i64* %q
; CHECK:       exit:
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 3, i64* %r
; EBB-LABEL: @blocks(
; EBB-COUNT-3:   call preserve_mostcc void @__fams_store8.pm(
; EBB-NOT:       @__fams_before_write_range
; EBB:           ret void
entry:
  store i64 1, i64* %p
  br i1 %c, label %then, label %exit
then:
  %q = getelementptr i64, i64* %p, i64 1
  store i64 2, i64* %q
  br label %exit
exit:
  %r = getelementptr i64, i64* %p, i64 2
  store i64 3, i64* %r
  ret void
}

; Negative: a call on the path to the successor's store closes the group
; there, although the successor has a single predecessor.
define void @blocks_call(i64* %p, i1 %c) {
; CHECK-LABEL: @blocks_call(
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 1, i64* %p
; CHECK:       then:
; CHECK:         call void @g()
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 2, i64* %q
; CHECK-NOT:     @__fams_before_write_range
; CHECK:         ret void
entry:
  store i64 1, i64* %p
  br i1 %c, label %then, label %exit
then:
  call void @g()
  %q = getelementptr i64, i64* %p, i64 1
  store i64 2, i64* %q
  br label %exit
exit:
  ret void
}

; Negative: a span wider than -famsync-group-max-span (4096) starts a new
; group: [0, 8) and [8000, 8008) are two single stores, each with its hook.
define void @wide(i64* %p) {
; CHECK-LABEL: @wide(
; CHECK-COUNT-2: call preserve_mostcc void @__fams_store8.pm(
; CHECK-NOT:     @__fams_before_write_range
; CHECK:         ret void
  store i64 1, i64* %p
  %q = getelementptr i64, i64* %p, i64 1000
  store i64 2, i64* %q
  ret void
}

; Negative: atomic stores and volatile-free but atomic RMWs never join a group.
define void @atomics(i64* %p) {
; CHECK-LABEL: @atomics(
; CHECK-COUNT-2: call preserve_mostcc void @__fams_store8.pm(
; CHECK-NOT:     @__fams_before_write_range
; CHECK:         ret void
  store atomic i64 1, i64* %p release, align 8
  %q = getelementptr i64, i64* %p, i64 1
  store atomic i64 2, i64* %q release, align 8
  ret void
}

; STATS: 13 stores in 4 grouped checks
