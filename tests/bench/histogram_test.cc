#include "bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace chat::bench {
namespace {

// The value at quantile q of a sorted sample, by the same rank rule the
// histogram uses: the ceil(q * n)-th smallest.
uint64_t reference(const std::vector<uint64_t>& sorted, double q) {
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::max<size_t>(rank, 1);
  return sorted[rank - 1];
}

void expect_close(uint64_t got, uint64_t want, double q) {
  double err = std::abs(static_cast<double>(got) - static_cast<double>(want));
  EXPECT_LE(err, static_cast<double>(want) * 0.01 + 0.5)
      << "q=" << q << " got " << got << " want " << want;
}

std::vector<uint64_t> log_uniform_sample(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exp_dist(0.0, std::log(5e7));
  std::vector<uint64_t> v(n);
  for (auto& x : v) x = static_cast<uint64_t>(std::exp(exp_dist(rng)));
  return v;
}

TEST(HistogramTest, EmptyReportsZeros) {
  auto h = std::make_unique<Histogram>();
  EXPECT_EQ(h->count(), 0u);
  EXPECT_EQ(h->percentile(0.5), 0u);
  EXPECT_EQ(h->percentile(1.0), 0u);
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), 0u);
}

TEST(HistogramTest, BucketsTileTheRangeWithoutGaps) {
  for (size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_EQ(Histogram::bucket_low(i) + Histogram::bucket_width(i), Histogram::bucket_low(i + 1))
        << i;
    ASSERT_EQ(Histogram::bucket_of(Histogram::bucket_low(i)), i);
    ASSERT_EQ(Histogram::bucket_of(Histogram::bucket_low(i + 1) - 1), i);
    if (i >= Histogram::kExactBelow) {
      // At most 1/128 of the bucket's smallest value wide.
      ASSERT_LE(Histogram::bucket_width(i) * 128, Histogram::bucket_low(i));
    }
  }
  EXPECT_EQ(Histogram::bucket_of(UINT64_MAX), Histogram::kBuckets - 1);
}

TEST(HistogramTest, SmallValuesAreExact) {
  auto h = std::make_unique<Histogram>();
  for (uint64_t v = 1; v <= 100; ++v) h->record(v);
  EXPECT_EQ(h->percentile(0.5), 50u);
  EXPECT_EQ(h->percentile(0.99), 99u);
  EXPECT_EQ(h->percentile(0.0), 1u);
  EXPECT_EQ(h->percentile(1.0), 100u);
  EXPECT_DOUBLE_EQ(h->mean(), 50.5);
}

TEST(HistogramTest, PercentilesWithinOnePercentOfSortedReference) {
  auto values = log_uniform_sample(200000, 7);
  auto h = std::make_unique<Histogram>();
  for (uint64_t v : values) h->record(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    expect_close(h->percentile(q), reference(values, q), q);
  }
  EXPECT_EQ(h->max(), values.back());
  EXPECT_EQ(h->min(), values.front());
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  auto a_values = log_uniform_sample(50000, 1);
  auto b_values = log_uniform_sample(70000, 2);
  auto a = std::make_unique<Histogram>();
  auto b = std::make_unique<Histogram>();
  auto all = std::make_unique<Histogram>();
  for (uint64_t v : a_values) {
    a->record(v);
    all->record(v);
  }
  for (uint64_t v : b_values) {
    b->record(v);
    all->record(v);
  }
  a->merge(*b);
  EXPECT_EQ(a->count(), all->count());
  EXPECT_EQ(a->min(), all->min());
  EXPECT_EQ(a->max(), all->max());
  EXPECT_DOUBLE_EQ(a->mean(), all->mean());
  std::vector<uint64_t> merged = a_values;
  merged.insert(merged.end(), b_values.begin(), b_values.end());
  std::sort(merged.begin(), merged.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    EXPECT_EQ(a->percentile(q), all->percentile(q));
    expect_close(a->percentile(q), reference(merged, q), q);
  }
}

TEST(HistogramTest, MergeWithEmptyChangesNothing) {
  auto a = std::make_unique<Histogram>();
  auto empty = std::make_unique<Histogram>();
  a->record(1000);
  a->merge(*empty);
  EXPECT_EQ(a->count(), 1u);
  EXPECT_EQ(a->min(), 1000u);
  empty->merge(*a);
  EXPECT_EQ(empty->count(), 1u);
  EXPECT_EQ(empty->min(), 1000u);
  EXPECT_EQ(empty->max(), 1000u);
}

TEST(HistogramTest, SerializeRoundTrips) {
  auto h = std::make_unique<Histogram>();
  for (uint64_t v : log_uniform_sample(10000, 3)) h->record(v);
  auto back = std::make_unique<Histogram>();
  ASSERT_TRUE(back->parse(h->serialize()));
  EXPECT_EQ(back->count(), h->count());
  EXPECT_EQ(back->min(), h->min());
  EXPECT_EQ(back->max(), h->max());
  for (double q : {0.5, 0.99}) EXPECT_EQ(back->percentile(q), h->percentile(q));

  auto empty = std::make_unique<Histogram>();
  ASSERT_TRUE(back->parse(empty->serialize()));
  EXPECT_EQ(back->count(), 0u);
}

TEST(HistogramTest, ParseRefusesGarbageAndKeepsOldState) {
  auto h = std::make_unique<Histogram>();
  h->record(5);
  for (const char* bad :
       {"", "1/2/3", "1/5/5/5/x", "2/5/5/10/5:1", "1/5/5/5/99999:1", "1/5/5/5/5:1 trailing"}) {
    EXPECT_FALSE(h->parse(bad)) << bad;
  }
  EXPECT_EQ(h->count(), 1u);
  EXPECT_EQ(h->max(), 5u);
}

TEST(HistogramTest, HugeValuesClampToTopBucketButKeepMax) {
  auto h = std::make_unique<Histogram>();
  h->record(1ull << 50);
  EXPECT_EQ(h->max(), 1ull << 50);
  EXPECT_EQ(h->percentile(1.0), 1ull << 50);
  EXPECT_EQ(h->percentile(0.5), 1ull << 50);  // clamped to [min, max]
}

}  // namespace
}  // namespace chat::bench
