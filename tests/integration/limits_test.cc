// PROTOCOL.md §6 and §4's resend safety: max_frame/max_body, max_connections,
// the rate limit, max_outbound (slow consumer), and deduplicated resends.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "metrics_helpers.h"

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

std::string repeat_utf8(std::string_view unit, size_t times) {
  std::string s;
  for (size_t i = 0; i < times; ++i) s += unit;
  return s;
}

class LimitsTest : public ServerTest {};

TEST_P(LimitsTest, BodyLimitIsInvalidBody) {
  start_server({{"max-frame", "8192"}, {"max-body", "4096"}});
  auto a = login("ana");
  auto b = login("bob");
  a->join("r");
  b->join("r");
  EXPECT_EQ(a->say("r", std::string(4096, 'x')), 1u);
  EXPECT_EQ(b->expect_event<proto::Message>()->body.size(), 4096u);
  // Bytes, not characters: 2048 two-byte characters fit, one more byte does not.
  EXPECT_EQ(a->say("r", repeat_utf8("\xC3\xA9", 2048)), 2u);
  const std::vector<std::string> bad = {std::string(4097, 'x'), repeat_utf8("\xC3\xA9", 2048) + "x",
                                        ""};
  for (const auto& body : bad) {
    SCOPED_TRACE("body of " + std::to_string(body.size()) + " bytes");
    uint32_t req = a->next_req();
    a->send(proto::Say{req, "r", body});
    a->expect_error(ErrorCode::kInvalidBody, req);
    req = a->next_req();
    a->send(proto::Whisper{req, "bob", body});
    a->expect_error(ErrorCode::kInvalidBody, req);
  }
  a->expect_open();
  EXPECT_EQ(a->say("r", "still fine"), 3u);
}

TEST_P(LimitsTest, MaxBodySettingApplies) {
  start_server({{"max-body", "100"}});
  auto a = login("ana");
  a->join("r");
  EXPECT_EQ(a->say("r", std::string(100, 'y')), 1u);
  uint32_t req = a->next_req();
  a->send(proto::Say{req, "r", std::string(101, 'y')});
  a->expect_error(ErrorCode::kInvalidBody, req);
}

TEST_P(LimitsTest, FrameOverMaxFrameIsRefusedAndClosed) {
  start_server({{"max-frame", "5000"}, {"max-body", "4096"}});
  auto a = login("ana");
  a->join("r");
  // A SAY whose frame is over max_frame (its body is too long as well): the
  // length check comes first, and closes.
  a->send(proto::Say{a->next_req(), "r", std::string(5000, 'z')});
  a->expect_error(ErrorCode::kFrameTooLarge, 0);
  a->expect_closed();
  // Others are unaffected.
  auto b = login("bob");
  EXPECT_EQ(b->join("r"), 0u);
}

TEST_P(LimitsTest, MaxConnectionsServerFull) {
  start_server({{"max-connections", "3"}});
  // The readiness probe's connection may still be counted for a moment: retry
  // filling the server until three sessions are in.
  std::vector<std::unique_ptr<TestClient>> in;
  auto deadline = Clock::now() + kDefaultWait;
  while (in.size() < 3) {
    auto c = connect("u" + std::to_string(in.size()));
    uint32_t req = c->next_req();
    c->send(proto::Hello{req, 0, c->label(), ""});
    Frame f = c->next_reply();
    if (f.type == static_cast<uint8_t>(MsgType::kWelcome)) {
      in.push_back(std::move(c));
      continue;
    }
    auto e = decode_as<proto::ErrorMsg>(f);
    ASSERT_EQ(e->code, ErrorCode::kServerFull) << f.describe();
    ASSERT_LT(Clock::now(), deadline) << "could not get 3 sessions in with --max-connections 3";
    std::this_thread::sleep_for(Ms(50));
  }
  for (int i = 0; i < 2; ++i) {
    auto extra = connect("extra");
    // Without sending anything: the server speaks first.
    extra->expect_error(ErrorCode::kServerFull, 0);
    extra->expect_closed();
  }
  for (auto& c : in) c->expect_open();
  // A slot frees when a connection ends.
  in.front()->bye();
  deadline = Clock::now() + kDefaultWait;
  for (;;) {
    auto c = connect("late");
    c->send(proto::Hello{1, 0, "late", ""});
    Frame f = c->next_reply();
    if (f.type == static_cast<uint8_t>(MsgType::kWelcome)) break;
    auto e = decode_as<proto::ErrorMsg>(f);
    ASSERT_EQ(e->code, ErrorCode::kServerFull) << f.describe();
    ASSERT_LT(Clock::now(), deadline) << "no slot after a connection ended";
    std::this_thread::sleep_for(Ms(50));
  }
}

