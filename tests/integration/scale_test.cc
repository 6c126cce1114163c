// Fan-out at scale: 5,000 logged-in connections in the lobby, one SAY, and
// every member gets exactly one MESSAGE with the same seq.
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "harness.h"

namespace chat::itest {
namespace {

using proto::MsgType;

constexpr int kConnections = 5000;
constexpr int kLoginBatch = 200;
// Bounds only; the suite runs under sanitizers on two cores.
constexpr Ms kLoginPhase{150'000};
constexpr Ms kDeliveryPhase{60'000};

void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

class ScaleTest : public ServerTest {};

TEST_P(ScaleTest, LobbyMessageReachesFiveThousandConnectionsOnce) {
  raise_fd_limit();
  rlimit rl{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < kConnections + 200) {
    GTEST_SKIP() << "open-files limit " << rl.rlim_cur << " is below " << kConnections + 200;
  }
  // Room events stop above 50 users, so the joins do not flood everyone; a
  // long idle timeout so early sessions outlive a slow (sanitizer) login phase.
  start_server({{"lobby", "lobby"}, {"room-event-limit", "50"}, {"timeout", "600"}});

  std::vector<std::unique_ptr<TestClient>> clients;
  clients.reserve(kConnections);
  auto login_deadline = Clock::now() + kLoginPhase;
  TestClient::Options opt;
  opt.connect_timeout = Ms(20'000);
  while (static_cast<int>(clients.size()) < kConnections) {
    size_t first = clients.size();
    for (int i = 0; i < kLoginBatch && static_cast<int>(clients.size()) < kConnections; ++i) {
      std::string user = "s" + std::to_string(clients.size());
      clients.push_back(std::make_unique<TestClient>(port(), user, opt));
      clients.back()->send(proto::Hello{1, 0, user, ""});
    }
    for (size_t i = first; i < clients.size(); ++i) {
      clients[i]->expect<proto::Welcome>(1, Ms(30'000));
      clients[i]->pending().clear();
    }
    ASSERT_LT(Clock::now(), login_deadline)
        << "only " << clients.size() << " of " << kConnections << " logged in";
  }

  // Every session is in the lobby before the message is sent.
  TestClient& sender = *clients[0];
  for (;;) {
    auto who = sender.who("lobby");
    if (who->total == static_cast<uint32_t>(kConnections)) break;
    ASSERT_LT(Clock::now(), login_deadline) << "lobby has " << who->total << " users";
    std::this_thread::sleep_for(Ms(100));
  }
  for (auto& c : clients) c->discard(MsgType::kRoomEvent);

  const std::string body = "one message for five thousand";
  uint64_t seq = sender.say("lobby", body);

  // Read all the others with epoll until each has its MESSAGE.
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  std::unordered_map<int, size_t> index_of_fd;
  for (size_t i = 1; i < clients.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = clients[i]->fd();
    ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_ADD, clients[i]->fd(), &ev), 0);
    index_of_fd[clients[i]->fd()] = i;
  }
  std::vector<int> received(clients.size(), 0);
  size_t done = 0;
  auto consume = [&](size_t i) {
    TestClient& c = *clients[i];
    c.pump();
    for (const Frame& f : c.pending()) {
      if (f.type != static_cast<uint8_t>(MsgType::kMessage)) continue;
      auto m = decode_as<proto::Message>(f);
      EXPECT_EQ(m->room, "lobby");
      EXPECT_EQ(m->seq, seq) << c.label();
      EXPECT_EQ(m->body, body);
      if (++received[i] == 1) ++done;
    }
    c.pending().clear();
    if (c.closed()) ADD_FAILURE() << c.label() << " was closed";
  };
  // Frames already read while logging in.
  for (size_t i = 1; i < clients.size(); ++i) consume(i);
  auto delivery_deadline = Clock::now() + kDeliveryPhase;
  std::vector<epoll_event> events(256);
  while (done < clients.size() - 1 && Clock::now() < delivery_deadline) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int k = 0; k < n; ++k) consume(index_of_fd[events[static_cast<size_t>(k)].data.fd]);
    if (HasFailure()) break;
  }
  EXPECT_EQ(done, clients.size() - 1) << "members without the MESSAGE after the deadline";
  // Exactly one each: nothing more arrives.
  auto quiet_until = Clock::now() + Ms(500);
  while (Clock::now() < quiet_until && !HasFailure()) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
    for (int k = 0; k < n; ++k) consume(index_of_fd[events[static_cast<size_t>(k)].data.fd]);
  }
  ::close(ep);
  size_t duplicates = 0;
  for (size_t i = 1; i < clients.size(); ++i) duplicates += received[i] > 1 ? 1 : 0;
  EXPECT_EQ(duplicates, 0u) << "members that got the MESSAGE more than once";
  sender.expect_none_of(MsgType::kMessage, Ms(100));
}

CHATD_INSTANTIATE_THREADS(ScaleTest);

}  // namespace
}  // namespace chat::itest
