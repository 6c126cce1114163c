// EventLoop: one epoll instance driven by one thread.
//
// Sockets are registered edge-triggered by their owner, with a 64-bit token
// that the loop hands back with each event. The loop itself knows nothing of
// connections: each iteration it waits, passes every event to its
// LoopHandler, then calls after_events() so the handler can flush what the
// iteration produced (one write per connection per iteration, batched).
//
// Other threads may only call wake() (and stop()); everything else REQUIRES
// the loop's own thread, which assert_in_loop_thread() checks in debug
// builds.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <thread>

#include "base/status.h"

namespace chat::net {

class LoopHandler {
 public:
  virtual ~LoopHandler() = default;
  // One readiness event for a registered token.
  virtual void on_event(uint64_t token, uint32_t events) = 0;
  // Another thread called wake(): cross-loop work may be waiting.
  virtual void on_wake() = 0;
  // End of an iteration. Returns the longest the next wait may block, in ms
  // (0: work is pending; -1: no limit).
  virtual int after_events() = 0;
  // How long the iteration just ended was busy (from the wait's return).
  virtual void on_iteration(uint64_t busy_us) { (void)busy_us; }
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs iterations on the calling thread until stop(). The calling thread
  // becomes the loop's thread. May be called again after it returned.
  void run(LoopHandler& handler);
  // Thread-safe. Makes run() return after its current iteration.
  void stop();
  // Thread-safe. Interrupts the wait so on_wake() runs soon; many calls
  // before the loop wakes cost one eventfd write each and one wakeup.
  void wake();

  Status add(int fd, uint32_t events, uint64_t token);
  Status modify(int fd, uint32_t events, uint64_t token);
  void remove(int fd);

  bool in_loop_thread() const { return std::this_thread::get_id() == thread_id_; }
  void assert_in_loop_thread() const { assert(in_loop_thread()); }
  // Bind the loop to the calling thread before run() (for setup code).
  void bind_to_current_thread() { thread_id_ = std::this_thread::get_id(); }
  uint64_t iterations() const { return iterations_.load(std::memory_order_relaxed); }

 private:
  static constexpr uint64_t kWakeToken = ~uint64_t{0};
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> iterations_{0};
  std::thread::id thread_id_;
};

}  // namespace chat::net
