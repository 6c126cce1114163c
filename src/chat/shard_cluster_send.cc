// Shard, part 7: what sessions send through Redis in cluster mode
// (docs/cluster.md): SAY through the SAY script, HISTORY from the room's
// stream, WHISPER through the recipient's user channel (every node with
// sessions of the recipient subscribes to it while they last) and the
// sender's, for the sender's other sessions.
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "chat/shard.h"
#include "chat/shard_internal.h"
#include "cluster/redis_connection.h"
#include "cluster/room_wire.h"
#include "proto/frame.h"

namespace chat {

using shard_internal::error_frame;
using shard_internal::put_u64;
using shard_internal::steady_us;

namespace {

using proto::ErrorCode;

constexpr std::string_view kUnavailableText = "cluster unavailable: try again later";

}  // namespace

bool Shard::run_script(std::string_view script, const std::string& sha,
                       std::vector<std::string> args, ScriptDone done) {
  std::vector<std::string_view> argv = {"EVALSHA", sha};
  for (const std::string& a : args) argv.push_back(a);
  // A Redis that lost its scripts (restarted) says NOSCRIPT: the same
  // arguments go once more with EVAL.
  auto on_reply = [this, script, args = std::move(args), done](const redisReply* r) {
    if (cluster_stopping_) return;
    if (r == nullptr || r->type != REDIS_REPLY_ERROR ||
        !std::string_view(r->str, r->len).starts_with("NOSCRIPT")) {
      done(r);
      return;
    }
    std::vector<std::string_view> eval = {"EVAL", script};
    for (const std::string& a : args) eval.push_back(a);
    if (!redis_cmd_->command(eval, [this, done](const redisReply* r2) {
          if (!cluster_stopping_) done(r2);
        })) {
      done(nullptr);
    }
  };
  return redis_cmd_->command(argv, std::move(on_reply));
}

// ---------------------------------------------------------------- SAY, HISTORY

void Shard::cluster_say(Mail& m) {
  // What the answer needs, kept until Redis replies.
  struct SayJob {
    SessionAddr addr;
    uint32_t req;
    uint64_t client_id;
    User* user_ref;
  };
  SayJob job{m.addr, m.req, m.client_id, m.user_ref};
  auto answer = [this, job, room = m.b](uint64_t seq, uint64_t time, ErrorCode error) {
    Mail r;
    r.kind = MailKind::kSayDone;
    r.addr = job.addr;
    r.req = job.req;
    r.client_id = job.client_id;
    r.user_ref = job.user_ref;
    r.n1 = seq;
    r.n2 = time;
    r.error = static_cast<uint8_t>(error);
    auto it = cluster_rooms_.find(room);
    using State = ClusterRoom::State;
    if (seq != 0 && it != cluster_rooms_.end() && it->second.state != State::kIdle &&
        it->second.state != State::kUnsubscribing && it->second.delivered_seq < seq) {
      it->second.parked_acks.push_back({seq, std::move(r)});  // see ClusterRoom::ParkedAck
      return;
    }
    post(addr_loop(job.addr), std::move(r));
  };
  // Sender and body, for the stream entry, from the frame the sender encoded.
  auto d = proto::decode_message(
      {m.frame.data() + proto::kHeaderBytes, m.frame.size() - proto::kHeaderBytes});
  if (!d.ok() || !redis_cmd_up()) {
    answer(0, 0, ErrorCode::kUnavailable);
    return;
  }
  std::vector<std::string> args;
  args.reserve(12);
  args.emplace_back("3");
  args.push_back(cluster::room_seq_key(m.b));
  args.push_back(cluster::room_stream_key(m.b));
  // Without a client_id there is no resend key: any key of the room's slot.
  args.push_back(m.client_id != 0 ? cluster::resend_key(m.b, d.msg.from, m.client_id, m.req)
                                  : cluster::room_seq_key(m.b));
  args.push_back(cluster::room_channel(m.b));
  args.push_back(std::to_string(now_ms_));
  args.emplace_back(d.msg.from);
  args.emplace_back(d.msg.body);
  args.push_back(std::to_string(cfg_.history));
  args.push_back(cfg_.node_id + ' ' + std::to_string(m.addr) + ' ' + std::to_string(m.n2));
  args.emplace_back(reinterpret_cast<const char*>(m.frame.data()), m.frame.size());
  args.emplace_back(m.client_id != 0 ? "1" : "0");
  bool sent = run_script(cluster::kSayScript, cluster::say_script_sha(), std::move(args),
                         [this, answer](const redisReply* r) {
                           auto res = r != nullptr ? cluster::decode_say_reply(*r) : std::nullopt;
                           if (res) {
                             answer(res->seq, res->time, ErrorCode{});
                             return;
                           }
                           if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
                             spdlog::warn("loop {}: SAY script failed: {}", index_,
                                          std::string_view(r->str, r->len));
                           }
                           answer(0, 0, ErrorCode::kUnavailable);
                         });
  if (!sent) answer(0, 0, ErrorCode::kUnavailable);
}

