// Cluster mode (docs/cluster.md): three chatd nodes on one redis-server of
// the test's own. Rooms span nodes with one gapless order, HISTORY and
// resend safety work through any node, and a node whose Redis is gone
// answers UNAVAILABLE, keeps its sessions and recovers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster_fixture.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;
using proto::MsgType;

TEST_P(ClusterTest, CrossNodeConversationIsGaplessAtEveryMemberThreads) {
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kNodes; ++i) clients.push_back(login(i, "u" + std::to_string(i)));
  clients.push_back(login(1, "u0"));  // a second session of u0, on another node
  std::vector<uint64_t> joined;
  for (auto& c : clients) joined.push_back(c->join("r"));

  // Everyone pipelines its SAYs at once.
  constexpr uint32_t kPerSender = 20;
  std::vector<std::vector<uint32_t>> reqs(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    std::string batch;
    for (uint32_t k = 0; k < kPerSender; ++k) {
      uint32_t req = clients[i]->next_req();
      reqs[i].push_back(req);
      batch += encoded(proto::Say{req, "r", std::to_string(i) + "." + std::to_string(k)});
    }
    clients[i]->send_raw(batch);
  }
  const uint64_t total = clients.size() * kPerSender;
  const uint64_t first = *std::max_element(joined.begin(), joined.end()) + 1;

  std::map<uint64_t, std::string> body_of_seq;  // what every member must agree on
  for (size_t i = 0; i < clients.size(); ++i) {
    SCOPED_TRACE(clients[i]->label());
    auto& c = *clients[i];
    std::set<uint64_t> seen;  // own ACKs and others' MESSAGEs
    uint64_t last_ack = 0;
    for (uint32_t k = 0; k < kPerSender; ++k) {
      auto ack = c.expect<proto::Ack>(reqs[i][k], Ms(10000));
      EXPECT_GT(ack->id, last_ack) << "one sender's messages are sequenced in its order";
      last_ack = ack->id;
      seen.insert(ack->id);
      std::string mine = std::to_string(i) + "." + std::to_string(k);
      auto it = body_of_seq.emplace(ack->id, mine).first;
      EXPECT_EQ(it->second, mine) << "seq " << ack->id;
    }
    uint64_t last = 0;
    for (uint64_t n = 0; n < total - kPerSender; ++n) {
      auto m = c.expect_event<proto::Message>(Ms(10000));
      ASSERT_GT(m->seq, last) << "MESSAGEs out of seq order";
      last = m->seq;
      EXPECT_TRUE(seen.insert(m->seq).second) << "seq " << m->seq << " twice";
      auto it = body_of_seq.emplace(m->seq, std::string(m->body)).first;
      EXPECT_EQ(it->second, m->body) << "members disagree on seq " << m->seq;
    }
    ASSERT_EQ(seen.size(), total);
    EXPECT_EQ(*seen.begin(), first);
    EXPECT_EQ(*seen.rbegin(), first + total - 1) << "a member saw a gap";
    c.expect_none_of(MsgType::kMessage, Ms(100));
  }
}

TEST_P(ClusterTest, JoinDuringTrafficMissesNothingThreads) {
  auto sender = login(0, "sender");
  auto joiner = login(2, "joiner");
  sender->join("busy");
  // The sender pipelines while the joiner joins through another node: the
  // joiner gets exactly the messages after its JOIN's seq.
  constexpr uint32_t kMessages = 200;
  std::string batch;
  std::vector<uint32_t> reqs;
  for (uint32_t k = 0; k < kMessages; ++k) {
    reqs.push_back(sender->next_req());
    batch += encoded(proto::Say{reqs.back(), "busy", "m" + std::to_string(k)});
  }
  sender->send_raw(batch);
  uint64_t join_seq = joiner->join("busy");
  uint64_t last_seq = 0;
  for (uint32_t req : reqs) last_seq = sender->expect<proto::Ack>(req, Ms(10000))->id;
  ASSERT_GE(last_seq, join_seq);
  for (uint64_t want = join_seq + 1; want <= last_seq; ++want) {
    auto m = joiner->expect_event<proto::Message>(Ms(10000));
    ASSERT_EQ(m->seq, want) << "the joiner missed or repeated a message";
  }
  joiner->expect_none_of(MsgType::kMessage, Ms(200));
}

