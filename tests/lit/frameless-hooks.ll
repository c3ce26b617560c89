; -famsync-frameless-hooks: in an x86-64 ELF function that makes no other call,
; the cold path reaches the hook with an inline asm (leaq 1f(%rip), %r11; jmp
; to a naked per-module stub __fams_<hook>.jr that returns through r11), which
; is no call to the code generator: the function keeps no stack frame (no
; push/pop around the hot path; LLVM 14 does not shrink-wrap a frame whose
; function has a load or store outside the cold block). The address is passed
; in rdi (and a length in rsi); the asm clobbers r11, memory, flags and the
; vector and mask registers. Functions that keep the preserve_most call: one
; with another call (it has a frame anyway), one using x86_fp80 (x87 state),
; and everything with the option off (OFF).
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-frameless-hooks=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -S %s | llc -O2 -o - | FileCheck %s --check-prefix=ASM
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; CHECK-DAG: $__fams_store8.jr = comdat any
; CHECK-DAG: $__fams_before_write_range.jr = comdat any

define void @leaf(i64* %p, i64 %x) {
; CHECK-LABEL: @leaf(
; CHECK:         call void asm sideeffect "leaq 1f(%rip), %r11\0A\09jmp ${1:P}\0A1:", "{rdi},X,~{r11},~{memory},~{dirflag},~{fpsr},~{flags},~{xmm0},{{.*}},~{xmm31},~{k0},{{.*}},~{k7}"(i8* {{.*}}, void ()* @__fams_store8.jr)
; CHECK-NEXT:    br label
; CHECK:         store i64 %x, i64* %p
; CHECK-NOT:     .pm
; OFF-LABEL: @leaf(
; OFF:           call preserve_mostcc void @__fams_store8.pm(
; OFF-NOT:       asm
; ASM-LABEL: leaf:
; ASM-NOT:       push
; ASM:           shrq $41
; ASM:           leaq .Ltmp{{[0-9]+}}(%rip), %r11
; ASM-NEXT:      jmp __fams_store8.jr
; ASM:           movq %rsi, (%rdi)
; ASM-NOT:       pop
; ASM:           retq
  store i64 %x, i64* %p
  ret void
}

; A group of two stores: the range hook, address in rdi, length in rsi.
define void @leaf_range(i64* %p, i64 %x) {
; CHECK-LABEL: @leaf_range(
; CHECK:         call void asm sideeffect "leaq 1f(%rip), %r11\0A\09jmp ${2:P}\0A1:", "{rdi},{rsi},X,~{r11},{{.*}}"(i8* {{.*}}, i64 16, void ()* @__fams_before_write_range.jr)
; ASM-LABEL: leaf_range:
; ASM-NOT:       push
; ASM:           jmp __fams_before_write_range.jr
; ASM-NOT:       pop
; ASM:           retq
  store i64 %x, i64* %p
  %q = getelementptr inbounds i64, i64* %p, i64 1
  store i64 %x, i64* %q
  ret void
}

declare void @ext()

; Another call: the function has a frame anyway; the preserve_most stub is kept.
define void @not_leaf(i64* %p, i64 %x) {
; CHECK-LABEL: @not_leaf(
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK-NOT:     asm
; CHECK:         ret void
  call void @ext()
  store i64 %x, i64* %p
  ret void
}

; x87 values: the asm would have to clobber the x87 stack; keep the call.
define void @fp80(x86_fp80* %p, x86_fp80 %x) {
; CHECK-LABEL: @fp80(
; CHECK:         call preserve_mostcc void @__fams_store_n.pm(
; CHECK-NOT:     asm
; CHECK:         ret void
  store x86_fp80 %x, x86_fp80* %p
  ret void
}

; The stub: naked, returns through r11 after skipping the caller's red zone.
; CHECK:     define linkonce_odr hidden void @__fams_store8.jr() unnamed_addr [[JR:#[0-9]+]] comdat {
; CHECK-NEXT:  call void asm sideeffect ".cfi_return_column %r11{{.*}}leaq -128(%rsp), %rsp{{.*}}callq ${0:P}{{.*}}jmpq *%r11", "X,{{.*}}"(void (i8*)* @__fams_store8)
; CHECK-NEXT:  unreachable
; CHECK:     attributes [[JR]] = { cold naked noinline nounwind uwtable }
; ASM-LABEL: __fams_store8.jr:
; ASM:         .cfi_return_column %r11
; ASM:         callq __fams_store8{{$}}
; ASM:         jmpq *%r11
; OFF-NOT:   .jr
