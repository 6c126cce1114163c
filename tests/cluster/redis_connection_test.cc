// RedisConnection against a real redis-server: connect, pipelined commands
// in order, pub/sub, and reconnecting after the server restarts.
#include "cluster/redis_connection.h"

#include <sys/epoll.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/room_wire.h"
#include "integration/redis_fixture.h"

namespace chat::cluster {
namespace {

using itest::RedisProcess;
using SteadyClock = std::chrono::steady_clock;

uint64_t mono_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch())
          .count());
}

// Drives connections from an EventLoop on the test's thread, the way a
// Shard does: events to the connection, flush and tick after each iteration.
class Driver : public net::LoopHandler {
 public:
  net::EventLoop loop;
  std::vector<RedisConnection*> conns;  // token = index

  std::unique_ptr<RedisConnection> connect(uint16_t port, const std::string& name) {
    auto c = std::make_unique<RedisConnection>(loop, conns.size(), "127.0.0.1", port, name);
    conns.push_back(c.get());
    c->start(mono_ms());
    return c;
  }

  // Runs iterations until `done` or `timeout_ms` passed; returns done().
  bool run_until(std::function<bool()> done, uint64_t timeout_ms = 5000) {
    done_ = std::move(done);
    deadline_ms_ = mono_ms() + timeout_ms;
    loop.run(*this);
    return done_();
  }

  void on_event(uint64_t token, uint32_t events) override {
    if (token < conns.size()) conns[token]->on_event(events);
  }
  void on_wake() override {}
  int after_events() override {
    uint64_t now = mono_ms();
    for (RedisConnection* c : conns) {
      c->flush();
      c->tick(now);
    }
    if (done_() || now >= deadline_ms_) loop.stop();
    return 10;
  }

 private:
  std::function<bool()> done_;
  uint64_t deadline_ms_ = 0;
};

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RedisProcess::binary().empty()) GTEST_SKIP() << "redis-server is not installed";
    ASSERT_TRUE(redis_.start()) << "redis-server did not come up";
  }
  RedisProcess redis_;
  Driver driver_;
};

TEST_F(RedisConnectionTest, ConnectsAndAnswersPipelinedCommandsInOrder) {
  auto conn = driver_.connect(redis_.port(), "cmd");
  std::vector<bool> states;
  conn->set_state_handler([&](bool up) { states.push_back(up); });
  ASSERT_TRUE(driver_.run_until([&] { return conn->up(); }));
  EXPECT_EQ(states, std::vector<bool>{true});

  // 200 INCRs queued in one go: one write, replies in order.
  std::vector<long long> seen;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(conn->command({"INCR", "counter"}, [&](const redisReply* r) {
      ASSERT_NE(r, nullptr);
      ASSERT_EQ(r->type, REDIS_REPLY_INTEGER);
      seen.push_back(r->integer);
    }));
  }
  ASSERT_TRUE(driver_.run_until([&] { return seen.size() == 200; }));
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<long long>(i + 1));

  // Binary-safe arguments.
  std::string value("a\0b c\r\n", 7);
  std::string got;
  conn->command({"SET", "bin", value}, [](const redisReply*) {});
  conn->command({"GET", "bin"}, [&](const redisReply* r) {
    if (r != nullptr && r->type == REDIS_REPLY_STRING) got.assign(r->str, r->len);
  });
  ASSERT_TRUE(driver_.run_until([&] { return !got.empty(); }));
  EXPECT_EQ(got, value);
}

TEST_F(RedisConnectionTest, SubscriberGetsConfirmationsAndMessages) {
  auto cmd = driver_.connect(redis_.port(), "cmd");
  auto sub = driver_.connect(redis_.port(), "sub");
  std::vector<std::string> pushes;  // "kind channel [payload]"
  sub->set_push_handler([&](const redisReply& r) {
    std::string line;
    for (size_t i = 0; i < r.elements; ++i) {
      if (i > 0) line += ' ';
      const redisReply* e = r.element[i];
      if (e->type == REDIS_REPLY_INTEGER) {
        line += std::to_string(e->integer);
      } else {
        line.append(e->str, e->len);
      }
    }
    pushes.push_back(line);
  });
  ASSERT_TRUE(driver_.run_until([&] { return cmd->up() && sub->up(); }));
  ASSERT_TRUE(sub->subscribe("ch1"));
  ASSERT_TRUE(driver_.run_until([&] { return pushes.size() == 1; }));
  EXPECT_EQ(pushes[0], "subscribe ch1 1");

  long long receivers = -1;
  cmd->command({"PUBLISH", "ch1", "hello"}, [&](const redisReply* r) {
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER) receivers = r->integer;
  });
  ASSERT_TRUE(driver_.run_until([&] { return pushes.size() == 2 && receivers >= 0; }));
  EXPECT_EQ(receivers, 1);
  EXPECT_EQ(pushes[1], "message ch1 hello");

  ASSERT_TRUE(sub->unsubscribe("ch1"));
  ASSERT_TRUE(driver_.run_until([&] { return pushes.size() == 3; }));
  EXPECT_EQ(pushes[2], "unsubscribe ch1 0");
  receivers = -1;
  cmd->command({"PUBLISH", "ch1", "nobody"}, [&](const redisReply* r) {
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER) receivers = r->integer;
  });
  ASSERT_TRUE(driver_.run_until([&] { return receivers >= 0; }));
  EXPECT_EQ(receivers, 0);
}

