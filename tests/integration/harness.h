// Integration-test harness: starts a real chatd process and talks to it over
// real TCP sockets. Test code only; not the product client library.
//
// Failure model: the expect_* helpers of TestClient record a gtest failure at
// the caller's line and then throw ExpectationFailed, which ends the test (gtest
// reports the exception). A test therefore never continues past a broken
// expectation and never waits out a chain of timeouts.
//
// Every wait is bounded (kDefaultWait unless the caller says otherwise).
// Single-threaded: a ServerProcess and its TestClients belong to the test's
// thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <source_location>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "proto/frame.h"
#include "proto/messages.h"
#include "proto/types.h"

namespace chat::itest {

using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using SrcLoc = std::source_location;

inline constexpr Ms kDefaultWait{5000};
// Generous bound for things the server does on a timer (its wheel is coarse).
inline constexpr Ms kTimerSlack{4000};

// Thrown after a failure has been recorded, to end the test.
struct ExpectationFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Records a gtest failure at `loc` and throws ExpectationFailed.
[[noreturn]] void fail_at(const SrcLoc& loc, const std::string& what);

// "caf001..." -> bytes. REQUIRES: even length, hex digits only.
std::string from_hex(std::string_view hex);
std::string to_hex(std::string_view bytes);

// Wall clock in milliseconds since the Unix epoch (the unit of protocol times).
uint64_t unix_ms();

// ---------------------------------------------------------------------------
// Command-line settings for chatd: ordered (flag, value) pairs, flags without
// the leading dashes ("max-frame"). Setting a flag twice replaces it.
class ServerArgs {
 public:
  ServerArgs() = default;
  ServerArgs(std::initializer_list<std::pair<std::string, std::string>> init);

  ServerArgs& set(const std::string& flag, const std::string& value);
  ServerArgs& set(const std::string& flag, long value);
  // Sets `flag` only when it is not set yet.
  ServerArgs& set_default(const std::string& flag, const std::string& value);
  bool has(const std::string& flag) const;
  std::optional<std::string> get(const std::string& flag) const;
  // "--flag", "value", ... in insertion order.
  std::vector<std::string> argv() const;

 private:
  std::vector<std::pair<std::string, std::string>> flags_;
};

// One chatd child process. Owns the PID it started and only that PID.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();  // SIGKILLs the child if it still runs; prints the log on test failure
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Picks a free port, starts `CHATD_BINARY --listen 127.0.0.1:PORT --threads N <args>`
  // and waits (at most 10 s) until a TCP connect succeeds. Retries a few times
  // with a new port when the child exits before listening (port race). Records
  // a failure and returns false when the server does not come up.
  bool start(const ServerArgs& args, int threads);

  // Starts chatd expecting it to refuse the settings: returns its exit status
  // (see stop()), or -1 if it was still running after `timeout` (then killed).
  int run_expecting_exit(const ServerArgs& args, int threads, Ms timeout = Ms(10000));

  // SIGTERM, then waits at most `timeout` for the exit. Returns the exit code
  // (128 + signal number when killed by a signal), or -1 when it had to be
  // SIGKILLed after the timeout. Returns the earlier status if already reaped.
  int stop(Ms timeout = Ms(10000));
  // Sends SIGTERM without waiting.
  void terminate();
  // Waits for the exit without signalling; same results as stop().
  int wait_exit(Ms timeout);
  bool running();
  // True once the child has been reaped (it exited or was stopped).
  bool exited() const { return reaped_; }
  // True once terminate()/stop() was called.
  bool stop_requested() const { return stop_requested_; }

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const ServerArgs& args() const { return args_; }
  // The lobby room the server was started with ("" when off).
  std::string lobby() const;
  const std::string& log_path() const { return log_path_; }
  std::string read_log() const;

 private:
  bool spawn(const ServerArgs& args, int threads);
  bool wait_listening(Ms timeout);

  pid_t pid_ = -1;
  bool reaped_ = false;
  bool stop_requested_ = false;
  int exit_status_ = -1;
  uint16_t port_ = 0;
  ServerArgs args_;
  std::string log_path_;
  std::vector<std::string> old_logs_;
};

// ---------------------------------------------------------------------------
// A whole frame received from the server. The payload lives on the heap and is
// shared, so message views decoded from it stay valid while any copy lives.
struct Frame {
  uint8_t type = 0;
  std::shared_ptr<const std::string> payload;

