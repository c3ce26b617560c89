//===- FamsyncPass.h - famsync write-instrumentation pass -------*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// The famsync pass makes every write that instrumented code may perform to a
// tracked mapping call into the runtime BEFORE the write happens, so that the
// runtime can log the old bytes (undo log) and mark the line dirty. It also
// redirects the handful of libc calls that create, commit or tear down
// mappings (mmap, msync, munmap, ...) to the runtime's __fams_* versions.
//
// Invariant: for every instruction or known libc call that can write memory
// in the default address space, the pass either emits a hook that covers the
// written bytes (over-approximation allowed) or proves -- in exactly one
// function, chooseInstructionsToInstrument -- that the written memory cannot
// lie inside the runtime's VA window. Under-approximating a write is a bug.
//
// The compiler<->runtime contract is include/famsync/abi.h; names and
// signatures used here must match it.
//
// Files: FamsyncPass.cpp (what to instrument, store/atomic/memintrinsic hooks,
// the inline window check, the module constructor), LibcCalls.cpp (libc
// writers and call redirection), Plugin.cpp (new-PM plugin registration).
//
//===----------------------------------------------------------------------===//

#ifndef FAMSYNC_LLVM_PASS_FAMSYNCPASS_H
#define FAMSYNC_LLVM_PASS_FAMSYNCPASS_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/PassManager.h"
#include "llvm/IR/ValueHandle.h"

namespace llvm {
class AllocaInst;
class Argument;
class CallBase;
class GlobalVariable;
class IntrinsicInst;
class MDNode;
class StoreInst;
class Module;
} // namespace llvm

namespace famsync {

/// The module pass registered as "famsync". A module pass (rather than a
/// function pass) because it adds a constructor and declares runtime symbols.
struct FamsyncPass : llvm::PassInfoMixin<FamsyncPass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  /// Required: must also run on optnone functions (clang -O0).
  static bool isRequired() { return true; }
};

/// Per-module counters, printed by -famsync-stats. Each one mirrors a
/// STATISTIC of the same meaning; the STATISTICs are compiled out in release
/// builds of LLVM (Debian's LLVM 14 has assertions off), these are not.
enum Counter : unsigned {
#define FAMSYNC_COUNTER(Name, Description) Cnt##Name,
#include "FamsyncCounters.def"
  NumCounters
};

/// Instruments one module. Holds the runtime declarations and the helpers the
/// two halves of the pass (FamsyncPass.cpp and LibcCalls.cpp) share.
class ModuleInstrumenter {
public:
  /// FAM (optional) gives the loop analyses for -famsync-hoist-loop-checks;
  /// without it no check is hoisted.
  explicit ModuleInstrumenter(llvm::Module &M,
                              llvm::FunctionAnalysisManager *FAM = nullptr);

  /// Instruments every eligible function; returns true if the IR changed.
  bool run();

  unsigned Counts[NumCounters] = {};

private:
  // ---- FamsyncPass.cpp ----
  bool instrumentFunction(llvm::Function &F);
  /// The one place that decides which accesses are skipped (and why).
  void chooseInstructionsToInstrument(
      llvm::SmallVectorImpl<llvm::Instruction *> &Local,
      llvm::SmallVectorImpl<llvm::Instruction *> &All);
  /// True if a write to Addr provably cannot touch the VA window; bumps the
  /// counter of the rule that proved it.
  bool isProvablyOutsideWindow(llvm::Value *Addr);
  /// The rule that places memory based on Obj outside the window, or
  /// NumCounters.
  Counter classifyObject(const llvm::Value *Obj, unsigned Depth);
  bool allObjectsOutside(const llvm::Value *Addr, unsigned Depth,
                         Counter *Why);
  /// -famsync-cold-address-copies: ADDR, or a copy of its GEP placed before AT
  /// (the GEP itself then moves next to STORE if all its users are there).
  llvm::Value *coldCopyOfAddress(llvm::Value *Addr, llvm::Instruction *At,
                                 llvm::Instruction *Store);
  /// Inline check + size-specialised hook for Size bytes at Addr, before I.
  /// A non-null Cond (a hoisted loop flag) replaces the inline check.
  void emitStoreHook(llvm::Instruction *I, llvm::Value *Addr,
                     llvm::TypeSize Size, llvm::Value *Cond = nullptr);
  bool instrumentStoreLike(llvm::Instruction *I, llvm::Value *Cond = nullptr);
  /// Splits Writes (the function's survivors) into groups of plain stores
  /// through one base pointer that can share a check; see the definition
  /// for the conditions. Stores in a group of two or more are moved from
  /// Writes to Groups.
  struct StoreGroup {
    /// The group's address is Base + Index * sizeof(ElemTy) (Index may be
    /// null: Base itself); members are at constant offsets from it.
    llvm::Value *Base;
    llvm::Value *Index;
    llvm::Type *ElemTy;
    int64_t Min, Max; ///< covering range [address + Min, address + Max)
    int64_t FirstOff; ///< the first member's offset from the address
    llvm::SmallVector<llvm::StoreInst *, 4> Members; ///< in program order
  };
  void formStoreGroups(llvm::Function &F,
                       llvm::SmallVectorImpl<llvm::Instruction *> &Writes,
                       llvm::SmallVectorImpl<StoreGroup> &Groups);
  /// One check over the covering range of a group, one range hook. A
  /// non-null Cond (a hoisted loop flag) replaces the check.
  void instrumentStoreGroup(const StoreGroup &G, llvm::Value *Cond = nullptr);

