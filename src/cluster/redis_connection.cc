#include "cluster/redis_connection.h"

#include <sys/epoll.h>

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

namespace chat::cluster {

namespace {

constexpr uint64_t kFirstBackoffMs = 100;
constexpr uint64_t kMaxBackoffMs = 2000;
constexpr size_t kMaxArgs = 32;  // the most arguments one command of ours carries

RedisConnection* self_of(const redisAsyncContext* ac) {
  return static_cast<RedisConnection*>(ac->data);
}

}  // namespace

RedisConnection::RedisConnection(net::EventLoop& loop, uint64_t token, std::string host,
                                 uint16_t port, std::string name)
    : loop_(loop), token_(token), host_(std::move(host)), port_(port), name_(std::move(name)) {}

RedisConnection::~RedisConnection() {
  on_state_ = nullptr;
  on_push_ = nullptr;
  if (ac_ != nullptr) redisAsyncFree(ac_);  // runs cleanup(): unregisters the socket
}

void RedisConnection::start(uint64_t now_ms) {
  now_ms_ = now_ms;
  connect();
}

void RedisConnection::connect() {
  loop_.assert_in_loop_thread();
  redisAsyncContext* ac = redisAsyncConnect(host_.c_str(), port_);
  if (ac == nullptr || ac->err != 0) {
    spdlog::debug("redis {}: cannot connect to {}:{}: {}", name_, host_, port_,
                  ac != nullptr ? ac->errstr : "out of memory");
    if (ac != nullptr) redisAsyncFree(ac);
    lost();
    return;
  }
  ac_ = ac;
  ac_->data = this;
  ac_->ev.data = this;
  ac_->ev.addRead = add_read;
  ac_->ev.delRead = del_read;
  ac_->ev.addWrite = add_write;
  ac_->ev.delWrite = del_write;
  ac_->ev.cleanup = cleanup;
  redisAsyncSetConnectCallback(ac_, on_connect);
  fd_ = ac_->c.fd;
  // hiredis learns that a non-blocking connect finished from the first
  // writable event: ask for it.
  want_write_ = true;
  want_read_ = false;
  Status st = loop_.add(fd_, EPOLLOUT, token_);
  if (!st) {
    spdlog::warn("redis {}: {}", name_, st.message());
    redisAsyncFree(ac_);  // cleanup() clears ac_ and schedules a retry
    return;
  }
  registered_ = true;
}

void RedisConnection::update_interest() {
  if (!registered_ || fd_ < 0) return;
  uint32_t mask = (want_read_ ? uint32_t{EPOLLIN} : 0u) | (want_write_ ? uint32_t{EPOLLOUT} : 0u);
  Status st = loop_.modify(fd_, mask, token_);
  if (!st) spdlog::warn("redis {}: {}", name_, st.message());
}

void RedisConnection::add_read(void* p) {
  auto* self = static_cast<RedisConnection*>(p);
  if (self->want_read_) return;
  self->want_read_ = true;
  self->update_interest();
}

void RedisConnection::del_read(void* p) {
  auto* self = static_cast<RedisConnection*>(p);
  if (!self->want_read_) return;
  self->want_read_ = false;
  self->update_interest();
}

void RedisConnection::add_write(void* p) {
  // Not registered with epoll yet: flush() at the end of the iteration
  // writes first, and only a write that would block asks for EPOLLOUT.
  static_cast<RedisConnection*>(p)->want_write_ = true;
}

void RedisConnection::del_write(void* p) {
  auto* self = static_cast<RedisConnection*>(p);
  self->want_write_ = false;
  self->update_interest();
}

void RedisConnection::cleanup(void* p) {
  // hiredis is freeing the context (error, close, or our own free).
  auto* self = static_cast<RedisConnection*>(p);
  if (self->registered_) self->loop_.remove(self->fd_);
  self->registered_ = false;
  self->fd_ = -1;
  self->ac_ = nullptr;
  self->want_read_ = self->want_write_ = false;
  self->lost();
}

void RedisConnection::lost() {
  retry_at_ms_ = now_ms_ + (backoff_ms_ == 0 ? kFirstBackoffMs : backoff_ms_);
  backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ == 0 ? kFirstBackoffMs * 2 : backoff_ms_ * 2);
  if (up_) {
    up_ = false;
    spdlog::warn("redis {}: connection to {}:{} lost", name_, host_, port_);
    if (on_state_) on_state_(false);
  }
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
  RedisConnection* self = self_of(ac);
  if (status != REDIS_OK) {
    spdlog::debug("redis {}: connect failed: {}", self->name_, ac->errstr);
    return;  // hiredis frees the context next: cleanup() schedules the retry
  }
  self->up_ = true;
  self->backoff_ms_ = 0;
  if (self->ever_up_) ++self->reconnects_;
  self->ever_up_ = true;
  spdlog::info("redis {}: connected to {}:{}", self->name_, self->host_, self->port_);
  if (self->on_state_) self->on_state_(true);
}

void RedisConnection::on_event(uint32_t events) {
  if (ac_ == nullptr) return;
  if (!up_) {
    // Connecting: the write handler checks how connect() ended.
    redisAsyncHandleWrite(ac_);
    if (ac_ == nullptr) return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && up_) redisAsyncHandleRead(ac_);
  if (ac_ != nullptr && (events & EPOLLOUT) != 0 && up_) redisAsyncHandleWrite(ac_);
}

void RedisConnection::flush() {
  if (ac_ == nullptr || !up_) return;
  if (want_write_) redisAsyncHandleWrite(ac_);
  // Still data left (the socket is full): now wait for EPOLLOUT.
  if (ac_ != nullptr && want_write_) update_interest();
}

void RedisConnection::tick(uint64_t now_ms) {
  now_ms_ = now_ms;
  if (ac_ == nullptr && now_ms_ >= retry_at_ms_) connect();
}

bool RedisConnection::send_argv(std::span<const std::string_view> argv, redisCallbackFn* fn,
                                void* privdata) {
  if (ac_ == nullptr || !up_ || argv.size() > kMaxArgs) return false;
  const char* ptrs[kMaxArgs];
  size_t lens[kMaxArgs];
  for (size_t i = 0; i < argv.size(); ++i) {
    ptrs[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  return redisAsyncCommandArgv(ac_, fn, privdata, static_cast<int>(argv.size()), ptrs, lens) ==
         REDIS_OK;
}

bool RedisConnection::command(std::span<const std::string_view> argv, ReplyFn fn) {
  auto* holder = new ReplyFn(std::move(fn));
  if (!send_argv(argv, on_reply, holder)) {
    delete holder;
    return false;
  }
  return true;
}

void RedisConnection::on_reply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
  // Called exactly once per command: with its reply, or null when the
  // connection goes first.
  auto* holder = static_cast<ReplyFn*>(privdata);
  (*holder)(static_cast<const redisReply*>(reply));
  delete holder;
}

void RedisConnection::on_push(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  RedisConnection* self = self_of(ac);
  if (reply == nullptr || !self->on_push_) return;
  self->on_push_(*static_cast<const redisReply*>(reply));
}

bool RedisConnection::subscribe(std::string_view channel) {
  std::string_view argv[] = {"SUBSCRIBE", channel};
  return send_argv(argv, on_push, nullptr);
}

bool RedisConnection::unsubscribe(std::string_view channel) {
  std::string_view argv[] = {"UNSUBSCRIBE", channel};
  return send_argv(argv, on_push, nullptr);
}

void RedisConnection::disconnect() {
  if (ac_ != nullptr) redisAsyncFree(ac_);
}

}  // namespace chat::cluster
