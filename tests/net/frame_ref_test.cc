#include "net/frame_ref.h"

#include <gtest/gtest.h>

#include <vector>

namespace chat::net {
namespace {

TEST(FrameRefTest, CopiesShareOneBlock) {
  FrameRef a = FrameRef::copy_of("hello");
  FrameRef b = a;
  EXPECT_EQ(a.data(), b.data());
  a.reset();
  EXPECT_FALSE(a);
  EXPECT_EQ(b.view(), "hello");  // still alive through b
}

TEST(FrameRefTest, CountedReferencesKeepTheFrameUntilTheLastGoes) {
  FrameRef original = FrameRef::copy_of("fan-out");
  original.count_refs(3);
  std::vector<FrameRef> copies;
  for (int i = 0; i < 3; ++i) copies.push_back(original.claim_counted());
  original.reset();
  for (const FrameRef& c : copies) EXPECT_EQ(c.view(), "fan-out");
  copies.pop_back();
  copies.erase(copies.begin());
  EXPECT_EQ(copies.front().view(), "fan-out");
  copies.clear();  // the last reference frees the block (ASan checks no leak, no double free)
}

TEST(FrameRefTest, CountingNothingOrAnEmptyRefIsHarmless) {
  FrameRef empty;
  empty.count_refs(5);
  EXPECT_FALSE(empty.claim_counted());
  FrameRef f = FrameRef::copy_of("x");
  f.count_refs(0);
  EXPECT_EQ(f.view(), "x");
}

}  // namespace
}  // namespace chat::net
