// Shard, part 8: presence across nodes in cluster mode (docs/cluster.md).
// A node says it is alive with a heartbeat key (loop 0 refreshes it every
// cluster_ttl/3) and lists its online users in a set; every online/offline
// transition is published on the user-status channel. Each loop keeps, for
// the users it owns, which other nodes have them online: from a snapshot
// when its subscription starts, then from the channel. A node whose
// heartbeat key expired is gone: its users go offline here.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "chat/shard.h"
#include "cluster/presence_wire.h"
#include "cluster/redis_connection.h"

namespace chat {

namespace {

constexpr uint64_t kLivenessCheckMs = 1000;

}  // namespace

bool Shard::online_elsewhere(const std::string& user) const {
  return remote_online_.find(user) != remote_online_.end();
}

void Shard::set_remote_online(const std::string& user, const std::string& node, bool online) {
  auto local = users_.find(user);
  bool here = local != users_.end() && !local->second->sessions.empty();
  auto it = remote_online_.find(user);
  bool before = here || it != remote_online_.end();
  if (online) {
    if (it == remote_online_.end()) it = remote_online_.try_emplace(user).first;
    auto& nodes = it->second;
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) nodes.push_back(node);
  } else if (it != remote_online_.end()) {
    std::erase(it->second, node);
    if (it->second.empty()) remote_online_.erase(it);
  }
  bool after = here || remote_online_.find(user) != remote_online_.end();
  if (before != after && local != users_.end()) presence_changed(*local->second, after);
}

void Shard::announce_user(const std::string& user, bool online) {
  std::string key = cluster::online_key(cfg_.node_id);
  std::string ttl = std::to_string(uint64_t{cfg_.cluster_ttl} * 1000);
  auto ignore = [](const redisReply*) {};
  if (online) {
    redis_cmd_->command({"SADD", key, user}, ignore);
    redis_cmd_->command({"PEXPIRE", key, ttl}, ignore);
  } else {
    redis_cmd_->command({"SREM", key, user}, ignore);
  }
  redis_cmd_->command(
      {"PUBLISH", cluster::kStatusChannel, cluster::encode_status(online, cfg_.node_id, user)},
      ignore);
}

void Shard::on_status_push(const cluster::PubSubPush& push) {
  if (push.kind == cluster::PubSubPush::Kind::kSubscribe) {
    presence_snapshot();
    return;
  }
  if (push.kind != cluster::PubSubPush::Kind::kMessage) return;
  auto change = cluster::decode_status(push.payload);
  if (!change || change->node == cfg_.node_id || owner_of(change->user) != index_) return;
  set_remote_online(std::string(change->user), std::string(change->node), change->online);
}

void Shard::presence_snapshot() {
  // Every other node's online set, then the differences with what this loop
  // believed become transitions. Only the newest snapshot counts.
  uint32_t gen = ++snapshot_gen_;
  redis_cmd_->command({"SMEMBERS", cluster::kNodesKey}, [this, gen](const redisReply* r) {
    if (cluster_stopping_ || r == nullptr || r->type != REDIS_REPLY_ARRAY) return;
    auto fresh = std::make_shared<std::unordered_map<std::string, std::vector<std::string>>>();
    auto left = std::make_shared<size_t>(0);
    auto finish = [this, gen, fresh] {
      if (gen != snapshot_gen_) return;
      std::vector<std::pair<std::string, std::string>> gone;
      for (const auto& [user, nodes] : remote_online_) {
        auto f = fresh->find(user);
        for (const std::string& n : nodes) {
          if (f == fresh->end() ||
              std::find(f->second.begin(), f->second.end(), n) == f->second.end()) {
            gone.emplace_back(user, n);
          }
        }
      }
      for (auto& [user, node] : gone) set_remote_online(user, node, false);
      for (auto& [user, nodes] : *fresh) {
        for (const std::string& n : nodes) set_remote_online(user, n, true);
      }
    };
    for (size_t i = 0; i < r->elements; ++i) {
      std::string node(r->element[i]->str, r->element[i]->len);
      if (node == cfg_.node_id) continue;
      ++*left;
      bool sent = redis_cmd_->command({"SMEMBERS", cluster::online_key(node)},
                                      [this, node, fresh, left, finish](const redisReply* users) {
                                        if (cluster_stopping_ || users == nullptr) return;
                                        if (users->type == REDIS_REPLY_ARRAY) {
                                          for (size_t k = 0; k < users->elements; ++k) {
                                            std::string user(users->element[k]->str,
                                                             users->element[k]->len);
                                            if (owner_of(user) == index_)
                                              (*fresh)[user].push_back(node);
                                          }
                                        }
                                        if (--*left == 0) finish();
                                      });
      if (!sent) return;
    }
    if (*left == 0) finish();
  });
}

