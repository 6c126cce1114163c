// Shard, part 1: connections. Accepting, reading frames, writing queued
// frames, timers, closing, shutdown. Requests are in shard_requests.cc, the
// owner side of rooms and users in shard_owner.cc.
#include "chat/shard.h"
#include "chat/shard_internal.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "cluster/redis_connection.h"
#include "net/socket_util.h"
#include "proto/frame.h"
#include "web/websocket_handshake.h"

namespace chat {

using shard_internal::error_frame;
using shard_internal::kListenerToken;
using shard_internal::kTimerTickMs;
using shard_internal::kWebListenerToken;

namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr size_t kReadBudgetBytes = 256 * 1024;   // per connection per wakeup
constexpr size_t kWriteBudgetBytes = 512 * 1024;  // per connection per iteration
constexpr int kMaxIovecs = 64;
constexpr int kAcceptBudget = 256;  // per wakeup; the listener is level-triggered
constexpr uint32_t kTimerSlots = 1024;
constexpr size_t kDrainBeforeCloseBytes = 64 * 1024;
constexpr size_t kMaxRetainedRooms = 10'000;   // empty rooms kept for history, per loop
constexpr uint64_t kCloseFlushMs = 10'000;     // a closing connection's last chance to drain
constexpr size_t kMaxHttpRequestBytes = 8192;  // web listener: request line and headers

}  // namespace

Shard::Shard(uint32_t index, ServerContext& ctx)
    : index_(index),
      loops_(static_cast<uint32_t>(ctx.shards.size())),
      ctx_(ctx),
      cfg_(ctx.settings),
      wheel_(kTimerTickMs, kTimerSlots, ctx.clock->mono_ms()),
      rooms_(static_cast<uint32_t>(ctx.shards.size()), ctx.settings.history, kMaxRetainedRooms) {
  now_ms_ = ctx_.clock->now_ms();
  mono_ms_ = ctx_.clock->mono_ms();
  read_buf_.resize(kReadChunkBytes);
  for (size_t i = 0; i < ctx_.shards.size(); ++i) inbox_.push_back(std::make_unique<Inbox>());
  wake_pending_.assign(ctx_.shards.size(), false);
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  clustered_ = !cfg_.cluster.empty();
}

