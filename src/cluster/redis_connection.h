// RedisConnection: one hiredis asynchronous connection driven by an
// EventLoop — the small adapter that turns hiredis' read/write hooks into
// epoll registrations, plus reconnection with backoff.
//
// hiredis asks for read or write interest through hooks; the connection keeps
// its socket registered level-triggered under `token` and changes the mask
// when hiredis changes its mind. The owner forwards epoll events for `token`
// to on_event(), calls flush() at the end of each iteration (so commands
// queued in the iteration go out in one write, without waiting for an
// EPOLLOUT round trip) and tick() regularly (reconnects when due).
//
// Never blocks: connect, commands and replies are all asynchronous. When the
// connection drops, every command still waiting gets its callback with a null
// reply, the state handler hears `false`, and a reconnect is tried after a
// backoff (100 ms doubling to 2 s).
//
// Thread: owned by one loop; every method REQUIRES that loop's thread. A
// callback must not destroy the connection it is called from.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "net/event_loop.h"

namespace chat::cluster {

class RedisConnection {
 public:
  // A command's answer; `reply` is null when the connection failed first.
  // The reply is valid only during the call.
  using ReplyFn = std::function<void(const redisReply* reply)>;
  // Every pub/sub push ("subscribe", "message", "unsubscribe" arrays).
  using PushFn = std::function<void(const redisReply& push)>;
  // Connected (true) or lost / failed to connect (false).
  using StateFn = std::function<void(bool up)>;

  RedisConnection(net::EventLoop& loop, uint64_t token, std::string host, uint16_t port,
                  std::string name);
  ~RedisConnection();  // frees the context: pending callbacks get null replies
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void set_state_handler(StateFn fn) { on_state_ = std::move(fn); }
  void set_push_handler(PushFn fn) { on_push_ = std::move(fn); }

  // First connection attempt (later ones come from tick()).
  void start(uint64_t now_ms);
  // Readiness for this connection's token.
  void on_event(uint32_t events);
  // Writes what commands queued, if the socket takes it.
  void flush();
  // Reconnects when the connection is down and the backoff has passed.
  void tick(uint64_t now_ms);

  bool up() const { return up_; }
  uint64_t reconnects() const { return reconnects_; }

  // Queues a command (arguments binary-safe). Returns false when the
  // connection is down (then `fn` is not called).
  bool command(std::span<const std::string_view> argv, ReplyFn fn);
  bool command(std::initializer_list<std::string_view> argv, ReplyFn fn) {
    return command(std::span<const std::string_view>(argv.begin(), argv.size()), std::move(fn));
  }
  // SUBSCRIBE / UNSUBSCRIBE one channel; confirmations and messages come to
  // the push handler. False when down.
  bool subscribe(std::string_view channel);
  bool unsubscribe(std::string_view channel);

  // Drops the connection now (as if the server had closed it): for tests
  // and shutdown.
  void disconnect();

 private:
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_push(redisAsyncContext* ac, void* reply, void* privdata);
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);
  void connect();
  void update_interest();
  void lost();
  bool send_argv(std::span<const std::string_view> argv, redisCallbackFn* fn, void* privdata);

  net::EventLoop& loop_;
  const uint64_t token_;
  const std::string host_;
  const uint16_t port_;
  const std::string name_;
  redisAsyncContext* ac_ = nullptr;
  int fd_ = -1;
  bool registered_ = false;
  bool want_read_ = false;
  bool want_write_ = false;
  bool up_ = false;
  bool ever_up_ = false;
  uint64_t now_ms_ = 0;
  uint64_t retry_at_ms_ = 0;
  uint64_t backoff_ms_ = 0;
  uint64_t reconnects_ = 0;
  StateFn on_state_;
  PushFn on_push_;
};

}  // namespace chat::cluster
