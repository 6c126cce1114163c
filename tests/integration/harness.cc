#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace chat::itest {
namespace {

constexpr uint32_t kClientMaxFrame = 16u << 20;  // the client trusts the server's frames
constexpr uint64_t kKeepaliveNonceBase = 0x6B65657061000000ull;  // "keepa"
constexpr size_t kLogTailBytes = 256 * 1024;

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  if (left < 0) return 0;
  return static_cast<int>(std::min<long long>(left, 1000 * 1000));
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (out.size() > 80) out = out.substr(0, 77) + "...";
  return out + "\"";
}

std::string test_name_for_files() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  }
  return name;
}

uint16_t pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  ::close(fd);
  return port;
}

// Non-blocking connect to 127.0.0.1:port bounded by `timeout`. Returns the fd or -1.
int connect_loopback(uint16_t port, Ms timeout, int rcvbuf, bool nodelay, int* err) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (nodelay) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (errno != EINPROGRESS) {
    *err = errno;
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) {
    *err = r == 0 ? ETIMEDOUT : errno;
    ::close(fd);
    return -1;
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    *err = so_error;
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_file_tail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  if (all.size() > max_bytes) {
    return "[... " + std::to_string(all.size() - max_bytes) + " bytes cut ...]\n" +
           all.substr(all.size() - max_bytes);
  }
  return all;
}

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

void fail_at(const SrcLoc& loc, const std::string& what) {
  ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << what;
  throw ExpectationFailed(what);
}

std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("bad hex");
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    out += kDigits[u >> 4];
    out += kDigits[u & 15];
  }
  return out;
}

uint64_t unix_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// ---------------------------------------------------------------------------
// ServerArgs

ServerArgs::ServerArgs(std::initializer_list<std::pair<std::string, std::string>> init) {
  for (const auto& [flag, value] : init) set(flag, value);
}

ServerArgs& ServerArgs::set(const std::string& flag, const std::string& value) {
  for (auto& kv : flags_) {
    if (kv.first == flag) {
      kv.second = value;
      return *this;
    }
  }
  flags_.emplace_back(flag, value);
  return *this;
}

ServerArgs& ServerArgs::set(const std::string& flag, long value) {
  return set(flag, std::to_string(value));
}

ServerArgs& ServerArgs::set_default(const std::string& flag, const std::string& value) {
  if (!has(flag)) flags_.emplace_back(flag, value);
  return *this;
}

bool ServerArgs::has(const std::string& flag) const { return get(flag).has_value(); }

std::optional<std::string> ServerArgs::get(const std::string& flag) const {
  for (const auto& kv : flags_) {
    if (kv.first == flag) return kv.second;
  }
  return std::nullopt;
}

std::vector<std::string> ServerArgs::argv() const {
  std::vector<std::string> out;
  for (const auto& [flag, value] : flags_) {
    out.push_back("--" + flag);
    out.push_back(value);
  }
  return out;
}

// ---------------------------------------------------------------------------
// ServerProcess

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  std::vector<std::string> logs = old_logs_;
  if (!log_path_.empty()) logs.push_back(log_path_);
  if (::testing::Test::HasFailure()) {
    for (const auto& path : logs) {
      std::cerr << "\n===== chatd log " << path << " =====\n"
                << read_file_tail(path, kLogTailBytes) << "\n===== end of chatd log =====\n";
    }
  } else {
    for (const auto& path : logs) ::unlink(path.c_str());
  }
}

bool ServerProcess::spawn(const ServerArgs& args, int threads) {
  static std::atomic<int> counter{0};
  if (!log_path_.empty()) old_logs_.push_back(log_path_);
  log_path_ = "/tmp/chatd-it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) +
              "-" + test_name_for_files() + ".log";
  args_ = args;
  port_ = pick_free_port();
  if (port_ == 0) {
    ADD_FAILURE() << "cannot pick a free port: " << std::strerror(errno);
    return false;
  }
  std::vector<std::string> argv_s = {CHATD_BINARY, "--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--threads", std::to_string(threads)};
  for (auto& a : args.argv()) argv_s.push_back(a);
  // The web listener defaults to 127.0.0.1:7080: parallel tests would fight
  // over it, so it is off unless the test asks for it.
  if (!args.has("web")) {
    argv_s.push_back("--web");
    argv_s.push_back("");
  }
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    ADD_FAILURE() << "cannot open " << log_path_ << ": " << std::strerror(errno);
    return false;
  }
  {
    std::string cmd = "# ";
    for (auto& a : argv_s) cmd += (a.empty() ? std::string("\"\"") : a) + " ";
    cmd += "\n";
    [[maybe_unused]] auto n = ::write(log_fd, cmd.data(), cmd.size());
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    static const char kMsg[] = "exec of chatd failed\n";
    [[maybe_unused]] auto n = ::write(2, kMsg, sizeof kMsg - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  reaped_ = false;
  stop_requested_ = false;
  exit_status_ = -1;
  return true;
}

bool ServerProcess::wait_listening(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!running()) return false;
    int err = 0;
    int fd = connect_loopback(port_, Ms(500), 0, false, &err);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(Ms(20));
  }
  return false;
}

