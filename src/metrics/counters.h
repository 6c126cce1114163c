// Counters, gauges and histograms that one thread writes and any thread
// reads. Each event loop owns its own set (no cache line is written by two
// loops); a scrape sums them. Writes are a relaxed load and store — no
// read-modify-write, no lock — which is all a single writer needs.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace chat::metrics {

// Monotonic count. REQUIRES: add() from one thread only.
class Counter {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A level that goes up and down. REQUIRES: set() from one thread only.
class Gauge {
 public:
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Latency histogram with fixed bucket bounds in microseconds (Prometheus
// style: each bucket counts observations <= its bound; the last is +Inf).
// REQUIRES: observe() from one thread only.
class LatencyHistogram {
 public:
  static constexpr std::array<uint64_t, 18> kBoundsUs = {
      10,     25,     50,     100,     250,     500,     1'000,     2'500,     5'000,
      10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 10'000'000};
  static constexpr size_t kBuckets = kBoundsUs.size() + 1;  // + the +Inf bucket

  // The bucket an observation of `us` falls in.
  static size_t bucket_index(uint64_t us) {
    size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    return i;
  }

  void observe(uint64_t us) {
    bump(counts_[bucket_index(us)], 1);
    bump(sum_us_, us);
  }
  // Non-cumulative count of bucket i (i == kBoundsUs.size(): above the last bound).
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t sum_us() const { return sum_us_.load(std::memory_order_relaxed); }
  uint64_t count() const {
    uint64_t n = 0;
    for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
    return n;
  }

 private:
  static void bump(std::atomic<uint64_t>& a, uint64_t n) {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_us_{0};
};

}  // namespace chat::metrics
