#include "base/clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace chat {
namespace {

TEST(SystemClockTest, WallClockIsNearTheRealEpochTime) {
  SystemClock clock;
  const uint64_t now = clock.now_ms();
  EXPECT_GT(now, 1'600'000'000'000u);  // after 2020-09
  EXPECT_LT(now, 4'100'000'000'000u);  // before 2100
}

TEST(SystemClockTest, MonotonicClockNeverGoesBackAndMoves) {
  SystemClock& clock = SystemClock::instance();
  const uint64_t a = clock.mono_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const uint64_t b = clock.mono_ms();
  EXPECT_GE(b, a + 4);
  EXPECT_LT(b, a + 5000);
}

TEST(FakeClockTest, StartsWhereToldAndMovesOnlyWhenTold) {
  FakeClock clock(5000, 70);
  EXPECT_EQ(clock.now_ms(), 5000u);
  EXPECT_EQ(clock.mono_ms(), 70u);
  EXPECT_EQ(clock.now_ms(), 5000u);

  clock.advance(30);
  EXPECT_EQ(clock.now_ms(), 5030u);
  EXPECT_EQ(clock.mono_ms(), 100u);

  clock.set_now_ms(1);  // wall clock may jump back; monotonic does not follow
  EXPECT_EQ(clock.now_ms(), 1u);
  EXPECT_EQ(clock.mono_ms(), 100u);
  clock.set_mono_ms(9000);
  EXPECT_EQ(clock.mono_ms(), 9000u);
}

TEST(FakeClockTest, UsableThroughTheInterface) {
  FakeClock fake;
  Clock& clock = fake;
  const uint64_t before = clock.mono_ms();
  fake.advance(60'000);
  EXPECT_EQ(clock.mono_ms() - before, 60'000u);
}

}  // namespace
}  // namespace chat
