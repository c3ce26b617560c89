// crash_point.cpp — see crash_point.hpp.
#include "crash_point.hpp"

#include "options.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace famsync {
namespace {

struct Target {
  std::string name;
  std::atomic<long> remaining{0};
};

Target *parse_target() {
  const std::string &spec = options().crash_at;
  if (spec.empty()) return nullptr;
  auto *t = new Target;  // lives for the process
  size_t colon = spec.rfind(':');
  long n = 1;
  if (colon != std::string::npos) {
    n = strtol(spec.c_str() + colon + 1, nullptr, 10);
    t->name = spec.substr(0, colon);
  } else {
    t->name = spec;
  }
  t->remaining = n > 0 ? n : 1;
  return t;
}

}  // namespace

std::atomic<bool> g_crash_points_armed{false};

namespace {
Target *target() {
  static Target *const t = parse_target();
  return t;
}
}  // namespace

void arm_crash_points() {
  if (target() != nullptr) g_crash_points_armed.store(true, std::memory_order_relaxed);
}

void crash_point_slow(const char *name) {
  Target *t = target();
  if (t == nullptr || strcmp(t->name.c_str(), name) != 0) return;
  if (t->remaining.fetch_sub(1) == 1) kill(getpid(), SIGKILL);
}

}  // namespace famsync
