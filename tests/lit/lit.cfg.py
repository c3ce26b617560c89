# tests/lit/lit.cfg.py — lit configuration for the famsync pass tests.
#
# Run through the configured lit.site.cfg.py in the build tree (ctest -L pass, or
# python3 /usr/lib/llvm-14/build/utils/lit/lit.py -v <build>/tests/lit). One behaviour per test
# file; every test checks its output with FileCheck (or an exit status with `not`).
#
# Substitutions:
#   %opt            opt-14 with the plugin, running `famsync` and the verifier after it (-verify-each)
#   %opt_plain      opt-14 with the plugin loaded, no pipeline (give your own -passes=)
#   %clang_famsync  clang-14 with -fpass-plugin (and -Xclang -load so -mllvm -famsync-* parses)
#   %clangxx_famsync  the same for clang++
#   %clang_plain    clang-14 without the plugin (controls)
#   %famsync_cc / %famsync_cxx  the build-tree compiler wrappers
#   %plugin         the path of libfamsync-pass.so
import os
import lit.formats

config.name = "famsync-pass"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ll", ".c", ".cpp", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]

if not hasattr(config, "famsync_plugin"):
    lit_config.fatal("run lit on the build directory (<build>/tests/lit), whose lit.site.cfg.py "
                     "has the plugin path, not on the source directory")

config.test_source_root = config.famsync_lit_source_dir
config.test_exec_root = config.famsync_lit_binary_dir

tools = config.llvm_tools_dir
plugin = config.famsync_plugin
opt = os.path.join(tools, "opt")
clang_plugin = "-fpass-plugin={0} -Xclang -load -Xclang {0}".format(plugin)

# -load as well as -load-pass-plugin: opt parses the command line (and so the -famsync-* options)
# before it loads pass plugins, but after it loads -load libraries.
opt_plugin = "{0} -load={1} -load-pass-plugin={1}".format(opt, plugin)
config.substitutions.append(("%opt_plain", opt_plugin))
config.substitutions.append(("%opt", opt_plugin + " -passes=famsync -verify-each"))
config.substitutions.append(("%clang_plain", config.clang))
config.substitutions.append(("%clangxx_famsync", "{} {}".format(config.clangxx, clang_plugin)))
config.substitutions.append(("%clang_famsync", "{} {}".format(config.clang, clang_plugin)))
config.substitutions.append(("%famsync_cxx", os.path.join(config.famsync_wrapper_dir, "famsync-c++")))
config.substitutions.append(("%famsync_cc", os.path.join(config.famsync_wrapper_dir, "famsync-cc")))
config.substitutions.append(("%plugin", plugin))
for tool in ("FileCheck", "not", "count", "llvm-nm", "llc", "llvm-objdump"):
    config.substitutions.append((r"\b%s\b" % tool, os.path.join(tools, tool)))

# Programs linked against a runtime built with FAMSYNC_SANITIZE cannot run unsanitized.
if not getattr(config, "famsync_sanitize", ""):
    config.available_features.add("runtime-unsanitized")

# The wrappers must not pick up a compiler override from the caller's environment.
for var in ("FAMSYNC_CC", "FAMSYNC_CXX"):
    config.environment.pop(var, None)
