// A small WebSocket client for the integration tests: the RFC 6455 opening
// handshake, masked client frames (whole, split or malformed on purpose),
// and server frames read back — control frames kept, binary message
// payloads reassembled into the chat byte stream and decoded into frames.
// Test code only.
//
// Every wait is bounded. Single-threaded: belongs to the test's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "harness.h"

namespace chat::itest {

struct WsFrameIn {
  uint8_t opcode = 0;
  bool fin = true;
  std::string payload;
};

class WsTestClient {
 public:
  // Connects to 127.0.0.1:port (fails the test when it cannot).
  explicit WsTestClient(uint16_t port, std::string label = "ws",
                        const SrcLoc& loc = SrcLoc::current());
  // A socket receive buffer (SO_RCVBUF) set before connecting, when > 0.
  WsTestClient(uint16_t port, std::string label, int rcvbuf, const SrcLoc& loc = SrcLoc::current());
  ~WsTestClient();
  WsTestClient(const WsTestClient&) = delete;
  WsTestClient& operator=(const WsTestClient&) = delete;

  // Sends a GET /ws upgrade; returns the reply's status (0 when none came).
  // `headers` override or add to the defaults (Host, Upgrade, Connection,
  // Sec-WebSocket-Key, Sec-WebSocket-Version); an empty value drops one.
  // On 101 the Sec-WebSocket-Accept value is checked against the key.
  int handshake(const std::map<std::string, std::string>& headers = {},
                const std::string& path = "/ws", const SrcLoc& loc = SrcLoc::current());
  // Status line and headers of the handshake reply.
  const std::string& reply_head() const { return reply_head_; }

  // ---- sending ----
  void send_raw(std::string_view bytes, const SrcLoc& loc = SrcLoc::current());
  // One frame; masked unless told otherwise.
  static std::string frame(uint8_t opcode, std::string_view payload, bool fin = true,
                           bool masked = true);
  void send_frame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true,
                  const SrcLoc& loc = SrcLoc::current());
  // One binary message holding `bytes`.
  void send_binary(std::string_view bytes, const SrcLoc& loc = SrcLoc::current()) {
    send_frame(0x2, bytes, true, true, loc);
  }
  template <class M>
  void send(const M& m, const SrcLoc& loc = SrcLoc::current()) {
    std::string out;
    proto::encode(out, m);
    send_binary(out, loc);
  }
  uint32_t next_req() { return ++req_; }

  // ---- receiving ----
  // The next chat frame (from binary messages). Fails on timeout or close.
  Frame next(Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current());
  std::optional<Frame> try_next(Ms timeout);
  // The first chat frame of `type`; others before it are dropped.
  Frame next_of(proto::MsgType type, Ms timeout = kDefaultWait,
                const SrcLoc& loc = SrcLoc::current());
  template <class T>
  Got<T> expect(Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current()) {
    return decode_as<T>(next_of(MsgTraits<T>::kType, timeout, loc), loc);
  }
  // The next control frame of `opcode` (pong 0xA, close 0x8).
  WsFrameIn next_control(uint8_t opcode, Ms timeout = kDefaultWait,
                         const SrcLoc& loc = SrcLoc::current());
  // A close frame with `code` arrives, then the server closes the TCP connection.
  void expect_close(uint16_t code, Ms timeout = kDefaultWait,
                    const SrcLoc& loc = SrcLoc::current());
  // HELLO as `user`, WELCOME back.
  Got<proto::Welcome> login(const std::string& user, const SrcLoc& loc = SrcLoc::current());
  // Binary messages received so far (how the server framed its output).
  size_t binary_messages() const { return binary_messages_; }
  bool closed() const { return eof_; }
  int fd() const { return fd_; }

 private:
  void read_some(Clock::time_point deadline, const SrcLoc& loc);
  void parse(const SrcLoc& loc);

  int fd_ = -1;
  std::string label_;
  std::string key_;
  std::string reply_head_;
  std::string rbuf_;
  std::string chat_buf_;
  bool in_message_ = false;
  std::deque<Frame> chat_;
  std::deque<WsFrameIn> control_;
  size_t binary_messages_ = 0;
  bool eof_ = false;
  uint32_t req_ = 0;
};

}  // namespace chat::itest
