// pmem_protocol_scope.hpp — selects the commit protocol of new pmem logs for an in-process test
// (the FAMSYNC_PMEM_PROTOCOL environment option is read once per process).
// Invariant: the default (the environment's choice) is back when the scope ends, so tests that
// run after it in the same process see the default.
#pragma once

#include "../test_util.hpp"
#include "options.hpp"

namespace famsync::test {

class PmemProtocolScope {
 public:
  // Medium::shm_pmem_undo selects undo; any other medium the default protocol (redo).
  explicit PmemProtocolScope(Medium m) {
    if (m == Medium::shm_pmem_undo) set_pmem_protocol_for_testing(PmemProtocol::undo);
    else reset_pmem_protocol_for_testing();
  }
  ~PmemProtocolScope() { reset_pmem_protocol_for_testing(); }
  PmemProtocolScope(const PmemProtocolScope &) = delete;
  PmemProtocolScope &operator=(const PmemProtocolScope &) = delete;
};

}  // namespace famsync::test