Shard::~Shard() {
  for (Session& s : sessions_) {
    s.out.clear(chunks_);
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
  }
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

void Shard::run() {
  loop_.bind_to_current_thread();
  if (ctx_.listen_fd >= 0) {
    Status st = loop_.add(ctx_.listen_fd, EPOLLIN | EPOLLEXCLUSIVE, kListenerToken);
    if (!st) spdlog::error("loop {}: cannot watch the listener: {}", index_, st.message());
    listening_ = st.is_ok();
  }
  if (ctx_.web_fd >= 0) {
    Status st = loop_.add(ctx_.web_fd, EPOLLIN | EPOLLEXCLUSIVE, kWebListenerToken);
    if (!st) spdlog::error("loop {}: cannot watch the web listener: {}", index_, st.message());
  }
  if (clustered_) cluster_start();
  loop_.run(*this);
  if (clustered_) cluster_stop();
  // Whatever is still open after the grace period is closed now.
  for (uint32_t slot = 0; slot < sessions_.size(); ++slot) {
    Session& s = sessions_[slot];
    if (s.state != SessionState::kFree) release_slot(s);
  }
}

// ---------------------------------------------------------------- events

void Shard::on_event(uint64_t token, uint32_t events) {
  loop_.assert_in_loop_thread();
  if (token == kListenerToken || token == kWebListenerToken) {
    accept_connections(token == kListenerToken ? ctx_.listen_fd : ctx_.web_fd,
                       token == kWebListenerToken);
    return;
  }
  if (clustered_ && cluster_event(token, events)) return;
  Session* s = session_at(token);
  if (s == nullptr) return;  // stale event for a slot that was reused
  if ((events & EPOLLOUT) != 0) {
    s->write_blocked = false;
    if (has_output(*s) && !s->dirty) {
      s->dirty = true;
      dirty_.push_back(slot_of(*s));
    }
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    s->read_ready = true;
    handle_readable(*s);
  }
}

Session* Shard::session_at(SessionAddr addr) {
  if (addr_loop(addr) != index_) return nullptr;
  uint32_t slot = addr_slot(addr);
  if (slot >= sessions_.size()) return nullptr;
  Session& s = sessions_[slot];
  if (s.state == SessionState::kFree || s.generation != addr_generation(addr)) return nullptr;
  return &s;
}

uint32_t Shard::slot_of(const Session& s) const { return s.slot; }

SessionAddr Shard::addr_of(const Session& s) const {
  return make_addr(index_, s.generation, s.slot);
}

void Shard::accept_connections(int listen_fd, bool web) {
  for (int i = 0; i < kAcceptBudget; ++i) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors: use the spare one to take the connection off
        // the queue and close it, so the listener does not spin hot.
        ::close(spare_fd_);
        int victim = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (victim >= 0) ::close(victim);
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        conn_log_.logf(mono_ms_, "accept_emfile", spdlog::level::warn,
                       "loop {}: out of file descriptors; refused a connection", index_);
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {  // EAGAIN: the backlog is empty
        conn_log_.logf(mono_ms_, "accept", spdlog::level::warn, "loop {}: accept: {}", index_,
                       std::strerror(errno));
      }
      return;
    }
    uint32_t open = ctx_.connections.fetch_add(1, std::memory_order_relaxed) + 1;
    stats_.accepted.add();
    if (web) stats_.web_accepted.add();
    if (open > ctx_.max_connections || shutting_down_) {
      if (!shutting_down_) stats_.refused_full.add();
      static const net::FrameRef full =
          error_frame(0, proto::ErrorCode::kServerFull, "server is full");
      static const net::FrameRef closing =
          error_frame(0, proto::ErrorCode::kShuttingDown, "server is shutting down");
      static const std::string busy =
          web::http_response(503, "text/plain; charset=utf-8", "server is full or shutting down\n");
      const net::FrameRef& f = shutting_down_ ? closing : full;
      if (web) {
        net::write_best_effort(fd, busy.data(), busy.size());
      } else {
        net::write_best_effort(fd, f.data(), f.size());
      }
      ::close(fd);
      ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    net::tune_accepted_socket(fd);
    Session* s = new_session(fd);
    if (s == nullptr) {
      ::close(fd);
      ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    if (web) s->web = std::make_unique<WebConn>(kMaxHttpRequestBytes, cfg_.max_frame);
    // A web connection's HTTP request has the same time as a HELLO.
    schedule_timer(*s, mono_ms_ + uint64_t{cfg_.login_timeout} * 1000);
  }
}

Session* Shard::new_session(int fd) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (sessions_.size() >= kMaxSlotsPerLoop) return nullptr;
    slot = static_cast<uint32_t>(sessions_.size());
    sessions_.emplace_back();
    sessions_.back().slot = slot;
  }
  Session& s = sessions_[slot];
  s.state = SessionState::kHandshake;
  s.fd = fd;
  s.last_active_ms = mono_ms_;
  s.bucket = TokenBucket(cfg_.burst, mono_ms_);
  ++open_sessions_;
  Status st = loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, addr_of(s));
  if (!st) {
    conn_log_.logf(mono_ms_, "watch", spdlog::level::warn, "loop {}: {}", index_, st.message());
    s.fd = -1;  // the caller closes it
    s.state = SessionState::kFree;
    --open_sessions_;
    free_slots_.push_back(slot);
    return nullptr;
  }
  return &s;
}

// ---------------------------------------------------------------- input

void Shard::handle_readable(Session& s) {
  if (s.state == SessionState::kClosing || s.state == SessionState::kFree) return;
  if (s.paused) return;  // read_ready stays set; resume() comes back for it
  size_t budget = kReadBudgetBytes;
  while (s.read_ready && budget > 0) {
    ssize_t n = ::read(s.fd, read_buf_.data(), read_buf_.size());
    if (n > 0) {
      stats_.bytes_in.add(static_cast<uint64_t>(n));
      budget -= std::min(budget, static_cast<size_t>(n));
      s.last_active_ms = mono_ms_;
      const auto* bytes = reinterpret_cast<const uint8_t*>(read_buf_.data());
      if (s.web != nullptr) {
        consume_web_input(s, bytes, static_cast<size_t>(n));
      } else {
        consume_input(s, bytes, static_cast<size_t>(n));
      }
      if (s.state == SessionState::kClosing || s.state == SessionState::kFree || s.paused) {
        return;
      }
    } else if (n == 0) {
      s.read_ready = false;
      s.peer_eof = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s.read_ready = false;
    } else {
      s.read_ready = false;
      s.out.clear(chunks_);
      close_session(s, CloseReason::kPeer);
      return;
    }
  }
  if (s.read_ready && !s.in_pending_reads) {
    // Budget spent with bytes still waiting: come back next iteration so
    // one flooding client cannot starve the others on this loop.
    s.in_pending_reads = true;
    pending_reads_.push_back(s.slot);
  }
  finish_if_eof(s);
}

void Shard::consume_input(Session& s, const uint8_t* data, size_t n) {
  if (!s.in_buf.empty()) {
    s.in_buf.append(reinterpret_cast<const char*>(data), n);
    process_input(s);
    return;
  }
  size_t used = parse_frames(s, data, n);
  if (s.state != SessionState::kFree && s.state != SessionState::kClosing && used < n) {
    s.in_buf.assign(reinterpret_cast<const char*>(data + used), n - used);
  }
}

