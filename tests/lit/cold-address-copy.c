// -famsync-cold-address-copies: the hook on a store's cold path gets its own
// copy of the store's address (a GEP clone, named ".fams.cold" where names are
// kept), and the store's GEP
// moves next to the store (its only users, the load and the store of a
// read-modify-write, are there). Without that, the hook's use kept the GEP
// above the check, CodeGenPrepare did not sink it (that would extend the
// index's live range), and x86 computed every address into a register on the
// hot path: bzip2's s->rfreq[bt][mtfv[i]]++, 50 times unrolled in
// sendMTFValues, ran lea + add + the flag test + addl per store; with the copy,
// the flag test + addl with the address folded in (bzip2 1.145x -> 1.136x,
// lzip 1.063x -> 1.059x instructions).
// Positive: the IR shape, and the x86 read-modify-write with its address
// folded. Negative (=false): the hook's address is the store's own GEP, and the
// addl goes through a register.
// RUN: %clang_famsync -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=IR
// RUN: %clang_famsync -O2 -S -o - %s | FileCheck %s --check-prefix=ASM
// RUN: %clang_famsync -O2 -S -o - %s -mllvm -famsync-cold-address-copies=false | FileCheck %s --check-prefix=OFF

struct S {
  int pad[100];
  int rfreq[6][258];
};

// IR-LABEL: define {{.*}}void @count(
// IR: br i1 %{{[0-9]+}}, label %[[HOOK:[0-9]+]], label %[[CONT:[0-9]+]], !prof
// IR: [[HOOK]]:
// IR-NEXT: %[[COLD:[0-9]+]] = getelementptr inbounds %struct.S, %struct.S* %0, i64 0, i32 1, i64 %[[ROW:[0-9]+]], i64 %[[IDX:[0-9]+]]
// IR-NEXT: %[[P:[0-9]+]] = bitcast i32* %[[COLD]] to i8*
// IR-NEXT: call void asm sideeffect "leaq 1f(%rip), %r11{{.*}}(i8* %[[P]], {{.*}}@__fams_store4.jr)
// IR: [[CONT]]:
// IR-NEXT: %[[HOT:[0-9]+]] = getelementptr inbounds %struct.S, %struct.S* %0, i64 0, i32 1, i64 %[[ROW]], i64 %[[IDX]]
// IR-NEXT: load i32, i32* %[[HOT]]
// ASM-LABEL: count:
// ASM: addl $1, 400(%r{{[a-z0-9]+}},%r{{[a-z0-9]+}},4)
// ASM: addl $1, 400(%r{{[a-z0-9]+}},%r{{[a-z0-9]+}},4)
// ASM: retq
// OFF-LABEL: count:
// OFF: addl $1, (%rdi)
// OFF: addl $1, (%rdi)
void count(struct S *s, const unsigned short *mtfv, int gs, int bt) {
  s->rfreq[bt][mtfv[gs]]++;
  s->rfreq[bt][mtfv[gs + 1]]++;
}
