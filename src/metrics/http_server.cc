#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/logging.h"
#include "metrics/http_request_parser.h"

namespace chat::metrics {
namespace {

constexpr int kAcceptBudget = 64;         // accepts per listener wakeup
constexpr size_t kReadChunkBytes = 4096;  // one read() at most
constexpr uint64_t kLingerMs = 1000;      // to read the peer's EOF after our last reply
constexpr int kWaitMs = 250;              // epoll_wait bound: deadlines are this coarse

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

std::string_view http_reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

// The server thread's state: the epoll set, the listener and the
// connections. Everything here is touched by the server thread only, except
// wake(), which the owner calls to stop it.
class HttpServer::Loop {
 public:
  Loop(const HttpServerOptions& options,
       const std::map<std::string, HttpHandler, std::less<>>& routes, int listen_fd, int epoll_fd,
       int wake_fd)
      : options_(options),
        routes_(routes),
        listen_fd_(listen_fd),
        epoll_fd_(epoll_fd),
        wake_fd_(wake_fd),
        log_(5) {}

  ~Loop() {
    for (auto& [fd, conn] : conns_) ::close(fd);
    ::close(listen_fd_);
    ::close(epoll_fd_);
    ::close(wake_fd_);
    if (spare_fd_ >= 0) ::close(spare_fd_);
  }

  void run();
  // Any thread: asks run() to return.
  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }

 private:
  enum class Phase { kReading, kWriting, kLingering };
  struct Conn {
    explicit Conn(int conn_fd, size_t max_request_bytes) : fd(conn_fd), parser(max_request_bytes) {}
    int fd;
    HttpRequestParser parser;
    std::string in;   // read, not yet parsed (bytes after a pipelined request)
    std::string out;  // one reply being written
    size_t out_off = 0;
    Phase phase = Phase::kReading;
    bool close_after_write = false;
    bool out_watched = false;  // EPOLLOUT instead of EPOLLIN
    bool dead = false;         // closed at the end of this batch of events
    uint64_t deadline_ms = 0;
  };

  uint64_t now_ms() { return SystemClock::instance().mono_ms(); }
  void accept_all();
  void on_event(Conn& c, uint32_t events);
  void read_some(Conn& c);
  // Parses what `in` holds; queues at most one reply.
  void parse(Conn& c);
  void respond(Conn& c, const HttpRequest& req, bool keep_alive);
  void queue_reply(Conn& c, int status, std::string_view content_type, std::string_view body,
                   bool head_only, bool keep_alive, std::string_view extra_headers = {});
  // Writes what it can of the reply; when it is all out, goes back to
  // reading (or lingering, to close).
  void flush(Conn& c);
  void watch(Conn& c, uint32_t events);
  void kill(Conn& c) { c.dead = true; }
  void sweep_deadlines();

  const HttpServerOptions& options_;
  const std::map<std::string, HttpHandler, std::less<>>& routes_;
  int listen_fd_;
  int epoll_fd_;
  int wake_fd_;
  int spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // for EMFILE
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  RateLimitedLog log_;
  uint64_t next_sweep_ms_ = 0;
};

void HttpServer::Loop::run() {
  epoll_event events[64];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events, 64, kWaitMs);
    if (n < 0 && errno != EINTR) {
      spdlog::error("http: epoll_wait: {}", errno_text(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) return;
      if (fd == listen_fd_) {
        accept_all();
        continue;
      }
      auto it = conns_.find(fd);
      if (it != conns_.end() && !it->second->dead) on_event(*it->second, events[i].events);
    }
    // Closed after the batch, so no descriptor is reused while an event for
    // its old connection may still follow in the same batch.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->second->dead) {
        ::close(it->first);
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    sweep_deadlines();
  }
}

void HttpServer::Loop::sweep_deadlines() {
  const uint64_t now = now_ms();
  if (now < next_sweep_ms_) return;
  next_sweep_ms_ = now + kWaitMs;
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->second->deadline_ms <= now) {
      ::close(it->first);
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void HttpServer::Loop::accept_all() {
  for (int i = 0; i < kAcceptBudget; ++i) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Take the connection off the queue so the listener does not spin.
        ::close(spare_fd_);
        const int victim = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (victim >= 0) ::close(victim);
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        log_.logf(now_ms(), "http_accept", spdlog::level::warn,
                  "http: out of file descriptors; refused a connection");
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        log_.logf(now_ms(), "http_accept", spdlog::level::warn, "http: accept: {}",
                  errno_text(errno));
      }
      return;
    }
    if (conns_.size() >= options_.max_connections) {
      log_.logf(now_ms(), "http_full", spdlog::level::debug,
                "http: {} connections open; refused one", conns_.size());
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto conn = std::make_unique<Conn>(fd, options_.max_request_bytes);
    conn->deadline_ms = now_ms() + options_.idle_timeout_ms;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    conns_.emplace(fd, std::move(conn));
  }
}

void HttpServer::Loop::watch(Conn& c, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c.fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) kill(c);
}

void HttpServer::Loop::on_event(Conn& c, uint32_t events) {
  if ((events & EPOLLERR) != 0) {
    kill(c);
    return;
  }
  if (c.phase == Phase::kWriting) {
    flush(c);
    if (c.phase != Phase::kReading) return;
    parse(c);  // a pipelined request may be waiting already
    if (c.phase != Phase::kReading) return;
  }
  read_some(c);
}

