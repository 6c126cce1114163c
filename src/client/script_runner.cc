#include "client/script_runner.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "client/client_loop.h"
#include "client/command.h"
#include "client/command_dispatch.h"
#include "client/event_json.h"

namespace chat::client {
namespace {

constexpr size_t kMaxLineBytes = 1 << 20;  // a longer line is cut there
constexpr size_t kReadChunkBytes = 64 * 1024;

// Splits a descriptor's bytes into lines without blocking.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  int fd() const { return fd_; }
  bool ended() const { return ended_; }

  // The next whole line, if one is buffered (the last line may lack '\n').
  std::optional<std::string> next_line() {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if ((ended_ && !buffer_.empty()) || buffer_.size() >= kMaxLineBytes) {
      std::string line = std::move(buffer_);
      buffer_.clear();
      return line;
    }
    return std::nullopt;
  }

  // Reads once (the descriptor is ready). Returns false on a read error.
  bool read_some() {
    char chunk[kReadChunkBytes];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    ended_ = true;
    return n == 0;
  }

 private:
  int fd_;
  std::string buffer_;
  bool ended_ = false;
};

class ScriptRunner {
 public:
  ScriptRunner(const SessionConfig& config, Clock& clock, const ScriptOptions& options)
      : clock_(clock),
        options_(options),
        loop_(config, clock, [this](const ClientEvent& e) { on_event(e); }),
        dispatcher_(loop_.session()),
        input_(options.input_fd) {}

  int run();

 private:
  void on_event(const ClientEvent& event);
  void print(const std::string& json);
  // Runs lines until one blocks (sleep, wait-acks) or none is buffered.
  void run_lines();
  bool blocked();

  Clock& clock_;
  ScriptOptions options_;
  ClientLoop loop_;
  CommandDispatcher dispatcher_;
  LineReader input_;
  bool welcomed_ = false;
  bool input_done_ = false;  // EOF or /quit
  bool waiting_acks_ = false;
  uint64_t sleep_until_ms_ = 0;
  std::optional<uint64_t> linger_until_ms_;
  std::string gave_up_;
};

void ScriptRunner::print(const std::string& json) {
  if (json.empty()) return;
  std::fputs(json.c_str(), options_.out);
  std::fputc('\n', options_.out);
  std::fflush(options_.out);
}

void ScriptRunner::on_event(const ClientEvent& event) {
  if (std::holds_alternative<WelcomeEvent>(event)) welcomed_ = true;
  if (const auto* g = std::get_if<GaveUpEvent>(&event)) gave_up_ = g->reason;
  print(event_to_json(event));
}

bool ScriptRunner::blocked() {
  if (!welcomed_) return true;
  if (sleep_until_ms_ != 0) {
    if (clock_.mono_ms() < sleep_until_ms_) return true;
    sleep_until_ms_ = 0;
  }
  if (waiting_acks_) {
    if (!loop_.session().all_answered()) return true;
    waiting_acks_ = false;
  }
  return false;
}

void ScriptRunner::run_lines() {
  while (!input_done_ && !blocked()) {
    std::optional<std::string> line = input_.next_line();
    if (!line) {
      if (input_.ended()) input_done_ = true;
      return;
    }
    const Command command = parse_command(*line, /*script_mode=*/true);
    switch (command.kind) {
      case CommandKind::kEmpty:
        break;
      case CommandKind::kQuit:
        input_done_ = true;
        break;
      case CommandKind::kSleep:
        sleep_until_ms_ = clock_.mono_ms() + command.number;
        break;
      case CommandKind::kWaitAcks:
        waiting_acks_ = true;
        break;
      case CommandKind::kHelp: {
        std::vector<std::string> lines = help_lines(true);
        std::string json = "{\"event\":\"help\",\"commands\":[";
        for (size_t i = 0; i < lines.size(); ++i) {
          if (i != 0) json += ',';
          json += json_quote(lines[i]);
        }
        print(json + "]}");
        break;
      }
      default:
        dispatcher_.dispatch(command);
        break;
    }
  }
}

int ScriptRunner::run() {
  Session& session = loop_.session();
  session.start();
  while (!session.finished()) {
    run_lines();
    if (input_done_ && !linger_until_ms_ && session.all_answered()) {
      linger_until_ms_ = clock_.mono_ms() + options_.linger_ms;
    }
    if (linger_until_ms_ && clock_.mono_ms() >= *linger_until_ms_) {
      session.quit();
      if (session.finished()) break;
    }

    int wait_ms = -1;
    const uint64_t now = clock_.mono_ms();
    if (sleep_until_ms_ != 0) {
      wait_ms = static_cast<int>(sleep_until_ms_ > now ? sleep_until_ms_ - now : 0);
    }
    if (linger_until_ms_) {
      const int linger_left =
          static_cast<int>(*linger_until_ms_ > now ? *linger_until_ms_ - now : 0);
      wait_ms = wait_ms < 0 ? linger_left : std::min(wait_ms, linger_left);
    }
    // Read more input only when the buffered lines are used up.
    const bool want_input = !input_done_ && !input_.ended() && !blocked();
    pollfd in{want_input ? input_.fd() : -1, POLLIN, 0};
    if (waiting_acks_ || !welcomed_ || input_done_) wait_ms = wait_ms < 0 ? 1000 : wait_ms;
    loop_.run_once(std::span<pollfd>(&in, 1), wait_ms);
    if (want_input && (in.revents & (POLLIN | POLLHUP | POLLERR)) != 0) input_.read_some();
  }
  if (session.state() == SessionState::kGaveUp) {
    std::fprintf(options_.err, "chat: %s\n", gave_up_.c_str());
    std::fflush(options_.err);
    return 1;
  }
  return 0;
}

}  // namespace

int run_script(const SessionConfig& config, Clock& clock, const ScriptOptions& options) {
  ScriptRunner runner(config, clock, options);
  return runner.run();
}

}  // namespace chat::client
