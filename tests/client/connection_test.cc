// TcpConnection over real loopback sockets: connect, frame reassembly down to
// one byte per read, frames that arrive with the close, refusal, limits.
#include "client/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::client {
namespace {

// A listening loopback socket for the test to play the server.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() {
    if (peer_ >= 0) ::close(peer_);
    if (fd_ >= 0) ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int accept_peer() {
    pollfd p{fd_, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 5000), 1);
    peer_ = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    return peer_;
  }
  void close_listener() {
    ::close(fd_);
    fd_ = -1;
  }
  void close_peer() {
    ::close(peer_);
    peer_ = -1;
  }
  int peer() const { return peer_; }

 private:
  int fd_ = -1;
  int peer_ = -1;
  uint16_t port_ = 0;
};

struct Got {
  uint8_t type;
  std::string payload;
};

// Polls the connection once (bounded) and collects frames.
TcpConnection::Outcome pump(TcpConnection& c, std::vector<Got>* got, int timeout_ms = 2000) {
  pollfd p{c.fd(), c.poll_events(), 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return {};
  return c.on_ready(p.revents, [&](uint8_t type, std::span<const uint8_t> payload) {
    got->push_back(Got{type, std::string(payload.begin(), payload.end())});
  });
}

void connect_to(TcpConnection& c, Listener& l) {
  ASSERT_TRUE(c.open(ServerAddress{"127.0.0.1", l.port()}));
  ASSERT_GE(l.accept_peer(), 0);
  std::vector<Got> none;
  for (int i = 0; i < 10 && c.connecting(); ++i) pump(c, &none);
  ASSERT_FALSE(c.connecting());
}

TEST(ConnectionTest, ReassemblesFramesWrittenOneByteAtATime) {
  Listener l;
  TcpConnection c;
  connect_to(c, l);
  std::string frames;
  proto::encode(frames, proto::Ok{1});
  proto::encode(frames, proto::Ack{2, 17, 99});
  proto::encode(frames, proto::Message{"lobby", 17, 99, "bob", "héllo"});
  std::vector<Got> got;
  for (char byte : frames) {
    ASSERT_EQ(::write(l.peer(), &byte, 1), 1);
    auto out = pump(c, &got);
    ASSERT_FALSE(out.closed) << out.reason;
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, static_cast<uint8_t>(proto::MsgType::kOk));
  EXPECT_EQ(got[2].type, static_cast<uint8_t>(proto::MsgType::kMessage));
  auto m = proto::decode_message(
      {reinterpret_cast<const uint8_t*>(got[2].payload.data()), got[2].payload.size()});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.msg.body, "héllo");
}

TEST(ConnectionTest, DeliversSeveralFramesFromOneRead) {
  Listener l;
  TcpConnection c;
  connect_to(c, l);
  std::string frames;
  for (uint32_t i = 1; i <= 50; ++i) proto::encode(frames, proto::Ok{i});
  ASSERT_EQ(::write(l.peer(), frames.data(), frames.size()), static_cast<ssize_t>(frames.size()));
  std::vector<Got> got;
  for (int i = 0; i < 20 && got.size() < 50; ++i) pump(c, &got);
  EXPECT_EQ(got.size(), 50u);
}

TEST(ConnectionTest, FramesBeforeTheCloseAreDeliveredFirst) {
  Listener l;
  TcpConnection c;
  connect_to(c, l);
  std::string frame;
  proto::encode(frame, proto::ErrorMsg{0, proto::ErrorCode::kIdleTimeout, "idle"});
  ASSERT_EQ(::write(l.peer(), frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  l.close_peer();
  std::vector<Got> got;
  TcpConnection::Outcome out;
  for (int i = 0; i < 10 && !out.closed; ++i) out = pump(c, &got);
  EXPECT_TRUE(out.closed);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, static_cast<uint8_t>(proto::MsgType::kError));
  EXPECT_FALSE(c.is_open());
}

TEST(ConnectionTest, SendsWhatWasQueuedBeforeTheConnectCompleted) {
  Listener l;
  TcpConnection c;
  ASSERT_TRUE(c.open(ServerAddress{"127.0.0.1", l.port()}));
  c.send("ping-bytes");
  ASSERT_GE(l.accept_peer(), 0);
  std::vector<Got> got;
  for (int i = 0; i < 10 && (c.connecting() || c.queued_bytes() > 0); ++i) pump(c, &got);
  char buf[32];
  pollfd p{l.peer(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  const ssize_t n = ::read(l.peer(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))), "ping-bytes");
}

TEST(ConnectionTest, RefusedConnectIsReported) {
  uint16_t port = 0;
  {
    Listener l;
    port = l.port();
  }  // closed: nothing listens there now
  TcpConnection c;
  Status st = c.open(ServerAddress{"127.0.0.1", port});
  if (!st) {
    EXPECT_NE(st.message().find("refused"), std::string::npos) << st.message();
    return;
  }
  std::vector<Got> got;
  TcpConnection::Outcome out;
  for (int i = 0; i < 10 && !out.closed; ++i) out = pump(c, &got);
  EXPECT_TRUE(out.closed);
  EXPECT_NE(out.reason.find("refused"), std::string::npos) << out.reason;
}

TEST(ConnectionTest, LocalhostReachesAnIpv4Listener) {
  Listener l;
  TcpConnection c;
  ASSERT_TRUE(c.open(ServerAddress{"localhost", l.port()}));
  ASSERT_GE(l.accept_peer(), 0);
  std::vector<Got> none;
  TcpConnection::Outcome out;
  for (int i = 0; i < 10 && c.connecting() && !out.closed; ++i) out = pump(c, &none);
  EXPECT_FALSE(out.closed) << out.reason;
  EXPECT_FALSE(c.connecting());
}

TEST(ConnectionTest, UnresolvableHostFailsAtOnce) {
  TcpConnection c;
  Status st = c.open(ServerAddress{"no-such-host.invalid", 7000});
  EXPECT_FALSE(st);
  EXPECT_FALSE(c.is_open());
}

TEST(ConnectionTest, OversizedFrameBreaksTheStream) {
  Listener l;
  TcpConnection c;
  connect_to(c, l);
  c.set_max_frame(100);
  std::string header;
  proto::append_header(header, proto::MsgType::kMessage, 1000);
  ASSERT_EQ(::write(l.peer(), header.data(), header.size()), 8);
  std::vector<Got> got;
  TcpConnection::Outcome out;
  for (int i = 0; i < 10 && !out.closed; ++i) out = pump(c, &got);
  EXPECT_TRUE(out.closed);
  EXPECT_NE(out.reason.find("1000 bytes"), std::string::npos) << out.reason;
}

TEST(ConnectionTest, BadMagicBreaksTheStream) {
  Listener l;
  TcpConnection c;
  connect_to(c, l);
  const char junk[] = "GET / HTTP/1.1\r\n";
  ASSERT_GT(::write(l.peer(), junk, sizeof junk - 1), 0);
  std::vector<Got> got;
  TcpConnection::Outcome out;
  for (int i = 0; i < 10 && !out.closed; ++i) out = pump(c, &got);
  EXPECT_TRUE(out.closed);
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace chat::client
