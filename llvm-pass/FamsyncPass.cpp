//===- FamsyncPass.cpp - famsync store instrumentation ----------*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// What this file does: decides which memory writes need a runtime hook (all
// skip rules live in chooseInstructionsToInstrument / isProvablyOutsideWindow,
// one STATISTIC per rule), emits the inline window check and the size-
// specialised store hooks for store / atomicrmw / cmpxchg, emits range hooks
// for memory intrinsics, and adds the module constructor that initialises the
// runtime and pins the ABI version.
//
// Invariant: every hook is emitted BEFORE the write it describes (the runtime
// logs the old bytes), and a write is left uninstrumented only if a rule in
// isProvablyOutsideWindow proves it cannot touch the window. The module is
// reported unchanged (PreservedAnalyses::all) only if no instruction was
// added, removed or rewritten.
//
// Modelled on llvm/lib/Transforms/Instrumentation/ThreadSanitizer.cpp (skip
// rules, sized callbacks) and AddressSanitizer.cpp (inline check, cold path).
//
//===----------------------------------------------------------------------===//

#include "FamsyncPass.h"

#include "famsync/abi.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Triple.h"
#include "llvm/Analysis/CaptureTracking.h"
#include "llvm/Analysis/BlockFrequencyInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

using namespace llvm;
using namespace famsync;

#define DEBUG_TYPE "famsync"

