// HttpRequestParser: HTTP/1.x requests out of a byte stream, one at a time,
// on top of Debian's http-parser. No I/O (HttpServer owns the sockets), so
// it is tested alone.
//
// Usage: feed() the bytes read so far; it consumes what it parses and stops
// right after a complete request (the rest stays with the caller for the
// next request on the connection). After kRequest, read request() and
// keep_alive(), then reset() before feeding the next request.
//
// Bounds: a request (line, headers and body) longer than max_request_bytes
// is an error (431 while still in the headers, 413 in the body), so a
// client cannot make it hold more than that. The body is skipped, not kept.
//
// Thread: a plain value; one connection's parser is used by one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "metrics/http_server.h"

namespace chat::metrics {

class HttpRequestParser {
 public:
  enum class State {
    kNeedMore,  // everything given was consumed; the request is not complete
    kRequest,   // a whole request was parsed: see request()
    kError,     // the bytes are not an acceptable request: reply error_status(), close
  };
  struct Step {
    State state = State::kNeedMore;
    size_t consumed = 0;  // bytes of `in` used; the caller drops them
  };

  explicit HttpRequestParser(size_t max_request_bytes);
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // REQUIRES: the last step was not kError, and reset() was called after a
  // kRequest.
  Step feed(std::string_view in);

  // After kRequest.
  const HttpRequest& request() const { return request_; }
  // After kRequest: false for "Connection: close", HTTP/1.0 without
  // keep-alive, or an Upgrade request (which this server does not honour).
  bool keep_alive() const { return keep_alive_; }
  // After kError: 400 (malformed), 413 or 431 (too large).
  int error_status() const { return error_status_; }
  // After kError: what was wrong, for the reply body and logs.
  const std::string& error_reason() const { return error_reason_; }

  // Ready for the next request on the same connection.
  void reset();

 private:
  struct Impl;  // holds the http_parser and its callbacks (http_request_parser.cc)

  Step fail(int status, std::string reason, size_t consumed);

  size_t max_request_bytes_;
  std::unique_ptr<Impl> impl_;
  HttpRequest request_;
  std::string url_;
  size_t request_bytes_ = 0;  // consumed for the current request
  bool headers_done_ = false;
  bool in_value_ = false;  // the last header callback was a value
  bool complete_ = false;
  bool keep_alive_ = true;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace chat::metrics
