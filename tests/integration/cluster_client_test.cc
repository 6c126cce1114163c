// The terminal client in a cluster: every node gives the same epoch, so a
// client whose node dies fails over to the next address, keeps its seqs and
// catches up through another node: every message once, in order, its
// unacknowledged line delivered once; a watcher on a third node sees the dead
// node's users go offline within cluster_ttl.
#include <signal.h>

#include <algorithm>
#include <set>

#include "client_harness.h"
#include "cluster_fixture.h"

namespace chat::itest {
namespace {

class ClusterClientTest : public ClusterTest {
 protected:
  std::string address(int node) { return "127.0.0.1:" + std::to_string(nodes_[node]->port()); }
};

TEST_P(ClusterClientTest, EveryNodeGivesTheSameEpoch) {
  std::set<uint64_t> epochs;
  for (int i = 0; i < kNodes; ++i) {
    TestClient c(nodes_[i]->port(), "epoch" + std::to_string(i));
    epochs.insert(c.login("epoch" + std::to_string(i))->epoch);
  }
  EXPECT_EQ(epochs.size(), 1u);
}

TEST_P(ClusterClientTest, TerminalClientFailsOverWithNothingLostOrRepeatedThreads) {
  ChatProcess ana("ana");
  ASSERT_TRUE(ana.start_script(address(0) + "," + address(1), "ana"));
  ana.take_event("welcome");
  ana.send_line("/join f");
  ana.take_event("joined", {{"room", "f"}});

  auto bob = login(2, "bob");
  bob->join("f");
  auto dan = login(0, "dan");    // on ana's node, and never comes back
  auto carl = login(2, "carl");  // watches dan from a third node
  if (!carl->watch({"dan"})["dan"]) {
    ASSERT_TRUE(carl->expect_event<proto::Presence>(Ms(5000))->online);
  }
  for (int k = 1; k <= 5; ++k) bob->say("f", "before " + std::to_string(k));
  ana.take([](const JsonValue& v) { return v.str("event") == "message" && num(v, "seq") == 5; },
           "message 5");

  // ana types a line and her node dies under it; bob keeps talking.
  ana.send_line("ana's last words");
  ASSERT_EQ(::kill(nodes_[0]->pid(), SIGKILL), 0);
  nodes_[0]->wait_exit(Ms(5000));
  for (int k = 1; k <= 5; ++k) bob->say("f", "during " + std::to_string(k));

  // dan's node is gone: carl sees him offline within cluster_ttl (2 s) and
  // the liveness check. (ana is back on another node within about a second,
  // before the dead node's users are dropped, so she never looks offline.)
  auto off = carl->expect_event<proto::Presence>(Ms(2000 + 4000));
  EXPECT_EQ(off->user, "dan");
  EXPECT_FALSE(off->online);
  JsonValue again = ana.take_event("welcome", {}, Ms(30000));
  EXPECT_EQ(again.str("server"), address(1));
  for (int k = 1; k <= 3; ++k) bob->say("f", "after " + std::to_string(k));
  ana.take(
      [](const JsonValue& v) { return v.str("event") == "message" && v.str("body") == "after 3"; },
      "the last message", Ms(15000));

  // Every message bob sent, once each, in seq order; no history reset.
  std::vector<std::string> bodies;
  uint64_t last = 0;
  for (const JsonValue& m : ana.all("message")) {
    if (m.str("room") != "f") continue;
    EXPECT_GT(num(m, "seq"), last) << "out of order or repeated";
    last = num(m, "seq");
    bodies.push_back(m.str("body"));
  }
  EXPECT_TRUE(ana.all("history_reset").empty()) << "the epoch changed under the client";
  for (const char* prefix : {"before ", "during "}) {
    for (int k = 1; k <= 5; ++k) {
      const std::string body = prefix + std::to_string(k);
      EXPECT_EQ(std::count(bodies.begin(), bodies.end(), body), 1) << body;
    }
  }
  // Her line reached bob once, whether the dead node had taken it or not.
  int from_ana = 0;
  while (auto f = bob->try_next_of(proto::MsgType::kMessage, Ms(500))) {
    if (decode_as<proto::Message>(*f)->from == "ana") ++from_ana;
  }
  EXPECT_EQ(from_ana, 1);
  ana.close_input();
  EXPECT_EQ(ana.wait_exit(Ms(10000)), 0) << ana.stderr_text();
}

INSTANTIATE_TEST_SUITE_P(Threads, ClusterClientTest, ::testing::Values(1), ThreadsParamName);

}  // namespace
}  // namespace chat::itest
