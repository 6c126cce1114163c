#include "client_harness.h"

#include <fcntl.h>
#include <jwt.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

namespace chat::itest {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string test_label() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.') c = '_';
  }
  return name;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string chat_binary() { return std::string(CHATD_BUILD_DIR) + "/chat"; }

TempPath::TempPath(const std::string& tag) {
  static std::atomic<int> counter{0};
  path_ =
      "/tmp/chat-it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + tag;
}

TempPath::~TempPath() { ::unlink(path_.c_str()); }

std::string make_client_token(const std::string& sub, const std::string& secret) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return "";
  std::string out;
  if (jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) == 0 &&
      jwt_add_grant(jwt, "sub", sub.c_str()) == 0 &&
      jwt_add_grant_int(jwt, "exp", static_cast<long>(std::time(nullptr)) + 3600) == 0) {
    if (char* s = jwt_encode_str(jwt)) {
      out = s;
      std::free(s);
    }
  }
  jwt_free(jwt);
  return out;
}

// ---------------------------------------------------------------------------
// ChatProcess

ChatProcess::~ChatProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (in_fd_ >= 0) ::close(in_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
  if (::testing::Test::HasFailure() && pid_ > 0) {
    std::cerr << "\n===== " << label_ << " (chat) standard output =====\n"
              << raw_out_.substr(raw_out_.size() > 20000 ? raw_out_.size() - 20000 : 0)
              << "===== " << label_ << " standard error =====\n"
              << stderr_text() << "===== end of " << label_ << " =====\n";
  }
  if (!err_path_.empty()) ::unlink(err_path_.c_str());
}

bool ChatProcess::start_script(const std::string& server, const std::string& user,
                               const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--server", server, "--user", user, "--script", "-"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start(args);
}

bool ChatProcess::start(const std::vector<std::string>& args) {
  static std::atomic<int> counter{0};
  err_path_ = "/tmp/chat-it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
              label_ + "-" + test_label() + ".err";
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return false;
  }
  int err_fd = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<std::string> argv_s = {chat_binary()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    ::execv(argv[0], argv.data());
    static const char kMsg[] = "exec of chat failed\n";
    [[maybe_unused]] auto n = ::write(2, kMsg, sizeof kMsg - 1);
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (err_fd >= 0) ::close(err_fd);
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  pid_ = pid;
  return true;
}

void ChatProcess::send_line(const std::string& line, const SrcLoc& loc) {
  if (in_fd_ < 0) fail_at(loc, label_ + ": input already closed");
  std::string data = line + "\n";
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(in_fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_at(loc, label_ + ": cannot write to chat: " + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
}

void ChatProcess::close_input() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

void ChatProcess::pump(Ms timeout) {
  if (out_fd_ < 0 || out_eof_) return;
  pollfd p{out_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      raw_out_.append(buf, static_cast<size_t>(n));
      partial_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) out_eof_ = true;
    break;
  }
  parse_lines();
}

void ChatProcess::parse_lines() {
  if (!json_) return;
  size_t nl;
  while ((nl = partial_.find('\n')) != std::string::npos) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    std::string error;
    auto v = parse_json(line, &error);
    if (!v || v->kind != JsonValue::Kind::kObject) {
      ADD_FAILURE() << label_ << ": not a JSON object on standard output: " << line << " (" << error
                    << ")";
      continue;
    }
    events_.push_back(std::move(*v));
    taken_.push_back(false);
  }
}

bool ChatProcess::matches(size_t index, const Pred& pred) const {
  return !taken_[index] && pred(events_[index]);
}

std::optional<JsonValue> ChatProcess::try_take(const Pred& pred, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t scanned = 0;
  while (true) {
    for (; scanned < events_.size(); ++scanned) {
      if (matches(scanned, pred)) {
        taken_[scanned] = true;
        return events_[scanned];
      }
    }
    const auto now = Clock::now();
    if (now >= deadline || out_eof_) return std::nullopt;
    pump(std::min(Ms(200), std::chrono::duration_cast<Ms>(deadline - now)));
  }
}

JsonValue ChatProcess::take(const Pred& pred, const std::string& what, Ms timeout,
                            const SrcLoc& loc) {
  auto v = try_take(pred, timeout);
  if (!v) {
    fail_at(loc, label_ + ": no " + what + " within " + std::to_string(timeout.count()) + " ms" +
                     (out_eof_ ? " (standard output closed)" : ""));
  }
  return *v;
}

JsonValue ChatProcess::take_event(const std::string& event,
                                  const std::map<std::string, std::string>& fields, Ms timeout,
                                  const SrcLoc& loc) {
  std::string what = "'" + event + "' event";
  for (const auto& [k, v] : fields) what += " " + k + "=" + v;
  return take(is_event(event, fields), what, timeout, loc);
}

std::vector<JsonValue> ChatProcess::all(const std::string& event) const {
  std::vector<JsonValue> out;
  for (const auto& e : events_) {
    if (e.str("event") == event) out.push_back(e);
  }
  return out;
}

int ChatProcess::wait_exit(Ms timeout) {
  if (pid_ <= 0) return -1;
  if (reaped_) return exit_status_;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_status_ = decode_status(status);
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      exit_status_ = -1;
      break;
    }
    pump(Ms(20));
  }
  // Whatever it wrote before exiting.
  while (!out_eof_) {
    const size_t before = raw_out_.size();
    pump(Ms(100));
    if (raw_out_.size() == before && !out_eof_) break;
  }
  return exit_status_;
}

std::string ChatProcess::stderr_text() const { return slurp(err_path_); }

ChatProcess::Pred is_event(const std::string& event,
                           const std::map<std::string, std::string>& fields) {
  return [event, fields](const JsonValue& v) {
    if (v.str("event") != event) return false;
    for (const auto& [k, want] : fields) {
      const JsonValue* f = v.find(k);
      if (f == nullptr) return false;
      if (f->kind == JsonValue::Kind::kString && f->text != want) return false;
      if (f->kind == JsonValue::Kind::kNumber && f->text != want) return false;
      if (f->kind == JsonValue::Kind::kBool && (f->boolean ? "true" : "false") != want) {
        return false;
      }
    }
    return true;
  };
}

uint64_t num(const JsonValue& v, const std::string& key) {
  const JsonValue* f = v.find(key);
  if (f == nullptr || f->kind != JsonValue::Kind::kNumber) return 0;
  return std::strtoull(f->text.c_str(), nullptr, 10);
}

}  // namespace chat::itest
