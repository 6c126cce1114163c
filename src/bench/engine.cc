#include "bench/engine.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chat::bench {
namespace {

constexpr uint64_t kControlTag = ~0ull;
constexpr size_t kReadBufBytes = 256 * 1024;
constexpr int kMaxEvents = 1024;
// Reads per readable event before moving on: one busy socket cannot starve
// the rest (level-triggered epoll comes back for what is left).
constexpr int kReadsPerEvent = 4;
// Written prefix kept in `out` before it is compacted.
constexpr size_t kCompactBytes = 64 * 1024;

uint64_t tag(const Client& c, uint32_t index) {
  return (static_cast<uint64_t>(c.generation) << 32) | index;
}

}  // namespace

std::string_view errno_cause(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "refused";
    case ETIMEDOUT:
      return "timeout";
    case ECONNRESET:
    case EPIPE:
      return "reset";
    case EADDRNOTAVAIL:
    case EADDRINUSE:
      return "no_local_port";
    case EMFILE:
    case ENFILE:
      return "fd_limit";
    case ENETUNREACH:
    case EHOSTUNREACH:
      return "unreachable";
    case ENOBUFS:
    case ENOMEM:
      return "no_memory";
    default:
      return "socket_error";
  }
}

Engine::Engine(std::vector<Client>& clients, EngineHandler& handler)
    : clients_(clients), handler_(handler), read_buf_(kReadBufBytes) {}

Engine::~Engine() {
  for (auto& c : clients_) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }
  if (epfd_ >= 0) ::close(epfd_);
}

Status Engine::init(int control_fd) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return Status::error(std::string("epoll_create1: ") + std::strerror(errno));
  if (control_fd >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kControlTag;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, control_fd, &ev) != 0) {
      return Status::error(std::string("epoll_ctl(control): ") + std::strerror(errno));
    }
  }
  return Status::ok();
}

void Engine::connect(Client& c, const sockaddr_in& server, uint32_t source) {
  auto index = static_cast<uint32_t>(&c - clients_.data());
  c.state = ClientState::kConnecting;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    c.state = ClientState::kClosed;
    handler_.on_closed(c, ClientState::kConnecting, errno_cause(errno));
    return;
  }
  c.fd = fd;
  ++open_;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (source != 0) {
    // Choose the port at connect() time, per destination, not at bind()
    // time per address: each source address then has a full port range.
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(source);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
      close(c, errno_cause(errno));
      return;
    }
  }
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server);
  if (rc != 0 && errno != EINPROGRESS) {
    close(c, errno_cause(errno));
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u64 = tag(c, index);
  c.polling_out = true;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(c, errno_cause(errno));
  }
}

void Engine::flush_later(Client& c) {
  if (!c.dirty && c.fd >= 0) {
    c.dirty = true;
    dirty_.push_back(static_cast<uint32_t>(&c - clients_.data()));
  }
}

void Engine::close(Client& c, std::string_view cause) {
  if (c.fd < 0) {
    return;
  }
  ::close(c.fd);  // also removes it from the epoll set
  c.fd = -1;
  --open_;
  ++c.generation;
  ClientState was = c.state;
  c.state = ClientState::kClosed;
  c.polling_out = false;
  c.in.clear();
  c.out.clear();
  c.out_sent = 0;
  handler_.on_closed(c, was, cause);
}

void Engine::poll(int timeout_ms) {
  // What was queued since the last wakeup goes out before we sleep.
  flush_all();
  epoll_event events[kMaxEvents];
  int n = ::epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
  for (int i = 0; i < n; ++i) {
    uint64_t t = events[i].data.u64;
    if (t == kControlTag) {
      handler_.on_control_readable();
      continue;
    }
    auto index = static_cast<uint32_t>(t);
    auto gen = static_cast<uint32_t>(t >> 32);
    if (index >= clients_.size()) continue;
    Client& c = clients_[index];
    if (c.fd < 0 || c.generation != gen) continue;  // closed earlier in this batch
    on_event(c, events[i].events);
  }
  flush_all();
}

void Engine::flush_all() {
  // Handlers may queue more output while we write (they do not here, but a
  // close in write_out calls on_closed): iterate by index.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Client& c = clients_[dirty_[i]];
    c.dirty = false;
    if (c.fd >= 0) write_out(c);
  }
  dirty_.clear();
}

void Engine::on_event(Client& c, uint32_t events) {
  if (c.state == ClientState::kConnecting) {
    finish_connect(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    read_some(c);
  }
  if (c.fd >= 0 && (events & EPOLLOUT)) {
    write_out(c);
  }
}

void Engine::finish_connect(Client& c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    close(c, errno_cause(err));
    return;
  }
  set_polling_out(c, false);
  c.state = ClientState::kHandshake;
  handler_.on_connected(c);
  if (c.fd >= 0 && c.out.size() > c.out_sent) flush_later(c);
}

void Engine::read_some(Client& c) {
  for (int i = 0; i < kReadsPerEvent && c.fd >= 0; ++i) {
    ssize_t n = ::recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) {
      deliver(c, read_buf_.data(), static_cast<size_t>(n));
      if (static_cast<size_t>(n) < read_buf_.size()) break;  // drained
      continue;
    }
    if (n == 0) {
      close(c, c.last_error.empty() ? std::string_view("eof") : c.last_error);
      return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    close(c, c.last_error.empty() ? errno_cause(errno) : c.last_error);
    return;
  }
  if (c.fd >= 0 && c.out.size() > c.out_sent) flush_later(c);
}

void Engine::deliver(Client& c, const uint8_t* data, size_t n) {
  ptrdiff_t used = 0;
  if (c.in.empty()) {
    used = handler_.on_data(c, std::span<const uint8_t>(data, n));
    if (c.fd < 0) return;
    if (used < 0) {
      close(c, c.last_error.empty() ? std::string_view("protocol_error") : c.last_error);
      return;
    }
    if (static_cast<size_t>(used) < n) {
      c.in.assign(reinterpret_cast<const char*>(data) + used, n - static_cast<size_t>(used));
    }
    return;
  }
  c.in.append(reinterpret_cast<const char*>(data), n);
  used = handler_.on_data(
      c, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.in.data()), c.in.size()));
  if (c.fd < 0) return;
  if (used < 0) {
    close(c, c.last_error.empty() ? std::string_view("protocol_error") : c.last_error);
    return;
  }
  c.in.erase(0, static_cast<size_t>(used));
}

void Engine::write_out(Client& c) {
  if (c.state == ClientState::kConnecting) return;  // EPOLLOUT means "connected" until then
  while (c.out_sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      set_polling_out(c, true);
      if (c.out_sent >= kCompactBytes) {
        c.out.erase(0, c.out_sent);
        c.out_sent = 0;
      }
      return;
    }
    close(c, errno_cause(errno));
    return;
  }
  c.out.clear();
  c.out_sent = 0;
  set_polling_out(c, false);
}

void Engine::set_polling_out(Client& c, bool on) {
  if (c.polling_out == on || c.fd < 0) return;
  epoll_event ev{};
  ev.events = on ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.u64 = tag(c, static_cast<uint32_t>(&c - clients_.data()));
  if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev) == 0) c.polling_out = on;
}

}  // namespace chat::bench