void HttpServer::Loop::read_some(Conn& c) {
  char buf[kReadChunkBytes];
  while (!c.dead && c.phase != Phase::kWriting) {
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n == 0) {  // EOF: a half-sent request is abandoned; nothing to answer
      kill(c);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) kill(c);
      return;
    }
    if (c.phase == Phase::kLingering) continue;  // discarded until EOF or the deadline
    c.in.append(buf, static_cast<size_t>(n));
    parse(c);
  }
}

void HttpServer::Loop::parse(Conn& c) {
  while (!c.dead && c.phase == Phase::kReading && !c.in.empty()) {
    const HttpRequestParser::Step step = c.parser.feed(c.in);
    c.in.erase(0, step.consumed);
    switch (step.state) {
      case HttpRequestParser::State::kNeedMore:
        return;
      case HttpRequestParser::State::kError: {
        const std::string body = c.parser.error_reason() + "\n";
        log_.logf(now_ms(), "http_bad_request", spdlog::level::debug, "http: {} ({})",
                  c.parser.error_reason(), c.parser.error_status());
        c.in.clear();
        queue_reply(c, c.parser.error_status(), "text/plain; charset=utf-8", body, false, false);
        return;
      }
      case HttpRequestParser::State::kRequest: {
        const HttpRequest req = c.parser.request();
        const bool keep_alive = c.parser.keep_alive();
        c.parser.reset();
        respond(c, req, keep_alive);  // loops on while the reply went out whole
        break;
      }
    }
  }
}

void HttpServer::Loop::respond(Conn& c, const HttpRequest& req, bool keep_alive) {
  const auto route = routes_.find(req.path);
  if (route == routes_.end()) {
    queue_reply(c, 404, "text/plain; charset=utf-8", "not found: " + req.path + "\n",
                req.method == "HEAD", keep_alive);
    return;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    queue_reply(c, 405, "text/plain; charset=utf-8", "only GET and HEAD\n", false, keep_alive,
                "Allow: GET, HEAD\r\n");
    return;
  }
  HttpResponse resp;
  try {
    resp = route->second(req);
  } catch (const std::exception& e) {
    resp = HttpResponse{500, "text/plain; charset=utf-8", std::string("error: ") + e.what() + "\n"};
  } catch (...) {
    resp = HttpResponse{500, "text/plain; charset=utf-8", "error\n"};
  }
  queue_reply(c, resp.status, resp.content_type, resp.body, req.method == "HEAD", keep_alive);
}

void HttpServer::Loop::queue_reply(Conn& c, int status, std::string_view content_type,
                                   std::string_view body, bool head_only, bool keep_alive,
                                   std::string_view extra_headers) {
  c.out.clear();
  c.out_off = 0;
  c.out += "HTTP/1.1 " + std::to_string(status) + " ";
  c.out += http_reason_phrase(status);
  c.out += "\r\nContent-Type: ";
  c.out += content_type;
  c.out += "\r\nContent-Length: " + std::to_string(body.size());
  c.out += "\r\nCache-Control: no-store\r\n";
  c.out += extra_headers;
  c.out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!head_only) c.out += body;
  c.close_after_write = !keep_alive;
  c.phase = Phase::kWriting;
  flush(c);
}

void HttpServer::Loop::flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        kill(c);
      } else if (!c.out_watched) {
        watch(c, EPOLLOUT);  // the rest when the socket drains
        c.out_watched = true;
      }
      return;
    }
    c.out_off += static_cast<size_t>(n);
  }
  c.out.clear();
  c.out.shrink_to_fit();  // an idle keep-alive connection holds no reply
  c.out_off = 0;
  if (c.close_after_write) {
    // Half-close and read to EOF before closing, so unread input does not
    // turn the close into a reset that destroys the reply in flight.
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLingering;
    c.deadline_ms = now_ms() + kLingerMs;
  } else {
    c.phase = Phase::kReading;
    c.deadline_ms = now_ms() + options_.idle_timeout_ms;
  }
  if (c.out_watched) {
    watch(c, EPOLLIN | EPOLLRDHUP);
    c.out_watched = false;
  }
}

// ---------------------------------------------------------------- HttpServer

HttpServer::HttpServer(HttpServerOptions options) : options_(options) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::handle(std::string path, HttpHandler handler) {
  routes_[std::move(path)] = std::move(handler);
}

Status HttpServer::listen(const std::string& host, uint16_t port) {
  const std::string where = host + ":" + std::to_string(port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::error("cannot listen on " + where + ": not an IPv4 address");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::error("cannot listen on " + where + ": socket: " + errno_text(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::error("cannot bind " + where + ": " + errno_text(err));
  }
  if (::listen(fd, 128) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::error("cannot listen on " + where + ": " + errno_text(err));
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd < 0 || wake_fd < 0) {
    const int err = errno;
    ::close(fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    return Status::error("cannot start the HTTP server: " + errno_text(err));
  }
  for (int watched : {fd, wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = watched;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, watched, &ev);
  }
  port_ = ntohs(bound.sin_port);
  loop_ = std::make_unique<Loop>(options_, routes_, fd, epoll_fd, wake_fd);
  return Status::ok();
}

void HttpServer::start() {
  if (!loop_ || thread_.joinable()) return;
  thread_ = std::thread([loop = loop_.get()] { loop->run(); });
}

void HttpServer::stop() {
  if (!loop_) return;
  loop_->wake();
  if (thread_.joinable()) thread_.join();
  loop_.reset();
}

}  // namespace chat::metrics