bool ServerProcess::start(const ServerArgs& args, int threads) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!spawn(args, threads)) return false;
    if (wait_listening(Ms(10000))) return true;
    if (running()) {
      ::kill(pid_, SIGKILL);
      wait_exit(Ms(10000));
      ADD_FAILURE() << "chatd did not accept a TCP connection within 10 s (log " << log_path_
                    << ")";
      return false;
    }
    // Exited before listening: perhaps another process took the port; retry.
  }
  ADD_FAILURE() << "chatd exited before listening, status " << exit_status_ << " (log " << log_path_
                << ")";
  return false;
}

int ServerProcess::run_expecting_exit(const ServerArgs& args, int threads, Ms timeout) {
  if (!spawn(args, threads)) return -1;
  return wait_exit(timeout);
}

bool ServerProcess::running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_status_ = decode_wait_status(status);
    return false;
  }
  return true;
}

void ServerProcess::terminate() {
  stop_requested_ = true;
  if (running()) ::kill(pid_, SIGTERM);
}

int ServerProcess::wait_exit(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      exit_status_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(Ms(10));
  }
  return exit_status_;
}

int ServerProcess::stop(Ms timeout) {
  terminate();
  return wait_exit(timeout);
}

std::string ServerProcess::lobby() const { return args_.get("lobby").value_or("lobby"); }

std::string ServerProcess::read_log() const { return read_file_tail(log_path_, 64u << 20); }

// ---------------------------------------------------------------------------
// Frame

proto::Payload Frame::bytes() const {
  return proto::Payload(reinterpret_cast<const uint8_t*>(payload->data()), payload->size());
}

bool is_reply_type(uint8_t type) {
  using proto::MsgType;
  switch (static_cast<MsgType>(type)) {
    case MsgType::kWelcome:
    case MsgType::kOk:
    case MsgType::kError:
    case MsgType::kAck:
    case MsgType::kMembers:
    case MsgType::kRoomList:
    case MsgType::kHistoryPage:
    case MsgType::kPong:
      return true;
    default:
      return false;
  }
}

