#include "net/spsc_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace chat::net {
namespace {

TEST(SpscQueueTest, FifoWithinOneThreadAcrossChunks) {
  SpscQueue<std::string, 4> q;
  for (int i = 0; i < 10; ++i) q.push(std::to_string(i));
  EXPECT_TRUE(q.has_items());
  std::string got;
  EXPECT_EQ(q.pop_all([&](std::string& s) { got += s; }), 10u);
  EXPECT_EQ(got, "0123456789");
  EXPECT_FALSE(q.has_items());
  EXPECT_EQ(q.pop_all([](std::string&) {}), 0u);
}

// Run under ThreadSanitizer by `make tsan` (name matches its filter).
TEST(MailboxThreadsTest, ProducerAndConsumerThreadsSeeEveryItemInOrder) {
  constexpr uint64_t kItems = 200'000;
  SpscQueue<uint64_t, 64> q;
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kItems; ++i) q.push(uint64_t{i});
  });
  uint64_t expected = 1;
  bool in_order = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (expected <= kItems && std::chrono::steady_clock::now() < deadline) {
    q.pop_all([&](uint64_t& v) {
      if (v != expected) in_order = false;
      ++expected;
    });
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kItems + 1);
}

}  // namespace
}  // namespace chat::net
