// Server: the whole of chatd. Owns the listening socket and one Shard per
// loop thread; starts them, and on request shuts them down cleanly.
//
// Thread safety: start(), wait() and the destructor are for the thread that
// created the Server; shutdown() may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "chat/settings.h"
#include "chat/shard.h"

namespace chat {

class Server {
 public:
  explicit Server(Settings settings, Clock* clock = &SystemClock::instance());
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listener and starts the loop threads.
  Status start();
  // Thread-safe: SHUTTING_DOWN to every session, flush within the grace
  // period, then the loops end.
  void shutdown();
  // Blocks until every loop has ended.
  void wait();

  // For the metrics endpoint; thread-safe (values are read relaxed).
  std::vector<const ShardStats*> shard_stats() const;
  uint32_t open_connections() const { return ctx_.connections.load(std::memory_order_relaxed); }
  // Listening and not shutting down.
  bool ready() const {
    return !threads_.empty() && !ctx_.shutting_down.load(std::memory_order_relaxed);
  }
  bool shutting_down() const { return ctx_.shutting_down.load(std::memory_order_relaxed); }

  uint16_t port() const { return port_; }
  // The web listener's port; 0 when it is off.
  uint16_t web_port() const { return web_port_; }
  uint32_t max_connections() const { return ctx_.max_connections; }
  const Settings& settings() const { return ctx_.settings; }

 private:
  ServerContext ctx_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  uint16_t web_port_ = 0;
};

}  // namespace chat
