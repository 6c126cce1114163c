#include "bench/tracking.h"

#include <gtest/gtest.h>

namespace chat::bench {
namespace {

TEST(SeqWindowTest, InOrderSeqsAreNextWithoutHoles) {
  SeqWindow w;
  w.reset(10);
  uint64_t holes = 0;
  for (uint64_t s = 11; s <= 3000; ++s) {
    ASSERT_EQ(w.observe(s, &holes), SeqVerdict::kNext);
    ASSERT_EQ(holes, 0u);
  }
  EXPECT_EQ(w.settle(), 0u);
}

TEST(SeqWindowTest, RepeatIsDuplicateAndLateFillIsOutOfOrder) {
  SeqWindow w;
  w.reset(0);
  uint64_t holes = 0;
  EXPECT_EQ(w.observe(1, &holes), SeqVerdict::kNext);
  EXPECT_EQ(w.observe(3, &holes), SeqVerdict::kNext);
  EXPECT_EQ(w.observe(3, &holes), SeqVerdict::kDuplicate);
  EXPECT_EQ(w.observe(2, &holes), SeqVerdict::kLate);
  EXPECT_EQ(w.observe(2, &holes), SeqVerdict::kDuplicate);
  EXPECT_EQ(w.observe(1, &holes), SeqVerdict::kDuplicate);
  EXPECT_EQ(w.settle(), 0u);
}

TEST(SeqWindowTest, SeqsAtOrBelowBaseCountAsSeen) {
  SeqWindow w;
  w.reset(100);
  uint64_t holes = 0;
  EXPECT_EQ(w.observe(100, &holes), SeqVerdict::kDuplicate);
  EXPECT_EQ(w.observe(101, &holes), SeqVerdict::kNext);
}

TEST(SeqWindowTest, MissingSeqIsAHoleOnlyWhenItLeavesTheWindowOrOnSettle) {
  SeqWindow w;
  w.reset(0);
  uint64_t holes = 0;
  uint64_t total = 0;
  w.observe(1, &holes);
  w.observe(3, &holes);  // 2 missing, but may still come
  EXPECT_EQ(holes, 0u);
  for (uint64_t s = 4; s <= 2 + SeqWindow::kBits; ++s) {
    w.observe(s, &holes);
    total += holes;
  }
  EXPECT_EQ(total, 1u);  // 2 left the window unseen
  EXPECT_EQ(w.settle(), 0u);

  SeqWindow v;
  v.reset(0);
  v.observe(5, &holes);  // 1..4 missing
  EXPECT_EQ(v.settle(), 4u);
  EXPECT_EQ(v.settle(), 0u);  // counted once
}

TEST(SeqWindowTest, OwnMessagesFillTheirSeqEvenWhenTheAckComesLate) {
  SeqWindow w;
  w.reset(0);
  uint64_t holes = 0;
  w.observe(1, &holes);
  w.observe(3, &holes);  // 2 is ours; its ACK comes after MESSAGE 3
  w.mark_own(2, &holes);
  w.mark_own(4, &holes);  // and 4 before MESSAGE 5
  w.observe(5, &holes);
  EXPECT_EQ(w.settle(), 0u);
}

TEST(SeqWindowTest, HugeJumpCountsEverySkippedSeq) {
  SeqWindow w;
  w.reset(0);
  uint64_t holes = 0;
  w.observe(1, &holes);
  EXPECT_EQ(w.observe(10'000, &holes), SeqVerdict::kNext);
  // 2..(10000 - kBits) left at once; the rest of the window is unseen too.
  EXPECT_EQ(holes, 10'000 - SeqWindow::kBits - 1);
  EXPECT_EQ(w.settle(), SeqWindow::kBits - 1);
  EXPECT_EQ(w.observe(5, &holes), SeqVerdict::kLate);  // too old to tell
}

TEST(SenderSeqTest, GapDuplicateAndLate) {
  uint32_t last = 0;
  uint64_t skipped = 0;
  EXPECT_EQ(observe_sender_seq(last, 1, &skipped), SeqVerdict::kNext);
  EXPECT_EQ(observe_sender_seq(last, 2, &skipped), SeqVerdict::kNext);
  EXPECT_EQ(observe_sender_seq(last, 5, &skipped), SeqVerdict::kAfterGap);
  EXPECT_EQ(skipped, 2u);
  EXPECT_EQ(observe_sender_seq(last, 5, &skipped), SeqVerdict::kDuplicate);
  EXPECT_EQ(observe_sender_seq(last, 4, &skipped), SeqVerdict::kLate);
  EXPECT_EQ(last, 5u);
}

TEST(PairSeqTableTest, TracksEachPairAlone) {
  PairSeqTable t(64);
  SeqVerdict v{};
  ASSERT_TRUE(t.observe(1, 2, 5, &v));
  EXPECT_EQ(v, SeqVerdict::kNext);
  ASSERT_TRUE(t.observe(1, 3, 6, &v));  // same sender, other recipient
  EXPECT_EQ(v, SeqVerdict::kNext);
  ASSERT_TRUE(t.observe(1, 2, 9, &v));  // seqs 6..8 went elsewhere: not a gap
  EXPECT_EQ(v, SeqVerdict::kNext);
  ASSERT_TRUE(t.observe(1, 2, 9, &v));
  EXPECT_EQ(v, SeqVerdict::kDuplicate);
  ASSERT_TRUE(t.observe(1, 2, 7, &v));
  EXPECT_EQ(v, SeqVerdict::kLate);
  EXPECT_EQ(t.size(), 2u);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  ASSERT_TRUE(t.observe(1, 2, 1, &v));
  EXPECT_EQ(v, SeqVerdict::kNext);
}

TEST(PairSeqTableTest, RefusesNewPairsWhenFullInsteadOfGrowing) {
  PairSeqTable t(16);
  SeqVerdict v{};
  size_t inserted = 0;
  for (uint32_t i = 0; i < 100; ++i) inserted += t.observe(i, i + 1, 1, &v) ? 1 : 0;
  EXPECT_EQ(inserted, 12u);  // 3/4 of 16
  EXPECT_EQ(t.capacity(), 16u);
  EXPECT_TRUE(t.observe(0, 1, 2, &v));  // known pairs still work
  EXPECT_EQ(v, SeqVerdict::kNext);
}

}  // namespace
}  // namespace chat::bench
