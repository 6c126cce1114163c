// A redis-server of the test's own on a free loopback port, started and
// stopped by its PID (never by name). No persistence: a restart starts
// empty. Test code only; every wait is bounded.
//
// Single-threaded: belongs to the test's thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace chat::itest {

class RedisProcess {
 public:
  RedisProcess() = default;
  ~RedisProcess();  // stops the server if it runs
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  // The redis-server binary, or "" when none is installed (tests skip).
  static std::string binary();

  // Starts on a free port (the same port again after stop()) and waits at
  // most 10 s until it accepts connections.
  bool start();
  // SIGTERM, then SIGKILL after 5 s; waits for the exit.
  void stop();
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // "redis://127.0.0.1:PORT", the value of chatd's --cluster.
  std::string url() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace chat::itest
