#include "chat/resend_cache.h"

#include <gtest/gtest.h>

namespace chat {
namespace {

TEST(ResendCacheTest, PendingThenCompleted) {
  ResendCache c;
  EXPECT_EQ(c.find(5), nullptr);
  ResendCache::Entry* e = c.start(5);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->pending);
  c.complete(5, 17, 1234);
  e = c.find(5);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->pending);
  EXPECT_EQ(e->id, 17u);
  EXPECT_EQ(e->time, 1234u);
}

TEST(ResendCacheTest, KeepsExactlyTheLast1024) {
  ResendCache c;
  for (uint32_t req = 1; req <= kResendEntriesPerClient + 10; ++req) {
    c.start(req);
    c.complete(req, req, 0);
  }
  EXPECT_EQ(c.size(), kResendEntriesPerClient);
  for (uint32_t req = 1; req <= 10; ++req) EXPECT_EQ(c.find(req), nullptr) << req;
  for (uint32_t req = 11; req <= kResendEntriesPerClient + 10; ++req) {
    EXPECT_NE(c.find(req), nullptr) << req;
  }
}

TEST(ResendCacheTest, NonSequentialReqsAreKeptToo) {
  ResendCache c;
  for (uint32_t i = 0; i < kResendEntriesPerClient; ++i) c.start(i * 7919u + 3);
  for (uint32_t i = 0; i < kResendEntriesPerClient; ++i) EXPECT_NE(c.find(i * 7919u + 3), nullptr);
}

TEST(ResendCacheTest, ErasedEntriesAreForgottenAndDoNotGrowTheQueue) {
  ResendCache c;
  c.start(1);
  for (uint32_t req = 2; req < 100'000; ++req) {
    c.start(req);
    c.erase(req);  // an error: not remembered
  }
  EXPECT_EQ(c.size(), 1u);
  EXPECT_NE(c.find(1), nullptr);
  EXPECT_EQ(c.find(500), nullptr);
  // The next 1023 fit beside the first; one more evicts it.
  for (uint32_t req = 200'000; req < 200'000 + kResendEntriesPerClient - 1; ++req) c.start(req);
  EXPECT_NE(c.find(1), nullptr);
  c.start(999'999);
  EXPECT_EQ(c.find(1), nullptr);
}

}  // namespace
}  // namespace chat