  proto::MsgType msg_type() const { return static_cast<proto::MsgType>(type); }
  proto::Payload bytes() const;
  // "ACK req=3 id=1 time=..." for failure messages.
  std::string describe() const;
};

// A decoded message together with the frame that owns its bytes.
template <class T>
struct Got {
  Frame frame;
  T msg{};
  const T* operator->() const { return &msg; }
  const T& operator*() const { return msg; }
};

// Which server message a struct is, and its decoder.
template <class T>
struct MsgTraits;
#define CHATD_ITEST_TRAITS(T, TYPE, DECODER)                                        \
  template <>                                                                       \
  struct MsgTraits<proto::T> {                                                      \
    static constexpr proto::MsgType kType = proto::MsgType::TYPE;                   \
    static proto::Decoded<proto::T> decode(proto::Payload p) { return DECODER(p); } \
  }
CHATD_ITEST_TRAITS(Welcome, kWelcome, proto::decode_welcome);
CHATD_ITEST_TRAITS(Ok, kOk, proto::decode_ok);
CHATD_ITEST_TRAITS(ErrorMsg, kError, proto::decode_error);
CHATD_ITEST_TRAITS(Ack, kAck, proto::decode_ack);
CHATD_ITEST_TRAITS(Message, kMessage, proto::decode_message);
CHATD_ITEST_TRAITS(Private, kPrivate, proto::decode_private);
CHATD_ITEST_TRAITS(RoomEvent, kRoomEvent, proto::decode_room_event);
CHATD_ITEST_TRAITS(Presence, kPresence, proto::decode_presence);
CHATD_ITEST_TRAITS(Members, kMembers, proto::decode_members);
CHATD_ITEST_TRAITS(RoomList, kRoomList, proto::decode_room_list);
CHATD_ITEST_TRAITS(HistoryPage, kHistoryPage, proto::decode_history_page);
CHATD_ITEST_TRAITS(Ping, kPing, proto::decode_ping);
CHATD_ITEST_TRAITS(Pong, kPong, proto::decode_pong);
#undef CHATD_ITEST_TRAITS

// Replies answer a request (WELCOME, OK, ERROR, ACK, MEMBERS, ROOM_LIST,
// HISTORY_PAGE, PONG); everything else (MESSAGE, PRIVATE, ROOM_EVENT,
// PRESENCE, server PING) is an event that may arrive at any time.
bool is_reply_type(uint8_t type);

// Decodes `f` as T; fails the test (at `loc`) on a wrong type or bad payload.
template <class T>
Got<T> decode_as(const Frame& f, const SrcLoc& loc = SrcLoc::current()) {
  if (f.type != static_cast<uint8_t>(MsgTraits<T>::kType)) {
    fail_at(loc, "expected " +
                     std::string(proto::type_name(static_cast<uint8_t>(MsgTraits<T>::kType))) +
                     ", got " + f.describe());
  }
  Got<T> got{f, {}};
  auto d = MsgTraits<T>::decode(got.frame.bytes());
  if (!d.ok()) {
    fail_at(loc, "server sent an undecodable " + f.describe() + ": " + std::string(d.error.reason));
  }
  got.msg = std::move(d.msg);
  return got;
}

// A blocking-with-poll client socket. Frames the test has read past while
// looking for something else are kept, in order, in pending().
class TestClient {
 public:
  struct Options {
    int rcvbuf = 0;       // SO_RCVBUF before connect when > 0
    bool nodelay = true;  // TCP_NODELAY
    Ms connect_timeout = kDefaultWait;
  };

