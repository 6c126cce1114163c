#include "net/outbound_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace chat::net {
namespace {

std::string drain_all(OutboundQueue& q, ChunkPool& pool, size_t step) {
  std::string got;
  while (!q.empty()) {
    struct iovec iov[8];
    int n = q.fill_iovec(iov, 8);
    size_t take = 0;
    for (int i = 0; i < n && take < step; ++i) {
      size_t part = std::min(step - take, iov[i].iov_len);
      got.append(static_cast<const char*>(iov[i].iov_base), part);
      take += part;
    }
    q.consume(pool, take);
  }
  return got;
}

TEST(OutboundQueueTest, KeepsOrderAcrossChunksAndPartialWrites) {
  ChunkPool pool;
  OutboundQueue q;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string f = "frame-" + std::to_string(i) + ";";
    expected += f;
    q.push(pool, FrameRef::copy_of(f));
  }
  EXPECT_EQ(q.bytes(), expected.size());
  EXPECT_EQ(drain_all(q, pool, 7), expected);  // 7 bytes per "write"
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(OutboundQueueTest, GivesChunksBackWhenDrainedAndReusesThem) {
  ChunkPool pool;
  OutboundQueue q;
  for (size_t i = 0; i < 3 * kFramesPerChunk; ++i) q.push(pool, FrameRef::copy_of("x"));
  EXPECT_EQ(pool.idle(), 0u);
  q.consume(pool, q.bytes());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(pool.idle(), 3u);
  q.push(pool, FrameRef::copy_of("y"));
  EXPECT_EQ(pool.idle(), 2u);  // taken from the pool, not allocated
  q.clear(pool);
  EXPECT_EQ(pool.idle(), 3u);
}

TEST(OutboundQueueTest, SharedFrameIsReferencedNotCopied) {
  ChunkPool pool;
  OutboundQueue a, b;
  FrameRef f = FrameRef::copy_of("shared");
  a.push(pool, f);
  b.push(pool, f);
  struct iovec ia[1], ib[1];
  ASSERT_EQ(a.fill_iovec(ia, 1), 1);
  ASSERT_EQ(b.fill_iovec(ib, 1), 1);
  EXPECT_EQ(ia[0].iov_base, ib[0].iov_base);
  a.clear(pool);
  b.clear(pool);
  EXPECT_EQ(f.view(), "shared");  // still alive while referenced
}

TEST(OutboundQueueTest, FillStopsAtIovecLimit) {
  ChunkPool pool;
  OutboundQueue q;
  for (int i = 0; i < 10; ++i) q.push(pool, FrameRef::copy_of("abc"));
  struct iovec iov[4];
  EXPECT_EQ(q.fill_iovec(iov, 4), 4);
  q.consume(pool, 2);  // partial first frame
  ASSERT_EQ(q.fill_iovec(iov, 4), 4);
  EXPECT_EQ(iov[0].iov_len, 1u);
  q.clear(pool);
}

}  // namespace
}  // namespace chat::net

namespace chat::net {
namespace {

TEST(OutboundQueueTest, DropUnstartedKeepsTheRestOfAPartlyWrittenFrame) {
  ChunkPool pool;
  OutboundQueue q;
  q.push(pool, FrameRef::copy_of("first"));
  q.push(pool, FrameRef::copy_of("second"));
  q.consume(pool, 2);  // "fi" written
  q.drop_unstarted(pool);
  q.push(pool, FrameRef::copy_of("|last"));
  EXPECT_EQ(q.bytes(), 3u + 5u);
  EXPECT_EQ(drain_all(q, pool, 100), "rst|last");

  q.push(pool, FrameRef::copy_of("whole"));
  q.drop_unstarted(pool);  // nothing started: all goes
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(OutboundQueueTest, DropAfterKeepsTheFramesHoldingTheFirstBytes) {
  ChunkPool pool;
  OutboundQueue q;
  for (int i = 0; i < 40; ++i) q.push(pool, FrameRef::copy_of("frame" + std::to_string(i % 10)));
  q.consume(pool, 8);  // "frame0" and "fr" of "frame1" written
  // A message in flight covers the rest of frame1 and frame2 (4 + 6 bytes).
  q.drop_after(pool, 10);
  EXPECT_EQ(q.bytes(), 10u);
  q.push(pool, FrameRef::copy_of("|end"));
  EXPECT_EQ(drain_all(q, pool, 3), "ame1frame2|end");

  q.push(pool, FrameRef::copy_of("gone"));
  q.drop_after(pool, 0);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace chat::net