std::string Frame::describe() const {
  using proto::MsgType;
  std::ostringstream os;
  os << proto::type_name(type) << "(0x" << std::hex << int{type} << std::dec << ")";
  auto p = bytes();
  auto bad = [&](std::string_view reason) {
    os << " <undecodable: " << reason << "> payload=" << to_hex(*payload).substr(0, 80);
    return os.str();
  };
  switch (static_cast<MsgType>(type)) {
    case MsgType::kWelcome: {
      auto d = proto::decode_welcome(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req << " session=" << d.msg.session << " user=" << quote(d.msg.user)
         << " heartbeat=" << d.msg.heartbeat << " timeout=" << d.msg.timeout
         << " max_frame=" << d.msg.max_frame << " epoch=" << d.msg.epoch;
      break;
    }
    case MsgType::kOk: {
      auto d = proto::decode_ok(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req;
      break;
    }
    case MsgType::kError: {
      auto d = proto::decode_error(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req << " code=" << proto::error_name(d.msg.code) << "("
         << static_cast<int>(d.msg.code) << ") text=" << quote(d.msg.text);
      break;
    }
    case MsgType::kAck: {
      auto d = proto::decode_ack(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req << " id=" << d.msg.id << " time=" << d.msg.time;
      break;
    }
    case MsgType::kMessage: {
      auto d = proto::decode_message(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " room=" << quote(d.msg.room) << " seq=" << d.msg.seq << " from=" << quote(d.msg.from)
         << " body=" << quote(d.msg.body);
      break;
    }
    case MsgType::kPrivate: {
      auto d = proto::decode_private(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " id=" << d.msg.id << " from=" << quote(d.msg.from) << " to=" << quote(d.msg.to)
         << " body=" << quote(d.msg.body);
      break;
    }
    case MsgType::kRoomEvent: {
      auto d = proto::decode_room_event(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " room=" << quote(d.msg.room)
         << (d.msg.kind == proto::RoomEventKind::kJoined ? " joined " : " left ")
         << quote(d.msg.user);
      break;
    }
    case MsgType::kPresence: {
      auto d = proto::decode_presence(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " user=" << quote(d.msg.user) << (d.msg.online ? " online" : " offline");
      break;
    }
    case MsgType::kMembers: {
      auto d = proto::decode_members(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req << " room=" << quote(d.msg.room) << " total=" << d.msg.total
         << " users=[";
      for (size_t i = 0; i < d.msg.users.size() && i < 10; ++i) os << quote(d.msg.users[i]) << " ";
      os << (d.msg.users.size() > 10 ? "...]" : "]");
      break;
    }
    case MsgType::kRoomList: {
      auto d = proto::decode_room_list(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req << " total=" << d.msg.total << " rooms=[";
      for (size_t i = 0; i < d.msg.rooms.size() && i < 10; ++i) {
        os << quote(d.msg.rooms[i].room) << ":" << d.msg.rooms[i].members << " ";
      }
      os << (d.msg.rooms.size() > 10 ? "...]" : "]");
      break;
    }
    case MsgType::kHistoryPage: {
      auto d = proto::decode_history_page(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " req=" << d.msg.req << " room=" << quote(d.msg.room)
         << " count=" << d.msg.entries.size() << " more=" << d.msg.more;
      if (!d.msg.entries.empty()) {
        os << " seqs=" << d.msg.entries.front().seq << ".." << d.msg.entries.back().seq;
      }
      break;
    }
    case MsgType::kPing:
    case MsgType::kPong: {
      auto d = proto::decode_ping(p);
      if (!d.ok()) return bad(d.error.reason);
      os << " nonce=" << d.msg.nonce;
      break;
    }
    default:
      os << " payload=" << to_hex(*payload).substr(0, 80);
  }
  return os.str();
}

// ---------------------------------------------------------------------------
// TestClient

TestClient::TestClient(uint16_t port, std::string label)
    : TestClient(port, std::move(label), Options()) {}

TestClient::TestClient(uint16_t port, std::string label, const Options& opt)
    : label_(std::move(label)) {
  int err = 0;
  fd_ = connect_loopback(port, opt.connect_timeout, opt.rcvbuf, opt.nodelay, &err);
  if (fd_ < 0) {
    fail_at(SrcLoc::current(),
            label_ + ": connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
  }
  last_send_ = Clock::now();
}

TestClient::~TestClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestClient::try_send_raw(std::string_view bytes) {
  if (fd_ < 0) return false;
  auto deadline = Clock::now() + kDefaultWait;
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The server is not reading; keep reading its output meanwhile so neither
      // side blocks on a full buffer.
      if (Clock::now() >= deadline) return false;
      pollfd p{fd_, POLLOUT | POLLIN, 0};
      ::poll(&p, 1, 50);
      if (p.revents & POLLIN) {
        if (pump() == 0 && eof_) return false;
      }
      continue;
    }
    return false;
  }
  last_send_ = Clock::now();
  return true;
}

void TestClient::send_raw(std::string_view bytes, const SrcLoc& loc) {
  if (!try_send_raw(bytes)) {
    fail_at(loc, label_ + ": send of " + std::to_string(bytes.size()) +
                     " bytes failed: " + std::strerror(errno));
  }
}

void TestClient::send_watch(uint32_t req, const std::vector<std::string>& users,
                            const SrcLoc& loc) {
  proto::UserList m;
  m.req = req;
  for (const auto& u : users) m.users.push_back(u);
  std::string out;
  proto::encode_watch(out, m);
  send_raw(out, loc);
}

void TestClient::send_unwatch(uint32_t req, const std::vector<std::string>& users,
                              const SrcLoc& loc) {
  proto::UserList m;
  m.req = req;
  for (const auto& u : users) m.users.push_back(u);
  std::string out;
  proto::encode_unwatch(out, m);
  send_raw(out, loc);
}

void TestClient::send_trickle(std::string_view bytes, size_t chunk, Ms pause, const SrcLoc& loc) {
  for (size_t off = 0; off < bytes.size(); off += chunk) {
    send_raw(bytes.substr(off, chunk), loc);
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

void TestClient::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void TestClient::close_now(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  ::close(fd_);
  fd_ = -1;
  eof_ = true;
}

size_t TestClient::decode_buffer(const SrcLoc& loc) {
  size_t added = 0;
  size_t off = 0;
  while (off < rbuf_.size()) {
    std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(rbuf_.data()) + off,
                                rbuf_.size() - off);
    proto::FrameView fv = proto::decode_frame(in, kClientMaxFrame);
    if (fv.status == proto::FrameStatus::kNeedMore) break;
    if (fv.status != proto::FrameStatus::kFrame) {
      fail_at(loc, label_ + ": server sent a bad frame header: " +
                       to_hex(std::string_view(rbuf_).substr(off, 8)));
    }
    Frame f;
    f.type = fv.type;
    f.payload = std::make_shared<const std::string>(
        reinterpret_cast<const char*>(fv.payload.data()), fv.payload.size());
    off += fv.frame_bytes;
    if (f.type == static_cast<uint8_t>(proto::MsgType::kPing) && auto_pong_) {
      auto d = proto::decode_ping(f.bytes());
      if (d.ok()) {
        std::string out;
        proto::encode(out, proto::Pong{d.msg.nonce});
        try_send_raw(out);
        continue;
      }
    }
    if (f.type == static_cast<uint8_t>(proto::MsgType::kPong)) {
      auto d = proto::decode_pong(f.bytes());
      if (d.ok() && keepalive_nonces_.erase(d.msg.nonce) > 0) continue;
    }
    pending_.push_back(std::move(f));
    ++added;
  }
  rbuf_.erase(0, off);
  return added;
}

size_t TestClient::pump(const SrcLoc& loc) {
  if (eof_ || fd_ < 0) return 0;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      rbuf_.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == ECONNRESET || errno == EPIPE) {
      eof_ = true;
      reset_ = true;
      break;
    }
    fail_at(loc, label_ + ": recv: " + std::strerror(errno));
  }
  size_t added = decode_buffer(loc);
  if (eof_ && !rbuf_.empty()) {
    if (!reset_ && !allow_truncated_close_) {
      fail_at(loc, label_ + ": connection closed inside a frame (" + std::to_string(rbuf_.size()) +
                       " bytes left: " + to_hex(rbuf_.substr(0, 16)) + ")");
    }
    rbuf_.clear();
  }
  return added;
}

void TestClient::maybe_keepalive() {
  if (keepalive_.count() <= 0 || eof_) return;
  if (Clock::now() - last_send_ < keepalive_) return;
  std::string out;
  uint64_t nonce = kKeepaliveNonceBase + ++nonce_counter_;
  keepalive_nonces_.insert(nonce);
  proto::encode(out, proto::Ping{nonce});
  try_send_raw(out);
}

size_t TestClient::read_once(Clock::time_point deadline, const SrcLoc& loc) {
  if (eof_ || fd_ < 0) return 0;
  maybe_keepalive();
  int timeout = ms_until(deadline);
  if (keepalive_.count() > 0) {
    auto next_ping = last_send_ + keepalive_;
    timeout = std::min(timeout, ms_until(next_ping) + 1);
  }
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, timeout);
  if (r <= 0) return 0;
  return pump(loc);
}

std::optional<Frame> TestClient::take_first(const std::function<bool(const Frame&)>& pred) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (pred(*it)) {
      Frame f = std::move(*it);
      pending_.erase(it);
      return f;
    }
  }
  return std::nullopt;
}

std::optional<Frame> TestClient::wait_take(const std::function<bool(const Frame&)>& pred,
                                           Clock::time_point deadline, const SrcLoc& loc) {
  for (;;) {
    if (auto f = take_first(pred)) return f;
    if (eof_) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    read_once(deadline, loc);
  }
}

std::string TestClient::pending_summary() const {
  std::string s = std::to_string(pending_.size()) + " pending";
  size_t shown = 0;
  for (const auto& f : pending_) {
    if (shown++ == 4) {
      s += "; ...";
      break;
    }
    s += "; " + f.describe();
  }
  return s;
}

Frame TestClient::next(Ms timeout, const SrcLoc& loc) {
  auto f = wait_take([](const Frame&) { return true; }, Clock::now() + timeout, loc);
  if (!f) {
    fail_at(loc, label_ + (eof_ ? ": connection closed" : ": timed out") + " waiting for a frame");
  }
  return *std::move(f);
}

std::optional<Frame> TestClient::try_next(Ms timeout) {
  return wait_take([](const Frame&) { return true; }, Clock::now() + timeout, SrcLoc::current());
}

Frame TestClient::next_of(proto::MsgType type, Ms timeout, const SrcLoc& loc) {
  auto t = static_cast<uint8_t>(type);
  auto f = wait_take([t](const Frame& x) { return x.type == t; }, Clock::now() + timeout, loc);
  if (!f) {
    fail_at(loc, label_ + (eof_ ? ": connection closed" : ": timed out") + " waiting for " +
                     std::string(proto::type_name(t)) + " (" + pending_summary() + ")");
  }
  return *std::move(f);
}

std::optional<Frame> TestClient::try_next_of(proto::MsgType type, Ms timeout) {
  auto t = static_cast<uint8_t>(type);
  return wait_take([t](const Frame& x) { return x.type == t; }, Clock::now() + timeout,
                   SrcLoc::current());
}

Frame TestClient::next_reply(Ms timeout, const SrcLoc& loc) {
  auto f =
      wait_take([](const Frame& x) { return is_reply_type(x.type); }, Clock::now() + timeout, loc);
  if (!f) {
    fail_at(loc, label_ + (eof_ ? ": connection closed" : ": timed out") +
                     " waiting for a reply (" + pending_summary() + ")");
  }
  return *std::move(f);
}

Got<proto::ErrorMsg> TestClient::expect_error(proto::ErrorCode code, uint32_t req, Ms timeout,
                                              const SrcLoc& loc) {
  Frame f = next_reply(timeout, loc);
  std::string want =
      "ERROR " + std::string(proto::error_name(code)) + " req=" + std::to_string(req);
  if (f.type != static_cast<uint8_t>(proto::MsgType::kError)) {
    fail_at(loc, label_ + ": expected " + want + ", got " + f.describe());
  }
  Got<proto::ErrorMsg> got = decode_as<proto::ErrorMsg>(f, loc);
  if (got->code != code || got->req != req) {
    fail_at(loc, label_ + ": expected " + want + ", got " + f.describe());
  }
  return got;
}

void TestClient::expect_closed(Ms timeout, const SrcLoc& loc) {
  auto deadline = Clock::now() + timeout;
  while (!eof_ && Clock::now() < deadline) read_once(deadline, loc);
  if (!eof_) {
    fail_at(loc, label_ + ": connection still open after " + std::to_string(timeout.count()) +
                     " ms (" + pending_summary() + ")");
  }
}

void TestClient::expect_open(const SrcLoc& loc) { ping(loc); }

void TestClient::expect_silence(Ms ms, const SrcLoc& loc) {
  if (!pending_.empty()) fail_at(loc, label_ + ": expected silence, have " + pending_summary());
  auto deadline = Clock::now() + ms;
  while (Clock::now() < deadline && !eof_) {
    read_once(deadline, loc);
    if (!pending_.empty()) {
      fail_at(loc, label_ + ": expected silence, got " + pending_.front().describe());
    }
  }
  if (eof_) fail_at(loc, label_ + ": expected silence, but the connection closed");
}

void TestClient::expect_none_of(proto::MsgType type, Ms ms, const SrcLoc& loc) {
  auto t = static_cast<uint8_t>(type);
  auto deadline = Clock::now() + ms;
  for (;;) {
    for (const auto& f : pending_) {
      if (f.type == t) fail_at(loc, label_ + ": unexpected " + f.describe());
    }
    if (eof_ || Clock::now() >= deadline) return;
    read_once(deadline, loc);
  }
}

void TestClient::drain(Ms ms) {
  auto deadline = Clock::now() + ms;
  while (Clock::now() < deadline && !eof_) read_once(deadline, SrcLoc::current());
  pending_.clear();
}

void TestClient::discard(proto::MsgType type) {
  auto t = static_cast<uint8_t>(type);
  std::erase_if(pending_, [t](const Frame& f) { return f.type == t; });
}

Got<proto::Welcome> TestClient::login(std::string_view user, uint64_t client_id,
                                      std::string_view token, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Hello{req, client_id, user, token}, loc);
  auto w = expect<proto::Welcome>(req, kDefaultWait, loc);
  if (label_ == "client") label_ = std::string(user);
  return w;
}

uint64_t TestClient::join(std::string_view room, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Join{req, room}, loc);
  return expect<proto::Ack>(req, kDefaultWait, loc)->id;
}

void TestClient::leave(std::string_view room, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Leave{req, room}, loc);
  expect<proto::Ok>(req, kDefaultWait, loc);
}

uint64_t TestClient::say(std::string_view room, std::string_view body, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Say{req, room, body}, loc);
  return expect<proto::Ack>(req, kDefaultWait, loc)->id;
}

uint64_t TestClient::whisper(std::string_view to, std::string_view body, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Whisper{req, to, body}, loc);
  return expect<proto::Ack>(req, kDefaultWait, loc)->id;
}

Got<proto::Members> TestClient::who(std::string_view room, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Who{req, room}, loc);
  return expect<proto::Members>(req, kDefaultWait, loc);
}

