#include "client/seq_tracker.h"

#include <gtest/gtest.h>

namespace chat::client {
namespace {

TEST(SeqTrackerTest, StartsUnknown) {
  SeqTracker t;
  EXPECT_FALSE(t.known());
  t.start(10);
  EXPECT_TRUE(t.known());
  EXPECT_TRUE(t.seen(10));
  EXPECT_FALSE(t.seen(11));
}

TEST(SeqTrackerTest, MarksOnceAndAdvancesTheFloorOverContiguousSeqs) {
  SeqTracker t;
  t.start(0);
  EXPECT_TRUE(t.mark(1));
  EXPECT_FALSE(t.mark(1));
  EXPECT_TRUE(t.mark(3));  // out of order: 2 not seen yet
  EXPECT_EQ(t.floor(), 1u);
  EXPECT_EQ(t.highest(), 3u);
  EXPECT_TRUE(t.mark(2));
  EXPECT_EQ(t.floor(), 3u);
  EXPECT_FALSE(t.mark(3));
  EXPECT_FALSE(t.mark(2));
}

TEST(SeqTrackerTest, SkipToGivesUpOnAGap) {
  SeqTracker t;
  t.start(5);
  t.mark(9);
  t.skip_to(7);
  EXPECT_EQ(t.floor(), 7u);
  EXPECT_FALSE(t.seen(8));
  t.mark(8);
  EXPECT_EQ(t.floor(), 9u);
  t.skip_to(3);  // behind the floor: nothing
  EXPECT_EQ(t.floor(), 9u);
}

TEST(SeqTrackerTest, ResetForgets) {
  SeqTracker t;
  t.start(5);
  t.mark(7);
  t.reset();
  EXPECT_FALSE(t.known());
  t.start(0);
  EXPECT_FALSE(t.seen(7));
}

TEST(SeqTrackerTest, SeenAboveTheFloorIsBounded) {
  SeqTracker t;
  t.start(0);
  // Every other seq: nothing becomes contiguous.
  for (uint64_t s = 2; s <= 2 * (SeqTracker::kMaxSeenAbove + 10); s += 2) t.mark(s);
  EXPECT_GT(t.floor(), 0u);  // the floor jumped rather than growing the set without end
  EXPECT_TRUE(t.seen(t.highest()));
}

}  // namespace
}  // namespace chat::client