TEST_F(RedisConnectionTest, ReconnectsAfterTheServerRestarts) {
  auto conn = driver_.connect(redis_.port(), "cmd");
  std::vector<bool> states;
  conn->set_state_handler([&](bool up) { states.push_back(up); });
  ASSERT_TRUE(driver_.run_until([&] { return conn->up(); }));

  // A command in flight when the server goes gets a null reply.
  bool failed = false;
  redis_.stop();
  conn->command({"BLPOP", "nothing", "0"}, [&](const redisReply* r) { failed = r == nullptr; });
  ASSERT_TRUE(driver_.run_until([&] { return !conn->up(); }));
  EXPECT_TRUE(failed);
  EXPECT_EQ(states, (std::vector<bool>{true, false}));
  EXPECT_FALSE(conn->command({"PING"}, [](const redisReply*) {})) << "down: refused at once";

  // Down for a while: retries do not block the loop (iterations go on).
  uint64_t before = driver_.loop.iterations();
  driver_.run_until([] { return false; }, 300);
  EXPECT_GT(driver_.loop.iterations(), before + 5);
  EXPECT_FALSE(conn->up());

  ASSERT_TRUE(redis_.start());
  ASSERT_TRUE(driver_.run_until([&] { return conn->up(); }, 8000));
  EXPECT_EQ(states, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(conn->reconnects(), 1u);
  std::string pong;
  conn->command({"PING"}, [&](const redisReply* r) {
    if (r != nullptr) pong.assign(r->str, r->len);
  });
  ASSERT_TRUE(driver_.run_until([&] { return !pong.empty(); }));
  EXPECT_EQ(pong, "PONG");
}

TEST_F(RedisConnectionTest, DisconnectFailsPendingCommandsAndComesBack) {
  auto conn = driver_.connect(redis_.port(), "cmd");
  ASSERT_TRUE(driver_.run_until([&] { return conn->up(); }));
  int nulls = 0;
  for (int i = 0; i < 3; ++i) {
    conn->command({"PING"}, [&](const redisReply* r) { nulls += r == nullptr ? 1 : 0; });
  }
  conn->disconnect();
  EXPECT_EQ(nulls, 3);
  EXPECT_FALSE(conn->up());
  ASSERT_TRUE(driver_.run_until([&] { return conn->up(); }));
}

// The SAY script on a real Redis: seq, stream entry, publication, and the
// resend key that turns a repeat into the first answer.
TEST_F(RedisConnectionTest, SayScriptSequencesPublishesAndRemembers) {
  auto cmd = driver_.connect(redis_.port(), "cmd");
  auto sub = driver_.connect(redis_.port(), "sub");
  std::vector<std::string> messages;
  sub->set_push_handler([&](const redisReply& r) {
    auto p = decode_pubsub_push(r);
    if (p && p->kind == PubSubPush::Kind::kMessage) messages.emplace_back(p->payload);
  });
  ASSERT_TRUE(driver_.run_until([&] { return cmd->up() && sub->up(); }));
  sub->subscribe(room_channel("r"));
  bool loaded = false;
  cmd->command({"SCRIPT", "LOAD", kSayScript}, [&](const redisReply* r) {
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(std::string(r->str, r->len), say_script_sha());
    loaded = true;
  });
  std::vector<SayResult> results;
  auto say = [&](const std::string& body, const std::string& use_resend) {
    std::string seq = room_seq_key("r"), stream = room_stream_key("r"),
                resend = resend_key("r", "ana", 1, 5), channel = room_channel("r");
    cmd->command({"EVALSHA", say_script_sha(), "3", seq, stream, resend, channel, "1000", "ana",
                  body, "2", "node-a 7 0", "FRAME " + body, use_resend},
                 [&](const redisReply* r) {
                   ASSERT_NE(r, nullptr);
                   auto d = decode_say_reply(*r);
                   ASSERT_TRUE(d) << (r->type == REDIS_REPLY_ERROR ? r->str : "?");
                   results.push_back(*d);
                 });
  };
  ASSERT_TRUE(driver_.run_until([&] { return loaded; }));
  say("one", "0");
  say("two", "1");
  say("two again", "1");  // same resend key: the first answer, nothing published
  say("three", "0");
  say("four", "0");
  ASSERT_TRUE(driver_.run_until([&] { return results.size() == 5 && messages.size() == 4; }));
  EXPECT_EQ(results[0].seq, 1u);
  EXPECT_EQ(results[1].seq, 2u);
  EXPECT_EQ(results[2].seq, 2u);
  EXPECT_TRUE(results[2].duplicate);
  EXPECT_FALSE(results[1].duplicate);
  EXPECT_EQ(results[3].seq, 3u);
  EXPECT_EQ(results[4].seq, 4u);
  EXPECT_EQ(results[4].time, 1000u);
  auto first = decode_room_push(messages[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->seq, 1u);
  EXPECT_EQ(first->node, "node-a");
  EXPECT_EQ(first->addr, 7u);
  EXPECT_EQ(first->frame, "FRAME one");
  EXPECT_EQ(decode_room_push(messages[3])->seq, 4u);

  // The stream holds the entries by seq (trimmed approximately to 2).
  // (Entries point into the reply: check them inside the callback.)
  bool got = false;
  cmd->command({"XRANGE", room_stream_key("r"), "3", "+"}, [&](const redisReply* r) {
    ASSERT_NE(r, nullptr);
    std::vector<StreamEntry> entries;
    ASSERT_TRUE(decode_stream_range(*r, &entries));
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].seq, 3u);
    EXPECT_EQ(entries[0].body, "three");
    EXPECT_EQ(entries[1].from, "ana");
    got = true;
  });
  ASSERT_TRUE(driver_.run_until([&] { return got; }));
}

}  // namespace
}  // namespace chat::cluster
