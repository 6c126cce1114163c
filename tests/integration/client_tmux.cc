// TmuxSession (client_harness.h): a private tmux server for the UI test.
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "client_harness.h"

namespace chat::itest {
namespace {

// Single quotes for sh.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

// ---------------------------------------------------------------------------
// TmuxSession

TmuxSession::TmuxSession() {
  static std::atomic<int> counter{0};
  socket_ = "chatd-it-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

TmuxSession::~TmuxSession() {
  if (started_) tmux("kill-server");
}

std::string TmuxSession::tmux(const std::string& args, int* status) {
  const std::string cmd = "LC_ALL=C.UTF-8 tmux -u -L " + socket_ + " " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    if (status) *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (status) *status = rc;
  return out;
}

bool TmuxSession::start(const std::string& command, int cols, int rows) {
  int status = 0;
  std::string out = tmux("-f /dev/null new-session -d -s main -x " + std::to_string(cols) + " -y " +
                             std::to_string(rows) + " " + shell_quote(command),
                         &status);
  started_ = true;
  if (status != 0) {
    ADD_FAILURE() << "tmux new-session failed: " << out;
    return false;
  }
  return true;
}

void TmuxSession::send_keys(const std::string& keys, bool literal) {
  tmux(std::string("send-keys -t main ") + (literal ? "-l " : "") + shell_quote(keys));
}

void TmuxSession::resize(int cols, int rows) {
  tmux("resize-window -t main -x " + std::to_string(cols) + " -y " + std::to_string(rows));
}

std::vector<std::string> TmuxSession::capture() {
  std::vector<std::string> rows;
  std::stringstream in(tmux("capture-pane -p -t main"));
  std::string line;
  while (std::getline(in, line)) rows.push_back(line);
  return rows;
}

std::string TmuxSession::capture_text() {
  std::string out;
  for (const auto& r : capture()) out += r + "\n";
  return out;
}

void TmuxSession::wait_for(const std::string& text, Ms timeout, const SrcLoc& loc) {
  const auto deadline = Clock::now() + timeout;
  std::string screen;
  while (Clock::now() < deadline) {
    screen = capture_text();
    if (screen.find(text) != std::string::npos) return;
    std::this_thread::sleep_for(Ms(50));
  }
  fail_at(loc, "the screen does not show '" + text + "' after " + std::to_string(timeout.count()) +
                   " ms; it shows:\n" + screen);
}

bool TmuxSession::alive() {
  int status = 0;
  tmux("has-session -t main", &status);
  return status == 0;
}

}  // namespace chat::itest
