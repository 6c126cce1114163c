// One client TCP connection: non-blocking connect, buffered writes, and frame
// reassembly with proto::decode_frame (a read may hold part of a frame or
// several). Driven by poll(): the owner polls fd() for poll_events() and hands
// the result to on_ready().
//
// Thread: single-threaded; owned by one ClientLoop.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "client/address.h"

namespace chat::client {

class TcpConnection {
 public:
  // Called once per whole frame; `payload` is valid only during the call.
  using FrameHandler = std::function<void(uint8_t type, std::span<const uint8_t> payload)>;

  TcpConnection() = default;
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Resolves `addr` (blocking getaddrinfo: names are rare and local) and
  // starts a non-blocking connect to its first IPv4 address (else its first
  // address). Closes any previous connection first.
  Status open(const ServerAddress& addr);
  // Drops the connection and the buffers. Safe to call from a FrameHandler:
  // on_ready() stops delivering frames once it sees the connection closed.
  void close();

  bool is_open() const { return fd_ >= 0; }
  bool connecting() const { return connecting_; }
  int fd() const { return fd_; }
  // POLLIN, plus POLLOUT while connecting or while output is queued.
  short poll_events() const;

  // Frames larger than this are refused (the stream is then broken).
  void set_max_frame(uint32_t bytes) { max_frame_ = bytes; }

  // Queues `bytes`; written as the socket allows. REQUIRES: is_open().
  void send(std::string_view bytes);
  size_t queued_bytes() const { return out_.size() - out_sent_; }

  struct Outcome {
    bool connected = false;  // the connect completed during this call
    bool closed = false;     // the connection failed or ended during this call
    std::string reason;      // why, for people ("connection refused", ...)
  };
  // Handles poll() readiness `revents`: completes the connect, writes queued
  // output, reads and delivers every whole frame to `on_frame`.
  Outcome on_ready(short revents, const FrameHandler& on_frame);

 private:
  // Reads what the socket holds; delivers frames. Returns false on close.
  bool read_frames(const FrameHandler& on_frame, std::string* reason);
  bool flush(std::string* reason);

  int fd_ = -1;
  bool connecting_ = false;
  uint32_t max_frame_ = 1u << 20;
  std::string in_;
  std::string out_;
  size_t out_sent_ = 0;
};

}  // namespace chat::client