  // ---- LoopChecks.cpp ----
  /// -famsync-hoist-loop-checks: for the plain stores in Writes and the
  /// groups in Groups that sit in a loop and whose written bytes ScalarEvolution
  /// can bound over a loop nest, emits one range test before that nest (in
  /// its only predecessor outside it) and maps the store (a group: its first member) to the i1 flag to branch
  /// on instead of its own check. Changes no block structure.
  void hoistLoopChecks(llvm::Function &F,
                       llvm::ArrayRef<llvm::Instruction *> Writes,
                       llvm::ArrayRef<StoreGroup> Groups,
                       llvm::DenseMap<llvm::Instruction *, llvm::Value *> &Flags);
  /// -famsync-unswitch-loop-flags: after F is instrumented, unswitches its
  /// small loops on the flags of LoopFlags (and on nothing else).
  void unswitchOnLoopFlags(
      llvm::Function &F,
      const llvm::DenseMap<llvm::Instruction *, llvm::Value *> &LoopFlags);
  /// Which loops a run of the unswitcher may unswitch on a flag.
  enum class UnswitchRound {
    Deep,    ///< no cost multiplier: loops in loops, few flags each
    Counted, ///< no cost multiplier: shallower counted loops, fewer flags
    Small,   ///< the unswitcher's own cost model, every loop
  };
  /// A Deep or Counted round, undone if F grew beyond the limit.
  void unswitchRoundWithUndo(llvm::Function &F,
                             llvm::SmallVectorImpl<llvm::WeakVH> &FlagHandles,
                             UnswitchRound Round);
  /// One run of the unswitcher on FLAGS only; true if it changed F.
  bool unswitchOnce(llvm::Function &F,
                    const llvm::SmallPtrSetImpl<llvm::Value *> &Flags,
                    UnswitchRound Round);
  // ---- BaseChecks.cpp ----
  /// -famsync-base-object-checks: for the plain stores and groups that
  /// hoistLoopChecks left without a flag and whose addresses are inbounds
  /// GEP chains from one root pointer, emits one test of the root right after
  /// its definition and maps the store (a group: its first member) to that
  /// flag. Changes no block structure.
  void hoistBaseChecks(llvm::Function &F,
                       llvm::ArrayRef<llvm::Instruction *> Writes,
                       llvm::ArrayRef<StoreGroup> Groups,
                       llvm::DenseMap<llvm::Instruction *, llvm::Value *> &Flags,
                       bool OnlyOutsideLoops);
  /// -famsync-version-functions: if F's hot stores are rooted at values
  /// defined before anything with a side effect in its entry block (arguments,
  /// loads of them), clones F and makes F's entry branch to the clone, by a
  /// tail call, when none of those roots is in the check range. Returns the
  /// clone (not yet instrumented) or null.
  llvm::Function *versionFunction(llvm::Function &F);
  /// In an unchecked copy, drops from Writes and Groups the writes whose root
  /// the original tested; returns true if the function is such a copy.
  void dropVersionedWrites(llvm::Function &F,
                           llvm::SmallVectorImpl<llvm::Instruction *> &Writes,
                           llvm::SmallVectorImpl<StoreGroup> &Groups);
  bool instrumentMaskedStore(llvm::IntrinsicInst *II);
  /// A non-null Cond (a base-object flag) replaces the check.
  bool instrumentMemIntrinsic(llvm::Instruction *I, llvm::Value *Cond = nullptr);
  void emitModuleCtor();
  void count(Counter C);

  // ---- LibcCalls.cpp ----
  /// Emits range hooks for a call to a known libc writer. Returns true if
  /// it changed the IR.
  bool instrumentLibcWriter(llvm::CallBase &CB);
  /// Renames mmap/msync/... to __fams_*. Returns true if it changed the IR.
  bool redirectCall(llvm::CallBase &CB);
  /// True if CB is a direct call to a *declared* function named Name
  /// (definitions in this module are not libc and are instrumented anyway).
  static llvm::Function *getDeclaredCallee(llvm::CallBase &CB);

