// The WebSocket transport (PROTOCOL.md §9, docs/protocol.md): the web
// listener's handshake and page files, chat frames carried in binary
// messages however they are split, RFC 6455 rules (masking, text, control
// frames, close handshake, size limit), and WebSocket sessions living with
// TCP sessions: talking to each other, and cut off as slow consumers.
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness.h"
#include "metrics_helpers.h"
#include "ws_client.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;
using proto::MsgType;

std::string encoded(const auto& m) {
  std::string out;
  proto::encode(out, m);
  return out;
}

std::string expected_accept(const std::string& head) {
  // Recomputes Sec-WebSocket-Accept from the key we sent (RFC 6455 §4.2.2).
  const std::string tag = "Sec-WebSocket-Accept: ";
  size_t at = head.find(tag);
  if (at == std::string::npos) return "";
  return head.substr(at + tag.size(), head.find("\r\n", at) - at - tag.size());
}

std::string accept_for(const std::string& key) {
  std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

class WebSocketTest : public ServerTest {
 protected:
  // Starts chatd with its web listener on a free port.
  void start_web(ServerArgs args = {}) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      web_port_ = free_local_port();
      args.set("web", "127.0.0.1:" + std::to_string(web_port_));
      server_ = std::make_unique<ServerProcess>();
      args.set_default("lobby", "");
      if (server_->start(args, threads())) return;
    }
    FAIL() << "chatd with a web listener did not start";
  }
  std::unique_ptr<WsTestClient> ws(const std::string& label = "ws") {
    auto c = std::make_unique<WsTestClient>(web_port_, label);
    EXPECT_EQ(c->handshake(), 101) << c->reply_head();
    return c;
  }
  uint16_t web_port_ = 0;
};

