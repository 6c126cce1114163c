// WHISPER and PRIVATE (PROTOCOL.md §3, §4): who receives a private message,
// how often, errors, and per-pair order.
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;
using proto::MsgType;

template <class M>
std::string encoded(const M& m) {
  std::string out;
  proto::encode(out, m);
  return out;
}

class PrivateTest : public ServerTest {};

TEST_P(PrivateTest, WhisperReachesEverySessionOnce) {
  start_server();
  auto a1 = login("ana");
  auto a2 = login("ana");
  auto a3 = login("ana");
  auto b1 = login("bob");
  auto b2 = login("bob");
  auto c = login("carl");

  uint32_t req = a1->next_req();
  a1->send(proto::Whisper{req, "bob", "psst"});
  auto ack = a1->expect<proto::Ack>(req);

  for (TestClient* r : {b1.get(), b2.get(), a2.get(), a3.get()}) {
    SCOPED_TRACE(r->label());
    auto p = r->expect_event<proto::Private>();
    EXPECT_EQ(p->id, ack->id);
    EXPECT_EQ(p->from, "ana");
    EXPECT_EQ(p->to, "bob");
    EXPECT_EQ(p->body, "psst");
    EXPECT_GE(p->time + 60'000, unix_ms());
  }
  for (TestClient* r : {b1.get(), b2.get(), a2.get(), a3.get()}) {
    SCOPED_TRACE(r->label());
    r->expect_none_of(MsgType::kPrivate, Ms(150));
  }
  a1->expect_none_of(MsgType::kPrivate, Ms(100));  // not the sending session
  c->expect_none_of(MsgType::kPrivate, Ms(50));
}

TEST_P(PrivateTest, WhisperToOneselfReachesOtherSessionsOnly) {
  start_server();
  auto a1 = login("ana");
  // Alone: accepted, delivered nowhere.
  a1->whisper("ana", "note to self");
  a1->expect_none_of(MsgType::kPrivate, Ms(200));

  auto a2 = login("ana");
  auto a3 = login("ana");
  uint64_t id = a1->whisper("ana", "memo");
  for (TestClient* r : {a2.get(), a3.get()}) {
    auto p = r->expect_event<proto::Private>();
    EXPECT_EQ(p->id, id);
    EXPECT_EQ(p->from, "ana");
    EXPECT_EQ(p->to, "ana");
    EXPECT_EQ(p->body, "memo");
    r->expect_none_of(MsgType::kPrivate, Ms(150));
  }
  a1->expect_none_of(MsgType::kPrivate, Ms(100));
}

TEST_P(PrivateTest, OfflineRecipientIsNoSuchUser) {
  start_server();
  auto a = login("ana");
  uint32_t req = a->next_req();
  a->send(proto::Whisper{req, "ghost", "anyone?"});
  a->expect_error(ErrorCode::kNoSuchUser, req);

  {
    auto b = login("bob");
    a->whisper("bob", "while online");
    EXPECT_EQ(b->expect_event<proto::Private>()->body, "while online");
    b->bye();
  }
  // bob's last session ended: offline (the session's end is asynchronous).
  auto deadline = Clock::now() + kDefaultWait;
  for (;;) {
    req = a->next_req();
    a->send(proto::Whisper{req, "bob", "gone?"});
    Frame f = a->next_reply();
    auto is_error = f.type == static_cast<uint8_t>(MsgType::kError);
    if (is_error) {
      auto e = decode_as<proto::ErrorMsg>(f);
      EXPECT_EQ(e->code, ErrorCode::kNoSuchUser) << f.describe();
      EXPECT_EQ(e->req, req);
      break;
    }
    ASSERT_EQ(decode_as<proto::Ack>(f)->req, req);
    ASSERT_LT(Clock::now(), deadline) << "bob still online after his only session said BYE";
    std::this_thread::sleep_for(Ms(50));
  }
  a->expect_open();
}

TEST_P(PrivateTest, InvalidRecipientOrBody) {
  start_server();
  auto a = login("ana");
  auto b = login("bob");
  uint32_t req = a->next_req();
  a->send(proto::Whisper{req, "b o b", "hi"});
  a->expect_error(ErrorCode::kInvalidName, req);
  req = a->next_req();
  a->send(proto::Whisper{req, "", "hi"});
  a->expect_error(ErrorCode::kInvalidName, req);
  req = a->next_req();
  a->send(proto::Whisper{req, "bob", ""});
  a->expect_error(ErrorCode::kInvalidBody, req);
  req = a->next_req();
  a->send(proto::Whisper{req, "bob", "\xC3\x28"});
  a->expect_error(ErrorCode::kInvalidBody, req);
  b->expect_none_of(MsgType::kPrivate, Ms(200));
  a->expect_open();
  a->whisper("bob", "valid");
  EXPECT_EQ(b->expect_event<proto::Private>()->body, "valid");
}

TEST_P(PrivateTest, PairwiseOrderIsAcceptanceOrder) {
  start_server({{"rate", "10000"}, {"burst", "10000"}});
  constexpr uint32_t kEach = 60;
  auto b1 = login("bob");
  auto b2 = login("bob");
  std::vector<std::unique_ptr<TestClient>> senders;
  for (const char* name : {"ana", "carl", "dora", "emil"}) senders.push_back(login(name));

  std::vector<std::vector<uint32_t>> reqs(senders.size());
  for (size_t s = 0; s < senders.size(); ++s) {
    std::string batch;
    for (uint32_t i = 0; i < kEach; ++i) {
      reqs[s].push_back(senders[s]->next_req());
      batch += encoded(proto::Whisper{reqs[s].back(), "bob", std::to_string(i)});
    }
    senders[s]->send_raw(batch);
  }
  std::map<std::string, std::vector<uint64_t>> ids;  // per sender, in acceptance order
  for (size_t s = 0; s < senders.size(); ++s) {
    for (uint32_t req : reqs[s])
      ids[senders[s]->label()].push_back(senders[s]->expect<proto::Ack>(req)->id);
  }
  for (TestClient* r : {b1.get(), b2.get()}) {
    SCOPED_TRACE(r->label());
    std::map<std::string, uint32_t> next;  // next expected body per sender
    for (size_t n = 0; n < senders.size() * kEach; ++n) {
      auto p = r->expect_event<proto::Private>();
      std::string from(p->from);
      uint32_t k = next[from]++;
      ASSERT_EQ(p->body, std::to_string(k)) << "from " << from << " out of order";
      ASSERT_LT(k, ids[from].size());
      EXPECT_EQ(p->id, ids[from][k]);
    }
    r->expect_none_of(MsgType::kPrivate, Ms(100));
  }
}

CHATD_INSTANTIATE_THREADS(PrivateTest);

}  // namespace
}  // namespace chat::itest
