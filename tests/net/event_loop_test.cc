#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace chat::net {
namespace {

class Recorder : public LoopHandler {
 public:
  explicit Recorder(EventLoop& loop) : loop_(loop) {}
  void on_event(uint64_t token, uint32_t events) override {
    last_token = token;
    if ((events & EPOLLIN) != 0) ++readable;
    loop_.stop();
  }
  void on_wake() override {
    ++wakes;
    if (stop_on_wake.load()) loop_.stop();
  }
  int after_events() override { return 1000; }

  EventLoop& loop_;
  uint64_t last_token = 0;
  int readable = 0;
  std::atomic<int> wakes{0};
  std::atomic<bool> stop_on_wake{false};
};

TEST(EventLoopTest, ReportsReadinessWithTheRegisteredToken) {
  EventLoop loop;
  Recorder r(loop);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  ASSERT_TRUE(loop.add(fds[0], EPOLLIN | EPOLLET, 42).is_ok());
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  loop.run(r);
  EXPECT_EQ(r.last_token, 42u);
  EXPECT_EQ(r.readable, 1);
  close(fds[0]);
  close(fds[1]);
}

// Run under ThreadSanitizer by `make tsan` (name matches its filter).
TEST(EventLoopThreadsTest, WakeFromAnotherThreadRunsOnWake) {
  EventLoop loop;
  Recorder r(loop);
  r.stop_on_wake = true;
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    loop.wake();
  });
  loop.run(r);  // returns once on_wake has stopped it
  waker.join();
  EXPECT_GE(r.wakes.load(), 1);
  EXPECT_TRUE(loop.in_loop_thread());
}

TEST(EventLoopTest, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  Recorder r(loop);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop.stop();
  });
  loop.run(r);
  stopper.join();
  SUCCEED();
}

}  // namespace
}  // namespace chat::net
