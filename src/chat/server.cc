#include "chat/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

#include "net/socket_util.h"

namespace chat {

namespace {

// Names this run's history: room seqs from another epoch mean nothing here.
uint64_t new_epoch() {
  std::random_device rd;
  uint64_t e = 0;
  while (e == 0) e = (uint64_t{rd()} << 32) ^ rd();
  return e;
}

}  // namespace

Server::Server(Settings settings, Clock* clock) {
  ctx_.settings = std::move(settings);
  ctx_.clock = clock;
  ctx_.epoch = new_epoch();
  ctx_.max_connections = effective_max_connections(ctx_.settings, ctx_.settings.threads);
  ctx_.verifier = std::make_unique<TokenVerifier>(ctx_.settings.jwt_secret);
}

Server::~Server() {
  shutdown();
  wait();
  if (ctx_.listen_fd >= 0) ::close(ctx_.listen_fd);
}

Status Server::start() {
  const Settings& cfg = ctx_.settings;
  // Ask for a deep backlog; the kernel caps it at net.core.somaxconn.
  auto fd = net::listen_tcp(cfg.host, cfg.port, 65535);
  if (!fd) return fd.status();
  ctx_.listen_fd = *fd;
  port_ = net::local_port(*fd);

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