  explicit TestClient(uint16_t port, std::string label = "client");
  TestClient(uint16_t port, std::string label, const Options& opt);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  int fd() const { return fd_; }
  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }
  // Fresh request ids 1, 2, 3, ... for this connection.
  uint32_t next_req() { return ++req_counter_; }
  // EOF or reset seen.
  bool closed() const { return eof_; }

  // Answer the server's PING with PONG automatically (default on).
  void set_auto_pong(bool on) { auto_pong_ = on; }
  // While waiting, send a PING whenever nothing was sent for `every` (0: off),
  // so the session is not idle-timed-out; the PONGs are swallowed.
  void set_keepalive(Ms every) { keepalive_ = every; }

  // ---- sending ----
  void send_raw(std::string_view bytes, const SrcLoc& loc = SrcLoc::current());
  bool try_send_raw(std::string_view bytes);  // false on any error
  template <class M>
  void send(const M& m, const SrcLoc& loc = SrcLoc::current()) {
    std::string out;
    proto::encode(out, m);
    send_raw(out, loc);
  }
  void send_watch(uint32_t req, const std::vector<std::string>& users,
                  const SrcLoc& loc = SrcLoc::current());
  void send_unwatch(uint32_t req, const std::vector<std::string>& users,
                    const SrcLoc& loc = SrcLoc::current());
  // Writes `bytes` with one write per `chunk` bytes, pausing `pause` between.
  void send_trickle(std::string_view bytes, size_t chunk, Ms pause,
                    const SrcLoc& loc = SrcLoc::current());
  void shutdown_write();
  // Tolerate EOF/reset in the middle of a frame (a server cutting off a slow
  // consumer may close mid-frame); the partial frame is dropped.
  void set_allow_truncated_close(bool on) { allow_truncated_close_ = on; }
  // Closes the socket now (abortive: SO_LINGER 0 sends RST when `reset`).
  void close_now(bool reset = false);

  // ---- receiving ----
  // Reads whatever the socket holds without waiting. Returns how many frames
  // were added to pending(). Sets closed() on EOF/reset.
  size_t pump(const SrcLoc& loc = SrcLoc::current());
  // The next frame in arrival order (pending first). Fails on timeout or EOF.
  Frame next(Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current());
  // Like next() but returns nullopt on timeout or EOF.
  std::optional<Frame> try_next(Ms timeout);
  // The first frame of `type`; frames of other types are kept in pending().
  Frame next_of(proto::MsgType type, Ms timeout = kDefaultWait,
                const SrcLoc& loc = SrcLoc::current());
  std::optional<Frame> try_next_of(proto::MsgType type, Ms timeout);
  // The next reply (is_reply_type); events before it are kept in pending().
  Frame next_reply(Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current());

  // The next reply must be a T echoing `req`. An ERROR instead fails the test
  // with its code and text.
  template <class T>
  Got<T> expect(uint32_t req, Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current()) {
    Frame f = next_reply(timeout, loc);
    if (f.type != static_cast<uint8_t>(MsgTraits<T>::kType)) {
      fail_at(loc, label_ + ": expected " +
                       std::string(proto::type_name(static_cast<uint8_t>(MsgTraits<T>::kType))) +
                       " req=" + std::to_string(req) + ", got " + f.describe());
    }
    Got<T> got = decode_as<T>(f, loc);
    if constexpr (requires { got.msg.req; }) {
      if (got.msg.req != req) {
        fail_at(loc, label_ + ": expected req=" + std::to_string(req) + ", got " + f.describe());
      }
    }
    return got;
  }
  // The next frame of T's type (an event), skipping and keeping others.
  template <class T>
  Got<T> expect_event(Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current()) {
    return decode_as<T>(next_of(MsgTraits<T>::kType, timeout, loc), loc);
  }
  // The next reply must be ERROR `code` with `req`.
  Got<proto::ErrorMsg> expect_error(proto::ErrorCode code, uint32_t req, Ms timeout = kDefaultWait,
                                    const SrcLoc& loc = SrcLoc::current());
  // EOF or reset within `timeout`. Frames that arrive first are kept in pending().
  void expect_closed(Ms timeout = kDefaultWait, const SrcLoc& loc = SrcLoc::current());
  // The connection is open: PING gets its PONG (replies before it are kept).
  void expect_open(const SrcLoc& loc = SrcLoc::current());
  // Nothing is pending and no frame arrives for `ms`.
  void expect_silence(Ms ms, const SrcLoc& loc = SrcLoc::current());
  // No frame of `type` is pending or arrives within `ms` (others are kept).
  void expect_none_of(proto::MsgType type, Ms ms, const SrcLoc& loc = SrcLoc::current());
  // Reads for `ms` and discards everything, pending included.
  void drain(Ms ms);
  // Drops pending frames of `type`.
  void discard(proto::MsgType type);
  std::deque<Frame>& pending() { return pending_; }

  // ---- requests with their replies (fresh req each) ----
  Got<proto::Welcome> login(std::string_view user, uint64_t client_id = 0,
                            std::string_view token = "", const SrcLoc& loc = SrcLoc::current());
  uint64_t join(std::string_view room, const SrcLoc& loc = SrcLoc::current());  // ACK id
  void leave(std::string_view room, const SrcLoc& loc = SrcLoc::current());
  uint64_t say(std::string_view room, std::string_view body,
               const SrcLoc& loc = SrcLoc::current());  // seq
  uint64_t whisper(std::string_view to, std::string_view body,
                   const SrcLoc& loc = SrcLoc::current());  // id
  Got<proto::Members> who(std::string_view room, const SrcLoc& loc = SrcLoc::current());
  Got<proto::RoomList> rooms(const SrcLoc& loc = SrcLoc::current());
  // WATCH -> OK, then one PRESENCE per named user (distinct names): returns
  // each user's current state (true = online).
  std::map<std::string, bool> watch(const std::vector<std::string>& users,
                                    const SrcLoc& loc = SrcLoc::current());
  void unwatch(const std::vector<std::string>& users, const SrcLoc& loc = SrcLoc::current());
  Got<proto::HistoryPage> history(std::string_view room, uint64_t after_seq, uint16_t limit,
                                  const SrcLoc& loc = SrcLoc::current());
  // PING with a fresh nonce; waits for its PONG.
  void ping(const SrcLoc& loc = SrcLoc::current());
  // BYE -> OK, then EOF.
  void bye(const SrcLoc& loc = SrcLoc::current());
  // Repeats WHO `room` until `user` is listed (the lobby join is asynchronous
  // on a multi-loop server). Fails after `timeout`.
  void wait_member(std::string_view room, std::string_view user, Ms timeout = kDefaultWait,
                   const SrcLoc& loc = SrcLoc::current());

 private:
  // Waits until the socket is readable (or the deadline) and reads once.
  // Returns frames added; 0 on timeout or EOF.
  size_t read_once(Clock::time_point deadline, const SrcLoc& loc);
  size_t decode_buffer(const SrcLoc& loc);
  void maybe_keepalive();
  // Removes and returns the first pending frame matching `pred`.
  std::optional<Frame> take_first(const std::function<bool(const Frame&)>& pred);
  // Waits until a frame matching `pred` is pending (then takes it), EOF, or the deadline.
  std::optional<Frame> wait_take(const std::function<bool(const Frame&)>& pred,
                                 Clock::time_point deadline, const SrcLoc& loc);
  std::string pending_summary() const;

  int fd_ = -1;
  std::string label_;
  std::string rbuf_;
  std::deque<Frame> pending_;
  bool eof_ = false;
  bool reset_ = false;
  uint32_t req_counter_ = 0;
  uint64_t nonce_counter_ = 0;
  bool auto_pong_ = true;
  bool allow_truncated_close_ = false;
  Ms keepalive_{0};
  std::set<uint64_t> keepalive_nonces_;  // PONGs to swallow
  Clock::time_point last_send_ = Clock::now();
};

