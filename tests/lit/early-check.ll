; -famsync-early-store-checks: when a store's value is computed in its block
; from a load (p[i]++), the check goes before that computation (after the
; address), so that load, add and store stay in one block and x86 folds them
; into one read-modify-write instruction. Negative: a call between the load
; and the store (a commit could end the epoch) keeps the check before the
; store; a store of a value not computed from a load in the block is
; unchanged; OFF (-famsync-early-store-checks=false): before the store.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-early-store-checks=false -S %s | FileCheck %s --check-prefix=OFF

define void @inc(i32* %p, i64 %i) {
; CHECK-LABEL: @inc(
; CHECK-NEXT:    %a = getelementptr inbounds i32, i32* %p, i64 %i
; CHECK-NEXT:    %fams.addr = ptrtoint i32* %a to i64
; CHECK:         br i1 %fams.in, label %fams.hook, label %fams.cont
; CHECK:       fams.cont:
; CHECK-NEXT:    %v = load i32, i32* %a
; CHECK-NEXT:    %w = add i32 %v, 1
; CHECK-NEXT:    store i32 %w, i32* %a
; OFF-LABEL: @inc(
; OFF:           %w = add i32 %v, 1
; OFF-NEXT:      %fams.addr = ptrtoint i32* %a to i64
; OFF:         fams.cont:
; OFF-NEXT:      store i32 %w, i32* %a
  %a = getelementptr inbounds i32, i32* %p, i64 %i
  %v = load i32, i32* %a
  %w = add i32 %v, 1
  store i32 %w, i32* %a
  ret void
}

declare void @opaque()
define void @call_between(i32* %p) {
; CHECK-LABEL: @call_between(
; CHECK:         call void @opaque()
; CHECK-NEXT:    %fams.addr = ptrtoint i32* %p to i64
; CHECK:       fams.cont:
; CHECK-NEXT:    store i32 %w, i32* %p
  %v = load i32, i32* %p
  %w = add i32 %v, 1
  call void @opaque()
  store i32 %w, i32* %p
  ret void
}

define void @no_load(i32* %p, i32 %x) {
; CHECK-LABEL: @no_load(
; CHECK-NEXT:    %w = mul i32 %x, 3
; CHECK-NEXT:    %fams.addr = ptrtoint i32* %p to i64
; CHECK:       fams.cont:
; CHECK-NEXT:    store i32 %w, i32* %p
  %w = mul i32 %x, 3
  store i32 %w, i32* %p
  ret void
}
