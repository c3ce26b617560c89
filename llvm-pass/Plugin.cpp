//===- Plugin.cpp - famsync new-PM pass plugin entry point ------*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// Registers FamsyncPass with the new pass manager:
//  * clang -fpass-plugin=libfamsync-pass.so: at the OptimizerLast extension
//    point, where clang also adds the sanitizers, i.e. after mem2reg/SROA
//    have removed most stack traffic and after inlining (fewer, cheaper
//    checks). In LLVM 14 buildO0DefaultPipeline runs the OptimizerLast
//    callbacks too, so -O0 is covered without a second registration (checked
//    by tests/lit/clang-c.c, RUN at -O0); isRequired() keeps the pass on optnone code.
//  * opt -load-pass-plugin=libfamsync-pass.so -passes=famsync.
//
// Invariant: the pass is added exactly once per pipeline (a second run on an
// instrumented module is a no-op anyway, see FamsyncPass::run).
//
//===----------------------------------------------------------------------===//

#include "FamsyncPass.h"

#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

using namespace llvm;

static void registerCallbacks(PassBuilder &PB) {
  PB.registerOptimizerLastEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(famsync::FamsyncPass());
      });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name != "famsync")
          return false;
        MPM.addPass(famsync::FamsyncPass());
        return true;
      });
}

// The only exported symbol (the library is built with -fvisibility=hidden).
extern "C" LLVM_ATTRIBUTE_WEAK LLVM_EXTERNAL_VISIBILITY PassPluginLibraryInfo
llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "famsync", "0.1.0", registerCallbacks};
}