TEST_P(LimitsTest, FloodOfBadClientsWritesAFewLogLinesAndASummary) {
  start_server({{"log-level", "info"}});
  constexpr int kClients = 150;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    auto junk = connect("junk" + std::to_string(i));
    junk->send_raw("this is not a frame, it is junk");
    junk->expect_closed();
  }
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  // Each loop writes at most 10 lines a second of one kind (per one-second
  // window), then one summary of what it dropped.
  const auto count = [&](std::string_view what) {
    const std::string log = server().read_log();
    size_t n = 0;
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_TRUE(wait_until([&] { return count("suppressed") > 0; }, Ms(5000))) << server().read_log();
  const size_t lines = count("closed: protocol error");
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, static_cast<size_t>(threads()) * 10 * static_cast<size_t>(seconds + 2));
  EXPECT_LT(lines, static_cast<size_t>(kClients));

  // A client that behaves is not affected.
  auto a = login("ana");
  a->join("r");
}

TEST_P(LimitsTest, RateLimitDropsTheMessage) {
  start_server({{"rate", "1"}, {"burst", "3"}});
  auto a = login("ana");
  auto b = login("bob");
  a->join("r");
  b->join("r");
  std::string batch;
  for (uint32_t req = 100; req < 104; ++req) {
    batch += encoded(proto::Say{req, "r", "burst " + std::to_string(req)});
  }
  a->send_raw(batch);
  for (uint32_t req = 100; req < 103; ++req) EXPECT_EQ(a->expect<proto::Ack>(req)->id, req - 99);
  a->expect_error(ErrorCode::kRateLimited, 103);
  for (uint64_t seq = 1; seq <= 3; ++seq) EXPECT_EQ(b->expect_event<proto::Message>()->seq, seq);
  b->expect_none_of(MsgType::kMessage, Ms(300));  // the refused one was dropped

  // Other requests are not rate-limited.
  EXPECT_EQ(a->who("r")->total, 2u);
  a->expect_open();

  // Tokens come back at `rate`; the dropped message took no seq.
  auto deadline = Clock::now() + Ms(3000) + kTimerSlack;
  for (;;) {
    uint32_t req = a->next_req();
    a->send(proto::Say{req, "r", "after refill"});
    Frame f = a->next_reply();
    if (f.type == static_cast<uint8_t>(MsgType::kAck)) {
      EXPECT_EQ(decode_as<proto::Ack>(f)->id, 4u);
      break;
    }
    auto e = decode_as<proto::ErrorMsg>(f);
    ASSERT_EQ(e->code, ErrorCode::kRateLimited) << f.describe();
    ASSERT_LT(Clock::now(), deadline) << "no token came back";
    std::this_thread::sleep_for(Ms(300));
  }
  EXPECT_EQ(b->expect_event<proto::Message>()->body, "after refill");
}

TEST_P(LimitsTest, RateLimitIsPerSessionAndSharedBySayAndWhisper) {
  start_server({{"rate", "1"}, {"burst", "3"}});
  auto b = login("bob");
  b->join("r");
  auto a1 = login("ana");
  a1->join("r");
  // Two WHISPERs and a SAY take the three tokens; the next of either kind is refused.
  std::string batch = encoded(proto::Whisper{10, "bob", "w1"}) +
                      encoded(proto::Whisper{11, "bob", "w2"}) +
                      encoded(proto::Say{12, "r", "s1"}) +
                      encoded(proto::Whisper{13, "bob", "w3"}) + encoded(proto::Say{14, "r", "s2"});
  a1->send_raw(batch);
  a1->expect<proto::Ack>(10);
  a1->expect<proto::Ack>(11);
  a1->expect<proto::Ack>(12);
  a1->expect_error(ErrorCode::kRateLimited, 13);
  a1->expect_error(ErrorCode::kRateLimited, 14);
  // A new session of the same user starts with a full bucket.
  auto a2 = login("ana");
  a2->join("r");
  batch.clear();
  for (uint32_t req = 20; req < 24; ++req) batch += encoded(proto::Say{req, "r", "x"});
  a2->send_raw(batch);
  for (uint32_t req = 20; req < 23; ++req) a2->expect<proto::Ack>(req);
  a2->expect_error(ErrorCode::kRateLimited, 23);
}