TEST_P(WebSocketTest, HandshakeAnswersWithTheAcceptForTheKey) {
  start_web();
  WsTestClient c(web_port_);
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  ASSERT_EQ(c.handshake({{"Sec-WebSocket-Key", key}}), 101) << c.reply_head();
  EXPECT_EQ(expected_accept(c.reply_head()), accept_for(key));
  EXPECT_EQ(expected_accept(c.reply_head()), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  c.login("ana");
}

TEST_P(WebSocketTest, BadHandshakesAre400) {
  start_web();
  const std::vector<std::map<std::string, std::string>> bad = {
      {{"Sec-WebSocket-Key", "not-a-key"}}, {{"Sec-WebSocket-Key", ""}},
      {{"Sec-WebSocket-Version", "12"}},    {{"Upgrade", ""}},
      {{"Connection", "keep-alive"}},
  };
  for (const auto& headers : bad) {
    WsTestClient c(web_port_);
    EXPECT_EQ(c.handshake(headers), 400) << c.reply_head();
  }
}

TEST_P(WebSocketTest, ForeignOriginIs403AndSameHostIsAllowed) {
  start_web();
  const std::string self = "http://127.0.0.1:" + std::to_string(web_port_);
  WsTestClient evil(web_port_);
  EXPECT_EQ(evil.handshake({{"Origin", "http://evil.example"}}), 403) << evil.reply_head();
  WsTestClient same(web_port_);
  EXPECT_EQ(same.handshake({{"Origin", self}, {"Host", "127.0.0.1:" + std::to_string(web_port_)}}),
            101)
      << same.reply_head();
  same.login("ana");
}

TEST_P(WebSocketTest, ListedOriginsAreAllowedAndOnlyThey) {
  start_web({{"web-origins", "http://chat.example:8080, http://other.example"}});
  WsTestClient listed(web_port_);
  EXPECT_EQ(listed.handshake({{"Origin", "http://chat.example:8080"}}), 101);
  WsTestClient self(web_port_);
  EXPECT_EQ(self.handshake({{"Origin", "http://127.0.0.1:" + std::to_string(web_port_)},
                            {"Host", "127.0.0.1:" + std::to_string(web_port_)}}),
            403);
}

TEST_P(WebSocketTest, HelloAndWelcomeOverWebSocket) {
  start_web();
  auto c = ws();
  auto w = c->login("ana");
  EXPECT_EQ(w->user, "ana");
  EXPECT_EQ(w->max_frame, 65536u);
  c->send(proto::Ping{77});
  EXPECT_EQ(c->expect<proto::Pong>()->nonce, 77u);
}

TEST_P(WebSocketTest, ChatFrameSplitOverSeveralMessages) {
  start_web();
  auto c = ws();
  std::string hello = encoded(proto::Hello{1, 0, "splitter", ""});
  // 3 messages: 5 bytes (inside the header), 1 byte, the rest.
  c->send_binary(hello.substr(0, 5));
  c->send_binary(hello.substr(5, 1));
  c->send_binary(hello.substr(6));
  EXPECT_EQ(c->expect<proto::Welcome>()->user, "splitter");
}

TEST_P(WebSocketTest, SeveralChatFramesInOneMessage) {
  start_web();
  auto c = ws();
  std::string batch = encoded(proto::Hello{1, 0, "batcher", ""}) + encoded(proto::Ping{5}) +
                      encoded(proto::Join{2, "room"}) + encoded(proto::Ping{6});
  c->send_binary(batch);
  EXPECT_EQ(c->expect<proto::Welcome>()->req, 1u);
  EXPECT_EQ(c->expect<proto::Pong>()->nonce, 5u);
  EXPECT_EQ(c->expect<proto::Ack>()->req, 2u);
  EXPECT_EQ(c->expect<proto::Pong>()->nonce, 6u);
}

TEST_P(WebSocketTest, FragmentedMessageIsReassembled) {
  start_web();
  auto c = ws();
  std::string hello = encoded(proto::Hello{1, 0, "fragments", ""});
  std::string wire = WsTestClient::frame(0x2, hello.substr(0, 3), false) +
                     WsTestClient::frame(0x9, "mid") +  // a ping between fragments
                     WsTestClient::frame(0x0, hello.substr(3, 10), false) +
                     WsTestClient::frame(0x0, hello.substr(13), true);
  // Byte by byte, so frames also split across reads.
  for (char ch : wire) c->send_raw(std::string(1, ch));
  EXPECT_EQ(c->next_control(0xA).payload, "mid");
  EXPECT_EQ(c->expect<proto::Welcome>()->user, "fragments");
}

TEST_P(WebSocketTest, TextMessageIsClosedWith1003) {
  start_web();
  auto c = ws();
  c->send_frame(0x1, "hello");
  c->expect_close(1003);
}

TEST_P(WebSocketTest, UnmaskedFrameIsClosedWith1002) {
  start_web();
  auto c = ws();
  c->send_frame(0x2, encoded(proto::Ping{1}), true, /*masked=*/false);
  c->expect_close(1002);
}

TEST_P(WebSocketTest, OversizedMessageIsClosedWith1009) {
  start_web({{"max-frame", "8192"}, {"max-body", "4096"}});
  auto c = ws();
  c->login("big");
  // A header announcing more than max_frame is refused before the payload.
  std::string f = WsTestClient::frame(0x2, std::string(9000, 'x'));
  c->send_raw(f.substr(0, 100));
  c->expect_close(1009);
  // Fragments that add up past it, too.
  auto d = ws("fragments");
  // (the start of a SAY frame of 8000 bytes, so the chat reader just waits)
  const std::string say_header = from_hex("caf0010600001f40");
  d->send_frame(0x2, say_header + std::string(4992, 'a'), false);
  d->send_frame(0x0, std::string(5000, 'b'), true);
  d->expect_close(1009);
}

TEST_P(WebSocketTest, PingGetsPongWithItsPayload) {
  start_web();
  auto c = ws();
  c->send_frame(0x9, "are you there");
  EXPECT_EQ(c->next_control(0xA).payload, "are you there");
  c->login("pinger");  // still usable
}

TEST_P(WebSocketTest, CloseHandshake) {
  start_web();
  auto c = ws();
  c->login("leaver");
  c->send_frame(0x8, std::string("\x03\xE8", 2));
  c->expect_close(1000);
}

TEST_P(WebSocketTest, WebAndTcpUsersTalkBothWays) {
  start_web();
  auto tcp = login("terminal");
  tcp->join("mixed");
  auto w = ws();
  w->login("browser");
  uint32_t join = w->next_req();
  w->send(proto::Join{join, "mixed"});
  EXPECT_EQ(w->expect<proto::Ack>()->req, join);
  tcp->wait_member("mixed", "browser");

  uint32_t say = w->next_req();
  w->send(proto::Say{say, "mixed", "hello from the browser"});
  EXPECT_EQ(w->expect<proto::Ack>()->req, say);
  auto m = tcp->expect_event<proto::Message>();
  EXPECT_EQ(m->from, "browser");
  EXPECT_EQ(m->body, "hello from the browser");

  tcp->say("mixed", "hello from the terminal");
  auto back = w->expect<proto::Message>();
  EXPECT_EQ(back->from, "terminal");
  EXPECT_EQ(back->body, "hello from the terminal");
  // Private messages cross transports too.
  tcp->whisper("browser", "psst");
  auto p = w->expect<proto::Private>();
  EXPECT_EQ(p->body, "psst");
}

TEST_P(WebSocketTest, ManyDeliveriesArriveWholeAndInOrder) {
  // Output framing under load: many frames per binary message, partial
  // writes resumed (a small receive buffer read late).
  start_web({{"rate", "1000000"}, {"burst", "1000000"}});
  auto tcp = login("sender");
  tcp->join("burst");
  WsTestClient w(web_port_, "reader", 4096);
  ASSERT_EQ(w.handshake(), 101);
  w.login("reader");
  uint32_t join = w.next_req();
  w.send(proto::Join{join, "burst"});
  EXPECT_EQ(w.expect<proto::Ack>()->req, join);
  tcp->wait_member("burst", "reader");
  const std::string body(1000, 'm');
  constexpr int kMessages = 150;  // 150 KB: below max_outbound, above the socket buffers
  std::string batch;
  std::vector<uint32_t> reqs;
  for (int i = 0; i < kMessages; ++i) {
    reqs.push_back(tcp->next_req());
    batch += encoded(proto::Say{reqs.back(), "burst", body});
  }
  tcp->send_raw(batch);
  for (uint32_t req : reqs) tcp->expect<proto::Ack>(req);
  for (uint64_t seq = 1; seq <= kMessages; ++seq) {
    auto m = w.expect<proto::Message>();
    ASSERT_EQ(m->seq, seq);
    ASSERT_EQ(m->body.size(), body.size());
  }
  EXPECT_LT(w.binary_messages(), static_cast<size_t>(kMessages))
      << "frames queued together go out in one binary message";
}

TEST_P(WebSocketTest, SlowWebSocketReaderIsCutOffOthersKeepReceiving) {
  start_web({{"max-outbound", "65536"}, {"rate", "1000000"}, {"burst", "1000000"}});
  auto sender = login("sender");
  auto reader = login("reader");
  sender->join("flood");
  reader->join("flood");
  WsTestClient slow(web_port_, "slow", 4096);
  ASSERT_EQ(slow.handshake(), 101);
  slow.login("slow");
  uint32_t join = slow.next_req();
  slow.send(proto::Join{join, "flood"});
  EXPECT_EQ(slow.expect<proto::Ack>()->req, join);
  sender->wait_member("flood", "slow");

  const std::string body(4000, 'f');
  constexpr uint64_t kMaxMessages = 10000;
  uint64_t sent = 0;
  uint64_t seen = 0;
  bool slow_gone = false;
  while (sent < kMaxMessages && !slow_gone) {
    std::string batch;
    std::vector<uint32_t> reqs;
    for (int i = 0; i < 10; ++i) {
      reqs.push_back(sender->next_req());
      batch += encoded(proto::Say{reqs.back(), "flood", body});
    }
    sender->send_raw(batch);
    for (uint32_t req : reqs) ASSERT_EQ(sender->expect<proto::Ack>(req)->id, ++sent);
    while (seen < sent) {
      auto m = reader->expect_event<proto::Message>();
      ASSERT_EQ(m->seq, ++seen) << "the TCP reader missed a message";
    }
    if (sent % 100 == 0) {
      auto who = sender->who("flood");
      slow_gone = std::find(who->users.begin(), who->users.end(), "slow") == who->users.end();
    }
  }
  ASSERT_TRUE(slow_gone) << "a WebSocket reader that reads nothing was not dropped after " << sent
                         << " messages";
  EXPECT_EQ(sender->say("flood", "after"), ++sent);
  EXPECT_EQ(reader->expect_event<proto::Message>()->body, "after");

  // The slow one reads now: a gapless prefix, maybe SLOW_CONSUMER (best
  // effort: its socket was full), then the end.
  uint64_t expect_seq = 1;
  bool got_error = false;
  for (;;) {
    auto f = slow.try_next(Ms(20000));
    if (!f) break;
    if (f->type == static_cast<uint8_t>(MsgType::kMessage)) {
      ASSERT_FALSE(got_error) << "a MESSAGE after SLOW_CONSUMER";
      ASSERT_EQ(decode_as<proto::Message>(*f)->seq, expect_seq++) << "gap";
    } else if (f->type == static_cast<uint8_t>(MsgType::kError)) {
      EXPECT_EQ(decode_as<proto::ErrorMsg>(*f)->code, ErrorCode::kSlowConsumer);
      got_error = true;
    }
  }
  EXPECT_TRUE(slow.closed());
  EXPECT_LT(expect_seq - 1, sent);
}

TEST_P(WebSocketTest, PageFilesAndHttpErrors) {
  start_web();
  auto root = http_get(web_port_, "/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->status, 200);
  EXPECT_NE(root->headers.find("Content-Type: text/html"), std::string::npos) << root->headers;
  EXPECT_NE(root->body.find("<"), std::string::npos);
  auto missing = http_get(web_port_, "/no-such-file.js");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  std::string post = http_raw(web_port_, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  std::string junk = http_raw(web_port_, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(junk.rfind("HTTP/1.1 400", 0), 0u) << junk;
  std::string huge =
      http_raw(web_port_, "GET / HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n");
  EXPECT_EQ(huge.rfind("HTTP/1.1 431", 0), 0u) << huge.substr(0, 40);
}

TEST_P(WebSocketTest, IncompleteRequestTimesOut) {
  start_web({{"login-timeout", "1"}});
  std::string reply = http_raw(web_port_, "GET / HTTP/1.1\r\nHost: x\r\n", Ms(5000));
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
}

TEST_P(WebSocketTest, MetricsCountUpgradesRefusalsAndFiles) {
  const uint16_t http_port = free_local_port();
  start_web({{"http", "127.0.0.1:" + std::to_string(http_port)}});
  auto ok = ws();
  ok->login("counted");
  WsTestClient evil(web_port_);
  EXPECT_EQ(evil.handshake({{"Origin", "http://evil.example"}}), 403);
  WsTestClient bad(web_port_);
  EXPECT_EQ(bad.handshake({{"Sec-WebSocket-Version", "7"}}), 400);
  ASSERT_TRUE(http_get(web_port_, "/").has_value());
  ok->send_frame(0x1, "text");
  ok->expect_close(1003);
  // The loops publish nothing lazily for these: counters are read live.
  auto reply = http_get(http_port, "/metrics");
  ASSERT_TRUE(reply.has_value());
  Scrape m = parse_scrape(reply->body);
  EXPECT_EQ(m.get("chatd_websocket_upgrades_total"), 1.0) << reply->body;
  EXPECT_EQ(m.get("chatd_websocket_upgrades_refused_total{reason=\"origin\"}"), 1.0);
  EXPECT_EQ(m.get("chatd_websocket_upgrades_refused_total{reason=\"bad_request\"}"), 1.0);
  EXPECT_EQ(m.get("chatd_web_files_served_total"), 1.0);
  EXPECT_EQ(m.get("chatd_websocket_protocol_closes_total"), 1.0);
  EXPECT_EQ(m.get("chatd_web_connections_accepted_total"), 4.0);
}

TEST_P(WebSocketTest, AWebAddressThatIsTakenStopsChatd) {
  // An address given explicitly must bind (the default one is best effort).
  uint16_t taken = 0;
  const int fd = listen_on_free_port(&taken);
  ASSERT_GE(fd, 0);
  ServerProcess p;
  EXPECT_EQ(p.run_expecting_exit({{"web", "127.0.0.1:" + std::to_string(taken)}}, threads()), 1);
  EXPECT_NE(p.read_log().find("web listener"), std::string::npos) << p.read_log();
  ::close(fd);
}

CHATD_INSTANTIATE_THREADS(WebSocketTest);

}  // namespace
}  // namespace chat::itest