void Shard::process_input(Session& s) {
  if (s.in_buf.empty()) return;
  // Parse from a moved-out buffer: handlers never see in_buf change under them.
  std::string buf = s.in_buf.take();
  size_t used = parse_frames(s, reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
  if (s.state == SessionState::kFree || s.state == SessionState::kClosing) return;
  if (used < buf.size()) {
    buf.erase(0, used);
    s.in_buf.set(std::move(buf));
  }
}

size_t Shard::parse_frames(Session& s, const uint8_t* data, size_t n) {
  size_t off = 0;
  while (off < n) {
    if (s.state == SessionState::kClosing || s.state == SessionState::kFree || s.paused) break;
    proto::FrameView f = proto::decode_frame({data + off, n - off}, cfg_.max_frame);
    if (f.status == proto::FrameStatus::kNeedMore) break;
    if (f.status == proto::FrameStatus::kBadFrame) {
      send_error_and_close(s, 0, proto::ErrorCode::kBadFrame, "bad magic or version",
                           CloseReason::kProtocol);
      return n;
    }
    if (f.status == proto::FrameStatus::kTooLarge) {
      send_error_and_close(s, 0, proto::ErrorCode::kFrameTooLarge, "frame longer than max_frame",
                           CloseReason::kProtocol);
      return n;
    }
    FrameAction action = handle_frame(s, f.type, f.payload);
    if (action == FrameAction::kPaused) break;  // stays buffered until the replies are in
    stats_.frames_in[f.type].add();
    off += f.frame_bytes;
    if (action == FrameAction::kMigrate) {
      finish_migration(s, data + off, n - off);
      return n;
    }
  }
  return off;
}

void Shard::resume(Session& s) {
  if (s.inflight > 0) return;
  if (s.paused) {
    s.paused = false;
    process_input(s);
  }
  if (s.state != SessionState::kLive && s.state != SessionState::kHandshake) return;
  if (s.paused) return;
  if (s.read_ready && !s.in_pending_reads) {
    s.in_pending_reads = true;
    pending_reads_.push_back(s.slot);
  }
  finish_if_eof(s);
}

void Shard::finish_if_eof(Session& s) {
  // A half-closed client still gets the replies to everything it sent.
  if (!s.peer_eof || s.paused || s.inflight > 0 || s.read_ready) return;
  if (s.state == SessionState::kLive || s.state == SessionState::kHandshake) {
    close_session(s, CloseReason::kPeer);
  }
}

// ---------------------------------------------------------------- output

void Shard::send(Session& s, Frame frame) {
  if (!enqueue(s, frame)) return;
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(s.slot);
  }
}

void Shard::send_bulk(Session& s, Frame frame) {
  if (!enqueue(s, frame)) return;
  if (!s.dirty && !s.in_bulk) {
    s.in_bulk = true;
    bulk_.push_back(s.slot);
    ++bulk_pushed_;
  }
}

bool Shard::enqueue(Session& s, Frame& frame) {
  if (s.state == SessionState::kClosing || s.state == SessionState::kFree) return false;
  // Chat frames go to a web connection only once it speaks WebSocket.
  if (s.web != nullptr && s.web->phase != WebConn::Phase::kWebSocket) return false;
  if (s.out.bytes() + frame.size() > cfg_.max_outbound && !s.write_blocked) {
    // One iteration can queue more than max_outbound for a reader that
    // keeps up (a burst of pipelined SAYs): let its socket take what it
    // will before judging it.
    write_queued(s, cfg_.max_outbound);
    if (s.state == SessionState::kClosing) return false;  // the write failed
  }
  if (s.out.bytes() + frame.size() > cfg_.max_outbound) {
    // Slow consumer: drop what it has not taken, tell it why (best effort)
    // and close, without holding up anyone else.
    if (s.web != nullptr) {
      // The message in flight announced its length: it goes out whole.
      s.out.drop_after(chunks_, s.web->raw_left + s.web->msg_left);
    } else {
      s.out.drop_unstarted(chunks_);
    }
    s.out.push(chunks_,
               error_frame(0, proto::ErrorCode::kSlowConsumer, "output queue over max_outbound"));
    close_session(s, CloseReason::kSlowConsumer);
    s.close_now = true;
    return false;
  }
  stats_.frames_out[frame.data()[3]].add();
  s.out.push(chunks_, std::move(frame));
  return true;
}

void Shard::send_error(Session& s, uint32_t req, proto::ErrorCode code, std::string_view text) {
  auto c = static_cast<size_t>(code);
  if (c < kErrorCodes) stats_.errors_sent[c].add();
  send(s, error_frame(req, code, text));
}

