#include "base/token_bucket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace chat {
namespace {

int take_all(TokenBucket& b, uint64_t now_ms, uint32_t rate, uint32_t burst) {
  int n = 0;
  while (b.try_take(now_ms, rate, burst)) ++n;
  return n;
}

TEST(TokenBucketTest, IsSixteenBytes) { EXPECT_EQ(sizeof(TokenBucket), 16u); }

TEST(TokenBucketTest, StartsFull) {
  TokenBucket b(100, 1000);
  EXPECT_EQ(b.available(1000, 50, 100), 100u);
  EXPECT_EQ(take_all(b, 1000, 50, 100), 100);
  EXPECT_FALSE(b.try_take(1000, 50, 100));
}

TEST(TokenBucketTest, RefillsContinuouslyAtRate) {
  TokenBucket b(100, 0);
  EXPECT_EQ(take_all(b, 0, 50, 100), 100);
  // 50/s = one token per 20 ms.
  EXPECT_FALSE(b.try_take(19, 50, 100));
  EXPECT_TRUE(b.try_take(20, 50, 100));
  EXPECT_FALSE(b.try_take(20, 50, 100));
  // Fractions accumulate across calls: 10 ms + 10 ms = one token.
  EXPECT_FALSE(b.try_take(30, 50, 100));
  EXPECT_TRUE(b.try_take(40, 50, 100));
  // One second later: 50 tokens.
  EXPECT_EQ(take_all(b, 1040, 50, 100), 50);
}

TEST(TokenBucketTest, CapsAtBurst) {
  TokenBucket b(10, 0);
  EXPECT_EQ(take_all(b, 0, 1000, 10), 10);
  EXPECT_EQ(take_all(b, 60'000, 1000, 10), 10);  // a minute of silence: still 10
}

TEST(TokenBucketTest, SustainedRateOverTime) {
  TokenBucket b(5, 0);
  int taken = 0;
  // Try every millisecond for 10 s at 3/s, burst 5: 5 + 30 tokens.
  for (uint64_t t = 0; t <= 10'000; ++t) taken += b.try_take(t, 3, 5) ? 1 : 0;
  EXPECT_EQ(taken, 35);
}

TEST(TokenBucketTest, RateZeroSpendsTheBurstThenRefusesForever) {
  TokenBucket b(3, 0);
  EXPECT_EQ(take_all(b, 0, 0, 3), 3);
  EXPECT_FALSE(b.try_take(3'600'000, 0, 3));
  EXPECT_FALSE(b.try_take(std::numeric_limits<uint64_t>::max(), 0, 3));
}

TEST(TokenBucketTest, BurstZeroRefusesEverything) {
  TokenBucket b(0, 0);
  EXPECT_FALSE(b.try_take(0, 100, 0));
  EXPECT_FALSE(b.try_take(10'000, 100, 0));
}

TEST(TokenBucketTest, TimeGoingBackwardsAddsNothing) {
  TokenBucket b(2, 10'000);
  EXPECT_EQ(take_all(b, 10'000, 1, 2), 2);
  EXPECT_FALSE(b.try_take(5'000, 1, 2));
  EXPECT_FALSE(b.try_take(10'999, 1, 2));
  EXPECT_TRUE(b.try_take(11'000, 1, 2));
}

TEST(TokenBucketTest, HugeGapsAndRatesDoNotOverflow) {
  const uint32_t max = std::numeric_limits<uint32_t>::max();
  TokenBucket b(max, 0);
  EXPECT_TRUE(b.try_take(0, max, max));
  EXPECT_EQ(b.available(std::numeric_limits<uint64_t>::max(), max, max), max);
  TokenBucket small(1, 0);
  EXPECT_TRUE(small.try_take(0, max, 1));
  EXPECT_TRUE(small.try_take(1, max, 1));
  EXPECT_EQ(small.available(std::numeric_limits<uint64_t>::max() - 1, max, 1), 1u);
}

TEST(TokenBucketTest, ShrinkingBurstCapsHeldTokens) {
  TokenBucket b(100, 0);
  EXPECT_EQ(b.available(0, 10, 5), 5u);
}

}  // namespace
}  // namespace chat
