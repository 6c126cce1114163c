// HttpServer: a small HTTP/1.1 server for /metrics and the health probes.
// It runs its own epoll loop on its own thread, so a slow or hostile HTTP
// client can never stall a chat loop; handlers run on that thread too.
//
// Requests are parsed by Debian's http-parser (<http_parser.h>). Routing is
// by exact path (the query string is ignored). Replies:
//   - a registered path, GET or HEAD: what the handler returns;
//   - an unknown path: 404; another method: 405 (with Allow: GET, HEAD);
//   - bytes http-parser refuses: 400, then the connection closes;
//   - a request larger than max_request_bytes: 431, then the connection
//     closes.
// Keep-alive follows HTTP/1.1 (and "Connection: close"); pipelined requests
// are answered one at a time, in order. Every buffer is bounded: at most
// max_request_bytes of input and one reply of output per connection, at most
// max_connections connections (more are closed on accept), and a connection
// that does not finish a request within idle_timeout_ms is closed.
//
// Thread: handle() before start(); listen(), start() and stop() from the owner's
// thread. Handlers are called on the server's thread, one at a time, and
// must not block for long (they read relaxed counters, build a string).
// Handlers should not throw; if one does, the reply is 500.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"

namespace chat::metrics {

struct HttpRequest {
  std::string method;  // "GET", "HEAD"
  std::string path;    // "/metrics" (no query)
  std::string query;   // "a=1" (no '?'); "" when absent
  // Header fields in arrival order, names as sent (bounded by the request
  // size limit). Repeated fields stay separate.
  std::vector<std::pair<std::string, std::string>> headers;
  bool upgrade = false;  // the request asked for a protocol upgrade
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  size_t max_connections = 64;      // open at once; more are closed on accept
  size_t max_request_bytes = 8192;  // request line + headers + body
  uint32_t idle_timeout_ms = 10'000;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes GET and HEAD of exactly `path` to `handler`.
  // REQUIRES: start() not called yet.
  void handle(std::string path, HttpHandler handler);

  // Binds host:port (an IPv4 literal; port 0 picks a free one) and listens;
  // connections wait in the backlog until start(). Separate from start() so
  // a caller can find out that the address is taken before it starts
  // anything else. Errors name the address and the reason, e.g.
  // "cannot bind 127.0.0.1:7001: Address already in use".
  // REQUIRES: not listening yet.
  Status listen(const std::string& host, uint16_t port);

  // Starts the server thread. REQUIRES: listen() succeeded; not started yet.
  void start();

  // The bound port (after a successful listen()).
  uint16_t port() const { return port_; }

  // Closes the listener and every connection and joins the thread.
  // Idempotent; also safe when listen() failed or start() was never called.
  void stop();

 private:
  class Loop;  // the server thread's state (http_server.cc)

  HttpServerOptions options_;
  std::map<std::string, HttpHandler, std::less<>> routes_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// "OK", "Not Found", ... for the codes this server sends; "Unknown" else.
std::string_view http_reason_phrase(int status);

}  // namespace chat::metrics