// One member that stops reading must not hold back the others: it is cut off
// when its output queue passes max_outbound, while the rest get everything.
TEST_P(LimitsTest, SlowConsumerIsClosedOthersGetEverything) {
  start_server({{"max-outbound", "65536"}, {"rate", "1000000"}, {"burst", "1000000"}});
  auto sender = login("sender");
  auto r1 = login("reader1");
  auto r2 = login("reader2");
  TestClient::Options tiny;
  tiny.rcvbuf = 4096;
  auto slow = login("slow", 0, "", tiny);
  slow->set_allow_truncated_close(true);  // cut off mid-frame is fine
  for (auto* c : {sender.get(), r1.get(), r2.get(), slow.get()}) c->join("flood");

  const std::string body(4000, 'f');
  constexpr uint64_t kBatch = 10;
  constexpr uint64_t kMaxMessages = 10000;  // 40 MB: far more than any socket buffer
  uint64_t sent = 0;
  std::vector<uint64_t> last_seen = {0, 0};
  bool slow_gone = false;
  while (sent < kMaxMessages) {
    std::string batch;
    std::vector<uint32_t> reqs;
    for (uint64_t i = 0; i < kBatch; ++i) {
      reqs.push_back(sender->next_req());
      batch += encoded(proto::Say{reqs.back(), "flood", body});
    }
    sender->send_raw(batch);
    for (uint32_t req : reqs) ASSERT_EQ(sender->expect<proto::Ack>(req)->id, ++sent);
    // The readers keep up, and see every message in order.
    TestClient* readers[] = {r1.get(), r2.get()};
    for (size_t i = 0; i < 2; ++i) {
      while (last_seen[i] < sent) {
        auto m = readers[i]->expect_event<proto::Message>();
        ASSERT_EQ(m->seq, last_seen[i] + 1) << readers[i]->label() << " missed a message";
        last_seen[i] = m->seq;
      }
    }
    if (sent % 100 == 0) {
      auto who = sender->who("flood");
      if (std::find(who->users.begin(), who->users.end(), "slow") == who->users.end()) {
        slow_gone = true;
        break;
      }
    }
  }
  ASSERT_TRUE(slow_gone) << "a member that reads nothing was not dropped after " << sent
                         << " messages of 4000 bytes with max_outbound 65536";
  // A few more after the cut still reach the others.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sender->say("flood", "after"), ++sent);
  for (auto* r : {r1.get(), r2.get()}) {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r->expect_event<proto::Message>()->body, "after");
    r->expect_none_of(MsgType::kMessage, Ms(100));
  }

  // The slow one reads now: a gapless prefix, maybe SLOW_CONSUMER, then the end.
  slow->expect_closed(Ms(20000));
  uint64_t expect_seq = 1;
  bool got_error = false;
  while (!slow->pending().empty()) {
    Frame f = slow->next(Ms(0));
    if (f.type == static_cast<uint8_t>(MsgType::kMessage)) {
      ASSERT_FALSE(got_error) << "a MESSAGE after SLOW_CONSUMER";
      auto m = decode_as<proto::Message>(f);
      ASSERT_EQ(m->seq, expect_seq) << "the slow consumer's stream has a gap";
      ++expect_seq;
    } else if (f.type == static_cast<uint8_t>(MsgType::kError)) {
      auto e = decode_as<proto::ErrorMsg>(f);
      EXPECT_EQ(e->code, ErrorCode::kSlowConsumer) << f.describe();
      EXPECT_EQ(e->req, 0u);
      got_error = true;
    }
  }
  EXPECT_LT(expect_seq - 1, sent) << "the slow consumer got everything, so it was not cut";

  // It recovers by HISTORY after logging in again.
  auto again = login("slow");
  EXPECT_EQ(again->join("flood"), sent);
  auto page = again->history("flood", sent - 3, 10);
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_EQ(page->entries.back().seq, sent);
}

