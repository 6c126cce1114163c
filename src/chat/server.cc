#include "chat/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

#include "base/hash.h"
#include "net/socket_util.h"
#include "web/websocket_handshake.h"

namespace chat {

namespace {

// Names this run's history: room seqs from another epoch mean nothing here.
// Standalone, history lives in this process: a new random epoch per start.
// In a cluster it lives in Redis and every node numbers rooms alike, so the
// epoch names the cluster (a client that fails over to another node keeps
// its seqs and catches up with HISTORY); a Redis that lost its data starts
// seqs over, which clients see as a lower JOIN seq.
uint64_t new_epoch(const Settings& settings) {
  if (!settings.cluster.empty()) {
    uint64_t e = fnv1a64("chatd cluster " + settings.cluster);
    return e != 0 ? e : 1;
  }
  std::random_device rd;
  uint64_t e = 0;
  while (e == 0) e = (uint64_t{rd()} << 32) ^ rd();
  return e;
}

}  // namespace

Server::Server(Settings settings, Clock* clock) {
  ctx_.settings = std::move(settings);
  ctx_.clock = clock;
  ctx_.epoch = new_epoch(ctx_.settings);
  ctx_.max_connections = effective_max_connections(ctx_.settings, ctx_.settings.threads);
  ctx_.verifier = std::make_unique<TokenVerifier>(ctx_.settings.jwt_secret);
}

Server::~Server() {
  shutdown();
  wait();
  if (ctx_.listen_fd >= 0) ::close(ctx_.listen_fd);
  if (ctx_.web_fd >= 0) ::close(ctx_.web_fd);
}

Status Server::start() {
  const Settings& cfg = ctx_.settings;
  // Ask for a deep backlog; the kernel caps it at net.core.somaxconn.
  auto fd = net::listen_tcp(cfg.host, cfg.port, 65535);
  if (!fd) return fd.status();
  ctx_.listen_fd = *fd;
  port_ = net::local_port(*fd);

  // The web listener (page and /ws), served by the same loops. An address
  // the operator chose must work; the default one is best effort.
  if (!cfg.web.empty()) {
    auto web_fd = net::listen_tcp(cfg.web_host, cfg.web_port, 4096);
    if (!web_fd) {
      if (cfg.web_set) return Status::error("web listener: " + web_fd.status().message());
      spdlog::warn("web listener off: {} (set --web to a free HOST:PORT, or \"\" for none)",
                   web_fd.status().message());
    } else {
      ctx_.web_fd = *web_fd;
      web_port_ = net::local_port(*web_fd);
    }
  }
  ctx_.web_origins = web::split_list(cfg.web_origins);

  uint32_t n = cfg.threads;
  ctx_.shards.assign(n, nullptr);
  for (uint32_t i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<Shard>(i, ctx_));
    ctx_.shards[i] = shards_.back().get();
  }
  for (uint32_t i = 0; i < n; ++i) {
    threads_.emplace_back([this, i] { shards_[i]->run(); });
  }
  return Status::ok();
}

std::vector<const ShardStats*> Server::shard_stats() const {
  std::vector<const ShardStats*> out;
  for (const auto& shard : shards_) out.push_back(&shard->stats());
  return out;
}

void Server::shutdown() {
  ctx_.shutting_down.store(true, std::memory_order_release);
  for (auto& shard : shards_) shard->request_shutdown();
}

void Server::wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  // threads_ is kept: ready() reads it from the metrics thread, which runs
  // until after wait() returns.
}

}  // namespace chat
