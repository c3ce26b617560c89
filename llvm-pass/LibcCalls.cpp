//===- LibcCalls.cpp - famsync libc writers and redirection -----*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// What this file does, for direct calls from instrumented code to functions
// that are only declared in the module (i.e. libc, not code we instrument):
//
//  1. Libc writers (strcpy, read, fread, sprintf, ...): libc is not compiled
//     with the plugin, so the bytes it writes into a tracked mapping would go
//     unlogged. We emit __fams_before_write_range for the range the call is
//     about to write, computed from its arguments BEFORE the call; for
//     sprintf-like calls whose range is known only afterwards we emit
//     __fams_after_write_range after the call (abi.h explains what the runtime
//     does with that).
//
//  2. Redirection: mmap, munmap, msync, mremap, fsync, fdatasync, ftruncate,
//     write, pwrite, read, pread, close (and their *64 aliases) become calls to
//     __fams_<name>, with the signatures of abi.h.
//
// Invariant: a range hook covers at least every byte the call may write
// (over-approximation is harmless: a few more lines logged); a call the table
// cannot describe is counted as "unhandled" rather than silently skipped.
//
// Limitations (by design, all caught at run time by FAMSYNC_VERIFY=1):
//  * only direct calls are seen; a libc writer or mmap reached through a
//    function pointer (or from an uninstrumented library) is not;
//  * readv/preadv/recvmsg/getline/scanf-family and the many libc functions
//    that write small out-parameters (stat, time, ...) are not described;
//    the first group is counted under NumLibcWritersUnhandled;
//  * the fortify forms __read_chk/__pread_chk get a range hook but are not
//    redirected (abi.h has no _chk entry points).
//
//===----------------------------------------------------------------------===//

#include "FamsyncPass.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

using namespace llvm;
using namespace famsync;