TEST_P(ClusterTest, HistoryThroughAnotherNodeThreads) {
  auto a = login(0, "ana");
  a->join("hist");
  std::vector<uint64_t> seqs;
  for (int k = 0; k < 5; ++k) seqs.push_back(a->say("hist", "h" + std::to_string(k)));
  auto b = login(1, "bob");
  uint64_t join_seq = b->join("hist");
  EXPECT_EQ(join_seq, seqs.back());
  auto page = b->history("hist", 0, 3);
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_TRUE(page->more);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(page->entries[k].seq, seqs[k]);
    EXPECT_EQ(page->entries[k].from, "ana");
    EXPECT_EQ(page->entries[k].body, "h" + std::to_string(k));
  }
  auto rest = b->history("hist", seqs[2], 10);
  ASSERT_EQ(rest->entries.size(), 2u);
  EXPECT_FALSE(rest->more);
  EXPECT_EQ(rest->entries[1].seq, seqs[4]);
  EXPECT_EQ(rest->entries[1].body, "h4");
}

TEST_P(ClusterTest, ResendThroughAnotherNodeIsDeliveredOnceThreads) {
  constexpr uint64_t kClientId = 0x5eed;
  auto watcher = login(2, "watcher");
  watcher->join("once");
  auto first = login(0, "ana", kClientId);
  first->join("once");
  first->send(proto::Say{7, "once", "exactly once"});
  auto ack = first->expect<proto::Ack>(7);
  auto m = watcher->expect_event<proto::Message>();
  EXPECT_EQ(m->seq, ack->id);

  // The client fails over to another node and resends the same request.
  first->close_now();
  auto again = login(1, "ana", kClientId);
  again->join("once");
  again->send(proto::Say{7, "once", "exactly once"});
  auto ack2 = again->expect<proto::Ack>(7);
  EXPECT_EQ(ack2->id, ack->id) << "the resend gets the original ACK";
  EXPECT_EQ(ack2->time, ack->time);
  watcher->expect_none_of(MsgType::kMessage, Ms(300));
  // A new request goes through.
  uint64_t next = again->say("once", "new");
  EXPECT_EQ(next, ack->id + 1);
  EXPECT_EQ(watcher->expect_event<proto::Message>()->body, "new");
}

TEST_P(ClusterTest, WhisperResentThroughAnotherNodeIsDeliveredOnceThreads) {
  constexpr uint64_t kClientId = 0x5eee;
  auto bob = login(2, "bob");
  auto first = login(0, "ana", kClientId);
  first->send(proto::Whisper{9, "bob", "just once"});
  auto ack = first->expect<proto::Ack>(9);
  EXPECT_EQ(bob->expect_event<proto::Private>()->body, "just once");

  // The client fails over to another node and resends the same request.
  first->close_now();
  auto again = login(1, "ana", kClientId);
  again->send(proto::Whisper{9, "bob", "just once"});
  auto ack2 = again->expect<proto::Ack>(9);
  EXPECT_EQ(ack2->id, ack->id) << "the resend gets the original ACK";
  EXPECT_EQ(ack2->time, ack->time);
  bob->expect_none_of(MsgType::kPrivate, Ms(300));
  // A new request goes through.
  again->send(proto::Whisper{10, "bob", "new"});
  EXPECT_GT(again->expect<proto::Ack>(10)->id, ack->id);
  EXPECT_EQ(bob->expect_event<proto::Private>()->body, "new");
}

// Sends one command to the test's Redis over a plain socket (RESP) and
// returns its reply's first line.
std::string redis_command(uint16_t port, const std::vector<std::string>& args) {
  std::string req = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) reply.assign(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply.substr(0, reply.find("\r\n"));
}

TEST_P(ClusterTest, LostSubscriptionsAreRefilledFromTheStreamThreads) {
  auto m0 = login(0, "m0");
  auto m1 = login(1, "m1");
  auto s = login(2, "sender");
  for (auto* c : {m0.get(), m1.get(), s.get()}) c->join("g");
  s->say("g", "before 1");
  s->say("g", "before 2");

  // Every node's subscriber connection is cut; the sender goes on at once,
  // through its node's command connection, while they come back.
  std::string killed = redis_command(redis_.port(), {"CLIENT", "KILL", "TYPE", "pubsub"});
  ASSERT_EQ(killed.substr(0, 1), ":") << killed;
  ASSERT_NE(killed, ":0") << "no subscriber connection was cut";
  constexpr int kDuring = 20;
  for (int k = 1; k <= kDuring; ++k) s->say("g", "during " + std::to_string(k));
  s->say("g", "after");

  // Every member gets every message once, in seq order, with no gap; the
  // sender gets none of its own.
  for (auto* c : {m0.get(), m1.get()}) {
    for (uint64_t seq = 1; seq <= 2 + kDuring + 1; ++seq) {
      auto m = c->expect_event<proto::Message>(Ms(10000));
      EXPECT_EQ(m->seq, seq);
    }
    c->expect_none_of(MsgType::kMessage, Ms(200));
  }
  s->expect_none_of(MsgType::kMessage, Ms(200));
}

