// Test fixture for Session: a recording Transport, a FakeClock, and helpers
// that play the server's side with the real codec. No sockets, no real time.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "client/session.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::client::testing {

// A frame the session sent, with its payload copied out.
struct SentFrame {
  proto::MsgType type;
  std::string payload;
  proto::Payload bytes() const {
    return {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()};
  }
};

class FakeTransport : public Transport {
 public:
  Status connect(const ServerAddress& addr) override {
    connects.push_back(addr);
    connected = true;
    if (!next_connect_error.empty()) {
      connected = false;
      return Status::error(std::exchange(next_connect_error, ""));
    }
    return Status::ok();
  }
  void send(std::string_view bytes) override {
    EXPECT_TRUE(connected) << "send while not connected";
    out.append(bytes);
  }
  void close() override {
    connected = false;
    ++closes;
  }
  void set_max_frame(uint32_t bytes) override { max_frame = bytes; }

  // Splits what was sent into frames and clears it.
  std::vector<SentFrame> take() {
    std::vector<SentFrame> frames;
    auto data = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()), out.size());
    while (!data.empty()) {
      proto::FrameView f = proto::decode_frame(data, 1 << 20);
      EXPECT_EQ(f.status, proto::FrameStatus::kFrame);
      if (f.status != proto::FrameStatus::kFrame) break;
      frames.push_back(SentFrame{static_cast<proto::MsgType>(f.type),
                                 std::string(f.payload.begin(), f.payload.end())});
      data = data.subspan(f.frame_bytes);
    }
    out.clear();
    return frames;
  }

  std::vector<ServerAddress> connects;
  std::string next_connect_error;  // the next connect() fails with this
  bool connected = false;
  int closes = 0;
  uint32_t max_frame = 0;
  std::string out;
};

class SessionTest : public ::testing::Test {
 protected:
  static SessionConfig base_config(size_t servers = 1, uint32_t retries = 3) {
    SessionConfig c;
    for (size_t i = 0; i < servers; ++i) {
      c.servers.push_back(ServerAddress{"10.0.0." + std::to_string(i + 1), 7000});
    }
    c.user = "ana";
    c.client_id = 0xC0FFEE;
    c.seed = 42;
    c.retries = retries;
    return c;
  }

  void make(SessionConfig config = base_config()) {
    session = std::make_unique<Session>(std::move(config), clock, transport,
                                        [this](const ClientEvent& e) { events.push_back(e); });
  }

  // Feeds one server message to the session.
  template <class M>
  void server(const M& m) {
    std::string frame;
    if constexpr (requires { proto::encode(frame, m, uint32_t{1}); }) {
      proto::encode(frame, m, 1u << 20);  // MEMBERS, ROOM_LIST, HISTORY_PAGE
    } else {
      proto::encode(frame, m);
    }
    feed(frame);
  }
  void server_list(const proto::HistoryPage& page) {
    std::string frame;
    proto::encode(frame, page, 1 << 20);
    feed(frame);
  }
  void feed(const std::string& frame) {
    auto data =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.data()), frame.size());
    proto::FrameView f = proto::decode_frame(data, 1 << 20);
    ASSERT_EQ(f.status, proto::FrameStatus::kFrame);
    session->on_frame(f.type, f.payload);
  }

  // Connects (start or due reconnect), answers HELLO with WELCOME, and
  // swallows the first PING. Returns the frames sent after WELCOME.
  std::vector<SentFrame> connect_and_login(uint64_t epoch = 7, uint16_t heartbeat = 30,
                                           uint16_t timeout = 60) {
    if (session->state() == SessionState::kIdle) {
      session->start();
    } else {
      clock.set_mono_ms(std::max(clock.mono_ms(), session->reconnect_at_ms()));
      session->tick();
    }
    EXPECT_EQ(session->state(), SessionState::kConnecting);
    session->on_connected();
    auto hello_frames = transport.take();
    EXPECT_EQ(hello_frames.size(), 1u);
    EXPECT_EQ(hello_frames[0].type, proto::MsgType::kHello);
    auto hello = proto::decode_hello(hello_frames[0].bytes());
    EXPECT_TRUE(hello.ok());
    last_hello_req = hello.msg.req;
    last_client_id = hello.msg.client_id;
    server(proto::Welcome{hello.msg.req, ++session_counter, clock.now_ms(), heartbeat, timeout,
                          65536, "ana", epoch});
    EXPECT_EQ(session->state(), SessionState::kLive);
    std::vector<SentFrame> after = transport.take();
    // The first frame after WELCOME is a PING (early round-trip time).
    EXPECT_FALSE(after.empty());
    if (!after.empty()) {
      EXPECT_EQ(after[0].type, proto::MsgType::kPing);
      after.erase(after.begin());
    }
    return after;
  }

  // Drops the connection from the server side.
  void cut(const std::string& reason = "reset") { session->on_closed(reason); }

  template <class T>
  std::vector<T> events_of() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }
  // Room messages shown, as "room:seq:body".
  std::vector<std::string> shown_messages() const {
    std::vector<std::string> out;
    for (const auto& m : events_of<MessageEvent>()) {
      out.push_back(m.room + ":" + std::to_string(m.seq) + ":" + m.body);
    }
    return out;
  }

  static proto::Message msg(std::string_view room, uint64_t seq, std::string_view body,
                            std::string_view from = "bob") {
    return proto::Message{room, seq, 1'700'000'000'000 + seq, from, body};
  }

  FakeClock clock;
  FakeTransport transport;
  std::vector<ClientEvent> events;
  std::unique_ptr<Session> session;
  uint32_t last_hello_req = 0;
  uint64_t last_client_id = 0;
  uint64_t session_counter = 0;
};

}  // namespace chat::client::testing