void Shard::forget_node(const std::string& node) {
  std::vector<std::string> users;
  for (const auto& [user, nodes] : remote_online_) {
    if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) users.push_back(user);
  }
  auto drop = [](const redisReply*) {};
  for (const std::string& user : users) {
    set_remote_online(user, node, false);
    redis_cmd_->command({"HDEL", cluster::sessions_key(user), node}, drop);  // its sessions
  }
  // Tidy up after it (idempotent: every survivor may do it).
  auto ignore = [](const redisReply*) {};
  redis_cmd_->command({"SREM", cluster::kNodesKey, node}, ignore);
  redis_cmd_->command({"DEL", cluster::online_key(node)}, ignore);
}

void Shard::presence_tick() {
  if (!redis_cmd_->up()) return;
  uint64_t ttl_ms = uint64_t{cfg_.cluster_ttl} * 1000;
  if (index_ == 0 && mono_ms_ >= next_heartbeat_ms_) {
    next_heartbeat_ms_ = mono_ms_ + std::max<uint64_t>(ttl_ms / 3, 100);
    auto ignore = [](const redisReply*) {};
    std::string ttl = std::to_string(ttl_ms);
    redis_cmd_->command({"SET", cluster::node_key(cfg_.node_id), "1", "PX", ttl}, ignore);
    redis_cmd_->command({"SADD", cluster::kNodesKey, cfg_.node_id}, ignore);
    redis_cmd_->command({"PEXPIRE", cluster::online_key(cfg_.node_id), ttl}, ignore);
  }
  if (mono_ms_ < next_liveness_ms_ || remote_online_.empty()) return;
  next_liveness_ms_ = mono_ms_ + kLivenessCheckMs;
  std::vector<std::string> nodes;
  for (const auto& [user, on] : remote_online_) {
    for (const std::string& n : on) {
      if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
    }
  }
  for (const std::string& node : nodes) {
    redis_cmd_->command({"EXISTS", cluster::node_key(node)}, [this, node](const redisReply* r) {
      if (cluster_stopping_ || r == nullptr || r->type != REDIS_REPLY_INTEGER) return;
      if (r->integer == 0) forget_node(node);
    });
  }
}

bool Shard::cluster_count_login(Session& s, std::string_view user, uint32_t req,
                                uint64_t client_id) {
  if (!redis_cmd_up()) return false;
  SessionAddr addr = addr_of(s);
  std::string name(user);
  std::vector<std::string> args = {"1", cluster::sessions_key(user), cfg_.node_id,
                                   std::to_string(cfg_.max_sessions)};
  bool sent = run_script(
      cluster::kLoginScript, login_script_sha_, std::move(args),
      [this, addr, name, req, client_id](const redisReply* r) {
        bool counted = r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        bool refused = r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer == 0;
        Session* waiting = session_at(addr);
        if (waiting == nullptr || waiting->state != SessionState::kHandshake) {
          if (counted) cluster_count_logout(name);  // it went meanwhile
          return;
        }
        complete_inflight(*waiting);
        User& u = user_record(name);
        if (refused || u.sessions.size() >= cfg_.max_sessions) {
          if (counted) cluster_count_logout(name);
          send_error_and_close(*waiting, req, proto::ErrorCode::kLimit,
                               "too many sessions for this user", CloseReason::kLimit);
          maybe_forget_user(u);
          return;
        }
        waiting->cluster_counted = counted;  // not counted: Redis failed, this node's count only
        admit_login(*waiting, u, req, client_id);
      });
  if (!sent) return false;
  note_inflight(s, index_);  // input waits for the answer
  return true;
}

void Shard::cluster_count_logout(const std::string& user) {
  std::vector<std::string> args = {"1", cluster::sessions_key(user), cfg_.node_id};
  run_script(cluster::kLogoutScript, logout_script_sha_, std::move(args), [](const redisReply*) {});
}

}  // namespace chat