void Shard::cluster_history(Mail& m) {
  SessionAddr addr = m.addr;
  uint32_t req = m.req;
  std::string room = m.b;
  size_t limit = std::min<size_t>(static_cast<size_t>(m.n2), proto::kMaxHistoryEntries);
  std::string key = cluster::room_stream_key(m.b);
  std::string start = std::to_string(m.n1 + 1);
  std::string count = std::to_string(limit + 1);  // one more tells whether there is more
  std::string_view argv[] = {"XRANGE", key, start, "+", "COUNT", count};
  auto on_reply = [this, addr, req, room, limit](const redisReply* r) {
    if (cluster_stopping_) return;
    std::vector<cluster::StreamEntry> entries;
    if (r == nullptr || !cluster::decode_stream_range(*r, &entries)) {
      reply(addr, error_frame(req, ErrorCode::kUnavailable, kUnavailableText));
      return;
    }
    proto::HistoryPage page;
    page.req = req;
    page.room = room;
    page.more = entries.size() > limit;
    if (page.more) entries.resize(limit);
    page.entries.reserve(entries.size());
    for (const cluster::StreamEntry& e : entries) {
      page.entries.push_back(proto::HistoryEntry{e.seq, e.time, e.from, e.body});
    }
    scratch_.clear();
    proto::encode(scratch_, page, cfg_.max_frame);
    reply(addr, Frame::copy_of(scratch_));
  };
  if (!redis_cmd_->command(argv, std::move(on_reply))) {
    reply(addr, error_frame(req, ErrorCode::kUnavailable, kUnavailableText));
  }
}

// ---------------------------------------------------------------- WHISPER

void Shard::cluster_whisper(Mail& m) {
  struct WhisperJob {
    SessionAddr addr;
    uint32_t req;
    uint64_t client_id;
    User* user_ref;
    bool to_self;
  };
  WhisperJob job{m.addr, m.req, m.client_id, m.user_ref, m.a == m.b};
  Frame frame = std::move(m.frame);
  auto answer = [this, job](uint64_t id, uint64_t time, Frame copy, ErrorCode error) {
    Mail r;
    r.kind = MailKind::kWhisperDone;
    r.addr = job.addr;
    r.req = job.req;
    r.client_id = job.client_id;
    r.user_ref = job.user_ref;
    r.flag = true;  // the sender's other sessions get it from the sender's channel
    r.n1 = id;
    r.n2 = time;
    r.frame = std::move(copy);
    r.error = static_cast<uint8_t>(error);
    post(addr_loop(job.addr), std::move(r));
  };
  if (!redis_cmd_up()) {
    answer(0, 0, Frame(), ErrorCode::kUnavailable);
    return;
  }
  uint64_t time = now_ms_;
  std::vector<std::string> args;
  // Without a client_id there is no resend key: the id counter stands in.
  args.emplace_back("2");
  args.emplace_back(cluster::kPrivateIdKey);
  args.push_back(m.client_id != 0 ? cluster::whisper_resend_key(m.a, m.client_id, m.req)
                                  : std::string(cluster::kPrivateIdKey));
  args.push_back(cluster::user_channel(m.b));
  args.push_back(std::to_string(time));
  args.push_back(cfg_.node_id + ' ' + std::to_string(m.addr) + " 0");
  args.emplace_back(reinterpret_cast<const char*>(frame.data()), frame.size());
  args.push_back(job.to_self ? std::string() : cluster::user_channel(m.a));
  args.emplace_back(m.client_id != 0 ? "1" : "0");
  bool sent =
      run_script(cluster::kWhisperScript, cluster::whisper_script_sha(), std::move(args),
                 [this, answer, frame, time](const redisReply* r) mutable {
                   auto res = r != nullptr ? cluster::decode_whisper_reply(*r) : std::nullopt;
                   if (!res) {
                     answer(0, 0, Frame(), ErrorCode::kUnavailable);
                   } else if (res->duplicate) {
                     answer(res->id, res->time, Frame(), ErrorCode{});  // ACK again only
                   } else if (res->receivers == 0) {
                     answer(0, 0, Frame(), ErrorCode{});  // no node has a session of the user
                   } else {
                     uint8_t* p = frame.mutable_data() + proto::kHeaderBytes;
                     put_u64(p, res->id);
                     put_u64(p + 8, time);
                     stats_.whispers.add();
                     answer(res->id, time, std::move(frame), ErrorCode{});
                   }
                 });
  if (!sent) answer(0, 0, Frame(), ErrorCode::kUnavailable);
}

