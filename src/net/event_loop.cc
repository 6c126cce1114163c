#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

namespace chat::net {

namespace {
constexpr int kMaxEventsPerWait = 256;
}

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    spdlog::critical("cannot create an event loop: {}", std::strerror(errno));
    std::abort();
  }
  struct epoll_event ev {};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    spdlog::critical("cannot watch the loop's eventfd: {}", std::strerror(errno));
    std::abort();
  }
  thread_id_ = std::this_thread::get_id();
}

EventLoop::~EventLoop() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void EventLoop::run(LoopHandler& handler) {
  thread_id_ = std::this_thread::get_id();
  struct epoll_event events[kMaxEventsPerWait];
  int timeout_ms = 0;
  while (!stopping_.load(std::memory_order_acquire)) {
    int n = epoll_wait(epoll_fd_, events, kMaxEventsPerWait, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::critical("epoll_wait failed: {}", std::strerror(errno));
      std::abort();
    }
    auto busy_from = std::chrono::steady_clock::now();
    bool woken = false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeToken) {
        woken = true;
        continue;
      }
      handler.on_event(events[i].data.u64, events[i].events);
    }
    if (woken) {
      uint64_t count = 0;
      // Edge-triggered: reset the counter so the next write makes a new edge.
      while (::read(wake_fd_, &count, sizeof count) > 0) {
      }
    }
    // Cross-loop work is checked every iteration, woken or not: it costs a
    // few loads, and mail pushed while we were busy is handled without
    // waiting for the next wakeup.
    handler.on_wake();
    timeout_ms = handler.after_events();
    iterations_.fetch_add(1, std::memory_order_relaxed);
    auto busy = std::chrono::steady_clock::now() - busy_from;
    handler.on_iteration(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(busy).count()));
  }
  // Stopped: a later run() (a test driving the loop in phases) runs again.
  stopping_.store(false, std::memory_order_release);
}

void EventLoop::stop() {
  stopping_.store(true, std::memory_order_release);
  wake();
}

void EventLoop::wake() {
  uint64_t one = 1;
  ssize_t r = ::write(wake_fd_, &one, sizeof one);
  (void)r;  // EAGAIN means the counter is saturated: a wakeup is pending anyway
}

Status EventLoop::add(int fd, uint32_t events, uint64_t token) {
  struct epoll_event ev {};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Status::error(std::string("epoll_ctl(ADD): ") + std::strerror(errno));
  }
  return Status::ok();
}

Status EventLoop::modify(int fd, uint32_t events, uint64_t token) {
  struct epoll_event ev {};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return Status::error(std::string("epoll_ctl(MOD): ") + std::strerror(errno));
  }
  return Status::ok();
}

void EventLoop::remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

}  // namespace chat::net