// ---------------------------------------------------------------------------
// Base fixture: the parameter is chatd's --threads. Starts at most one server
// at a time in server(); extra ones may be made by hand.
class ServerTest : public ::testing::TestWithParam<int> {
 protected:
  int threads() const { return GetParam(); }
  // Starts chatd with `args`; the lobby is off unless args set "lobby".
  // Fails the test (throws) when it does not come up.
  ServerProcess& start_server(ServerArgs args = {}, const SrcLoc& loc = SrcLoc::current());
  ServerProcess& server() { return *server_; }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<TestClient> connect(const std::string& label = "client",
                                      const TestClient::Options& opt = TestClient::Options());
  // Connects and logs in; with a lobby, also waits until the user is listed in it.
  std::unique_ptr<TestClient> login(const std::string& user, uint64_t client_id = 0,
                                    const std::string& token = "",
                                    const TestClient::Options& opt = TestClient::Options(),
                                    const SrcLoc& loc = SrcLoc::current());

  // Stops the server if the test did not, and checks that it exits 0 (which
  // also catches sanitizer reports at exit) and did not die during the test.
  void TearDown() override;

  std::unique_ptr<ServerProcess> server_;
};

// Parameter names "1thread" / "4threads" for INSTANTIATE_TEST_SUITE_P.
std::string ThreadsParamName(const ::testing::TestParamInfo<int>& info);

#define CHATD_INSTANTIATE_THREADS(Suite) \
  INSTANTIATE_TEST_SUITE_P(Threads, Suite, ::testing::Values(1, 4), ::chat::itest::ThreadsParamName)

}  // namespace chat::itest