TEST_P(LimitsTest, ResendGetsTheOriginalAckAndIsDeliveredOnce) {
  start_server();
  auto b = login("bob");
  b->join("r");
  auto a = connect();
  a->login("ana", /*client_id=*/77);
  a->join("r");

  a->send(proto::Say{1000, "r", "only once"});
  auto first = a->expect<proto::Ack>(1000);
  for (int i = 0; i < 3; ++i) {
    a->send(proto::Say{1000, "r", "only once"});
    auto again = a->expect<proto::Ack>(1000);
    EXPECT_EQ(again->id, first->id);
    EXPECT_EQ(again->time, first->time);
  }
  EXPECT_EQ(b->expect_event<proto::Message>()->body, "only once");
  b->expect_none_of(MsgType::kMessage, Ms(300));

  a->send(proto::Whisper{1001, "bob", "private once"});
  auto wfirst = a->expect<proto::Ack>(1001);
  a->send(proto::Whisper{1001, "bob", "private once"});
  auto wagain = a->expect<proto::Ack>(1001);
  EXPECT_EQ(wagain->id, wfirst->id);
  EXPECT_EQ(wagain->time, wfirst->time);
  EXPECT_EQ(b->expect_event<proto::Private>()->body, "private once");
  b->expect_none_of(MsgType::kPrivate, Ms(300));

  // After a reconnect with the same client_id, the server still remembers.
  a->bye();
  auto a2 = connect();
  a2->login("ana", 77);
  EXPECT_EQ(a2->join("r"), first->id);
  a2->send(proto::Say{1000, "r", "only once"});
  auto after = a2->expect<proto::Ack>(1000);
  EXPECT_EQ(after->id, first->id);
  EXPECT_EQ(after->time, first->time);
  b->expect_none_of(MsgType::kMessage, Ms(300));
  // A new req is a new message.
  a2->send(proto::Say{1002, "r", "new"});
  EXPECT_EQ(a2->expect<proto::Ack>(1002)->id, first->id + 1);
  EXPECT_EQ(b->expect_event<proto::Message>()->body, "new");
}

TEST_P(LimitsTest, ClientIdZeroDoesNotDeduplicate) {
  start_server();
  auto b = login("bob");
  b->join("r");
  auto a = connect();
  a->login("ana", 0);
  a->join("r");
  a->send(proto::Say{5, "r", "twice"});
  EXPECT_EQ(a->expect<proto::Ack>(5)->id, 1u);
  a->send(proto::Say{5, "r", "twice"});
  EXPECT_EQ(a->expect<proto::Ack>(5)->id, 2u);
  EXPECT_EQ(b->expect_event<proto::Message>()->seq, 1u);
  EXPECT_EQ(b->expect_event<proto::Message>()->seq, 2u);
}

TEST_P(LimitsTest, DedupIsPerUserAndClientId) {
  start_server();
  auto b = login("bob");
  b->join("r");
  auto a1 = connect();
  a1->login("ana", 1);
  a1->join("r");
  auto a2 = connect();
  a2->login("ana", 2);  // same user, other client_id
  a2->join("r");
  auto c = connect();
  c->login("carl", 1);  // other user, same client_id
  c->join("r");
  a1->send(proto::Say{9, "r", "from a1"});
  EXPECT_EQ(a1->expect<proto::Ack>(9)->id, 1u);
  a2->send(proto::Say{9, "r", "from a2"});
  EXPECT_EQ(a2->expect<proto::Ack>(9)->id, 2u);
  c->send(proto::Say{9, "r", "from carl"});
  EXPECT_EQ(c->expect<proto::Ack>(9)->id, 3u);
  for (const char* body : {"from a1", "from a2", "from carl"}) {
    EXPECT_EQ(b->expect_event<proto::Message>()->body, body);
  }
}

TEST_P(LimitsTest, ErrorsAreNotRemembered) {
  start_server();
  auto b = login("bob");
  b->join("later");
  auto a = connect();
  a->login("ana", 5);
  a->send(proto::Say{20, "later", "second try"});
  a->expect_error(ErrorCode::kNotInRoom, 20);
  a->join("later");
  a->send(proto::Say{20, "later", "second try"});
  EXPECT_EQ(a->expect<proto::Ack>(20)->id, 1u);
  EXPECT_EQ(b->expect_event<proto::Message>()->body, "second try");
}

TEST_P(LimitsTest, RepeatAnsweredFromMemoryCostsNoToken) {
  start_server({{"rate", "1"}, {"burst", "2"}});
  auto a = connect();
  a->login("ana", 9);
  a->join("r");
  a->send(proto::Say{1, "r", "one"});
  auto first = a->expect<proto::Ack>(1);
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += encoded(proto::Say{1, "r", "one"});
  batch += encoded(proto::Say{2, "r", "two"});
  batch += encoded(proto::Say{3, "r", "three"});
  a->send_raw(batch);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a->expect<proto::Ack>(1)->id, first->id);
  EXPECT_EQ(a->expect<proto::Ack>(2)->id, first->id + 1);
  a->expect_error(ErrorCode::kRateLimited, 3);
}

CHATD_INSTANTIATE_THREADS(LimitsTest);

}  // namespace
}  // namespace chat::itest
