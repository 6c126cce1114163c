#include "client/address.h"

#include <gtest/gtest.h>

namespace chat::client {
namespace {

TEST(AddressTest, ParsesOneAndSeveral) {
  auto one = parse_server_list("127.0.0.1:7000");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0], (ServerAddress{"127.0.0.1", 7000}));

  auto many = parse_server_list("a:7000, b:7001 ,localhost");
  ASSERT_TRUE(many);
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[1], (ServerAddress{"b", 7001}));
  EXPECT_EQ((*many)[2], (ServerAddress{"localhost", kDefaultPort}));
}

TEST(AddressTest, ParsesBracketedIpv6) {
  auto v6 = parse_server_list("[::1]:7100,[fe80::1]");
  ASSERT_TRUE(v6);
  EXPECT_EQ((*v6)[0], (ServerAddress{"::1", 7100}));
  EXPECT_EQ((*v6)[0].to_string(), "[::1]:7100");
  EXPECT_EQ((*v6)[1].port, kDefaultPort);
}

TEST(AddressTest, RefusesBadEntries) {
  for (const char* bad :
       {"", ",", "a:7000,", ":7000", "a:", "a:0", "a:65536", "a:70x", "[::1", "[::1]x"}) {
    auto r = parse_server_list(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace chat::client
