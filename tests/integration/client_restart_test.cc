// chatd stopped and started again: its in-memory history is gone (new epoch,
// room seqs start over). The client reconnects, notices the reset, says so
// once per room, and carries on.
#include "client_harness.h"

namespace chat::itest {
namespace {

class ClientRestartTest : public ServerTest {};

TEST_P(ClientRestartTest, SameAddressRestartResetsHistoryOnceAndCarriesOn) {
  start_server();
  // The proxy keeps the address fixed while chatd restarts behind it.
  TcpProxy proxy(port());
  ChatProcess ana("ana");
  ASSERT_TRUE(ana.start_script(proxy.address(), "ana", {"--retries", "0"}));
  ana.take_event("welcome");
  ana.send_line("/join r");
  ana.take_event("joined", {{"room", "r"}});
  {
    auto bob = login("bob");
    bob->join("r");
    for (int i = 1; i <= 4; ++i) bob->say("r", "old " + std::to_string(i));
  }
  ana.take([](const JsonValue& v) { return v.str("event") == "message" && num(v, "seq") == 4; },
           "message 4");

  EXPECT_EQ(server().stop(), 0);
  ana.take_event("disconnected");
  ServerProcess second;
  ASSERT_TRUE(second.start(ServerArgs{{"lobby", ""}}, threads()));
  proxy.set_target(second.port());

  ana.take_event("reconnected", {}, Ms(40000));
  JsonValue reset = ana.take_event("history_reset", {{"room", "r"}});
  // Back in the room on the new server: seqs start over and flow again.
  auto bob = std::make_unique<TestClient>(second.port(), "bob");
  bob->login("bob");
  bob->join("r");
  bob->say("r", "new 1");
  JsonValue fresh = ana.take_event("message", {{"body", "new 1"}}, Ms(10000));
  EXPECT_EQ(num(fresh, "seq"), 1u);
  ana.send_line("still talking");
  auto m = bob->expect_event<proto::Message>();
  EXPECT_EQ(m->body, "still talking");
  EXPECT_EQ(m->seq, 2u);

  EXPECT_EQ(ana.all("history_reset").size(), 1u);  // said once
  (void)reset;
  ana.close_input();
  EXPECT_EQ(ana.wait_exit(Ms(10000)), 0) << ana.stderr_text();
  EXPECT_EQ(second.stop(), 0);
}

TEST_P(ClientRestartTest, ReconnectTriesTheNextAddress) {
  start_server();
  ServerProcess second;
  ASSERT_TRUE(second.start(ServerArgs{{"lobby", ""}}, threads()));
  const std::string both =
      "127.0.0.1:" + std::to_string(port()) + ",127.0.0.1:" + std::to_string(second.port());
  ChatProcess ana("ana");
  ASSERT_TRUE(ana.start_script(both, "ana"));
  JsonValue first = ana.take_event("welcome");
  EXPECT_EQ(first.str("server"), "127.0.0.1:" + std::to_string(port()));
  ana.send_line("/join r");
  ana.send_line("on the first server");
  ana.take_event("ack", {{"room", "r"}});

  EXPECT_EQ(server().stop(), 0);
  ana.take_event("disconnected");
  JsonValue again = ana.take_event("welcome", {}, Ms(20000));
  EXPECT_EQ(again.str("server"), "127.0.0.1:" + std::to_string(second.port()));
  ana.take_event("history_reset", {{"room", "r"}});
  auto bob = std::make_unique<TestClient>(second.port(), "bob");
  bob->login("bob");
  bob->join("r");
  ana.send_line("on the second server");
  auto m = bob->expect_event<proto::Message>();
  EXPECT_EQ(m->body, "on the second server");
  ana.close_input();
  EXPECT_EQ(ana.wait_exit(Ms(10000)), 0) << ana.stderr_text();
  EXPECT_EQ(second.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Threads, ClientRestartTest, ::testing::Values(2), ThreadsParamName);

}  // namespace
}  // namespace chat::itest
