// Latency histogram with log-linear buckets and fixed memory (in the manner of
// HdrHistogram): values below 256 are counted exactly; above, every power of
// two is split into 128 equal buckets, so a bucket is at most 1/128 of its
// values wide and the midpoint reported for it is within 0.4 % of any value
// in it. Histograms from different threads or processes merge by adding
// counts. Recording never allocates.
//
// Not thread-safe: one owner at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;                         // 128 buckets per octave
  static constexpr uint64_t kSubBuckets = 1ull << kSubBits;  // 128
  static constexpr uint64_t kExactBelow = 2 * kSubBuckets;   // 256: counted exactly
  static constexpr int kTopBit = 40;                         // values >= 2^40 share the top bucket
  static constexpr size_t kBuckets =
      kExactBelow + static_cast<size_t>(kTopBit - kSubBits - 1) * kSubBuckets;

  // The bucket of `v`, and the range [low, low + width) it covers.
  static size_t bucket_of(uint64_t v);
  static uint64_t bucket_low(size_t index);
  static uint64_t bucket_width(size_t index);

  void record(uint64_t v) { record_n(v, 1); }
  void record_n(uint64_t v, uint64_t n);
  // Adds every count of `other`.
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The value at quantile q (0 <= q <= 1): the midpoint of the bucket holding
  // the ceil(q * count)-th smallest value, clamped to [min, max]. 0 when
  // empty; q = 1 gives max() exactly.
  uint64_t percentile(double q) const;

  // Compact text form without spaces: "count/min/max/sum/idx:n,idx:n,..."
  // (only non-empty buckets; "-" when there are none). parse() accepts what serialize()
  // writes and returns false, leaving *this unchanged, on anything else.
  std::string serialize() const;
  bool parse(std::string_view text);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace chat::bench