  // ---- shared helpers (FamsyncPass.cpp) ----
public:
  /// (uintptr_t)Addr - __fams_window_base < __fams_window_size, emitted at B.
  llvm::Value *emitAddrInWindow(llvm::IRBuilder<> &B, llvm::Value *Addr);
  /// Does [Addr, Addr+Len) intersect the window? (see the definition for the
  /// arithmetic). Len is an i64. Addr a pointer or an intptr.
  llvm::Value *emitRangeMayHitWindow(llvm::IRBuilder<> &B, llvm::Value *Addr,
                                     llvm::Value *Len);
  /// Splits before InsertBefore: "if (Cond) { <returned point> }", the then
  /// block marked cold. With -famsync-inline-check=false Cond is ignored and
  /// InsertBefore itself is returned (always call).
  llvm::Instruction *emitColdIf(llvm::Value *Cond,
                                llvm::Instruction *InsertBefore,
                                const llvm::DebugLoc &DL);
  /// The preserve_most stub (linkonce_odr, hidden) that forwards to Hook,
  /// created on first use: a call through it saves no caller-saved registers.
  llvm::Function *getPreserveMostStub(llvm::FunctionCallee Hook);
  /// -famsync-frameless-hooks: may the hooks of F be reached by an asm jump
  /// (a leaf function on x86-64 ELF)? Decided before F changes.
  bool wantsFramelessHooks(const llvm::Function &F) const;
  /// The naked stub (__fams_<hook>.jr) the asm jumps to; it returns through r11.
  llvm::Function *getFramelessStub(llvm::FunctionCallee Hook);
  /// Calls a runtime hook with the hook's calling convention (through its
  /// preserve_most stub with -famsync-preserve-most).
  llvm::CallInst *callHook(llvm::IRBuilder<> &B, llvm::FunctionCallee Hook,
                           llvm::ArrayRef<llvm::Value *> Args);
  /// Emits __fams_before_write_range(Addr, Len) (or, when Post,
  /// __fams_after_write_range) guarded by the range check. Len of any integer
  /// type.
  void emitRangeHook(llvm::Instruction *InsertBefore, llvm::Value *Addr,
                     llvm::Value *Len, bool Post);
  static bool inlineCheckEnabled();
  static bool fixedWindowEnabled();
  /// -famsync-small-memintrinsic-checks: the constant length of a memory
  /// intrinsic checked by its last byte (1 to -famsync-group-max-span), or 0.
  static uint64_t smallConstantLength(const llvm::Instruction *I);

private:
  llvm::Module &M;
  llvm::FunctionAnalysisManager *FAM;
  llvm::LLVMContext &Ctx;
  const llvm::DataLayout &DL;
  llvm::Type *IntptrTy;
  llvm::Type *Int8PtrTy;
  llvm::Type *Int32Ty;
  llvm::Type *Int64Ty;
  llvm::MDNode *ColdWeights;
  /// 1:1, for -famsync-compact-hooks (the hook laid out inline).
  llvm::MDNode *EvenWeights;
  /// The instructions of the current function whose blocks were hotter than
  /// -famsync-compact-hooks-max-freq before any block was split
  /// (-famsync-compact-hooks keeps those hooks cold).
  llvm::DenseSet<const llvm::Instruction *> HotInsts;

  // Runtime ABI (include/famsync/abi.h).
  static constexpr unsigned NumSizedStoreHooks = 5; // 1, 2, 4, 8, 16 bytes
  llvm::FunctionCallee StoreHook[NumSizedStoreHooks];
  llvm::FunctionCallee StoreNHook;
  llvm::FunctionCallee BeforeWriteRangeHook;
  llvm::FunctionCallee AfterWriteRangeHook;
  llvm::FunctionCallee ModuleInitFn;
  llvm::GlobalVariable *WindowBase;
  llvm::GlobalVariable *WindowSize;
  llvm::GlobalVariable *AbiVersion;

  /// Memoised escape analysis, one answer per alloca.
  llvm::DenseMap<const llvm::AllocaInst *, bool> AllocaCaptured;
  /// Memoised internal-function argument rule (false while being computed).
  llvm::DenseMap<const llvm::Argument *, bool> ArgOutside;

  /// The window's base and size, loaded once at the entry of the function being instrumented
  /// (null outside instrumentFunction, or before the first check needs them).
  llvm::Value *FnWindowBase = nullptr;
  llvm::Value *FnWindowSize = nullptr;
  llvm::Function *CurrentFn = nullptr;
  /// The unchecked copies (-famsync-version-functions) and the roots, in the
  /// copy, that their original tested before calling them.
  llvm::DenseMap<const llvm::Function *, llvm::SmallPtrSet<llvm::Value *, 4>>
      UncheckedRoots;
  /// wantsFramelessHooks(*CurrentFn).
  bool FramelessHooks = false;
  void loadWindowAtEntry();
};

} // namespace famsync

#endif // FAMSYNC_LLVM_PASS_FAMSYNCPASS_H
