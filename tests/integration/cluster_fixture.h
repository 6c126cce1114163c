// The fixture of the cluster-mode tests: a redis-server of the test's own
// and three chatd nodes on it (--cluster-ttl 2), each reaching Redis before
// the test starts. The parameter is chatd's --threads. Test code only.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "redis_fixture.h"

namespace chat::itest {

template <class M>
std::string encoded(const M& m) {
  std::string out;
  proto::encode(out, m);
  return out;
}

class ClusterTest : public ::testing::TestWithParam<int> {
 protected:
  static constexpr int kNodes = 3;

  void SetUp() override {
    if (RedisProcess::binary().empty()) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_TRUE(redis_.start()) << "redis-server did not come up";
    for (int i = 0; i < kNodes; ++i) {
      nodes_.push_back(std::make_unique<ServerProcess>());
      ServerArgs args{{"cluster", redis_.url()}, {"node-id", "node" + std::to_string(i)},
                      {"cluster-ttl", "2"},      {"lobby", ""},
                      {"rate", "10000"},         {"burst", "10000"}};
      ASSERT_TRUE(nodes_.back()->start(args, GetParam()));
    }
    // A node listens before its loops have reached Redis: wait until rooms
    // on every loop can be joined (bounded).
    for (int i = 0; i < kNodes; ++i) {
      auto probe = login(i, "probe" + std::to_string(i));
      for (int r = 0; r < 4; ++r) {
        std::string room = "probe-room-" + std::to_string(r);
        bool joined = false;
        for (int attempt = 0; attempt < 100 && !joined; ++attempt) {
          uint32_t req = probe->next_req();
          probe->send(proto::Join{req, room});
          joined = probe->next_reply().type == static_cast<uint8_t>(proto::MsgType::kAck);
          if (!joined) std::this_thread::sleep_for(Ms(50));
        }
        ASSERT_TRUE(joined) << "node " << i << " never reached Redis";
      }
      probe->bye();
    }
  }

  void TearDown() override {
    for (auto& n : nodes_) {
      if (!n->exited()) {
        EXPECT_EQ(n->stop(), 0) << "a node did not exit cleanly";
      }
    }
  }
  // (A test that SIGKILLs a node reaps it itself.)

  std::unique_ptr<TestClient> login(int node, const std::string& user, uint64_t client_id = 0) {
    auto c =
        std::make_unique<TestClient>(nodes_[node]->port(), user + "@node" + std::to_string(node));
    c->login(user, client_id);
    return c;
  }

  // SAY until the answer is `want` (ACK when want is kOk=0), at most `tries`
  // times 100 ms apart: for waiting on Redis to go or come back. Returns the
  // last answer's frame.
  Frame say_until(TestClient& c, const std::string& room, bool want_ack, int tries = 100) {
    Frame last;
    for (int i = 0; i < tries; ++i) {
      uint32_t req = c.next_req();
      c.send(proto::Say{req, room, "probe " + std::to_string(i)});
      last = c.next_reply();
      bool acked = last.type == static_cast<uint8_t>(proto::MsgType::kAck);
      if (acked == want_ack) return last;
      std::this_thread::sleep_for(Ms(100));
    }
    ADD_FAILURE() << c.label() << ": SAY never answered as wanted; last " << last.describe();
    return last;
  }

  RedisProcess redis_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

}  // namespace chat::itest
