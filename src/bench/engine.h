// A lean epoll loop for many non-blocking client connections (level-triggered
// reads, writes coalesced once per wakeup). Unlike the server's loop it has
// no timers, mailboxes or threads: the Worker drives it with poll(timeout).
// Owned by one Worker; single-threaded.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bench/client.h"

namespace chat::bench {

class EngineHandler {
 public:
  virtual ~EngineHandler() = default;
  // The TCP connection is up (state is now kHandshake).
  virtual void on_connected(Client& c) = 0;
  // Bytes arrived. Returns how many it consumed (whole frames), or -1 when
  // the stream is broken; the engine then closes with c.last_error as cause.
  virtual ptrdiff_t on_data(Client& c, std::span<const uint8_t> data) = 0;
  // The connection is gone (state is now kClosed); `cause` is static text.
  virtual void on_closed(Client& c, ClientState was, std::string_view cause) = 0;
  virtual void on_control_readable() = 0;
};

class Engine {
 public:
  Engine(std::vector<Client>& clients, EngineHandler& handler);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // `control_fd` (may be -1) is watched for reads too.
  Status init(int control_fd);

  // Starts a non-blocking connect from `source` (host order; 0: the kernel's
  // choice of address). A failure closes the client at once.
  void connect(Client& c, const sockaddr_in& server, uint32_t source);
  // Schedules c.out to be written at the end of this wakeup.
  void flush_later(Client& c);
  // Closes now: on_closed is called before this returns.
  void close(Client& c, std::string_view cause);
  // Waits at most `timeout_ms` for events, dispatches them, then writes what
  // the handlers queued.
  void poll(int timeout_ms);
  // Writes every queued output now.
  void flush_all();

  size_t open_connections() const { return open_; }

 private:
  void on_event(Client& c, uint32_t events);
  void finish_connect(Client& c);
  void read_some(Client& c);
  void deliver(Client& c, const uint8_t* data, size_t n);
  void write_out(Client& c);
  void set_polling_out(Client& c, bool on);

  std::vector<Client>& clients_;
  EngineHandler& handler_;
  int epfd_ = -1;
  std::vector<uint32_t> dirty_;
  std::vector<uint8_t> read_buf_;
  size_t open_ = 0;
};

// The cause to report for a socket error number (static text).
std::string_view errno_cause(int err);

}  // namespace chat::bench