void Shard::cluster_user_online(const std::string& user, bool online) {
  announce_user(user, online);
  UserChannel& uc = user_channels_[user];
  uc.wanted = online;
  using US = UserChannel::State;
  if (online && uc.state == US::kIdle) {
    if (redis_sub_->subscribe(cluster::user_channel(user))) uc.state = US::kSubscribing;
  } else if (!online && (uc.state == US::kSubscribing || uc.state == US::kSubscribed)) {
    if (redis_sub_->unsubscribe(cluster::user_channel(user))) uc.state = US::kUnsubscribing;
  }
  // kUnsubscribing with online (or kSubscribing without): settled when
  // Redis confirms (on_user_push), never two requests for one channel in
  // flight the other way round.
  if (!uc.wanted && uc.state == US::kIdle && uc.welcomes.empty()) user_channels_.erase(user);
}

void Shard::cluster_welcome(Session& s, Frame welcome) {
  auto it = user_channels_.find(s.user->name);
  if (it == user_channels_.end() || it->second.state == UserChannel::State::kSubscribed ||
      !redis_sub_up()) {
    send(s, std::move(welcome));  // Redis down: in now, private messages resume later
    return;
  }
  it->second.welcomes.push_back(UserChannel::Welcome{addr_of(s), std::move(welcome)});
  note_inflight(s, index_);
}

void Shard::release_welcomes(UserChannel& uc) {
  std::vector<UserChannel::Welcome> welcomes;
  welcomes.swap(uc.welcomes);
  for (UserChannel::Welcome& w : welcomes) {
    if (Session* s = session_at(w.addr)) {
      send(*s, std::move(w.frame));
      complete_inflight(*s);
    }
  }
}

void Shard::on_user_push(const std::string& user, const cluster::PubSubPush& push) {
  auto it = user_channels_.find(user);
  if (it == user_channels_.end()) return;
  UserChannel& uc = it->second;
  using US = UserChannel::State;
  using Kind = cluster::PubSubPush::Kind;
  if (push.kind == Kind::kSubscribe) {
    if (uc.state != US::kSubscribing) return;
    uc.state = US::kSubscribed;
    release_welcomes(uc);
    if (!uc.wanted && redis_sub_->unsubscribe(push.channel)) uc.state = US::kUnsubscribing;
    return;
  }
  if (push.kind == Kind::kUnsubscribe) {
    if (uc.state != US::kUnsubscribing) return;
    uc.state = US::kIdle;
    if (uc.wanted && redis_sub_->subscribe(push.channel)) uc.state = US::kSubscribing;
    if (!uc.wanted) user_channels_.erase(it);
    return;
  }
  if (uc.state != US::kSubscribed) return;
  auto p = cluster::decode_room_push(push.payload);
  auto u = users_.find(user);
  if (!p || u == users_.end() || u->second->sessions.empty()) return;
  auto payload =
      shard_internal::sole_frame_payload(p->frame, proto::MsgType::kPrivate, cfg_.max_frame);
  if (!payload || !proto::decode_private(*payload).ok()) {
    spdlog::warn("loop {}: bad PRIVATE on user '{}' channel", index_, user);
    return;
  }
  Frame frame = Frame::copy_of(p->frame);
  uint8_t* q = frame.mutable_data() + proto::kHeaderBytes;
  put_u64(q, p->seq);
  put_u64(q + 8, p->time);
  bool ours = p->node == cfg_.node_id;
  uint64_t sent = 0;
  for (uint32_t slot : u->second->sessions) {
    Session& s = sessions_[slot];
    if (ours && addr_of(s) == p->addr) continue;
    send(s, frame);
    ++sent;
  }
  stats_.deliveries.add(sent);
}

}  // namespace chat