namespace {

/// How the length of the written range is computed from the call.
enum class LenKind {
  Arg,          ///< [Dst, Dst + arg A)
  ArgTimesArg,  ///< [Dst, Dst + arg A * arg B)                  (fread)
  StrlenPlus1,  ///< [Dst, Dst + strlen(arg A) + 1)             (strcpy)
  Strcat,       ///< [Dst + strlen(Dst), + strlen(arg A) + 1)    (strcat)
  Strncat,      ///< [Dst + strlen(Dst), + arg A + 1)            (strncat)
  Const,        ///< [Dst, Dst + A)                              (out-params)
  PostRetPlus1, ///< after the call: [Dst, Dst + ret + 1) if ret >= 0
  ChkSprintf,   ///< before: [Dst, Dst + arg A) unless A == (size_t)-1;
                ///< after: as PostRetPlus1 (the bound may be unknown)
  Unhandled,    ///< a writer we cannot describe: count it
};

struct WriterSpec {
  const char *Name;
  unsigned MinArgs; ///< the call must pass at least this many arguments
  unsigned Dst;     ///< index of the destination pointer argument
  LenKind Kind;
  unsigned A = 0, B = 0;
};

// The table. A name may appear more than once (recvfrom writes three
// ranges). Fortify (_FORTIFY_SOURCE) forms are listed next to the plain ones
// because glibc's headers rename the calls to them at -O1 and above.
// sizeof(struct sockaddr_storage) == 128, sizeof(socklen_t) == 4.
const WriterSpec Writers[] = {
    // mem*
    {"memcpy", 3, 0, LenKind::Arg, 2},
    {"memmove", 3, 0, LenKind::Arg, 2},
    {"memset", 3, 0, LenKind::Arg, 2},
    {"mempcpy", 3, 0, LenKind::Arg, 2},
    {"__mempcpy", 3, 0, LenKind::Arg, 2},
    {"memccpy", 4, 0, LenKind::Arg, 3},
    {"bzero", 2, 0, LenKind::Arg, 1},
    {"explicit_bzero", 2, 0, LenKind::Arg, 1},
    {"__explicit_bzero_chk", 3, 0, LenKind::Arg, 1},
    {"__memcpy_chk", 4, 0, LenKind::Arg, 2},
    {"__memmove_chk", 4, 0, LenKind::Arg, 2},
    {"__memset_chk", 4, 0, LenKind::Arg, 2},
    {"__mempcpy_chk", 4, 0, LenKind::Arg, 2},
    {"__memccpy_chk", 5, 0, LenKind::Arg, 3},
    // In-place sort of an array that may well live in a mapping.
    {"qsort", 4, 0, LenKind::ArgTimesArg, 1, 2},
    {"qsort_r", 5, 0, LenKind::ArgTimesArg, 1, 2},
    // str*
    {"strcpy", 2, 0, LenKind::StrlenPlus1, 1},
    {"stpcpy", 2, 0, LenKind::StrlenPlus1, 1},
    {"__strcpy_chk", 3, 0, LenKind::StrlenPlus1, 1},
    {"__stpcpy_chk", 3, 0, LenKind::StrlenPlus1, 1},
    {"strncpy", 3, 0, LenKind::Arg, 2},
    {"stpncpy", 3, 0, LenKind::Arg, 2},
    {"__strncpy_chk", 4, 0, LenKind::Arg, 2},
    {"__stpncpy_chk", 4, 0, LenKind::Arg, 2},
    {"strcat", 2, 0, LenKind::Strcat, 1},
    {"__strcat_chk", 3, 0, LenKind::Strcat, 1},
    {"strncat", 3, 0, LenKind::Strncat, 2},
    {"__strncat_chk", 4, 0, LenKind::Strncat, 2},
    {"strxfrm", 3, 0, LenKind::Arg, 2},
    // printf family into a buffer
    {"sprintf", 2, 0, LenKind::PostRetPlus1},
    {"vsprintf", 3, 0, LenKind::PostRetPlus1},
    {"__sprintf_chk", 4, 0, LenKind::ChkSprintf, 2},
    {"__vsprintf_chk", 5, 0, LenKind::ChkSprintf, 2},
    {"snprintf", 3, 0, LenKind::Arg, 1},
    {"vsnprintf", 4, 0, LenKind::Arg, 1},
    {"__snprintf_chk", 5, 0, LenKind::Arg, 1},
    {"__vsnprintf_chk", 6, 0, LenKind::Arg, 1},
    // I/O into a buffer
    {"read", 3, 1, LenKind::Arg, 2},
    {"pread", 4, 1, LenKind::Arg, 2},
    {"pread64", 4, 1, LenKind::Arg, 2},
    {"__read_chk", 4, 1, LenKind::Arg, 2},
    {"__pread_chk", 5, 1, LenKind::Arg, 2},
    {"__pread64_chk", 5, 1, LenKind::Arg, 2},
    {"recv", 4, 1, LenKind::Arg, 2},
    {"__recv_chk", 5, 1, LenKind::Arg, 2},
    {"recvfrom", 6, 1, LenKind::Arg, 2},
    {"recvfrom", 6, 4, LenKind::Const, 128},
    {"recvfrom", 6, 5, LenKind::Const, 4},
    {"__recvfrom_chk", 7, 1, LenKind::Arg, 2},
    {"__recvfrom_chk", 7, 5, LenKind::Const, 128},
    {"__recvfrom_chk", 7, 6, LenKind::Const, 4},
    {"fread", 4, 0, LenKind::ArgTimesArg, 1, 2},
    {"fread_unlocked", 4, 0, LenKind::ArgTimesArg, 1, 2},
    {"__fread_chk", 5, 0, LenKind::ArgTimesArg, 2, 3},
    {"__fread_unlocked_chk", 5, 0, LenKind::ArgTimesArg, 2, 3},
    {"fgets", 3, 0, LenKind::Arg, 1},
    {"fgets_unlocked", 3, 0, LenKind::Arg, 1},
    {"__fgets_chk", 4, 0, LenKind::Arg, 2},
    {"__fgets_unlocked_chk", 4, 0, LenKind::Arg, 2},
    {"getcwd", 2, 0, LenKind::Arg, 1},
    {"__getcwd_chk", 3, 0, LenKind::Arg, 1},
    // libatomic: atomics the target cannot inline (16 bytes without -mcx16,
    // odd sizes, large _Atomic structs) are calls, not atomicrmw/cmpxchg.
    // Generic forms take the size first; compare_exchange also writes
    // *expected (on failure), exchange and load write their out-parameter.
    {"__atomic_store", 4, 1, LenKind::Arg, 0},
    {"__atomic_exchange", 5, 1, LenKind::Arg, 0},
    {"__atomic_exchange", 5, 3, LenKind::Arg, 0},
    {"__atomic_compare_exchange", 6, 1, LenKind::Arg, 0},
    {"__atomic_compare_exchange", 6, 2, LenKind::Arg, 0},
    {"__atomic_load", 4, 2, LenKind::Arg, 0},
// Sized forms __atomic_<op>_N: the object is argument 0 (an i128 value may be
// split into two i64 arguments, hence only a minimum argument count).
#define FAMS_ATOMIC_SIZED(N)                                                   \
  {"__atomic_store_" #N, 2, 0, LenKind::Const, N},                            \
      {"__atomic_exchange_" #N, 2, 0, LenKind::Const, N},                     \
      {"__atomic_compare_exchange_" #N, 3, 0, LenKind::Const, N},             \
      {"__atomic_compare_exchange_" #N, 3, 1, LenKind::Const, N},             \
      {"__atomic_fetch_add_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_fetch_sub_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_fetch_and_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_fetch_or_" #N, 2, 0, LenKind::Const, N},                     \
      {"__atomic_fetch_xor_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_fetch_nand_" #N, 2, 0, LenKind::Const, N},                   \
      {"__atomic_add_fetch_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_sub_fetch_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_and_fetch_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_or_fetch_" #N, 2, 0, LenKind::Const, N},                     \
      {"__atomic_xor_fetch_" #N, 2, 0, LenKind::Const, N},                    \
      {"__atomic_nand_fetch_" #N, 2, 0, LenKind::Const, N}
    FAMS_ATOMIC_SIZED(1), FAMS_ATOMIC_SIZED(2), FAMS_ATOMIC_SIZED(4),
    FAMS_ATOMIC_SIZED(8), FAMS_ATOMIC_SIZED(16),
#undef FAMS_ATOMIC_SIZED
    // Writers whose ranges live in memory (iovecs, msghdr, *lineptr) or
    // depend on a format string; a runtime helper would be needed.
    {"readv", 0, 0, LenKind::Unhandled},
    {"preadv", 0, 0, LenKind::Unhandled},
    {"preadv64", 0, 0, LenKind::Unhandled},
    {"preadv2", 0, 0, LenKind::Unhandled},
    {"preadv64v2", 0, 0, LenKind::Unhandled},
    {"recvmsg", 0, 0, LenKind::Unhandled},
    {"recvmmsg", 0, 0, LenKind::Unhandled},
    {"getline", 0, 0, LenKind::Unhandled},
    {"getdelim", 0, 0, LenKind::Unhandled},
    {"sscanf", 0, 0, LenKind::Unhandled},
    {"fscanf", 0, 0, LenKind::Unhandled},
    {"scanf", 0, 0, LenKind::Unhandled},
    {"__isoc99_sscanf", 0, 0, LenKind::Unhandled},
    {"__isoc99_fscanf", 0, 0, LenKind::Unhandled},
    {"__isoc99_scanf", 0, 0, LenKind::Unhandled},
};

/// Parameter/return kinds of the __fams_* ABI functions (LP64, abi.h).
///   p: void *   i: int (sign-extend)   l: long (sign-extend)
///   u: unsigned long (zero-extend)
struct RedirectSpec {
  const char *From;
  const char *To;
  char Ret;
  const char *Params;
  /// Number of trailing parameters that may be missing at the call site and
  /// are then passed as zero/null (mremap's new_address is variadic).
  unsigned OptionalTail = 0;
};

const RedirectSpec Redirects[] = {
    {"mmap", "__fams_mmap", 'p', "puiiil"},
    {"mmap64", "__fams_mmap", 'p', "puiiil"},
    {"munmap", "__fams_munmap", 'i', "pu"},
    {"msync", "__fams_msync", 'i', "pui"},
    {"mremap", "__fams_mremap", 'p', "puuip", 1},
    {"fsync", "__fams_fsync", 'i', "i"},
    {"fdatasync", "__fams_fdatasync", 'i', "i"},
    {"ftruncate", "__fams_ftruncate", 'i', "il"},
    {"ftruncate64", "__fams_ftruncate", 'i', "il"},
    {"write", "__fams_write", 'l', "ipu"},
    {"pwrite", "__fams_pwrite", 'l', "ipul"},
    {"pwrite64", "__fams_pwrite", 'l', "ipul"},
    {"read", "__fams_read", 'l', "ipu"},
    {"pread", "__fams_pread", 'l', "ipul"},
    {"pread64", "__fams_pread", 'l', "ipul"},
    {"close", "__fams_close", 'i', "i"},
};

template <typename T, size_t N>
StringMap<SmallVector<const T *, 1>> buildIndex(const T (&Table)[N],
                                                const char *T::*Key) {
  StringMap<SmallVector<const T *, 1>> Index;
  for (const T &E : Table)
    Index[E.*Key].push_back(&E);
  return Index;
}

const StringMap<SmallVector<const WriterSpec *, 1>> &writerIndex() {
  static const auto Index = buildIndex(Writers, &WriterSpec::Name);
  return Index;
}

const StringMap<SmallVector<const RedirectSpec *, 1>> &redirectIndex() {
  static const auto Index = buildIndex(Redirects, &RedirectSpec::From);
  return Index;
}

bool isPtr(const Value *V) { return V->getType()->isPointerTy(); }
bool isInt(const Value *V) { return V->getType()->isIntegerTy(); }

/// Are the arguments the spec reads of the types it expects? A module may
/// declare its own function called "read" with another meaning; we only
/// touch calls that look like the libc function.
bool argsMatch(const CallBase &CB, const WriterSpec &S) {
  if (CB.arg_size() < S.MinArgs || !isPtr(CB.getArgOperand(S.Dst)))
    return false;
  switch (S.Kind) {
  case LenKind::Arg:
  case LenKind::Strncat:
  case LenKind::ChkSprintf:
    return isInt(CB.getArgOperand(S.A));
  case LenKind::ArgTimesArg:
    return isInt(CB.getArgOperand(S.A)) && isInt(CB.getArgOperand(S.B));
  case LenKind::StrlenPlus1:
  case LenKind::Strcat:
    return isPtr(CB.getArgOperand(S.A));
  case LenKind::PostRetPlus1:
    return CB.getType()->isIntegerTy();
  case LenKind::Const:
  case LenKind::Unhandled:
    return true;
  }
  llvm_unreachable("covered switch");
}

/// Where code that runs right after CB returns normally goes.
Instruction *getPostCallInsertPoint(CallBase &CB) {
  if (auto *II = dyn_cast<InvokeInst>(&CB)) {
    BasicBlock *Normal = II->getNormalDest();
    if (!Normal->getSinglePredecessor())
      Normal = SplitEdge(II->getParent(), Normal);
    return &*Normal->getFirstInsertionPt();
  }
  return CB.getNextNode();
}

} // namespace

Function *ModuleInstrumenter::getDeclaredCallee(CallBase &CB) {
  // stripPointerCasts: a K&R-style or mismatching declaration is called
  // through a bitcast of the function.
  auto *F = dyn_cast<Function>(CB.getCalledOperand()->stripPointerCasts());
  if (!F || !F->isDeclaration() || F->isIntrinsic())
    return nullptr;
  return F;
}

bool ModuleInstrumenter::instrumentLibcWriter(CallBase &CB) {
  Function *Callee = getDeclaredCallee(CB);
  auto It = writerIndex().find(Callee->getName());
  if (It == writerIndex().end())
    return false;

  bool Changed = false;
  Type *SizeTy = DL.getIntPtrType(Ctx);
  for (const WriterSpec *S : It->second) {
    if (S->Kind == LenKind::Unhandled) {
      count(CntLibcWritersUnhandled);
      continue;
    }
    if (!argsMatch(CB, *S)) {
      count(CntLibcProtoMismatch);
      continue;
    }
    Value *Dst = CB.getArgOperand(S->Dst);
    // The same rules as for stores (globals, allocas, heap, other
    // address spaces), decided in the same place.
    if (isProvablyOutsideWindow(Dst))
      continue;
    IRBuilder<> B(&CB);
    auto Arg = [&](unsigned I) {
      return B.CreateZExtOrTrunc(CB.getArgOperand(I), SizeTy);
    };

    switch (S->Kind) {
    case LenKind::Arg:
      emitRangeHook(&CB, Dst, Arg(S->A), /*Post=*/false);
      break;
    case LenKind::ArgTimesArg:
      emitRangeHook(&CB, Dst, B.CreateMul(Arg(S->A), Arg(S->B)), false);
      break;
    case LenKind::Const:
      emitRangeHook(&CB, Dst, ConstantInt::get(SizeTy, S->A), false);
      break;
    case LenKind::StrlenPlus1:
    case LenKind::Strcat:
    case LenKind::Strncat: {
      // The length needs strlen, which is as expensive as the copy, so it
      // is computed only on the cold path, when Dst is inside the window.
      // This assumes the destination object does not straddle the window's
      // lower edge: the window is one reservation owned by the runtime, so
      // an object either lies inside it or not.
      Value *Cond = inlineCheckEnabled() ? emitAddrInWindow(B, Dst) : nullptr;
      Instruction *At = emitColdIf(Cond, &CB, CB.getDebugLoc());
      IRBuilder<> HB(At);
      HB.SetCurrentDebugLocation(CB.getDebugLoc());
      FunctionCallee Strlen =
          M.getOrInsertFunction("strlen", SizeTy, Int8PtrTy);
      Value *One = ConstantInt::get(SizeTy, 1);
      Value *Start = HB.CreatePointerCast(Dst, Int8PtrTy);
      Value *Len;
      if (S->Kind == LenKind::StrlenPlus1) {
        Value *Src = HB.CreatePointerCast(CB.getArgOperand(S->A), Int8PtrTy);
        Len = HB.CreateAdd(HB.CreateCall(Strlen, {Src}), One);
      } else {
        Value *DstLen = HB.CreateCall(Strlen, {Start});
        Start = HB.CreateGEP(HB.getInt8Ty(), Start, DstLen, "fams.end");
        Value *Tail;
        if (S->Kind == LenKind::Strcat)
          Tail = HB.CreateCall(Strlen, {HB.CreatePointerCast(
                                           CB.getArgOperand(S->A), Int8PtrTy)});
        else // strncat writes at most n characters plus the NUL.
          Tail = HB.CreateZExtOrTrunc(CB.getArgOperand(S->A), SizeTy);
        Len = HB.CreateAdd(Tail, One);
      }
      callHook(HB, BeforeWriteRangeHook,
                    {Start, HB.CreateZExtOrTrunc(Len, Int64Ty)});
      break;
    }
    case LenKind::ChkSprintf: {
      // The object size bound is an over-approximation we can use before
      // the call -- unless it is (size_t)-1 ("unknown"), in which case the
      // returned length is all we get.
      Value *Bound = Arg(S->A);
      Value *Unknown =
          B.CreateICmpEQ(Bound, ConstantInt::getAllOnesValue(SizeTy));
      auto *C = dyn_cast<ConstantInt>(Bound);
      if (!C || !C->isMinusOne())
        emitRangeHook(
            &CB, Dst,
            B.CreateSelect(Unknown, ConstantInt::get(SizeTy, 0), Bound), false);
      if (C && !C->isMinusOne())
        break;
      LLVM_FALLTHROUGH;
    }
    case LenKind::PostRetPlus1: {
      // sprintf's range is known only afterwards: the runtime logs the old
      // bytes of these lines at commit time from the persistent copy.
      Instruction *After = getPostCallInsertPoint(CB);
      IRBuilder<> PB(After);
      Value *Ret = PB.CreateSExtOrTrunc(&CB, SizeTy);
      Value *Len = PB.CreateSelect(
          PB.CreateICmpSLT(Ret, ConstantInt::get(SizeTy, 0)),
          ConstantInt::get(SizeTy, 0),
          PB.CreateAdd(Ret, ConstantInt::get(SizeTy, 1)), "fams.wrote");
      emitRangeHook(After, Dst, Len, /*Post=*/true);
      count(CntLibcWritersPostHooked);
      Changed = true;
      continue;
    }
    case LenKind::Unhandled:
      llvm_unreachable("handled above");
    }
    count(CntLibcWritersInstrumented);
    Changed = true;
  }
  return Changed;
}

namespace {

Type *abiType(char K, LLVMContext &Ctx) {
  switch (K) {
  case 'p':
    return Type::getInt8PtrTy(Ctx);
  case 'i':
    return Type::getInt32Ty(Ctx);
  case 'l':
  case 'u':
    return Type::getInt64Ty(Ctx);
  }
  llvm_unreachable("bad ABI type code");
}

bool convertible(Type *From, Type *To) {
  return From == To || (From->isPointerTy() && To->isPointerTy()) ||
         (From->isIntegerTy() && To->isIntegerTy()) ||
         (From->isIntegerTy() && To->isPointerTy()) ||
         (From->isPointerTy() && To->isIntegerTy());
}

Value *convert(IRBuilder<> &B, Value *V, Type *To, bool Signed) {
  Type *From = V->getType();
  if (From == To)
    return V;
  if (From->isIntegerTy() && To->isIntegerTy())
    return B.CreateIntCast(V, To, Signed);
  if (From->isIntegerTy())
    return B.CreateIntToPtr(V, To);
  if (To->isIntegerTy())
    return B.CreatePtrToInt(V, To);
  return B.CreatePointerCast(V, To);
}

} // namespace

bool ModuleInstrumenter::redirectCall(CallBase &CB) {
  Function *Callee = getDeclaredCallee(CB);
  auto It = redirectIndex().find(Callee->getName());
  if (It == redirectIndex().end())
    return false;
  const RedirectSpec &S = *It->second.front();

  // Build the ABI type and check that the call site can be converted to it.
  SmallVector<Type *, 6> Params;
  for (const char *P = S.Params; *P; ++P)
    Params.push_back(abiType(*P, Ctx));
  Type *RetTy = abiType(S.Ret, Ctx);
  unsigned NParams = Params.size();
  bool Ok = (isa<CallInst>(CB) || isa<InvokeInst>(CB)) &&
            CB.arg_size() + S.OptionalTail >= NParams &&
            CB.arg_size() <= NParams;
  for (unsigned I = 0; Ok && I < CB.arg_size(); ++I)
    Ok = convertible(CB.getArgOperand(I)->getType(), Params[I]);
  // A converting cast after an invoke would have to go into the normal
  // destination; no real declaration needs one, so we do not bother.
  Type *CallRetTy = CB.getType();
  if (Ok && !CallRetTy->isVoidTy() && CallRetTy != RetTy)
    Ok = isa<CallInst>(CB) && convertible(RetTy, CallRetTy);
  if (!Ok) {
    count(CntLibcProtoMismatch);
    return false;
  }

  FunctionCallee Target = M.getOrInsertFunction(
      S.To, FunctionType::get(RetTy, Params, /*isVarArg=*/false));
  IRBuilder<> B(&CB);
  SmallVector<Value *, 6> Args;
  for (unsigned I = 0; I < NParams; ++I) {
    bool Signed = S.Params[I] != 'u';
    Args.push_back(I < CB.arg_size()
                       ? convert(B, CB.getArgOperand(I), Params[I], Signed)
                       : Constant::getNullValue(Params[I]));
  }
  SmallVector<OperandBundleDef, 1> Bundles;
  CB.getOperandBundlesAsDefs(Bundles);

  CallBase *New;
  if (auto *II = dyn_cast<InvokeInst>(&CB)) {
    New = B.CreateInvoke(Target, II->getNormalDest(), II->getUnwindDest(), Args,
                         Bundles);
  } else {
    auto *CI = B.CreateCall(Target, Args, Bundles);
    CallInst::TailCallKind TCK = cast<CallInst>(CB).getTailCallKind();
    // musttail would require identical prototypes; keep only the hint.
    CI->setTailCallKind(TCK == CallInst::TCK_MustTail ? CallInst::TCK_Tail
                                                      : TCK);
    New = CI;
  }
  New->takeName(&CB);
  New->setDebugLoc(CB.getDebugLoc());
  New->setCallingConv(CB.getCallingConv());
  // Keep call-site function attributes (nounwind, nobuiltin, ...); parameter
  // attributes belonged to the old prototype.
  New->setAttributes(AttributeList::get(Ctx, CB.getAttributes().getFnAttrs(),
                                        AttributeSet(), {}));

  if (!CallRetTy->isVoidTy()) {
    Value *Ret = New;
    if (CallRetTy != RetTy) {
      IRBuilder<> AB(cast<CallInst>(New)->getNextNode());
      Ret = convert(AB, New, CallRetTy, /*Signed=*/true);
    }
    CB.replaceAllUsesWith(Ret);
  }
  CB.eraseFromParent();
  // The libc declaration is dead once its last call is redirected.
  if (Callee->use_empty())
    Callee->eraseFromParent();
  count(CntCallsRedirected);
  return true;
}