Got<proto::RoomList> TestClient::rooms(const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Rooms{req}, loc);
  return expect<proto::RoomList>(req, kDefaultWait, loc);
}

std::map<std::string, bool> TestClient::watch(const std::vector<std::string>& users,
                                              const SrcLoc& loc) {
  uint32_t req = next_req();
  send_watch(req, users, loc);
  expect<proto::Ok>(req, kDefaultWait, loc);
  std::map<std::string, bool> state;
  for (size_t i = 0; i < users.size(); ++i) {
    auto p = expect_event<proto::Presence>(kDefaultWait, loc);
    state[std::string(p->user)] = p->online;
  }
  return state;
}

void TestClient::unwatch(const std::vector<std::string>& users, const SrcLoc& loc) {
  uint32_t req = next_req();
  send_unwatch(req, users, loc);
  expect<proto::Ok>(req, kDefaultWait, loc);
}

Got<proto::HistoryPage> TestClient::history(std::string_view room, uint64_t after_seq,
                                            uint16_t limit, const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::History{req, room, after_seq, limit}, loc);
  return expect<proto::HistoryPage>(req, kDefaultWait, loc);
}

void TestClient::ping(const SrcLoc& loc) {
  uint64_t nonce = 0x5000000000000000ull + ++nonce_counter_;
  send(proto::Ping{nonce}, loc);
  auto pong = expect<proto::Pong>(0, kDefaultWait, loc);
  if (pong->nonce != nonce) {
    fail_at(loc, label_ + ": PONG nonce " + std::to_string(pong->nonce) + ", sent " +
                     std::to_string(nonce));
  }
}

