// Presence keys and the user-status payload.
#include "cluster/presence_wire.h"

#include <gtest/gtest.h>

namespace chat::cluster {
namespace {

TEST(PresenceWireTest, Keys) {
  EXPECT_EQ(node_key("a"), "chatd:node:a");
  EXPECT_EQ(online_key("a"), "chatd:online:a");
}

TEST(PresenceWireTest, StatusRoundTrip) {
  const std::string payload = encode_status(true, "node-1", "ana maria");
  auto on = decode_status(payload);  // views into payload
  ASSERT_TRUE(on);
  EXPECT_TRUE(on->online);
  EXPECT_EQ(on->node, "node-1");
  EXPECT_EQ(on->user, "ana maria") << "a user name may hold spaces: it comes last";
  auto off = decode_status("off n u");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->online);
  EXPECT_EQ(off->user, "u");
}

TEST(PresenceWireTest, RejectsMalformedStatus) {
  EXPECT_FALSE(decode_status(""));
  EXPECT_FALSE(decode_status("on"));
  EXPECT_FALSE(decode_status("on n"));
  EXPECT_FALSE(decode_status("on n "));
  EXPECT_FALSE(decode_status("on  u"));
  EXPECT_FALSE(decode_status("up n u"));
}

}  // namespace
}  // namespace chat::cluster