void Shard::send_error_and_close(Session& s, uint32_t req, proto::ErrorCode code,
                                 std::string_view text, CloseReason reason) {
  send_error(s, req, code, text);
  close_session(s, reason);
}

void Shard::write_queued(Session& s, size_t budget) {
  if (s.web != nullptr) {
    write_web(s, budget);
    return;
  }
  struct iovec iov[kMaxIovecs];
  while (!s.out.empty() && !s.write_blocked && budget > 0) {
    int n = s.out.fill_iovec(iov, kMaxIovecs);
    ssize_t w = ::writev(s.fd, iov, n);
    if (w >= 0) {
      stats_.bytes_out.add(static_cast<uint64_t>(w));
      s.out.consume(chunks_, static_cast<size_t>(w));
      budget -= std::min(budget, static_cast<size_t>(w));
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s.write_blocked = true;  // EPOLLOUT (edge) tells us when to go on
    } else {
      s.out.clear(chunks_);
      close_session(s, CloseReason::kPeer);
      s.close_now = true;
      return;
    }
  }
}

void Shard::flush(Session& s) {
  s.dirty = false;
  if (s.state == SessionState::kFree || s.fd < 0) return;
  write_queued(s, kWriteBudgetBytes);
  if (has_output(s) && !s.write_blocked && !s.dirty && !s.close_now) {
    s.dirty = true;  // budget spent: continue next iteration
    dirty_.push_back(s.slot);
  }
  if (s.state == SessionState::kClosing && (!has_output(s) || s.close_now)) {
    closed_.push_back(s.slot);
  }
}

// ---------------------------------------------------------------- closing

void Shard::close_session(Session& s, CloseReason reason) {
  if (s.state == SessionState::kClosing || s.state == SessionState::kFree) return;
  if (reason != CloseReason::kMigrated) {
    // A client's mistake is worth a line at info; ordinary ends, at debug.
    const bool error = reason == CloseReason::kProtocol || reason == CloseReason::kSlowConsumer ||
                       reason == CloseReason::kAuth || reason == CloseReason::kLimit;
    conn_log_.logf(
        mono_ms_, close_reason_name(reason), error ? spdlog::level::info : spdlog::level::debug,
        "loop {}: session {:x}{}{} closed: {}", index_, addr_of(s), s.user != nullptr ? " of " : "",
        s.user != nullptr ? s.user->name : "", close_reason_name(reason));
  }
  stats_.closed[static_cast<size_t>(reason)].add();
  bool was_live = s.state == SessionState::kLive;
  s.state = SessionState::kClosing;
  if (s.web != nullptr && s.web->phase == WebConn::Phase::kWebSocket) {
    // The WebSocket close frame follows the last queued data.
    s.web->phase = WebConn::Phase::kClosed;
    if (s.web->close_code == 0) s.web->close_code = ws_close_code(reason);
    s.web->reader.release(ws_parsers_);
  }
  // Leaving rooms and going offline happen at the end of the iteration, and
  // the slot is released after a last flush: never in the middle of a
  // callback (a fan-out loop, a mail handler) that may still hold it.
  if (was_live) {
    ending_.push_back(s.slot);
  } else {
    s.ended = true;
  }
  // A peer that stops reading must not hold the slot forever: whatever is
  // still queued after this long is dropped.
  schedule_timer(s, mono_ms_ + kCloseFlushMs);
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(s.slot);
  }
}

void Shard::release_slot(Session& s) {
  if (s.state == SessionState::kFree) return;
  if (s.state == SessionState::kLive) close_session(s, CloseReason::kShutdown);
  if (!s.ended) end_session(s);
  if (s.fd >= 0) {
    if (!s.migrated) {
      // Unread input makes close() send a reset that can destroy the error
      // we just wrote before the peer reads it; take it off first.
      size_t drained = 0;
      while (drained < kDrainBeforeCloseBytes) {
        ssize_t n = ::read(s.fd, read_buf_.data(), read_buf_.size());
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
      }
      ::close(s.fd);
      ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  s.out.clear(chunks_);
  if (s.web != nullptr) {
    s.web->reader.release(ws_parsers_);
    s.web.reset();
  }
  s.fd = -1;
  s.state = SessionState::kFree;
  if (++s.generation == 0) s.generation = 1;
  s.timer_tag++;
  s.paused = s.read_ready = s.peer_eof = s.close_now = s.migrated = s.ended = false;
  s.cluster_counted = false;
  s.write_blocked = false;
  s.inflight = 0;
  s.client_id = 0;
  s.user = nullptr;
  std::vector<RoomLink>().swap(s.rooms);
  s.extras.reset();
  s.in_buf.clear();
  --open_sessions_;
  // dirty / in_pending_reads are cleared by the lists that hold the slot.
  free_slots_.push_back(s.slot);
}

}  // namespace chat