// As standalone: when a sender gets its ACK, every earlier message of the
// room has reached it (the ACK waits until this node delivered up to its seq).
TEST_P(ClusterTest, SendersGetEarlierMessagesBeforeTheirAckThreads) {
  auto a = login(0, "ana");
  auto b = login(1, "bob");
  a->join("o");
  b->join("o");
  std::set<uint64_t> have;  // seqs ana has: messages and her own ACKs
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 5; ++k) b->send(proto::Say{b->next_req(), "o", "from bob"});
    const uint32_t req = a->next_req();
    a->send(proto::Say{req, "o", "from ana"});
    for (;;) {
      Frame f = a->next(Ms(10000));
      if (f.type == static_cast<uint8_t>(MsgType::kMessage)) {
        have.insert(decode_as<proto::Message>(f)->seq);
        continue;
      }
      ASSERT_EQ(f.type, static_cast<uint8_t>(MsgType::kAck)) << f.describe();
      const uint64_t seq = decode_as<proto::Ack>(f)->id;
      for (uint64_t s = 1; s < seq; ++s) {
        ASSERT_TRUE(have.count(s)) << "ACK " << seq << " came before message " << s;
      }
      have.insert(seq);
      break;
    }
  }
}

TEST_P(ClusterTest, RedisStoppedMidRunAnswersUnavailableAndRecoversThreads) {
  auto a = login(0, "ana");
  auto b = login(1, "bob");
  a->join("r");
  b->join("r");
  a->say("r", "before");
  EXPECT_EQ(b->expect_event<proto::Message>()->body, "before");

  redis_.stop();
  Frame refused = say_until(*a, "r", /*want_ack=*/false);
  auto err = decode_as<proto::ErrorMsg>(refused);
  EXPECT_EQ(err->code, ErrorCode::kUnavailable);
  // The session is kept, and so is its membership.
  a->ping();
  uint32_t req = a->next_req();
  a->send(proto::Join{req, "other"});
  a->expect_error(ErrorCode::kUnavailable, req);
  b->ping();

  ASSERT_TRUE(redis_.start());
  Frame accepted = say_until(*a, "r", /*want_ack=*/true);
  auto ack = decode_as<proto::Ack>(accepted);
  // bob's node subscribed again: it delivers from now on (this Redis lost
  // its data, so seqs start over).
  auto m = b->expect_event<proto::Message>(Ms(10000));
  EXPECT_EQ(m->seq, ack->id);
  uint64_t seq = b->say("r", "after");
  EXPECT_EQ(a->expect_event<proto::Message>(Ms(10000))->body, "after");
  EXPECT_EQ(seq, ack->id + 1);
}

TEST_P(ClusterTest, WhisperReachesEverySessionOnEveryNodeThreads) {
  auto ana = login(0, "ana");
  auto ana2 = login(0, "ana");
  auto bob1 = login(1, "bob");
  auto bob2 = login(2, "bob");
  uint64_t id = ana->whisper("bob", "psst");
  for (TestClient* c : {bob1.get(), bob2.get(), ana2.get()}) {
    auto p = c->expect_event<proto::Private>();
    EXPECT_EQ(p->id, id) << c->label();
    EXPECT_EQ(p->from, "ana");
    EXPECT_EQ(p->to, "bob");
    EXPECT_EQ(p->body, "psst");
  }
  ana->expect_none_of(MsgType::kPrivate, Ms(100));
  // Ids are unique across nodes.
  uint64_t back = bob2->whisper("ana", "hi");
  EXPECT_NE(back, id);
  EXPECT_EQ(ana->expect_event<proto::Private>()->id, back);
  EXPECT_EQ(ana2->expect_event<proto::Private>()->id, back);
  EXPECT_EQ(bob1->expect_event<proto::Private>()->id, back) << "the sender's other session";

  uint32_t req = ana->next_req();
  ana->send(proto::Whisper{req, "nobody", "x"});
  ana->expect_error(ErrorCode::kNoSuchUser, req);

  // bob leaves everywhere: no node listens for him any more.
  bob1->bye();
  bob2->bye();
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    req = ana->next_req();
    ana->send(proto::Whisper{req, "bob", "still there?"});
    Frame f = ana->next_reply();
    gone = f.type == static_cast<uint8_t>(MsgType::kError);
    if (gone) {
      EXPECT_EQ(decode_as<proto::ErrorMsg>(f)->code, ErrorCode::kNoSuchUser);
    } else {
      std::this_thread::sleep_for(Ms(50));
    }
  }
  EXPECT_TRUE(gone) << "bob's channel is still subscribed";
}

INSTANTIATE_TEST_SUITE_P(Threads, ClusterTest, ::testing::Values(1, 2), ThreadsParamName);

}  // namespace
}  // namespace chat::itest
