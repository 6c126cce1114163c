#include "client/backoff.h"

#include <gtest/gtest.h>

namespace chat::client {
namespace {

TEST(BackoffTest, CeilingDoublesFromBaseUpToCap) {
  BackoffPolicy p;  // 500 ms, 30 s
  EXPECT_EQ(backoff_ceiling_ms(0, p), 500u);
  EXPECT_EQ(backoff_ceiling_ms(1, p), 500u);
  EXPECT_EQ(backoff_ceiling_ms(2, p), 1'000u);
  EXPECT_EQ(backoff_ceiling_ms(3, p), 2'000u);
  EXPECT_EQ(backoff_ceiling_ms(7, p), 30'000u);  // 32 s capped
  EXPECT_EQ(backoff_ceiling_ms(4'000'000'000u, p), 30'000u);
}

TEST(BackoffTest, ZeroBaseStaysZero) {
  EXPECT_EQ(backoff_ceiling_ms(4'000'000'000u, BackoffPolicy{0, 30'000}), 0u);
}

TEST(BackoffTest, FullJitterCoversTheWholeRange) {
  std::mt19937_64 rng(1);
  BackoffPolicy p;
  uint64_t lowest = UINT64_MAX, highest = 0;
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t d = backoff_delay_ms(3, p, rng);
    ASSERT_LE(d, 2'000u);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  // Full jitter: from (nearly) zero to (nearly) the ceiling, not "ceiling +- a bit".
  EXPECT_LT(lowest, 100u);
  EXPECT_GT(highest, 1'900u);
}

TEST(BackoffTest, SameSeedSameDelays) {
  std::mt19937_64 a(7), b(7);
  for (uint32_t attempt = 1; attempt < 20; ++attempt) {
    EXPECT_EQ(backoff_delay_ms(attempt, BackoffPolicy{}, a),
              backoff_delay_ms(attempt, BackoffPolicy{}, b));
  }
}

}  // namespace
}  // namespace chat::client
