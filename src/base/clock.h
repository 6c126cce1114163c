// Time, injected. Code that reads time takes a Clock& so tests can drive a
// 60-second timeout in microseconds of real time (STYLE.md habit 12).
//
// Two readings, never mixed: now_ms() is wall time for timestamps that go on
// the wire (PROTOCOL.md "Times"); mono_ms() never jumps backwards and is the
// only one to measure intervals with (timeouts, rate limits, timing wheels).
#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall clock: milliseconds since the Unix epoch. May jump (NTP, admin).
  virtual uint64_t now_ms() = 0;
  // Monotonic clock: milliseconds since an arbitrary fixed point.
  virtual uint64_t mono_ms() = 0;
};

// The real clocks (clock_gettime CLOCK_REALTIME / CLOCK_MONOTONIC).
// Stateless: one instance may be shared by every thread.
class SystemClock final : public Clock {
 public:
  uint64_t now_ms() override;
  uint64_t mono_ms() override;
  // A process-wide instance, for code that has no clock handed to it.
  static SystemClock& instance();
};

// A clock that moves only when told. Both readings start where the
// constructor puts them and advance() moves both together. Thread-safe (the
// readings are atomics) so a test thread may drive loops that read it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(uint64_t now_ms = 1'700'000'000'000, uint64_t mono_ms = 1'000'000)
      : now_ms_(now_ms), mono_ms_(mono_ms) {}

  uint64_t now_ms() override { return now_ms_.load(std::memory_order_relaxed); }
  uint64_t mono_ms() override { return mono_ms_.load(std::memory_order_relaxed); }

  void set_now_ms(uint64_t ms) { now_ms_.store(ms, std::memory_order_relaxed); }
  void set_mono_ms(uint64_t ms) { mono_ms_.store(ms, std::memory_order_relaxed); }
  // Moves both readings forward by delta_ms.
  void advance(uint64_t delta_ms) {
    now_ms_.fetch_add(delta_ms, std::memory_order_relaxed);
    mono_ms_.fetch_add(delta_ms, std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> now_ms_;
  std::atomic<uint64_t> mono_ms_;
};

}  // namespace chat
