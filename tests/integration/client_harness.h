// Integration helpers for the `chat` client: a child process in script mode
// whose stdout is read as JSON events, a TCP proxy the test can cut, stall or
// refuse through, and a private tmux server for the full-screen UI.
// Test code only.
//
// Every wait is bounded. Single-threaded from the test's point of view: the
// proxy runs its own thread, and its methods may be called from the test's.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <source_location>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "mini_json.h"

namespace chat::itest {

// The chat binary under test.
std::string chat_binary();

// A file name under /tmp unique to this process and `tag`, removed (if it
// exists) when this goes out of scope, whatever the test's outcome.
class TempPath {
 public:
  explicit TempPath(const std::string& tag);
  ~TempPath();
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

// An HS256 JWT for `sub`, valid for an hour (empty if libjwt fails).
std::string make_client_token(const std::string& sub, const std::string& secret);

// ---------------------------------------------------------------------------
// `chat --script - ...` as a child: lines written to its standard input,
// events read from its standard output (one JSON object per line), standard
// error kept in a file. Owns the child and only it.
class ChatProcess {
 public:
  using Pred = std::function<bool(const JsonValue&)>;

  explicit ChatProcess(std::string label = "chat") : label_(std::move(label)) {}
  ~ChatProcess();  // SIGKILLs a running child; prints its output when the test failed
  ChatProcess(const ChatProcess&) = delete;
  ChatProcess& operator=(const ChatProcess&) = delete;

  // Starts chat with `args` (the binary is added). Records a failure and
  // returns false when it cannot start.
  bool start(const std::vector<std::string>& args);
  // Starts `chat --server SERVER --user USER --script - EXTRA...`.
  bool start_script(const std::string& server, const std::string& user,
                    const std::vector<std::string>& extra = {});

  // Standard output is JSON lines unless this is turned off (--help, --version).
  void set_json_output(bool on) { json_ = on; }

  void send_line(const std::string& line, const SrcLoc& loc = SrcLoc::current());
  void close_input();

  // Reads whatever the child wrote, waiting at most `timeout` for something.
  void pump(Ms timeout);
  // Every event read so far, in order.
  const std::vector<JsonValue>& events() const { return events_; }
  // The first event not yet taken that matches `pred`, waiting for it; it is
  // then taken (a later call will not return it again). nullopt on timeout.
  std::optional<JsonValue> try_take(const Pred& pred, Ms timeout = kDefaultWait);
  // Like try_take, but a timeout fails the test (listing the events seen).
  JsonValue take(const Pred& pred, const std::string& what, Ms timeout = kDefaultWait,
                 const SrcLoc& loc = SrcLoc::current());
  // The first untaken event named `event` whose string fields equal `fields`.
  JsonValue take_event(const std::string& event,
                       const std::map<std::string, std::string>& fields = {},
                       Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current());
  // Events named `event` among those read so far (taken or not).
  std::vector<JsonValue> all(const std::string& event) const;

  // Waits for the exit: the exit code, 128+n for signal n, -1 on timeout
  // (then the child is killed).
  int wait_exit(Ms timeout);
  bool exited() const { return reaped_; }
  std::string stderr_text() const;
  std::string stdout_text() const { return raw_out_; }
  pid_t pid() const { return pid_; }

 private:
  void parse_lines();
  bool matches(size_t index, const Pred& pred) const;

  std::string label_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_status_ = -1;
  int in_fd_ = -1;   // its standard input
  int out_fd_ = -1;  // its standard output
  std::string err_path_;
  std::string raw_out_;
  std::string partial_;
  std::vector<JsonValue> events_;
  std::vector<bool> taken_;
  bool out_eof_ = false;
  bool json_ = true;
};

// Predicates for ChatProcess::take.
ChatProcess::Pred is_event(const std::string& event,
                           const std::map<std::string, std::string>& fields = {});
// An integer field of an event (0 when absent).
uint64_t num(const JsonValue& v, const std::string& key);

// ---------------------------------------------------------------------------
// A TCP proxy between clients and a chatd, run by its own thread with poll.
// The test cuts connections, drops what the server says, stalls traffic,
// refuses new connections, or points it at another server.
class TcpProxy {
 public:
  explicit TcpProxy(uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // New connections go to `port` from now on.
  void set_target(uint16_t port) { target_port_ = port; }
  // Closes every proxied connection (with a reset, both sides). Returns when done.
  void cut();
  // While on, new connections are accepted and closed at once.
  void set_refuse(bool on) { refuse_ = on; }
  // While on, bytes from the server are read and thrown away (replies lost).
  void set_drop_downstream(bool on) { drop_downstream_ = on; }
  // While on, nothing is forwarded either way (a silent, stuck network).
  void set_stall(bool on) { stall_ = on; }
  // Connections accepted so far (refused ones included).
  size_t accepted() const { return accepted_; }
  // Connections currently proxied.
  size_t live_connections() const { return live_; }

 private:
  struct Pair {
    int client = -1;
    int server = -1;
    std::string to_server;  // pending bytes
    std::string to_client;
  };
  void run();
  void accept_one();
  void close_pair(Pair& p, bool reset);

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd
  uint16_t port_ = 0;
  std::atomic<uint16_t> target_port_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refuse_{false};
  std::atomic<bool> drop_downstream_{false};
  std::atomic<bool> stall_{false};
  std::atomic<uint64_t> cut_requests_{0};
  std::atomic<uint64_t> cuts_done_{0};
  std::atomic<size_t> accepted_{0};
  std::atomic<size_t> live_{0};
  std::vector<Pair> pairs_;  // proxy thread only
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// A private tmux server (-L NAME) holding one session; killed on destruction
// (only that server).
class TmuxSession {
 public:
  TmuxSession();
  ~TmuxSession();

  // Starts a detached session of `cols` x `rows` running `command` (via sh -c).
  bool start(const std::string& command, int cols, int rows);
  // tmux send-keys; `literal` sends the text as typed (-l).
  void send_keys(const std::string& keys, bool literal);
  void type(const std::string& text) { send_keys(text, true); }
  void enter() { send_keys("Enter", false); }
  void resize(int cols, int rows);
  // The visible screen, one string per row (UTF-8).
  std::vector<std::string> capture();
  std::string capture_text();
  // Waits until the screen contains `text`; fails the test with the screen if not.
  void wait_for(const std::string& text, Ms timeout = Ms(10000),
                const SrcLoc& loc = SrcLoc::current());
  bool alive();

 private:
  std::string tmux(const std::string& args, int* status = nullptr);

  std::string socket_;
  bool started_ = false;
};

}  // namespace chat::itest