// Every knob is hidden and carries the famsync- prefix so that a lit test can
// isolate one feature (as TSan's -tsan-instrument-* options do). With clang
// they are passed as -mllvm -famsync-...; that requires the plugin to be
// loaded before -mllvm is parsed, which the famsync-cc wrapper arranges with
// -Xclang -load.
static cl::opt<bool> ClInlineCheck(
    "famsync-inline-check",
    cl::desc("Emit the VA-window check inline and call the runtime only for "
             "tracked addresses (false: always call; also correct, slower)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClFixedWindow(
    "famsync-fixed-window",
    cl::desc("Check addresses against the fixed check range of abi.h with an "
             "immediate compare (false: load __fams_window_base/size)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClGroupChecks(
    "famsync-group-checks",
    cl::desc("One check and one range hook for several stores through the "
             "same base pointer in a block, with no call between them"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClGroupAcrossBlocks(
    "famsync-group-across-blocks",
    cl::desc("Let a group continue into successor blocks whose single "
             "predecessor is the current block (extended basic blocks)"),
    cl::Hidden, cl::init(true));
static cl::opt<unsigned> ClGroupMaxSpan(
    "famsync-group-max-span",
    cl::desc("Largest byte span [min, max) one grouped check may cover"),
    cl::Hidden, cl::init(4096));
static cl::opt<bool> ClEarlyStoreChecks(
    "famsync-early-store-checks",
    cl::desc("Put a plain store's check as early in its block as its address "
             "allows (keeps load/modify/store together)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClBaseChecksFirst(
    "famsync-base-checks-first",
    cl::desc("Try -famsync-base-object-checks before the loop-hoisted checks "
             "for stores whose root is defined outside their loop nest "
             "(false: only for the stores the loop checks left alone)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClUnswitchLoopFlags(
    "famsync-unswitch-loop-flags",
    cl::desc("After instrumenting a function with loop-hoisted or base-object "
             "check flags, unswitch its small loops on those flags (and on "
             "nothing else; LLVM's non-trivial SimpleLoopUnswitch), so that "
             "the unchecked copy tests no flag per store"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClCompactHooks(
    "famsync-compact-hooks",
    cl::desc("Outside hot blocks, weight the hook path as likely as the fast "
             "path so that it is laid out inline (jne over the call, no jmp "
             "back)"),
    cl::Hidden, cl::init(true));
static cl::opt<unsigned> ClCompactHooksMaxFreq(
    "famsync-compact-hooks-max-freq",
    cl::desc("With -famsync-compact-hooks, only hooks whose block's static "
             "frequency is at most this many times the function entry's "
             "(1: outside loops)"),
    cl::Hidden, cl::init(8));
static cl::opt<bool> ClSmallMemIntrinsicChecks(
    "famsync-small-memintrinsic-checks",
    cl::desc("Check a memcpy/memmove/memset of a constant length of at most "
             "-famsync-group-max-span bytes by its last byte (and let "
             "base-object checks cover it), not with the range test"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClColdAddressCopies(
    "famsync-cold-address-copies",
    cl::desc("Give the hook on a store's cold path its own copy of the "
             "store's address computation, so the hot path keeps the address "
             "folded into the store"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClPreserveMost(
    "famsync-preserve-most",
    cl::desc("Call the store and range hooks through per-module "
             "preserve_most stubs (__fams_*.pm)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClFramelessHooks(
    "famsync-frameless-hooks",
    cl::desc("In x86-64 functions that make no other calls, reach the hooks "
             "with an inline-asm jump to a per-module stub (__fams_*.jr) that "
             "returns through r11, so the function needs no stack frame"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClSkipAllAllocas(
    "famsync-skip-all-allocas",
    cl::desc("Skip writes to any alloca (false: only to allocas that do not "
             "escape)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClSkipInternalArgs(
    "famsync-skip-internal-args",
    cl::desc("Skip writes through arguments of internal functions whose "
             "every call site passes memory outside the window"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClInstrumentStores("famsync-instrument-stores",
                                        cl::desc("Instrument store"),
                                        cl::Hidden, cl::init(true));
static cl::opt<bool>
    ClInstrumentAtomics("famsync-instrument-atomics",
                        cl::desc("Instrument atomicrmw and cmpxchg"),
                        cl::Hidden, cl::init(true));
static cl::opt<bool>
    ClInstrumentMemIntrinsics("famsync-instrument-memintrinsics",
                              cl::desc("Instrument llvm.memcpy/memmove/memset"),
                              cl::Hidden, cl::init(true));
static cl::opt<bool>
    ClInstrumentLibc("famsync-instrument-libc",
                     cl::desc("Instrument calls to known libc writers"),
                     cl::Hidden, cl::init(true));
static cl::opt<bool> ClRedirectCalls(
    "famsync-redirect-calls",
    cl::desc("Redirect mmap/msync/munmap/... to the famsync runtime"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClSkipModule(
    "famsync-skip-module",
    cl::desc("Leave this module alone (used for the runtime's own code)"),
    cl::Hidden, cl::init(false));
static cl::opt<bool> ClStats(
    "famsync-stats",
    cl::desc("Print a one-line instrumentation summary per module to stderr"),
    cl::Hidden, cl::init(false));

#define FAMSYNC_COUNTER(Name, Description) STATISTIC(Num##Name, Description);
#include "FamsyncCounters.def"

// Indexed by famsync::Counter.
static Statistic *const Stats[NumCounters] = {
#define FAMSYNC_COUNTER(Name, Description) &Num##Name,
#include "FamsyncCounters.def"
};

/// Named metadata that marks a module as already instrumented, so a second
/// run (e.g. ThinLTO post-link pipelines, or opt run twice) is a no-op
/// instead of double-hooking every store.
static const char *const InstrumentedMarker = "famsync.instrumented";
static const char *const CtorName = "famsync.module_ctor";
/// Priority of the module constructor: like ASan's (1), it runs before
/// ordinary constructors so instrumented code in other constructors already
/// sees an initialised window. __fams_module_init is idempotent.
static const int CtorPriority = 1;

void ModuleInstrumenter::count(Counter C) {
  ++Counts[C];
  ++*Stats[C];
}

bool ModuleInstrumenter::inlineCheckEnabled() { return ClInlineCheck; }
bool ModuleInstrumenter::fixedWindowEnabled() { return ClFixedWindow; }
uint64_t ModuleInstrumenter::smallConstantLength(const Instruction *I) {
  const auto *MI = dyn_cast<AnyMemIntrinsic>(I);
  if (!MI || !ClSmallMemIntrinsicChecks || !ClFixedWindow || !ClInlineCheck)
    return 0;
  const auto *C = dyn_cast<ConstantInt>(MI->getLength());
  if (!C || C->getValue().getActiveBits() > 32)
    return 0;
  uint64_t Len = C->getZExtValue();
  return Len <= ClGroupMaxSpan ? Len : 0;
}

ModuleInstrumenter::ModuleInstrumenter(Module &M, FunctionAnalysisManager *FAM)
    : M(M), FAM(FAM), Ctx(M.getContext()), DL(M.getDataLayout()) {
  IntptrTy = DL.getIntPtrType(Ctx);
  Int8PtrTy = Type::getInt8PtrTy(Ctx);
  Int32Ty = Type::getInt32Ty(Ctx);
  Int64Ty = Type::getInt64Ty(Ctx);
  Type *VoidTy = Type::getVoidTy(Ctx);
  // Same weights as AddressSanitizer's slow path: the hook is taken only for
  // tracked addresses, which are rare among all stores of a program.
  ColdWeights = MDBuilder(Ctx).createBranchWeights(1, 100000);
  EvenWeights = MDBuilder(Ctx).createBranchWeights(1, 1);

  // The hooks never unwind (abi.h: they never fail).
  auto DeclareHook = [&](StringRef Name, auto... Params) {
    FunctionCallee FC = M.getOrInsertFunction(Name, VoidTy, Params...);
    if (auto *F = dyn_cast<Function>(FC.getCallee()))
      F->addFnAttr(Attribute::NoUnwind);
    return FC;
  };
  // Declared once, in a loop, like TSan's __tsan_write{1,2,4,8,16}.
  for (unsigned I = 0; I < NumSizedStoreHooks; ++I)
    StoreHook[I] = DeclareHook("__fams_store" + utostr(1u << I), Int8PtrTy);
  StoreNHook = DeclareHook("__fams_store_n", Int8PtrTy, Int64Ty);
  BeforeWriteRangeHook =
      DeclareHook("__fams_before_write_range", Int8PtrTy, Int64Ty);
  AfterWriteRangeHook =
      DeclareHook("__fams_after_write_range", Int8PtrTy, Int64Ty);
  ModuleInitFn = M.getOrInsertFunction("__fams_module_init", VoidTy);

  auto DeclareGlobal = [&](StringRef Name, Type *Ty) {
    // Not dso_local: the definition lives in libfamsync.so, so PIC code
    // reaches it through the GOT (one more load per check; see
    // emitAddrInWindow for the cost).
    return cast<GlobalVariable>(M.getOrInsertGlobal(Name, Ty));
  };
  WindowBase = DeclareGlobal("__fams_window_base", Int64Ty);
  WindowSize = DeclareGlobal("__fams_window_size", Int64Ty);
  AbiVersion = DeclareGlobal("__fams_abi_version_" + utostr(FAMS_ABI_VERSION),
                             Type::getInt8Ty(Ctx));
}

//===----------------------------------------------------------------------===//
// The inline check
//===----------------------------------------------------------------------===//

// Default (-famsync-fixed-window): the window lies in the fixed check range of
// abi.h, [FAMS_WINDOW_FIXED_BASE, + 2^FAMS_WINDOW_CHECK_SHIFT), so the check is
// "(addr >> 41) == 16": on x86-64 a mov (or lea), a shift, a compare with an
// 8-bit immediate and a not-taken branch, no memory access and no register
// held for the whole function. The runtime reserves the window there or not
// at all (src/window.cpp), so the test cannot miss a tracked address.
//
// With -famsync-fixed-window=false (the version-1 check): the cost of the fast
// path (address outside the window), x86-64 PIC: two GOT
// loads + two value loads (all L1-resident), one sub, one cmp, one
// not-taken branch. The unsigned subtract folds "base <= a < base + size"
// into one compare, and while the runtime has not reserved its window both
// globals are 0, so the compare is false for every address.
//
// The two loads happen once per function call, at its entry, not at every
// check: the check inside a loop is then one sub, one cmp and one branch. That
// is sound because the runtime reserves (publishes) its window in
// __fams_module_init, which the module constructor calls before any code of
// the module runs, and never changes it afterwards. The only code that can see
// the zeros and then a window appear while it runs is code executing in a
// constructor that runs before ours (priority < 1) and maps a file itself.
void ModuleInstrumenter::loadWindowAtEntry() {
  if (FnWindowBase)
    return;
  BasicBlock &Entry = CurrentFn->getEntryBlock();
  IRBuilder<> B(&*Entry.getFirstInsertionPt());
  FnWindowBase =
      B.CreateAlignedLoad(IntptrTy, WindowBase, Align(8), "fams.base");
  FnWindowSize =
      B.CreateAlignedLoad(IntptrTy, WindowSize, Align(8), "fams.size");
}

Value *ModuleInstrumenter::emitAddrInWindow(IRBuilder<> &B, Value *Addr) {
  Value *A = B.CreatePtrToInt(Addr, IntptrTy, "fams.addr");
  if (ClFixedWindow) {
    Value *Hi = B.CreateLShr(A, FAMS_WINDOW_CHECK_SHIFT, "fams.hi");
    return B.CreateICmpEQ(
        Hi,
        ConstantInt::get(IntptrTy,
                         FAMS_WINDOW_FIXED_BASE >> FAMS_WINDOW_CHECK_SHIFT),
        "fams.in");
  }
  loadWindowAtEntry();
  Value *Off = B.CreateSub(A, FnWindowBase, "fams.off");
  return B.CreateICmpULT(Off, FnWindowSize, "fams.in");
}

// -famsync-preserve-most: the cold paths call a per-module stub with LLVM's
// preserve_most convention (the callee keeps every general-purpose register
// but r11), which calls the hook with the C convention. A function whose only
// calls are hooks then keeps its values in caller-saved registers across the
// cold call: no callee-saved pushes and pops on its hot path, no spills around
// the check. The stub saves what it clobbers, on the tracked path only. It is
// in the module (not in the runtime) so that the call is direct and never
// goes through a lazy-binding PLT trampoline, which does not preserve r10;
// linkonce_odr hidden in a comdat, so one copy per linked object.
Function *ModuleInstrumenter::getPreserveMostStub(FunctionCallee Hook) {
  auto *Target = cast<Function>(Hook.getCallee());
  std::string Name = (Target->getName() + ".pm").str();
  if (Function *F = M.getFunction(Name))
    return F;
  // With the module's default attributes (uwtable, frame pointer), so that
  // unwinders and profilers see through the stub.
  Function *F = Function::createWithDefaultAttr(
      Hook.getFunctionType(), GlobalValue::LinkOnceODRLinkage, 0, Name, &M);
  F->setVisibility(GlobalValue::HiddenVisibility);
  F->setComdat(M.getOrInsertComdat(Name));
  F->setCallingConv(CallingConv::PreserveMost);
  F->addFnAttr(Attribute::NoUnwind);
  F->addFnAttr(Attribute::NoInline);
  F->addFnAttr(Attribute::Cold);
  F->addFnAttr(Attribute::OptimizeForSize);
  F->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  SmallVector<Value *, 2> Args;
  for (Argument &A : F->args())
    Args.push_back(&A);
  IRBuilder<> B(BasicBlock::Create(Ctx, "", F));
  CallInst *CI = B.CreateCall(Hook, Args);
  // A tail call would return from the hook straight to our caller with the
  // registers the C convention clobbers clobbered.
  CI->setTailCallKind(CallInst::TCK_NoTail);
  B.CreateRetVoid();
  return F;
}

// -famsync-frameless-hooks. A call, even on a cold path, makes LLVM 14 give
// the whole function a frame (at least a push/pop pair that realigns the
// stack), and its shrink-wrapping never helps here: it counts every load and
// store as a use of the frame, so the frame must cover the store the check
// guards. A leaf function therefore reaches the hook with an inline asm that
// is no call to the code generator:
//   leaq 1f(%rip), %r11 ; jmp __fams_<hook>.jr ; 1:
// The stub (naked, linkonce_odr hidden, comdat) steps over the caller's red
// zone, saves every register the C convention lets the hook clobber except
// the vector registers (the asm clobbers those, as preserve_most does), aligns
// the stack, calls the hook, restores and jumps back through r11. The caller's
// stack pointer never moves, so its own unwind rules stay right; the stub's
// CFI names r11 as its return-address column, so unwinders and debuggers see
// through it. The asm has side effects and clobbers memory: nothing moves
// across it, and the store still comes after the hook.
static bool usesX87OrMMX(const Function &F) {
  auto Odd = [](Type *T) {
    return T->isX86_FP80Ty() || T->isX86_MMXTy() || T->isX86_AMXTy();
  };
  if (Odd(F.getReturnType()))
    return true;
  for (const Argument &A : F.args())
    if (Odd(A.getType()))
      return true;
  for (const BasicBlock &BB : F)
    for (const Instruction &I : BB) {
      if (Odd(I.getType()))
        return true;
      for (const Value *Op : I.operands())
        if (Odd(Op->getType()))
          return true;
    }
  return false;
}

bool ModuleInstrumenter::wantsFramelessHooks(const Function &F) const {
  if (!ClFramelessHooks || !ClPreserveMost)
    return false;
  Triple T(M.getTargetTriple());
  if (T.getArch() != Triple::x86_64 || !T.isOSBinFormatELF() || T.isX32())
    return false;
  // An indirect jump back: not under indirect-branch tracking or retpolines.
  if (M.getModuleFlag("cf-protection-branch"))
    return false;
  if (F.hasFnAttribute(Attribute::Naked) ||
      F.getFnAttribute("target-features").getValueAsString().contains(
          "retpoline"))
    return false;
  if (usesX87OrMMX(F))
    return false;
  // Only leaf functions gain: anything else has a frame anyway. Intrinsics
  // are not calls, except memory intrinsics that may become libc calls.
  for (const BasicBlock &BB : F)
    for (const Instruction &I : BB) {
      const auto *CB = dyn_cast<CallBase>(&I);
      if (!CB)
        continue;
      if (CB->isInlineAsm())
        return false;
      const auto *II = dyn_cast<IntrinsicInst>(CB);
      if (!II)
        return false;
      if (const auto *MI = dyn_cast<AnyMemIntrinsic>(II)) {
        const auto *Len = dyn_cast<ConstantInt>(MI->getLength());
        if (!Len || Len->getZExtValue() > 128)
          return false;
      }
    }
  return true;
}

Function *ModuleInstrumenter::getFramelessStub(FunctionCallee Hook) {
  auto *Target = cast<Function>(Hook.getCallee());
  std::string Name = (Target->getName() + ".jr").str();
  if (Function *F = M.getFunction(Name))
    return F;
  Function *F = Function::createWithDefaultAttr(
      FunctionType::get(Type::getVoidTy(Ctx), false),
      GlobalValue::LinkOnceODRLinkage, 0, Name, &M);
  F->setVisibility(GlobalValue::HiddenVisibility);
  F->setComdat(M.getOrInsertComdat(Name));
  F->addFnAttr(Attribute::Naked);
  F->addFnAttr(Attribute::NoInline);
  F->addFnAttr(Attribute::NoUnwind);
  F->addFnAttr(Attribute::UWTable); // its CFI directives need .cfi_startproc
  F->addFnAttr(Attribute::Cold);
  F->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  // On entry: the hook's arguments in rdi/rsi, the return address in r11,
  // rsp anywhere (the caller's red zone below it). CFA = the caller's rsp.
  static const char *const Body =
      ".cfi_return_column %r11\n\t"
      ".cfi_def_cfa_offset 0\n\t"
      "leaq -128(%rsp), %rsp\n\t"
      ".cfi_adjust_cfa_offset 128\n\t"
      "pushq %r11\n\t"
      ".cfi_adjust_cfa_offset 8\n\t"
      ".cfi_rel_offset %r11, 0\n\t"
      "pushq %rbp\n\t"
      ".cfi_adjust_cfa_offset 8\n\t"
      ".cfi_rel_offset %rbp, 0\n\t"
      "movq %rsp, %rbp\n\t"
      ".cfi_def_cfa_register %rbp\n\t"
      "pushq %rax\n\t.cfi_offset %rax, -152\n\t"
      "pushq %rcx\n\t.cfi_offset %rcx, -160\n\t"
      "pushq %rdx\n\t.cfi_offset %rdx, -168\n\t"
      "pushq %rsi\n\t.cfi_offset %rsi, -176\n\t"
      "pushq %rdi\n\t.cfi_offset %rdi, -184\n\t"
      "pushq %r8\n\t.cfi_offset %r8, -192\n\t"
      "pushq %r9\n\t.cfi_offset %r9, -200\n\t"
      "pushq %r10\n\t.cfi_offset %r10, -208\n\t"
      "andq $$-16, %rsp\n\t"
      "callq ${0:P}\n\t"
      "leaq -64(%rbp), %rsp\n\t"
      "popq %r10\n\t"
      "popq %r9\n\t"
      "popq %r8\n\t"
      "popq %rdi\n\t"
      "popq %rsi\n\t"
      "popq %rdx\n\t"
      "popq %rcx\n\t"
      "popq %rax\n\t"
      "popq %rbp\n\t"
      ".cfi_def_cfa %rsp, 136\n\t"
      ".cfi_same_value %rbp\n\t"
      "popq %r11\n\t"
      ".cfi_adjust_cfa_offset -8\n\t"
      ".cfi_register %r11, %r11\n\t"
      "leaq 128(%rsp), %rsp\n\t"
      ".cfi_adjust_cfa_offset -128\n\t"
      "jmpq *%r11";
  auto *IA = InlineAsm::get(
      FunctionType::get(Type::getVoidTy(Ctx), {Target->getType()}, false),
      Body, "X,~{dirflag},~{fpsr},~{flags}", /*hasSideEffects=*/true);
  IRBuilder<> B(BasicBlock::Create(Ctx, "", F));
  B.CreateCall(IA, {Target});
  B.CreateUnreachable();
  return F;
}

CallInst *ModuleInstrumenter::callHook(IRBuilder<> &B, FunctionCallee Hook,
                                       ArrayRef<Value *> Args) {
  bool Stub =
      ClPreserveMost && Hook.getCallee() != AfterWriteRangeHook.getCallee();
  if (!Stub)
    return B.CreateCall(Hook, Args);
  if (FramelessHooks && Args.size() <= 2) {
    Function *J = getFramelessStub(Hook);
    static const char *const ArgRegs[] = {"{rdi}", "{rsi}"};
    std::string Cons;
    SmallVector<Type *, 3> Tys;
    SmallVector<Value *, 3> Ops;
    for (unsigned I = 0; I < Args.size(); ++I) {
      Cons += ArgRegs[I];
      Cons += ",";
      Tys.push_back(Args[I]->getType());
      Ops.push_back(Args[I]);
    }
    Cons += "X,~{r11},~{memory},~{dirflag},~{fpsr},~{flags}";
    // What the C convention lets the hook clobber beyond the general-purpose
    // registers the stub saves (ymm/zmm through their xmm parts).
    for (unsigned R = 0; R < 32; ++R)
      Cons += ",~{xmm" + std::to_string(R) + "}";
    for (unsigned R = 0; R < 8; ++R)
      Cons += ",~{k" + std::to_string(R) + "}";
    Tys.push_back(J->getType());
    Ops.push_back(J);
    auto *IA = InlineAsm::get(
        FunctionType::get(Type::getVoidTy(Ctx), Tys, false),
        "leaq 1f(%rip), %r11\n\tjmp ${" + std::to_string(Args.size()) +
            ":P}\n1:",
        Cons, /*hasSideEffects=*/true);
    return B.CreateCall(IA, Ops);
  }
  Function *F = getPreserveMostStub(Hook);
  CallInst *CI = B.CreateCall(F, Args);
  CI->setCallingConv(CallingConv::PreserveMost);
  return CI;
}

// [a, a+len) intersects [base, base+size) iff
//   off = a - base (mod 2^64) < size        -- a itself is inside, or
//   -off = base - a (mod 2^64) < len        -- a is below base and the range
//                                              reaches base.
// For a above the window -off wraps to a huge value, so the second compare is
// false for any real length. abi.h allows ranges that start outside the
// window and end inside it, hence the second term.
Value *ModuleInstrumenter::emitRangeMayHitWindow(IRBuilder<> &B, Value *Addr,
                                                 Value *Len) {
  Value *A = Addr->getType()->isPointerTy()
                 ? B.CreatePtrToInt(Addr, IntptrTy, "fams.addr")
                 : Addr;
  Value *Base, *Size;
  if (ClFixedWindow) { // the whole check range, as immediates
    Base = ConstantInt::get(IntptrTy, FAMS_WINDOW_FIXED_BASE);
    Size = ConstantInt::get(IntptrTy, 1ull << FAMS_WINDOW_CHECK_SHIFT);
  } else {
    loadWindowAtEntry();
    Base = FnWindowBase;
    Size = FnWindowSize;
  }
  Value *Off = B.CreateSub(A, Base, "fams.off");
  Value *In = B.CreateICmpULT(Off, Size, "fams.in");
  Value *Below =
      B.CreateICmpULT(B.CreateNeg(Off, "fams.negoff"), Len, "fams.reaches");
  return B.CreateOr(In, Below, "fams.hit");
}

Instruction *ModuleInstrumenter::emitColdIf(Value *Cond,
                                            Instruction *InsertBefore,
                                            const DebugLoc &Loc) {
  if (!ClInlineCheck)
    return InsertBefore;
  Instruction *Term =
      SplitBlockAndInsertIfThen(Cond, InsertBefore,
                                /*Unreachable=*/false,
                                ClCompactHooks && !HotInsts.count(InsertBefore)
                                    ? EvenWeights
                                    : ColdWeights);
  Term->getParent()->setName("fams.hook");
  Term->getSuccessor(0)->setName("fams.cont"); // the new tail block
  Term->setDebugLoc(Loc);
  return Term;
}

void ModuleInstrumenter::emitRangeHook(Instruction *InsertBefore, Value *Addr,
                                       Value *Len, bool Post) {
  IRBuilder<> B(InsertBefore);
  Value *Len64 = B.CreateZExtOrTrunc(Len, Int64Ty, "fams.len");
  Value *Cond = nullptr;
  if (ClInlineCheck)
    Cond = emitRangeMayHitWindow(B, Addr, Len64);
  Instruction *At = emitColdIf(Cond, InsertBefore, InsertBefore->getDebugLoc());
  IRBuilder<> HB(At);
  HB.SetCurrentDebugLocation(InsertBefore->getDebugLoc());
  callHook(HB, Post ? AfterWriteRangeHook : BeforeWriteRangeHook,
                {HB.CreatePointerCast(Addr, Int8PtrTy), Len64});
}

//===----------------------------------------------------------------------===//
// What to instrument
//===----------------------------------------------------------------------===//

static bool isMaskedStore(const Instruction *I) {
  auto *II = dyn_cast<IntrinsicInst>(I);
  return II && (II->getIntrinsicID() == Intrinsic::masked_store ||
                II->getIntrinsicID() == Intrinsic::masked_compressstore ||
                II->getIntrinsicID() == Intrinsic::masked_scatter);
}

/// The pointer the instruction writes through; for masked.scatter a vector
/// of pointers, to which the skip rules do not apply.
static Value *getWrittenPointer(Instruction *I) {
  if (auto *SI = dyn_cast<StoreInst>(I))
    return SI->getPointerOperand();
  if (auto *RMW = dyn_cast<AtomicRMWInst>(I))
    return RMW->getPointerOperand();
  if (auto *CX = dyn_cast<AtomicCmpXchgInst>(I))
    return CX->getPointerOperand();
  if (auto *MI = dyn_cast<AnyMemIntrinsic>(I))
    return MI->getRawDest();
  if (isMaskedStore(I))
    return cast<IntrinsicInst>(I)->getArgOperand(1);
  return nullptr;
}

/// A call to the C or C++ allocator (by name: the callee is a declaration of
/// the library function, so its result is fresh heap memory).
static bool isHeapAllocation(const Value *V) {
  const auto *CB = dyn_cast<CallBase>(V);
  const Function *F = CB ? CB->getCalledFunction() : nullptr;
  if (!F || !F->isDeclaration())
    return false;
  static const char *const Allocators[] = {
      "malloc",   "calloc",  "realloc", "aligned_alloc", "memalign",
      "valloc",   "pvalloc", "strdup",  "strndup",       "_Znwm",
      "_Znam",    "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
      "_ZnwmSt11align_val_t", "_ZnamSt11align_val_t"};
  for (const char *Name : Allocators)
    if (F->getName() == Name)
      return true;
  return false;
}

// Which rule proves that memory based on the underlying object Obj is never
// in the window; NumCounters if none does. Depth bounds the walk through
// call sites of internal functions.
Counter ModuleInstrumenter::classifyObject(const Value *Obj, unsigned Depth) {
  // Rule: heap memory from the C/C++ allocators. malloc and operator new
  // never return addresses in the window: the runtime keeps it reserved
  // PROT_NONE except for working copies.
  if (isHeapAllocation(Obj))
    return CntSkippedHeap;

  // Rule: global variables (constant or not, thread-local or not). A global
  // lives in the executable's or a library's data segment, and the runtime
  // places every tracked working copy inside its own reserved window, so a
  // pointer based on a global can never point into the window (writing out
  // of the global's bounds through it is UB). Constant globals are covered
  // too (a store to them is UB anyway).
  if (isa<GlobalVariable>(Obj) || isa<GlobalAlias>(Obj))
    return CntSkippedGlobal;

  // Rule: allocas. Stack memory is never in the window: thread stacks come
  // from the kernel or from mmap/malloc, and a program that runs on a stack
  // it placed inside a tracked file mapping is not supported (its
  // non-escaping locals were never tracked either). With
  // -famsync-skip-all-allocas=false only allocas that do not escape are
  // skipped (ThreadSanitizer's rule, on the underlying object: a capture
  // through any derived pointer counts).
  if (auto *AI = dyn_cast<AllocaInst>(Obj)) {
    if (ClSkipAllAllocas)
      return CntSkippedNonEscapingAlloca;
    auto It = AllocaCaptured.find(AI);
    if (It == AllocaCaptured.end())
      It = AllocaCaptured
               .insert({AI, PointerMayBeCaptured(AI, /*ReturnCaptures=*/true,
                                                 /*StoreCaptures=*/true)})
               .first;
    return It->second ? NumCounters : CntSkippedNonEscapingAlloca;
  }

  // Rule: an argument of a function with local linkage whose every use is a
  // direct call, where every call site passes memory that one of these rules
  // places outside the window (bzip2's mainGtU(..., &budget)). No other code
  // can call the function, so those call sites are all the values the
  // argument can have.
  if (auto *Arg = dyn_cast<Argument>(Obj)) {
    const Function *F = Arg->getParent();
    if (!ClSkipInternalArgs || Depth >= 3 || !F->hasLocalLinkage() ||
        F->use_empty())
      return NumCounters;
    if (auto It = ArgOutside.find(Arg); It != ArgOutside.end())
      return It->second ? CntSkippedInternalArg : NumCounters;
    ArgOutside[Arg] = false; // recursion through this argument: unknown
    bool Outside = true;
    for (const Use &U : F->uses()) {
      const auto *CB = dyn_cast<CallBase>(U.getUser());
      if (!CB || !CB->isCallee(&U) || CB->getFunctionType() !=
                                           F->getFunctionType() ||
          !allObjectsOutside(CB->getArgOperand(Arg->getArgNo()), Depth + 1,
                             nullptr)) {
        Outside = false;
        break;
      }
    }
    ArgOutside[Arg] = Outside;
    return Outside ? CntSkippedInternalArg : NumCounters;
  }
  return NumCounters;
}

// True if every underlying object of Addr (through GEPs, casts, phis and
// selects) is provably outside the window; *Why gets the rule of the first.
bool ModuleInstrumenter::allObjectsOutside(const Value *Addr, unsigned Depth,
                                           Counter *Why) {
  if (!Addr->getType()->isPointerTy() ||
      Addr->getType()->getPointerAddressSpace() != 0)
    return false;
  SmallVector<const Value *, 4> Objs;
  getUnderlyingObjects(Addr, Objs, /*LI=*/nullptr, /*MaxLookup=*/0);
  if (Objs.empty())
    return false;
  Counter First = NumCounters;
  for (const Value *O : Objs) {
    Counter C = classifyObject(O, Depth);
    if (C == NumCounters)
      return false;
    if (First == NumCounters)
      First = C;
  }
  if (Why)
    *Why = First;
  return true;
}

bool ModuleInstrumenter::isProvablyOutsideWindow(Value *Addr) {
  // Rule: other address spaces. The window is in address space 0 and the
  // hooks take a generic pointer; GPU/segment address spaces are never
  // file mappings created through the runtime.
  if (Addr->getType()->getPointerAddressSpace() != 0) {
    count(CntSkippedAddrSpace);
    return true;
  }
  // Every underlying object must be known (one unknown object keeps the
  // check); the rules are in classifyObject.
  Counter Why;
  if (!allObjectsOutside(Addr, 0, &Why))
    return false;
  count(Why);
  return true;
}

// All the "skip this access" decisions are made here (TSan style). Local
// holds the candidate writes of one basic block; the survivors are appended
// to All.
void ModuleInstrumenter::chooseInstructionsToInstrument(
    SmallVectorImpl<Instruction *> &Local,
    SmallVectorImpl<Instruction *> &All) {
  for (Instruction *I : Local) {
    // Rule: code emitted by another instrumentation (sanitizer shadow
    // updates, profile counters) carries !nosanitize and never targets
    // application memory.
    if (I->getMetadata("nosanitize")) {
      count(CntSkippedNoSanitize);
      continue;
    }
    // Rule: a store of a zero-sized type ({} or [0 x i8]) writes nothing.
    if (auto *SI = dyn_cast<StoreInst>(I)) {
      if (DL.getTypeStoreSize(SI->getValueOperand()->getType())
              .getKnownMinSize() == 0) {
        count(CntSkippedZeroSize);
        continue;
      }
    }
    Value *Ptr = getWrittenPointer(I);
    if (Ptr->getType()->isPointerTy() && isProvablyOutsideWindow(Ptr))
      continue;
    All.push_back(I);
  }
  Local.clear();
}

//===----------------------------------------------------------------------===//
// Emitting hooks
//===----------------------------------------------------------------------===//

static bool closesStoreGroups(const Instruction &I);

// -famsync-early-store-checks: when a plain store's value is computed in its
// block from a load, its check goes before the first instruction of that
// computation (but after the address) instead of right before the store, so
// that the load, the arithmetic and the store stay in one block and x86 can fold them into one read-modify-write instruction
// (bzip2's s->rfreq[bt][mtfv[i]]++: `incl` instead of lea, add, mov, add,
// mov). Sound because the hook only logs the old bytes and marks the line:
// logging earlier within the block changes nothing as long as no epoch can
// end between the hook and the store, so the walk stops at every call,
// atomic instruction and fence (as groups do), at the address's definition
// and at the block's PHIs.
static Instruction *earliestCheckPoint(StoreInst *SI) {
  BasicBlock *BB = SI->getParent();
  // The stored value's definitions in this block (a few levels deep).
  SmallPtrSet<Instruction *, 8> Chain;
  SmallVector<std::pair<Instruction *, unsigned>, 8> Work;
  bool HasLoad = false;
  if (auto *V = dyn_cast<Instruction>(SI->getValueOperand()))
    Work.push_back({V, 0});
  while (!Work.empty()) {
    auto [V, Depth] = Work.pop_back_val();
    if (V->getParent() != BB || isa<PHINode>(V) || !Chain.insert(V).second)
      continue;
    HasLoad |= isa<LoadInst>(V);
    if (Depth < 4)
      for (Value *Op : V->operands())
        if (auto *OI = dyn_cast<Instruction>(Op))
          Work.push_back({OI, Depth + 1});
  }
  if (!HasLoad)
    return SI; // nothing to fold
  Instruction *At = SI;
  for (Instruction *P = SI->getPrevNode(); P; P = P->getPrevNode()) {
    if (P == SI->getPointerOperand() || isa<PHINode>(P) ||
        closesStoreGroups(*P))
      break;
    if (Chain.count(P))
      At = P;
  }
  return At;
}

// -famsync-cold-address-copies: the hook on the cold path gets its own copy of
// the store's address computation (a GEP whose operands dominate the cold
// block, as the GEP itself does). With the GEP shared, the hook's use made the
// code generator materialise the address in a register on the hot path too
// (bzip2's s->rfreq[bt][mtfv[i]]++, 50 times unrolled: lea, add, then the
// flag test and addl per store, where the plain build folds the address into
// the addl); with the copy, the store is the hot GEP's only user and x86
// folds it into the store's addressing mode.
Value *ModuleInstrumenter::coldCopyOfAddress(Value *Addr, Instruction *At,
                                             Instruction *Store) {
  if (!ClColdAddressCopies)
    return Addr;
  Value *Stripped = Addr;
  while (auto *BC = dyn_cast<BitCastInst>(Stripped))
    Stripped = BC->getOperand(0);
  auto *GEP = dyn_cast<GetElementPtrInst>(Stripped);
  if (!GEP)
    return Addr;
  Instruction *Copy = GEP->clone();
  Copy->setName(GEP->getName() + ".fams.cold");
  Copy->insertBefore(At);
  // And the hot GEP goes next to its users (the store, and the load of a
  // read-modify-write) when they all are in one block: CodeGenPrepare sinks
  // an address into another block only if that extends no live range (the
  // index's would be), so a GEP left above the check stays a register.
  // Only a GEP computed in the block the check split (a GEP that LICM hoisted
  // out of a loop stays out of it).
  BasicBlock *UseBB = Store->getParent();
  if (GEP->getParent() == At->getParent()->getSinglePredecessor() &&
      all_of(GEP->users(), [&](User *U) {
        return cast<Instruction>(U)->getParent() == UseBB;
      }))
    GEP->moveBefore(&*UseBB->getFirstInsertionPt());
  return Copy;
}

void ModuleInstrumenter::emitStoreHook(Instruction *I, Value *Addr,
                                       TypeSize Size, Value *Cond) {
  Instruction *Before = I;
  if (auto *SI = dyn_cast<StoreInst>(I))
    if (ClEarlyStoreChecks && !SI->isAtomic())
      Before = earliestCheckPoint(SI);
  IRBuilder<> B(Before);
  if (!Cond && ClInlineCheck)
    Cond = emitAddrInWindow(B, Addr);
  Instruction *At = emitColdIf(Cond, Before, I->getDebugLoc());
  IRBuilder<> HB(At);
  HB.SetCurrentDebugLocation(I->getDebugLoc());
  Value *P = HB.CreatePointerCast(coldCopyOfAddress(Addr, At, I), Int8PtrTy);

  uint64_t Bytes = Size.getKnownMinSize();
  if (!Size.isScalable() && isPowerOf2_64(Bytes) && Bytes <= 16) {
    callHook(HB, StoreHook[Log2_64(Bytes)], {P});
  } else {
    // Odd sizes (i24, <3 x i32>, x86_fp80, structs) and scalable vectors.
    Value *N = Size.isScalable()
                   ? HB.CreateVScale(ConstantInt::get(Int64Ty, Bytes))
                   : ConstantInt::get(Int64Ty, Bytes);
    callHook(HB, StoreNHook, {P, N});
  }
}

bool ModuleInstrumenter::instrumentStoreLike(Instruction *I, Value *Cond) {
  Type *ValTy;
  if (auto *SI = dyn_cast<StoreInst>(I))
    ValTy = SI->getValueOperand()->getType();
  else if (auto *RMW = dyn_cast<AtomicRMWInst>(I))
    ValTy = RMW->getValOperand()->getType();
  else
    ValTy = cast<AtomicCmpXchgInst>(I)->getNewValOperand()->getType();
  emitStoreHook(I, getWrittenPointer(I), DL.getTypeStoreSize(ValTy), Cond);
  count(isa<StoreInst>(I) ? CntStoresInstrumented : CntAtomicsInstrumented);
  return true;
}

// Grouped checks (-famsync-group-checks). Stores in one extended basic block
// (-famsync-group-across-blocks; see formStoreGroups) whose addresses
// are one SSA base pointer plus constant offsets share one check of their
// covering range [Base + Min, Base + Max), placed before the first of them,
// and one __fams_before_write_range hook for that range on the cold path. Sound
// because:
//  * Base (and Index, see decomposeAddress) are SSA values, the same for
//    every member, and dominate the first member (every member's address is
//    computed from them);
//  * the check is over-approximate: if no byte of the covering range can be
//    in the window, no member writes to it; if one can, the hook logs every
//    line of the range (also lines no member writes: harmless);
//  * nothing between the hook and any member can start a new epoch: a
//    group is closed at every call (a commit or munmap can only happen in a
//    call), every atomic instruction and fence (another thread's commit
//    cannot become ordered before a member), so the lines logged by the hook
//    are still logged in the epoch when each member writes.
// The first member dominates the others, so the check before it runs on every
// path to them. Only plain (non-atomic) stores of a fixed size join a group; a span wider
// than -famsync-group-max-span starts a new group.
static bool closesStoreGroups(const Instruction &I) {
  if (I.isAtomic() || isa<FenceInst>(I))
    return true;
  const auto *CB = dyn_cast<CallBase>(&I);
  if (!CB)
    return false;
  if (isa<DbgInfoIntrinsic>(CB))
    return false;
  if (const auto *II = dyn_cast<IntrinsicInst>(CB))
    if (II->isLifetimeStartOrEnd() ||
        II->getIntrinsicID() == Intrinsic::assume)
      return false;
  return true;
}

// Writes Ptr as Base + Index * sizeof(ElemTy) + Off, with Off a constant:
// constant GEPs and casts are stripped, then one GEP whose first index is
// "X + C" (or "X | C" with disjoint bits), X variable, and whose other indices
// are constants gives Index = X and moves C * sizeof + the constant part into
// Off (p[i], p[i + 1], p[i].field after unrolling share one group). Pointer
// arithmetic is modular, so the rewrite is exact. Index is null when Ptr has
// no such GEP.
static void decomposeAddress(Value *Ptr, const DataLayout &DL, Value *&Base,
                             Value *&Index, Type *&ElemTy, int64_t &Off) {
  APInt O(DL.getIndexTypeSizeInBits(Ptr->getType()), 0);
  Value *P = Ptr->stripAndAccumulateConstantOffsets(DL, O,
                                                    /*AllowNonInbounds=*/true);
  Base = P;
  Index = nullptr;
  ElemTy = nullptr;
  Off = O.getSExtValue();
  auto *GEP = dyn_cast<GetElementPtrInst>(P);
  if (!GEP || GEP->getNumIndices() < 1)
    return;
  Type *Ty = GEP->getSourceElementType();
  Value *I0 = GEP->getOperand(1);
  if (!Ty->isSized() || isa<ScalableVectorType>(Ty) ||
      I0->getType()->getScalarSizeInBits() !=
          DL.getIndexTypeSizeInBits(GEP->getType()) ||
      I0->getType()->isVectorTy())
    return;
  // The constant tail of the indices: p[i].a.b
  SmallVector<Value *, 4> Tail{ConstantInt::get(I0->getType(), 0)};
  for (unsigned K = 2; K < GEP->getNumOperands(); ++K) {
    if (!isa<ConstantInt>(GEP->getOperand(K)))
      return;
    Tail.push_back(GEP->getOperand(K));
  }
  int64_t TailOff = DL.getIndexedOffsetInType(Ty, Tail);
  int64_t Size = DL.getTypeAllocSize(Ty).getFixedSize();
  int64_t C = 0;
  if (auto *BO = dyn_cast<BinaryOperator>(I0)) {
    auto *CI = dyn_cast<ConstantInt>(BO->getOperand(1));
    if (CI && CI->getValue().getMinSignedBits() <= 32 && Size < (1 << 20) &&
        (BO->getOpcode() == Instruction::Add ||
         (BO->getOpcode() == Instruction::Or &&
          haveNoCommonBitsSet(BO->getOperand(0), CI, DL)))) {
      C = CI->getSExtValue();
      I0 = BO->getOperand(0);
    }
  }
  Base = GEP->getPointerOperand();
  Index = I0;
  ElemTy = Ty;
  Off += TailOff + C * Size;
}

void ModuleInstrumenter::formStoreGroups(Function &F,
                                         SmallVectorImpl<Instruction *> &Writes,
                                         SmallVectorImpl<StoreGroup> &Groups) {
  if (!ClGroupChecks || !ClInlineCheck || Writes.size() < 2)
    return;
  SmallPtrSet<Instruction *, 16> Candidates;
  for (Instruction *I : Writes)
    if (auto *SI = dyn_cast<StoreInst>(I))
      if (!SI->isAtomic() &&
          !DL.getTypeStoreSize(SI->getValueOperand()->getType()).isScalable())
        Candidates.insert(SI);
  if (Candidates.size() < 2)
    return;

  // Walk each extended basic block (a block and, recursively, the successors
  // whose single predecessor it is) from its head, carrying the groups still
  // open on that path. A member in a successor block is dominated by the
  // group's first member and reached from it without a call, atomic or fence;
  // on the paths that do not reach it the hook merely logs a line that is not
  // written. Without -famsync-group-across-blocks every block is a head.
  SmallVector<StoreGroup, 8> All;
  using OpenList = SmallVector<unsigned, 4>; // indices into All
  SmallVector<std::pair<BasicBlock *, OpenList>, 8> Work;
  SmallPtrSet<BasicBlock *, 16> Visited;
  auto IsHead = [](BasicBlock &BB) {
    return !ClGroupAcrossBlocks || !BB.getSinglePredecessor();
  };
  for (BasicBlock &Head : F) {
    if (!IsHead(Head))
      continue;
    Work.push_back({&Head, {}});
    while (!Work.empty()) {
      auto [BB, Open] = Work.pop_back_val();
      if (!Visited.insert(BB).second)
        continue;
      for (Instruction &I : *BB) {
        auto *SI = dyn_cast<StoreInst>(&I);
        if (!SI || !Candidates.count(SI)) {
          if (closesStoreGroups(I))
            Open.clear();
          continue;
        }
        int64_t Off;
        Value *Base, *Index;
        Type *ElemTy;
        decomposeAddress(SI->getPointerOperand(), DL, Base, Index, ElemTy,
                         Off);
        int64_t End =
            Off + (int64_t)DL.getTypeStoreSize(SI->getValueOperand()->getType())
                      .getFixedSize();
        auto It = llvm::find_if(Open, [&](unsigned G) {
          return All[G].Base == Base && All[G].Index == Index &&
                 All[G].ElemTy == ElemTy;
        });
        if (It != Open.end()) {
          StoreGroup &G = All[*It];
          int64_t Min = std::min(G.Min, Off), Max = std::max(G.Max, End);
          if (Max - Min <= (int64_t)ClGroupMaxSpan) {
            G.Min = Min;
            G.Max = Max;
            G.Members.push_back(SI);
            continue;
          }
          Open.erase(It);
        }
        All.push_back({Base, Index, ElemTy, Off, End, Off, {SI}});
        Open.push_back(All.size() - 1);
      }
      if (!ClGroupAcrossBlocks)
        continue;
      for (BasicBlock *Succ : successors(BB))
        if (Succ->getSinglePredecessor() == BB && !Visited.count(Succ))
          Work.push_back({Succ, Open});
    }
  }

  SmallPtrSet<Instruction *, 16> Grouped;
  for (StoreGroup &G : All) {
    if (G.Members.size() < 2)
      continue;
    for (StoreInst *SI : G.Members)
      Grouped.insert(SI);
    Groups.push_back(std::move(G));
  }
  llvm::erase_if(Writes, [&](Instruction *I) { return Grouped.count(I); });
}

void ModuleInstrumenter::instrumentStoreGroup(const StoreGroup &G,
                                              Value *Cond) {
  StoreInst *First = G.Members.front();
  auto GroupBase = [&](IRBuilder<> &B) {
    Value *Addr = G.Base;
    if (G.Index) // Base and Index dominate the first member (see above)
      Addr = B.CreateGEP(G.ElemTy, G.Base, G.Index, "fams.gaddr");
    return B.CreatePointerCast(Addr, Int8PtrTy, "fams.gbase");
  };
  Value *Len = ConstantInt::get(Int64Ty, G.Max - G.Min);
  Value *BaseI8 = nullptr, *Start = nullptr;
  if (!Cond) {
    IRBuilder<> B(First);
    BaseI8 = GroupBase(B);
    if (ClFixedWindow) {
      // The last byte: it is in the check range whenever the covering range
      // starts in the window or reaches into it from below (abi.h).
      Value *Last =
          B.CreateGEP(B.getInt8Ty(), BaseI8,
                      ConstantInt::get(Int64Ty, G.Max - 1), "fams.glast");
      Cond = emitAddrInWindow(B, Last);
    } else {
      Start = B.CreateGEP(B.getInt8Ty(), BaseI8,
                          ConstantInt::get(Int64Ty, G.Min), "fams.gstart");
      Cond = emitRangeMayHitWindow(B, Start, Len);
    }
  }
  Instruction *At = emitColdIf(Cond, First, First->getDebugLoc());
  IRBuilder<> HB(At);
  HB.SetCurrentDebugLocation(First->getDebugLoc());
  if (!BaseI8) // a hoisted loop flag: the address only on the cold path
    BaseI8 = GroupBase(HB);
  if (!Start) // computed on the cold path only
    Start = HB.CreateGEP(HB.getInt8Ty(), BaseI8,
                         ConstantInt::get(Int64Ty, G.Min), "fams.gstart");
  callHook(HB, BeforeWriteRangeHook, {Start, Len});
  count(CntGroupedChecks);
  for (size_t I = 0; I < G.Members.size(); ++I) {
    count(CntStoresInstrumented);
    count(CntStoresGrouped);
  }
}

// Vectorizer output (AVX2/AVX-512 masked stores, compress stores, scatters).
// The mask is ignored: hooking lanes that are not written only logs lines
// that do not change, which is harmless.
bool ModuleInstrumenter::instrumentMaskedStore(IntrinsicInst *II) {
  Value *Val = II->getArgOperand(0);
  if (II->getIntrinsicID() != Intrinsic::masked_scatter) {
    // masked.store / masked.compressstore: at most the whole vector, from
    // the pointer on.
    emitStoreHook(II, II->getArgOperand(1),
                  DL.getTypeStoreSize(Val->getType()));
  } else {
    // masked.scatter: one pointer per lane. Scalable vectors are not
    // supported on the targets we build for (x86-64); they are counted as
    // unhandled rather than silently skipped.
    auto *VTy = dyn_cast<FixedVectorType>(Val->getType());
    if (!VTy) {
      count(CntLibcWritersUnhandled);
      return false;
    }
    TypeSize EltSize = DL.getTypeStoreSize(VTy->getElementType());
    for (unsigned Lane = 0, E = VTy->getNumElements(); Lane < E; ++Lane) {
      IRBuilder<> B(II);
      Value *P =
          B.CreateExtractElement(II->getArgOperand(1), Lane, "fams.lane");
      emitStoreHook(II, P, EltSize);
    }
  }
  count(CntMaskedInstrumented);
  return true;
}

// memcpy/memmove/memset and their .inline and element-wise atomic variants:
// only the destination range matters (the source is read).
bool ModuleInstrumenter::instrumentMemIntrinsic(Instruction *I, Value *Cond) {
  auto *MI = cast<AnyMemIntrinsic>(I);
  uint64_t Len = smallConstantLength(MI);
  if (!Len) {
    emitRangeHook(I, MI->getRawDest(), MI->getLength(), /*Post=*/false);
    count(CntMemIntrinsicsInstrumented);
    return true;
  }
  // -famsync-small-memintrinsic-checks: a constant length of at most
  // -famsync-group-max-span bytes is checked like a group, by its last byte
  // (the same argument: a range that starts in the window, or below it and
  // reaches into it, ends in the check range), or branches on a base-object
  // flag (Cond).
  IRBuilder<> B(I);
  Value *Dst = B.CreatePointerCast(MI->getRawDest(), Int8PtrTy);
  if (!Cond)
    Cond = emitAddrInWindow(
        B, B.CreateGEP(B.getInt8Ty(), Dst, ConstantInt::get(Int64Ty, Len - 1),
                       "fams.mlast"));
  Instruction *At = emitColdIf(Cond, I, I->getDebugLoc());
  IRBuilder<> HB(At);
  HB.SetCurrentDebugLocation(I->getDebugLoc());
  callHook(HB, BeforeWriteRangeHook, {Dst, ConstantInt::get(Int64Ty, Len)});
  count(CntMemIntrinsicsInstrumented);
  return true;
}

// Also covers the preserve_most stubs (__fams_*.pm), which the pass creates.
static bool isRuntimeFunction(const Function &F) {
  return F.getName().startswith("__fams_");
}
// Function-level rule (the instruction-level rules are in
// chooseInstructionsToInstrument): the runtime's own functions (defense in
// depth: the runtime is built without the plugin, but a header-inlined helper
// could end up here) and functions that opted out of all instrumentation.
static bool isExcludedFunction(const Function &F) {
  return isRuntimeFunction(F) ||
         F.hasFnAttribute(Attribute::DisableSanitizerInstrumentation);
}

// At -O1 and above FunctionAttrs has long run when we get here, and what it
// inferred may no longer hold for an instrumented function: the hooks read the
// old bytes, update the runtime's state, synchronise with other threads and
// record the address (and rollback/commit later access the memory through
// it). Drop those attributes from the function, its pointer arguments and
// the call sites that name it, as MemorySanitizer does; otherwise LTO or a
// later pass in the same pipeline could optimise callers on stale facts.
static void dropInvalidatedAttributes(Function &F) {
  AttributeMask FnMask;
  for (Attribute::AttrKind K :
       {Attribute::ReadNone, Attribute::ReadOnly, Attribute::WriteOnly,
        Attribute::ArgMemOnly, Attribute::InaccessibleMemOnly,
        Attribute::InaccessibleMemOrArgMemOnly, Attribute::Speculatable,
        Attribute::NoSync, Attribute::NoFree})
    FnMask.addAttribute(K);
  AttributeMask ArgMask;
  for (Attribute::AttrKind K : {Attribute::NoCapture, Attribute::ReadNone,
                                Attribute::ReadOnly, Attribute::WriteOnly})
    ArgMask.addAttribute(K);

  F.removeFnAttrs(FnMask);
  for (unsigned I = 0, E = F.arg_size(); I < E; ++I)
    F.removeParamAttrs(I, ArgMask);
  for (User *U : F.users()) {
    auto *CB = dyn_cast<CallBase>(U);
    if (!CB || CB->getCalledOperand() != &F)
      continue;
    CB->removeFnAttrs(FnMask);
    for (unsigned I = 0, E = CB->arg_size(); I < E; ++I)
      CB->removeParamAttrs(I, ArgMask);
  }
}

bool ModuleInstrumenter::instrumentFunction(Function &F) {
  if (F.isDeclaration())
    return false;
  if (isExcludedFunction(F)) {
    count(CntSkippedFunctions);
    return false;
  }
  CurrentFn = &F;
  FnWindowBase = FnWindowSize = nullptr;
  FramelessHooks = wantsFramelessHooks(F);

  SmallVector<Instruction *, 8> Local, Writes, MemIntrinsics;
  SmallVector<StoreGroup, 4> Groups;
  SmallVector<CallBase *, 8> Calls;
  for (BasicBlock &BB : F) {
    for (Instruction &I : BB) {
      if (isa<StoreInst>(I)) {
        if (ClInstrumentStores)
          Local.push_back(&I);
      } else if (isa<AtomicRMWInst>(I) || isa<AtomicCmpXchgInst>(I)) {
        if (ClInstrumentAtomics)
          Local.push_back(&I);
      } else if (isa<AnyMemIntrinsic>(I)) {
        if (ClInstrumentMemIntrinsics)
          Local.push_back(&I);
      } else if (isMaskedStore(&I)) {
        if (ClInstrumentStores)
          Local.push_back(&I);
      } else if (auto *CB = dyn_cast<CallBase>(&I)) {
        if (getDeclaredCallee(*CB))
          Calls.push_back(CB);
      }
    }
    chooseInstructionsToInstrument(Local, Writes);
  }
  formStoreGroups(F, Writes, Groups);
  dropVersionedWrites(F, Writes, Groups);
  HotInsts.clear();
  if (ClCompactHooks && FAM) {
    BlockFrequencyInfo &BFI = FAM->getResult<BlockFrequencyAnalysis>(F);
    uint64_t Max = BFI.getEntryFreq() * (uint64_t)ClCompactHooksMaxFreq;
    for (BasicBlock &BB : F)
      if (BFI.getBlockFreq(&BB).getFrequency() > Max)
        for (Instruction &I : BB)
          HotInsts.insert(&I);
  }
  // Before any block is split: it needs the function's loop analyses.
  DenseMap<Instruction *, Value *> LoopFlags;
  if (ClBaseChecksFirst) // roots defined outside the store's loop nest
    hoistBaseChecks(F, Writes, Groups, LoopFlags, /*OnlyOutsideLoops=*/true);
  hoistLoopChecks(F, Writes, Groups, LoopFlags);
  hoistBaseChecks(F, Writes, Groups, LoopFlags, /*OnlyOutsideLoops=*/false);

  // Instrument after collecting: emitting the cold path splits blocks.
  bool Changed = !Groups.empty() || !LoopFlags.empty();
  for (const StoreGroup &G : Groups)
    instrumentStoreGroup(G, LoopFlags.lookup(G.Members.front()));
  for (Instruction *I : Writes) {
    if (isa<AnyMemIntrinsic>(I))
      Changed |= instrumentMemIntrinsic(I, LoopFlags.lookup(I));
    else if (isMaskedStore(I))
      Changed |= instrumentMaskedStore(cast<IntrinsicInst>(I));
    else
      Changed |= instrumentStoreLike(I, LoopFlags.lookup(I));
  }
  for (CallBase *CB : Calls) {
    // Range hook first (it reads the original arguments), then the rename.
    if (ClInstrumentLibc)
      Changed |= instrumentLibcWriter(*CB);
    if (ClRedirectCalls)
      Changed |= redirectCall(*CB);
  }
  if (Changed) {
    dropInvalidatedAttributes(F);
    // Its cached analyses (the loop analyses hoistLoopChecks used) are stale.
    if (FAM)
      FAM->invalidate(F, PreservedAnalyses::none());
  }
  if (Changed && ClUnswitchLoopFlags && FAM && !LoopFlags.empty())
    unswitchOnLoopFlags(F, LoopFlags);
  return Changed;
}

// The constructor initialises the runtime and makes the module reference the
// versioned ABI symbol: a volatile load cannot be deleted by any later
// optimisation (LTO included), so linking against a runtime built for another
// ABI fails with "undefined reference to `__fams_abi_version_N'".
void ModuleInstrumenter::emitModuleCtor() {
  Function *Ctor = Function::createWithDefaultAttr(
      FunctionType::get(Type::getVoidTy(Ctx), false),
      GlobalValue::InternalLinkage, 0, CtorName, &M);
  Ctor->addFnAttr(Attribute::NoUnwind);
  IRBuilder<> B(BasicBlock::Create(Ctx, "", Ctor));
  B.CreateCall(ModuleInitFn);
  B.CreateLoad(Type::getInt8Ty(Ctx), AbiVersion, /*isVolatile=*/true,
               "fams.abi");
  B.CreateRetVoid();
  appendToGlobalCtors(M, Ctor, CtorPriority);
}

static void eraseIfUnusedDeclaration(Value *V) {
  auto *GV = dyn_cast<GlobalValue>(V->stripPointerCasts());
  if (GV && GV->isDeclaration() && GV->use_empty())
    GV->eraseFromParent();
}

// Only called for modules with at least one instrumentable function (see
// FamsyncPass::run), so the constructor is always added and the IR always
// changes.
bool ModuleInstrumenter::run() {
  // Collected first: instrumenting adds functions (the preserve_most stubs).
  SmallVector<Function *, 32> Defined;
  for (Function &F : M)
    if (!F.isDeclaration())
      Defined.push_back(&F);
  // Unchecked copies first, from the uninstrumented bodies; each is then
  // instrumented like any function, without the checks its original tested.
  SmallVector<Function *, 4> Copies;
  for (Function *F : Defined)
    if (Function *C = versionFunction(*F))
      Copies.push_back(C);
  Defined.append(Copies.begin(), Copies.end());
  for (Function *F : Defined)
    instrumentFunction(*F);
  emitModuleCtor();
  M.getOrInsertNamedMetadata(InstrumentedMarker);

  // The constructor declared every hook up front; drop the ones no code
  // ended up calling so the IR (and lit tests) show only what is used.
  for (FunctionCallee FC : StoreHook)
    eraseIfUnusedDeclaration(FC.getCallee());
  for (FunctionCallee FC :
       {StoreNHook, BeforeWriteRangeHook, AfterWriteRangeHook})
    eraseIfUnusedDeclaration(FC.getCallee());
  eraseIfUnusedDeclaration(WindowBase);
  eraseIfUnusedDeclaration(WindowSize);
  return true;
}

static void printStats(const Module &M, const unsigned (&C)[NumCounters]) {
  unsigned Skipped = C[CntSkippedNonEscapingAlloca] + C[CntSkippedGlobal] +
                     C[CntSkippedInternalArg] +
                     C[CntSkippedHeap] +
                     C[CntSkippedAddrSpace] + C[CntSkippedNoSanitize] +
                     C[CntSkippedZeroSize];
  errs() << "famsync: module " << M.getModuleIdentifier() << ": "
         << C[CntStoresInstrumented] << " stores instrumented, " << Skipped
         << " skipped (alloca " << C[CntSkippedNonEscapingAlloca]
         << ", global " << C[CntSkippedGlobal] << ", heap "
         << C[CntSkippedHeap] << ", addrspace "
         << C[CntSkippedAddrSpace] << ", internal-function argument "
         << C[CntSkippedInternalArg] << ", nosanitize "
         << C[CntSkippedNoSanitize]
         << ", zero-size " << C[CntSkippedZeroSize] << "); "
         << C[CntAtomicsInstrumented] << " atomics, "
         << C[CntMemIntrinsicsInstrumented] << " memintrinsics, "
         << C[CntMaskedInstrumented] << " masked vector stores, "
         << C[CntLibcWritersInstrumented] << " libc writers (+"
         << C[CntLibcWritersPostHooked] << " post-hooked, "
         << C[CntLibcWritersUnhandled] << " unhandled, "
         << C[CntLibcProtoMismatch] << " bad prototype), "
         << C[CntCallsRedirected] << " calls redirected, "
         << C[CntSkippedFunctions] << " functions skipped; "
         << C[CntStoresGrouped] << " stores in " << C[CntGroupedChecks]
         << " grouped checks; " << C[CntStoresLoopGuarded]
         << " stores guarded by " << C[CntHoistedLoopChecks]
         << " hoisted loop checks; " << C[CntStoresBaseGuarded]
         << " stores guarded by " << C[CntBaseObjectChecks]
         << " base-object checks (" << C[CntBaseObjectTwoRootChecks]
         << " of two roots); " << C[CntVersionedFunctions]
         << " functions versioned (" << C[CntStoresVersioned]
         << " writes unchecked in the copies)\n";
}

PreservedAnalyses FamsyncPass::run(Module &M, ModuleAnalysisManager &MAM) {
  if (ClSkipModule || M.getNamedMetadata(InstrumentedMarker))
    return PreservedAnalyses::all();
  // A module without instrumentable code (pure data, or only runtime code)
  // needs neither hooks nor the runtime's initialisation; leave it
  // untouched -- not even the runtime declarations are added -- so that
  // "unchanged" is the truth.
  if (llvm::none_of(M, [](const Function &F) {
        return !F.isDeclaration() && !isExcludedFunction(F);
      })) {
    if (ClStats) {
      unsigned Zero[NumCounters] = {};
      printStats(M, Zero);
    }
    return PreservedAnalyses::all();
  }
  ModuleInstrumenter MI(
      M, &MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager());
  bool Changed = MI.run();
  if (ClStats)
    printStats(M, MI.Counts);
  return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}
