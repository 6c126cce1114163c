// Runs a Session over a real TCP connection: one poll() loop that watches the
// connection, the caller's own descriptors (a terminal, a script), and the
// session's timers. The front ends (script mode, the terminal UI, a load
// generator) call run_once() in their own loop.
//
// Thread: single-threaded; everything runs on the caller's thread.
#pragma once

#include <poll.h>

#include <cstdint>
#include <span>

#include "base/clock.h"
#include "client/connection.h"
#include "client/session.h"
#include "client/transport.h"

namespace chat::client {

class ClientLoop final : private Transport {
 public:
  // `clock` must outlive the loop.
  ClientLoop(SessionConfig config, Clock& clock, Session::EventSink sink);

  Session& session() { return session_; }

  // Waits at most `max_wait_ms` (less when a session timer is due sooner; -1
  // means no bound of the caller's) for the connection or one of `extra` to
  // be ready, handles the connection and the timers, and leaves the `extra`
  // entries' revents set for the caller. Returns how many `extra` are ready.
  int run_once(std::span<pollfd> extra, int max_wait_ms);

 private:
  // Transport
  Status connect(const ServerAddress& addr) override;
  void send(std::string_view bytes) override;
  void close() override;
  void set_max_frame(uint32_t bytes) override;

  Clock& clock_;
  TcpConnection connection_;
  Session session_;
};

}  // namespace chat::client
