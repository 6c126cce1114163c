// WebConn: what a connection on the web listener keeps beyond a Session's
// fields — its HTTP request parser until the request is answered, then its
// WebSocket input state and the framing state of its output.
//
// Owned by its Session (Session::web; null for a plain TCP connection) and
// touched only from the session's loop. It moves with the session to the
// user's loop at login (Mail::web). While idle it holds no buffer: the HTTP
// parser is freed at the upgrade, the wslay context is lent by the loop
// only while a frame is half-read, and the strings are empty.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "metrics/http_request_parser.h"
#include "web/websocket_frame.h"

namespace chat {

struct WebConn {
  WebConn(size_t max_request_bytes, uint64_t max_message)
      : http(std::make_unique<metrics::HttpRequestParser>(max_request_bytes)),
        reader(max_message) {}

  enum class Phase : uint8_t {
    kHttp,       // reading the request
    kWebSocket,  // upgraded: chat frames in binary messages
    kClosed,     // an HTTP reply or a close frame is the last thing out
  };
  Phase phase = Phase::kHttp;
  std::unique_ptr<metrics::HttpRequestParser> http;  // kHttp only
  web::WsReader reader;

  // ---- output (see Shard::write_web) ----
  // Bytes at the head of Session::out that go out as they are: an HTTP
  // reply, or WebSocket bytes handed over from another loop.
  uint64_t raw_left = 0;
  // The binary message in flight: its header, partly written up to
  // header_off, and the payload bytes of Session::out it still covers.
  uint64_t msg_left = 0;
  uint8_t header[web::kMaxWsHeaderBytes] = {};
  uint8_t header_len = 0;
  uint8_t header_off = 0;
  // A control frame (pong, then the final close) waiting for the end of the
  // message in flight, written up to control_off.
  std::string control;
  size_t control_off = 0;
  uint16_t close_code = 0;  // the close frame to send after the data (0: none)
  bool close_queued = false;

  // WebSocket bytes read but not parsed when the session moved loops.
  std::string pending_input;

  bool message_in_flight() const { return msg_left > 0 || header_off < header_len; }
  // Anything left to write besides Session::out.
  bool output_pending() const {
    return raw_left > 0 || message_in_flight() || control_off < control.size() ||
           (close_code != 0 && !close_queued);
  }
};

}  // namespace chat
