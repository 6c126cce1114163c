// Recovery through a TCP proxy the test controls: the connection is cut
// while another user keeps talking; after reconnecting the client shows every
// missed message exactly once, in order, and a SAY whose ACK was lost in the
// cut reaches the others exactly once (resent with the same client_id and req).
#include <map>

#include "client_harness.h"

namespace chat::itest {
namespace {

class ClientRecoveryTest : public ServerTest {
 protected:
  std::unique_ptr<ChatProcess> chat_via(const TcpProxy& proxy, const std::string& user,
                                        const std::vector<std::string>& extra = {},
                                        const SrcLoc& loc = SrcLoc::current()) {
    auto c = std::make_unique<ChatProcess>(user);
    if (!c->start_script(proxy.address(), user, extra)) fail_at(loc, "cannot start chat");
    c->take_event("welcome", {{"user", user}}, kDefaultWait, loc);
    return c;
  }

  // Every message `c` showed in `room`: seq -> body, failing on a duplicate.
  static std::map<uint64_t, std::string> room_messages(const ChatProcess& c,
                                                       const std::string& room) {
    std::map<uint64_t, std::string> out;
    uint64_t last = 0;
    for (const auto& m : c.all("message")) {
      if (m.str("room") != room) continue;
      const uint64_t seq = num(m, "seq");
      EXPECT_EQ(out.count(seq), 0u) << "message " << seq << " shown twice";
      EXPECT_GT(seq, last) << "message " << seq << " shown after " << last;
      last = seq;
      out[seq] = m.str("body");
    }
    return out;
  }
};

TEST_P(ClientRecoveryTest, MissedMessagesOnceInOrderAndTheLostAckIsNotDoubled) {
  start_server();
  TcpProxy proxy(port());
  auto ana = chat_via(proxy, "ana", {"--retries", "0"});
  ana->send_line("/join r");
  ana->take_event("joined", {{"room", "r"}});
  auto bob = login("bob");
  bob->set_keepalive(Ms(1000));
  bob->join("r");
  ana->take_event("room_event", {{"user", "bob"}, {"kind", "joined"}});
  bob->say("r", "before the cut");  // seq 1
  ana->take_event("message", {{"body", "before the cut"}});

  // What the server says to ana is lost from now on: her next SAY is accepted
  // and delivered, but its ACK never reaches her.
  proxy.set_drop_downstream(true);
  ana->send_line("lost ack");
  auto delivered = bob->expect_event<proto::Message>();
  EXPECT_EQ(delivered->body, "lost ack");
  const uint64_t lost_seq = delivered->seq;  // 2

  // Cut, and keep her out while bob keeps talking.
  proxy.set_refuse(true);
  proxy.cut();
  proxy.set_drop_downstream(false);
  ana->take_event("disconnected");
  for (int i = 1; i <= 5; ++i) bob->say("r", "missed " + std::to_string(i));
  // Let her back in; bob talks on while she reconnects and recovers.
  proxy.set_refuse(false);
  for (int i = 1; i <= 5; ++i) bob->say("r", "during " + std::to_string(i));
  ana->take_event("reconnected", {}, Ms(40000));
  for (int i = 1; i <= 3; ++i) bob->say("r", "after " + std::to_string(i));
  const uint64_t last_seq = 1 + 1 + 5 + 5 + 3;
  ana->take(
      [&](const JsonValue& v) { return v.str("event") == "message" && num(v, "seq") == last_seq; },
      "the last message", Ms(15000));
  ana->send_line("/wait-acks");
  ana->send_line("/who");
  ana->take_event("members");

  // Every message of bob's exactly once, in seq order, no gap; ours not shown back.
  auto shown = room_messages(*ana, "r");
  std::vector<uint64_t> want_seqs;
  for (uint64_t s = 1; s <= last_seq; ++s) {
    if (s != lost_seq) want_seqs.push_back(s);
  }
  std::vector<uint64_t> got_seqs;
  for (const auto& [seq, body] : shown) got_seqs.push_back(seq);
  EXPECT_EQ(got_seqs, want_seqs);
  EXPECT_EQ(shown[3], "missed 1");
  EXPECT_EQ(shown[last_seq], "after 3");
  EXPECT_TRUE(ana->all("history_gap").empty());
  EXPECT_TRUE(ana->all("history_reset").empty());

  // The SAY was resent and answered with its original ACK: one ack, the
  // first seq, and the room holds it once.
  std::vector<JsonValue> acks = ana->all("ack");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(num(acks[0], "id"), lost_seq);
  auto page = bob->history("r", 0, 100);
  int copies = 0;
  for (const auto& e : page->entries) copies += e.body == "lost ack" ? 1 : 0;
  EXPECT_EQ(copies, 1);
  EXPECT_EQ(page->entries.size(), last_seq);

  ana->close_input();
  EXPECT_EQ(ana->wait_exit(Ms(10000)), 0) << ana->stderr_text();
}

TEST_P(ClientRecoveryTest, LongOutageRecoversAcrossHistoryPages) {
  start_server({{"history", "200"}});  // the default 100 would not hold all 150
  TcpProxy proxy(port());
  auto ana = chat_via(proxy, "ana", {"--retries", "0"});
  ana->send_line("/join r");
  ana->take_event("joined", {{"room", "r"}});
  auto bob = login("bob");
  bob->join("r");
  proxy.set_refuse(true);
  proxy.cut();
  ana->take_event("disconnected");
  // More than one HISTORY page (100), and under the server's rate burst.
  for (int i = 1; i <= 95; ++i) bob->say("r", "m" + std::to_string(i));
  std::this_thread::sleep_for(Ms(1200));  // the rate bucket refills
  for (int i = 96; i <= 150; ++i) bob->say("r", "m" + std::to_string(i));
  proxy.set_refuse(false);
  ana->take([](const JsonValue& v) { return v.str("event") == "message" && num(v, "seq") == 150; },
            "message 150", Ms(40000));
  auto shown = room_messages(*ana, "r");
  ASSERT_EQ(shown.size(), 150u);
  EXPECT_EQ(shown.begin()->first, 1u);
  EXPECT_EQ(shown.rbegin()->first, 150u);
  EXPECT_EQ(shown[150], "m150");
  EXPECT_TRUE(ana->all("history_gap").empty());
}

TEST_P(ClientRecoveryTest, TypedWhileDisconnectedIsSentAfterReconnecting) {
  start_server();
  TcpProxy proxy(port());
  auto ana = chat_via(proxy, "ana", {"--retries", "0"});
  ana->send_line("/join r");
  ana->take_event("joined", {{"room", "r"}});
  auto bob = login("bob");
  bob->join("r");
  proxy.set_refuse(true);
  proxy.cut();
  ana->take_event("disconnected");
  ana->send_line("written in the dark");
  ana->send_line("/msg bob and a whisper");
  ana->take_event("reconnecting");
  proxy.set_refuse(false);
  auto m = bob->expect_event<proto::Message>(Ms(40000));
  EXPECT_EQ(m->body, "written in the dark");
  auto p = bob->expect_event<proto::Private>(Ms(10000));
  EXPECT_EQ(p->body, "and a whisper");
  ana->take_event("ack", {{"room", "r"}});
  ana->take_event("ack", {{"to", "bob"}});
}

TEST_P(ClientRecoveryTest, SilentServerIsTreatedAsGone) {
  start_server({{"heartbeat", "1"}, {"timeout", "3"}});
  TcpProxy proxy(port());
  auto ana = chat_via(proxy, "ana", {"--retries", "0"});
  ana->send_line("/join r");
  ana->take_event("joined", {{"room", "r"}});
  proxy.set_stall(true);  // nothing moves, nothing closes
  JsonValue lost = ana->take_event("disconnected", {}, Ms(15000));
  EXPECT_NE(lost.str("reason").find("no word from the server"), std::string::npos)
      << lost.str("reason");
  proxy.set_stall(false);
  ana->take_event("reconnected", {}, Ms(40000));
  auto bob = login("bob");
  bob->join("r");
  bob->say("r", "you are back");
  ana->take_event("message", {{"body", "you are back"}});
}

CHATD_INSTANTIATE_THREADS(ClientRecoveryTest);

}  // namespace
}  // namespace chat::itest