void TestClient::bye(const SrcLoc& loc) {
  uint32_t req = next_req();
  send(proto::Bye{req}, loc);
  expect<proto::Ok>(req, kDefaultWait, loc);
  expect_closed(kDefaultWait, loc);
}

void TestClient::wait_member(std::string_view room, std::string_view user, Ms timeout,
                             const SrcLoc& loc) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto m = who(room, loc);
    if (std::find(m->users.begin(), m->users.end(), user) != m->users.end()) return;
    if (Clock::now() >= deadline) {
      fail_at(loc, label_ + ": " + std::string(user) + " not listed in " + std::string(room) +
                       " after " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(Ms(20));
  }
}

// ---------------------------------------------------------------------------
// ServerTest

ServerProcess& ServerTest::start_server(ServerArgs args, const SrcLoc& loc) {
  args.set_default("lobby", "");
  server_ = std::make_unique<ServerProcess>();
  if (!server_->start(args, threads())) {
    server_.reset();  // prints its logs; nothing left for TearDown to check
    fail_at(loc, "chatd did not start");
  }
  return *server_;
}

std::unique_ptr<TestClient> ServerTest::connect(const std::string& label,
                                                const TestClient::Options& opt) {
  return std::make_unique<TestClient>(port(), label, opt);
}

std::unique_ptr<TestClient> ServerTest::login(const std::string& user, uint64_t client_id,
                                              const std::string& token,
                                              const TestClient::Options& opt, const SrcLoc& loc) {
  auto c = connect(user, opt);
  c->login(user, client_id, token, loc);
  std::string lobby = server_->lobby();
  if (!lobby.empty()) c->wait_member(lobby, user, kDefaultWait, loc);
  return c;
}

void ServerTest::TearDown() {
  if (!server_) return;
  if (server_->stop_requested()) return;  // the test stopped it and checked the result
  if (!server_->running()) {
    ADD_FAILURE() << "chatd exited during the test with status " << server_->wait_exit(Ms(0));
    return;
  }
  int status = server_->stop(Ms(15000));
  EXPECT_EQ(status, 0) << "chatd did not exit 0 after SIGTERM at the end of the test "
                          "(-1: killed after 15 s; 128+n: signal n; sanitizer reports exit "
                          "non-zero)";
}

std::string ThreadsParamName(const ::testing::TestParamInfo<int>& info) {
  return info.param == 1 ? "1thread" : std::to_string(info.param) + "threads";
}

}  // namespace chat::itest
