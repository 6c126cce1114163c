// TcpProxy (client_harness.h): a thread with poll between clients and chatd.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "client_harness.h"

namespace chat::itest {

// ---------------------------------------------------------------------------
// TcpProxy

TcpProxy::TcpProxy(uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ADD_FAILURE() << "proxy: cannot listen: " << std::strerror(errno);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  for (auto& p : pairs_) close_pair(p, false);
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void TcpProxy::cut() {
  const uint64_t want = ++cut_requests_;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  const auto deadline = Clock::now() + kDefaultWait;
  while (cuts_done_ < want && Clock::now() < deadline) std::this_thread::sleep_for(Ms(5));
  if (cuts_done_ < want) ADD_FAILURE() << "proxy: the cut was not done in time";
}

void TcpProxy::close_pair(Pair& p, bool reset) {
  for (int fd : {p.client, p.server}) {
    if (fd < 0) continue;
    if (reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(fd);
  }
  p.client = p.server = -1;
}

void TcpProxy::accept_one() {
  int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (client < 0) return;
  ++accepted_;
  if (refuse_) {
    ::close(client);
    return;
  }
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(target_port_.load());
  // Loopback: a blocking connect answers at once (accepted or refused).
  if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(server);
    ::close(client);
    return;
  }
  ::fcntl(server, F_SETFL, ::fcntl(server, F_GETFL) | O_NONBLOCK);
  pairs_.push_back(Pair{client, server, {}, {}});
}

void TcpProxy::run() {
  char buf[65536];
  while (!stop_) {
    if (cuts_done_ < cut_requests_) {
      const uint64_t want = cut_requests_;
      for (auto& p : pairs_) close_pair(p, true);
      pairs_.clear();
      cuts_done_ = want;
    }
    live_ = pairs_.size();
    std::vector<pollfd> fds;
    fds.push_back(pollfd{wake_fd_, POLLIN, 0});
    fds.push_back(pollfd{listen_fd_, POLLIN, 0});
    const bool stalled = stall_;
    for (auto& p : pairs_) {
      short c = stalled ? 0 : POLLIN;
      short s = stalled ? 0 : POLLIN;
      if (!stalled && !p.to_client.empty()) c |= POLLOUT;
      if (!stalled && !p.to_server.empty()) s |= POLLOUT;
      fds.push_back(pollfd{p.client, c, 0});
      fds.push_back(pollfd{p.server, s, 0});
    }
    if (::poll(fds.data(), fds.size(), 50) < 0) continue;
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
    }
    if (stop_) break;
    if (cuts_done_ < cut_requests_) continue;  // cut first, before moving more bytes
    const size_t existing = pairs_.size();
    if (fds[1].revents & POLLIN) accept_one();
    for (size_t i = 0; i < existing && !stalled; ++i) {
      Pair& p = pairs_[i];
      const short cre = fds[2 + 2 * i].revents;
      const short sre = fds[3 + 2 * i].revents;
      bool dead = false;
      if (cre & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(p.client, buf, sizeof buf);
        if (n > 0) {
          p.to_server.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          dead = true;
        }
      }
      if (sre & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(p.server, buf, sizeof buf);
        if (n > 0) {
          if (!drop_downstream_) p.to_client.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          dead = true;
        }
      }
      if (!p.to_server.empty()) {
        ssize_t n = ::send(p.server, p.to_server.data(), p.to_server.size(), MSG_NOSIGNAL);
        if (n > 0) p.to_server.erase(0, static_cast<size_t>(n));
      }
      if (!p.to_client.empty()) {
        ssize_t n = ::send(p.client, p.to_client.data(), p.to_client.size(), MSG_NOSIGNAL);
        if (n > 0) p.to_client.erase(0, static_cast<size_t>(n));
      }
      if (dead) {
        // Pass on what is pending (best effort), then close both sides.
        if (!p.to_client.empty()) {
          [[maybe_unused]] auto n =
              ::send(p.client, p.to_client.data(), p.to_client.size(), MSG_NOSIGNAL);
        }
        close_pair(p, false);
      }
    }
    std::erase_if(pairs_, [](const Pair& p) { return p.client < 0; });
  }
}

}  // namespace chat::itest
