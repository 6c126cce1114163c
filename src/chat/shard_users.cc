// Shard, part 5: the owner side of users. A user's owner loop holds its
// sessions, who watches it, and its resend caches; it delivers WHISPERs and
// tells watchers when the user comes and goes.
#include <algorithm>

#include "chat/shard.h"
#include "chat/shard_internal.h"

namespace chat {

using shard_internal::put_u64;

namespace {

constexpr uint64_t kResendRetentionMs = 300'000;  // resend caches outlive a session by this

using proto::ErrorCode;

}  // namespace

User& Shard::user_record(std::string_view name) {
  auto it = users_.find(std::string(name));
  if (it != users_.end()) return *it->second;
  auto u = std::make_unique<User>();
  u->name.assign(name);
  User& ref = *u;
  users_.emplace(u->name, std::move(u));
  return ref;
}

void Shard::maybe_forget_user(User& u) {
  if (!u.sessions.empty() || !u.watchers.empty() || u.pending_sends > 0) return;
  if (u.resend && mono_ms_ - u.offline_since_ms < kResendRetentionMs) return;
  users_.erase(u.name);
}

void Shard::sweep_offline_users() {
  for (auto it = users_.begin(); it != users_.end();) {
    User& u = *it->second;
    ++it;  // maybe_forget_user may erase u
    if (u.sessions.empty() && u.resend && mono_ms_ - u.offline_since_ms >= kResendRetentionMs) {
      u.resend.reset();
      maybe_forget_user(u);
    }
  }
}

void Shard::presence_changed(User& u, bool online) {
  if (u.watchers.empty()) return;
  Frame f = encode_frame(proto::Presence{u.name, online, now_ms_});
  for (SessionAddr w : u.watchers) {
    if (addr_loop(w) == index_) {
      deliver_presence(w, u.name, f);
      continue;
    }
    Mail m;
    m.kind = MailKind::kPresence;
    m.addr = w;
    m.b = u.name;
    m.frame = f;
    post(addr_loop(w), std::move(m));
  }
}

void Shard::deliver_presence(SessionAddr addr, std::string_view user, Frame frame) {
  // A change may cross an UNWATCH that was already answered: the watcher's
  // own list is the last word.
  Session* s = session_at(addr);
  if (s == nullptr) return;
  if (!s->is_watching(user)) return;
  send(*s, std::move(frame));
}

void Shard::user_watch(Mail& m, bool watch) {
  User& u = user_record(m.b);
  if (!watch) {
    std::erase(u.watchers, m.addr);
    maybe_forget_user(u);
    return;
  }
  if (m.flag && std::find(u.watchers.begin(), u.watchers.end(), m.addr) == u.watchers.end()) {
    u.watchers.push_back(m.addr);
  }
  bool online = !u.sessions.empty() || (clustered_ && online_elsewhere(u.name));
  Frame f = encode_frame(proto::Presence{u.name, online, now_ms_});
  maybe_forget_user(u);  // a watch of nobody new leaves no record behind
  reply(m.addr, std::move(f));
}

void Shard::user_whisper(Mail& m) {
  if (clustered_) {
    cluster_whisper(m);
    return;
  }
  Mail r;
  r.kind = MailKind::kWhisperDone;
  r.addr = m.addr;
  r.req = m.req;
  r.client_id = m.client_id;
  r.user_ref = m.user_ref;
  r.flag = m.a == m.b;  // to oneself
  auto it = users_.find(m.b);
  if (it != users_.end() && !it->second->sessions.empty()) {
    uint64_t id = (next_private_id_++ << 8) | index_;  // unique across loops
    uint8_t* p = m.frame.mutable_data() + proto::kHeaderBytes;
    put_u64(p, id);
    put_u64(p + 8, now_ms_);
    for (uint32_t slot : it->second->sessions) {
      Session& s = sessions_[slot];
      if (addr_of(s) != m.addr) send(s, m.frame);
    }
    stats_.whispers.add();
    stats_.deliveries.add(it->second->sessions.size());
    r.n1 = id;
    r.n2 = now_ms_;
    r.frame = std::move(m.frame);
  }
  post(addr_loop(m.addr), std::move(r));
}

void Shard::on_whisper_done(Mail& m) {
  if (m.error != 0) {
    finish_send(m,
                encode_frame(proto::ErrorMsg{m.req, static_cast<ErrorCode>(m.error),
                                             "cluster unavailable: try again later"}),
                false);
    return;
  }
  if (m.n1 == 0) {
    finish_send(m,
                encode_frame(proto::ErrorMsg{m.req, ErrorCode::kNoSuchUser, "user is not online"}),
                false);
    return;
  }
  // The sender's other sessions see what it said (a whisper to oneself
  // already reached them through the recipient's side).
  if (!m.flag) {
    for (uint32_t slot : m.user_ref->sessions) {
      Session& s = sessions_[slot];
      if (addr_of(s) != m.addr) send(s, m.frame);
    }
  }
  finish_send(m, encode_frame(proto::Ack{m.req, m.n1, m.n2}), true);
}

void Shard::finish_send(Mail& m, Frame answer, bool accepted, bool after_fanout) {
  User& u = *m.user_ref;
  --u.pending_sends;
  bool remote = m.from != index_;
  if (Session* s = session_at(m.addr)) {
    if (after_fanout) {
      send_bulk(*s, answer);
    } else {
      send(*s, answer);
    }
    if (remote) complete_inflight(*s);
  }
  if (m.client_id != 0 && u.resend) {
    // Remember an ACK for repeats; forget a refusal (judged afresh).
    ResendCache& cache = u.resend->caches[m.client_id];
    if (accepted) {
      cache.complete(m.req, m.n1, m.n2);
    } else {
      cache.erase(m.req);
    }
    std::erase_if(u.resend->waiters, [&](const ResendBook::Waiter& w) {
      if (w.client_id != m.client_id || w.req != m.req) return false;
      if (Session* s = session_at(w.addr)) {
        send(*s, answer);
        if (remote) complete_inflight(*s);
      }
      return true;
    });
  }
  maybe_forget_user(u);
}

}  // namespace chat
