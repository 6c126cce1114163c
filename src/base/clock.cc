#include "base/clock.h"

#include <time.h>

namespace chat {
namespace {

uint64_t read_ms(clockid_t id) {
  timespec ts{};
  // clock_gettime cannot fail for these two clocks on Linux.
  ::clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1'000'000u;
}

}  // namespace

uint64_t SystemClock::now_ms() { return read_ms(CLOCK_REALTIME); }

uint64_t SystemClock::mono_ms() { return read_ms(CLOCK_MONOTONIC); }

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

}  // namespace chat
