#include "client/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "proto/frame.h"

namespace chat::client {
namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;

std::string errno_text(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

TcpConnection::~TcpConnection() { close(); }

void TcpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connecting_ = false;
  // The buffers are kept until the next open(): a FrameHandler that closes
  // the connection may still be looking at a payload inside in_.
}

Status TcpConnection::open(const ServerAddress& addr) {
  close();
  in_.clear();
  out_.clear();
  out_sent_ = 0;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(addr.port);
  if (int rc = ::getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::error("cannot resolve " + addr.host + ": " + gai_strerror(rc));
  }
  // One address per attempt (the session rotates between servers, not between
  // the addresses of a name). Prefer IPv4: "localhost" often lists ::1 first,
  // and chatd listens on an IPv4 address by default.
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  int fd = ::socket(pick->ai_family, pick->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    pick->ai_protocol);
  if (fd < 0) {
    const int err = errno;
    ::freeaddrinfo(found);
    return Status::error("socket: " + errno_text(err));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = ::connect(fd, pick->ai_addr, pick->ai_addrlen);
  const int err = errno;
  ::freeaddrinfo(found);
  if (rc != 0 && err != EINPROGRESS) {
    ::close(fd);
    return Status::error("connect to " + addr.to_string() + ": " + errno_text(err));
  }
  fd_ = fd;
  connecting_ = rc != 0;
  return Status::ok();
}

short TcpConnection::poll_events() const {
  short events = POLLIN;
  if (connecting_ || queued_bytes() > 0) events |= POLLOUT;
  return events;
}

void TcpConnection::send(std::string_view bytes) {
  if (fd_ < 0) return;
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
  out_.append(bytes);
  // Write now when we can: most frames go out without waiting for poll.
  if (!connecting_) {
    std::string ignored;
    flush(&ignored);  // a failure shows again as POLLERR/EOF on the next poll
  }
}

bool TcpConnection::flush(std::string* reason) {
  while (out_sent_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    *reason = errno_text(errno);
    return false;
  }
  out_.clear();
  out_sent_ = 0;
  return true;
}

bool TcpConnection::read_frames(const FrameHandler& on_frame, std::string* reason) {
  // Read everything available first, then deliver: frames that arrived just
  // before an EOF (an ERROR and then the close) are still delivered.
  char chunk[kReadChunkBytes];
  bool ended = false;
  while (true) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      in_.append(chunk, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof chunk) break;
      continue;
    }
    if (n == 0) {
      *reason = "the server closed the connection";
      ended = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    *reason = errno_text(errno);
    ended = true;
    break;
  }

  size_t consumed = 0;
  while (fd_ >= 0) {
    auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in_.data()) + consumed,
                                          in_.size() - consumed);
    proto::FrameView frame = proto::decode_frame(bytes, max_frame_);
    if (frame.status == proto::FrameStatus::kNeedMore) break;
    if (frame.status == proto::FrameStatus::kBadFrame) {
      *reason = "the server sent a bad frame (wrong magic or version)";
      return false;
    }
    if (frame.status == proto::FrameStatus::kTooLarge) {
      *reason = "the server sent a frame of " + std::to_string(frame.length) + " bytes (limit " +
                std::to_string(max_frame_) + ")";
      return false;
    }
    consumed += frame.frame_bytes;
    on_frame(frame.type, frame.payload);
  }
  if (fd_ < 0) return true;  // closed by the handler: not our failure to report
  in_.erase(0, consumed);
  return !ended;
}

TcpConnection::Outcome TcpConnection::on_ready(short revents, const FrameHandler& on_frame) {
  Outcome out;
  if (fd_ < 0 || revents == 0) return out;
  if (connecting_) {
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) == 0) return out;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      out.closed = true;
      out.reason = errno_text(err);
      close();
      return out;
    }
    connecting_ = false;
    out.connected = true;
    // Frames queued before the connect completed go out now.
    if (!flush(&out.reason)) {
      out.closed = true;
      close();
      return out;
    }
    return out;
  }
  if ((revents & POLLOUT) != 0 && !flush(&out.reason)) {
    out.closed = true;
    close();
    return out;
  }
  if ((revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
    if (!read_frames(on_frame, &out.reason)) {
      out.closed = true;
      close();
      return out;
    }
  }
  return out;
}

}  // namespace chat::client
