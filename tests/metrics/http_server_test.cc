// HttpServer over real loopback sockets: routing, errors, keep-alive,
// pipelining, the bounds, and a clean stop.
#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace chat::metrics {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// A blocking loopback client with bounded waits.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  void send(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // Reads until `pred(buffer)` holds, EOF, or the timeout. Returns the buffer.
  template <class Pred>
  std::string read_until(Pred pred, milliseconds timeout = milliseconds(5000)) {
    const auto deadline = Steady::now() + timeout;
    while (!pred(buf_) && !eof_) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char tmp[65536];
      const ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      buf_.append(tmp, static_cast<size_t>(n));
    }
    return buf_;
  }

  // One whole response (headers and Content-Length body), removed from the buffer.
  std::string response(milliseconds timeout = milliseconds(5000)) {
    auto complete = [](const std::string& b) { return response_length(b) > 0; };
    read_until(complete, timeout);
    const size_t len = response_length(buf_);
    if (len == 0) return "";
    std::string r = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  // True when the server closed (EOF) within the timeout.
  bool closed_within(milliseconds timeout) {
    read_until([](const std::string&) { return false; }, timeout);
    return eof_;
  }

 private:
  // Length of the first complete response in b, or 0.
  static size_t response_length(const std::string& b) {
    const size_t end = b.find("\r\n\r\n");
    if (end == std::string::npos) return 0;
    const size_t cl = b.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) return end + 4;
    const size_t body = std::stoul(b.substr(cl + 16));
    if (b.size() < end + 4 + body) return 0;
    return end + 4 + body;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

int status_of(const std::string& response) {
  if (response.size() < 12 || response.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(options);
    server_->handle("/hello", [this](const HttpRequest& req) {
      ++calls_;
      last_query_ = req.query;
      return HttpResponse{200, "text/plain", "hello " + req.method + "\n"};
    });
    server_->handle("/big", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", std::string(4u << 20, 'x')};
    });
    server_->handle("/unavailable", [](const HttpRequest&) {
      return HttpResponse{503, "text/plain", "no\n"};
    });
    server_->handle("/throws",
                    [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    ASSERT_TRUE(server_->listen("127.0.0.1", 0));
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }
  std::string get(const std::string& request) {
    Client c(server_->port());
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.response();
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
  std::string last_query_;
};

TEST_F(HttpServerTest, RoutesGetToItsHandler) {
  start();
  const std::string r = get("GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r), "hello GET\n");
  EXPECT_NE(r.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_EQ(last_query_, "x=1");
}

TEST_F(HttpServerTest, HeadHasHeadersButNoBody) {
  start();
  Client c(server_->port());
  c.send("HEAD /hello HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
  const std::string r =
      c.read_until([](const std::string& b) { return b.find("hello GET\n") != std::string::npos; });
  EXPECT_EQ(status_of(r), 200);
  // HEAD: the length of the body GET would send, then straight on to the next reply.
  EXPECT_NE(r.find("Content-Length: 11\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("keep-alive\r\n\r\nHTTP/1.1 200"), std::string::npos) << r;
  EXPECT_EQ(r.find("hello HEAD"), std::string::npos) << r;
}

TEST_F(HttpServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  start();
  EXPECT_EQ(status_of(get("GET /nope HTTP/1.1\r\n\r\n")), 404);
  EXPECT_EQ(status_of(get("GET / HTTP/1.1\r\n\r\n")), 404);
  const std::string r = get("POST /hello HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(status_of(r), 405);
  EXPECT_NE(r.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(status_of(get("DELETE /hello HTTP/1.1\r\n\r\n")), 405);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, MalformedRequestsAre400AndClose) {
  start();
  for (const std::string& bad :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET /hello XTTP/1.1\r\n\r\n"),
        std::string("GET /hello HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
        std::string("GET /hello HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
    Client c(server_->port());
    c.send(bad);
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 400) << "request: " << bad << "\nresponse: " << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
    EXPECT_TRUE(c.closed_within(milliseconds(3000)));
  }
  EXPECT_EQ(status_of(get("GET /hello HTTP/1.1\r\n\r\n")), 200);  // still serving
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  Client c(server_->port());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 200) << i;
    EXPECT_NE(r.find("Connection: keep-alive"), std::string::npos);
  }
  // "Connection: close" and HTTP/1.0 get their answer, then EOF.
  c.send("GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(c.response()), 200);
  EXPECT_TRUE(c.closed_within(milliseconds(3000)));
  Client old(server_->port());
  old.send("GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_of(old.response()), 200);
  EXPECT_TRUE(old.closed_within(milliseconds(3000)));
  EXPECT_EQ(calls_.load(), 5);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  Client c(server_->port());
  std::string many;
  for (int i = 0; i < 50; ++i) many += "GET /hello HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n";
  c.send(many);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(status_of(c.response()), 200) << i;
    EXPECT_EQ(status_of(c.response()), 404) << i;
  }
}

TEST_F(HttpServerTest, RequestSplitIntoBytesIsParsed) {
  start();
  Client c(server_->port());
  const std::string req = "GET /hello HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";
  for (char ch : req) {
    c.send(std::string(1, ch));
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_EQ(status_of(c.response()), 200);
}

TEST_F(HttpServerTest, OversizedRequestIs431AndCloses) {
  HttpServerOptions opt;
  opt.max_request_bytes = 1024;
  start(opt);
  Client c(server_->port());
  c.send("GET /hello HTTP/1.1\r\nX-Junk: " + std::string(4000, 'a') + "\r\n\r\n");
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 431) << r;
  EXPECT_TRUE(c.closed_within(milliseconds(3000)));
  // A body past the bound is 413.
  Client d(server_->port());
  d.send("GET /hello HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'));
  EXPECT_EQ(status_of(d.response()), 413);
  // A long URL counts too.
  Client e(server_->port());
  e.send("GET /" + std::string(2000, 'u') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_of(e.response()), 431);
}

TEST_F(HttpServerTest, LargeReplyReachesASlowReader) {
  start();
  Client c(server_->port());
  c.send("GET /big HTTP/1.1\r\n\r\n");
  std::this_thread::sleep_for(milliseconds(200));  // the server blocks on a full socket
  const std::string r = c.response(milliseconds(10000));
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(body_of(r).size(), 4u << 20);
  c.send("GET /hello HTTP/1.1\r\n\r\n");  // and the connection goes on
  EXPECT_EQ(status_of(c.response()), 200);
}

TEST_F(HttpServerTest, HandlerStatusAndThrowingHandler) {
  start();
  EXPECT_EQ(status_of(get("GET /unavailable HTTP/1.1\r\n\r\n")), 503);
  const std::string r = get("GET /throws HTTP/1.1\r\n\r\n");
  EXPECT_EQ(status_of(r), 500);
  EXPECT_NE(body_of(r).find("boom"), std::string::npos);
}

TEST_F(HttpServerTest, ConnectionsAreBounded) {
  HttpServerOptions opt;
  opt.max_connections = 4;
  start(opt);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Client>(server_->port()));
    idle.back()->send("GET /hello HTTP/1.1\r\n\r\n");
    ASSERT_EQ(status_of(idle.back()->response()), 200);  // accepted and held
  }
  Client extra(server_->port());  // the kernel accepts; the server closes it
  EXPECT_TRUE(extra.closed_within(milliseconds(3000)));
  idle.pop_back();
  // A slot frees once the server sees the close.
  const auto deadline = Steady::now() + milliseconds(5000);
  int status = 0;
  while (status != 200 && Steady::now() < deadline) {
    Client again(server_->port());
    again.send("GET /hello HTTP/1.1\r\n\r\n");
    status = status_of(again.response(milliseconds(500)));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpServerTest, IdleAndHalfSentConnectionsTimeOut) {
  HttpServerOptions opt;
  opt.idle_timeout_ms = 300;
  start(opt);
  Client idle(server_->port());
  Client partial(server_->port());
  partial.send("GET /hel");
  EXPECT_TRUE(idle.closed_within(milliseconds(3000)));
  EXPECT_TRUE(partial.closed_within(milliseconds(3000)));
}

TEST_F(HttpServerTest, StopsWithOpenConnectionsAndRefusesAfter) {
  start();
  Client held(server_->port());
  held.send("GET /hello HTTP/1.1\r\n\r\n");
  ASSERT_EQ(status_of(held.response()), 200);
  Client partial(server_->port());
  partial.send("GET /hel");
  const uint16_t port = server_->port();
  const auto t0 = Steady::now();
  server_->stop();
  EXPECT_LT(Steady::now() - t0, milliseconds(2000));
  EXPECT_TRUE(held.closed_within(milliseconds(1000)));
  EXPECT_TRUE(partial.closed_within(milliseconds(1000)));
  Client after(port);
  EXPECT_FALSE(after.connected());
  server_->stop();  // idempotent
}

TEST(HttpServerBindTest, TakenAddressIsAnErrorNamingIt) {
  HttpServer first;
  ASSERT_TRUE(first.listen("127.0.0.1", 0));
  HttpServer second;
  const Status st = second.listen("127.0.0.1", first.port());
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("in use"), std::string::npos) << st.message();
  EXPECT_FALSE(second.listen("not-an-ip", 0));
  second.stop();  // safe without start
}

TEST(HttpServerBindTest, NeverStartedServerStopsCleanly) {
  HttpServer s;
  ASSERT_TRUE(s.listen("127.0.0.1", 0));
}  // destructor stops

}  // namespace
}  // namespace chat::metrics
