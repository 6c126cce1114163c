// PROTOCOL.md §2 on a real server: HELLO/WELCOME, what is allowed before
// login, login and idle timeouts, PING/PONG, BYE, half-close, max_sessions,
// and the settings the server refuses.
#include <set>
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

class SessionTest : public ServerTest {};

TEST_P(SessionTest, WelcomeEchoesSettings) {
  start_server({{"heartbeat", "7"}, {"timeout", "23"}, {"max-frame", "70000"}});
  uint64_t before = unix_ms();
  auto c = connect();
  c->send(proto::Hello{77, 0, "ana", ""});
  auto w = c->expect<proto::Welcome>(77);
  uint64_t after = unix_ms();
  EXPECT_EQ(w->user, "ana");
  EXPECT_EQ(w->heartbeat, 7u);
  EXPECT_EQ(w->timeout, 23u);
  EXPECT_EQ(w->max_frame, 70000u);
  EXPECT_NE(w->epoch, 0u);
  // Times are the server's clock in ms since the Unix epoch; same machine.
  EXPECT_GE(w->time + 60'000, before);
  EXPECT_LE(w->time, after + 60'000);
}

TEST_P(SessionTest, DefaultsAnnounced) {
  start_server();
  auto c = connect();
  auto w = c->login("defaults");
  EXPECT_EQ(w->heartbeat, 30u);
  EXPECT_EQ(w->timeout, 60u);
  EXPECT_EQ(w->max_frame, 65536u);
}

TEST_P(SessionTest, SessionsUniqueEpochShared) {
  start_server();
  std::set<uint64_t> sessions;
  std::set<uint64_t> epochs;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 12; ++i) {
    auto c = connect();
    // Several sessions per user and several users, spread over the loops.
    auto w = c->login("user" + std::to_string(i % 4));
    sessions.insert(w->session);
    epochs.insert(w->epoch);
    clients.push_back(std::move(c));
  }
  EXPECT_EQ(sessions.size(), 12u) << "session ids must be unique within a run";
  ASSERT_EQ(epochs.size(), 1u) << "one epoch per run";
  EXPECT_NE(*epochs.begin(), 0u);
}

TEST_P(SessionTest, EpochChangesAfterRestart) {
  start_server();
  uint64_t first = 0;
  {
    auto c = connect();
    first = c->login("ana")->epoch;
  }
  EXPECT_EQ(server().stop(), 0);
  start_server();
  auto c = connect();
  uint64_t second = c->login("ana")->epoch;
  EXPECT_NE(second, 0u);
  EXPECT_NE(first, second) << "history does not survive a restart, so the epoch must change";
}

TEST_P(SessionTest, NotLoggedInBeforeHello) {
  start_server();
  auto c = connect();
  std::vector<std::pair<uint32_t, std::string>> requests = {
      {11, encoded(proto::Join{11, "room"})},
      {12, encoded(proto::Leave{12, "room"})},
      {13, encoded(proto::Say{13, "room", "hi"})},
      {14, encoded(proto::Whisper{14, "bob", "hi"})},
      {15, encoded(proto::Who{15, "room"})},
      {16, encoded(proto::Rooms{16})},
      {19, encoded(proto::History{19, "room", 0, 10})},
      {20, encoded(proto::Bye{20})},
  };
  {
    std::string out;
    proto::encode_watch(out, proto::UserList{17, {"bob"}});
    requests.emplace_back(17, out);
    out.clear();
    proto::encode_unwatch(out, proto::UserList{18, {"bob"}});
    requests.emplace_back(18, out);
  }
  for (const auto& [req, bytes] : requests) {
    SCOPED_TRACE("req " + std::to_string(req));
    c->send_raw(bytes);
    c->expect_error(ErrorCode::kNotLoggedIn, req);
  }
  // PING is answered, PONG accepted silently, and the connection is usable.
  c->send(proto::Ping{99});
  EXPECT_EQ(c->expect<proto::Pong>(0)->nonce, 99u);
  c->send(proto::Pong{5});
  c->expect_silence(Ms(200));
  c->send(proto::Hello{30, 0, "late", ""});
  EXPECT_EQ(c->expect<proto::Welcome>(30)->user, "late");
  EXPECT_EQ(c->join("room"), 0u);
}

TEST_P(SessionTest, SecondHelloIsAlreadyLoggedIn) {
  start_server();
  auto c = connect();
  c->login("first");
  for (const char* name : {"first", "second"}) {
    uint32_t req = c->next_req();
    c->send(proto::Hello{req, 0, name, ""});
    c->expect_error(ErrorCode::kAlreadyLoggedIn, req);
  }
  c->expect_open();
  // Still the first user.
  c->join("check");
  auto who = c->who("check");
  ASSERT_EQ(who->users.size(), 1u);
  EXPECT_EQ(who->users[0], "first");
}

TEST_P(SessionTest, InvalidNameInHelloCloses) {
  start_server();
  const std::vector<std::string> bad = {"",          "a b",       std::string(65, 'a'),
                                        "tab\there", "new\nline", std::string("nul\0x", 5),
                                        "del\x7f",   "\xC3\x28"};
  for (const auto& name : bad) {
    SCOPED_TRACE("name " + to_hex(name));
    auto c = connect();
    c->send(proto::Hello{3, 0, name, ""});
    c->expect_error(ErrorCode::kInvalidName, 3);
    c->expect_closed();
  }
  for (const std::string& name : {std::string(64, 'z'), std::string("jos\xC3\xA9"),
                                  std::string("\xF0\x9F\x8C\x8D"), std::string("a")}) {
    SCOPED_TRACE("name " + to_hex(name));
    auto c = connect();
    EXPECT_EQ(c->login(name)->user, name);
  }
}

TEST_P(SessionTest, MaxSessionsRefusesOneMore) {
  start_server({{"max-sessions", "2"}});
  auto a1 = login("ana");
  auto a2 = login("ana");
  auto a3 = connect();
  a3->send(proto::Hello{1, 0, "ana", ""});
  a3->expect_error(ErrorCode::kLimit, 1);
  a3->expect_closed();
  // Other users are not affected, nor are ana's live sessions.
  auto b = login("bob");
  a1->expect_open();
  a2->expect_open();
  // Once a session ends, ana may log in again (session end is asynchronous).
  a1->bye();
  auto deadline = Clock::now() + kDefaultWait;
  for (;;) {
    auto again = connect();
    again->send(proto::Hello{1, 0, "ana", ""});
    Frame f = again->next_reply();
    if (f.type == static_cast<uint8_t>(MsgType::kWelcome)) break;
    auto err = decode_as<proto::ErrorMsg>(f);
    ASSERT_EQ(err->code, ErrorCode::kLimit) << f.describe();
    ASSERT_LT(Clock::now(), deadline) << "ana still at max_sessions after a BYE";
    std::this_thread::sleep_for(Ms(50));
  }
}

TEST_P(SessionTest, DefaultMaxSessionsIsEight) {
  start_server();
  std::vector<std::unique_ptr<TestClient>> sessions;
  for (int i = 0; i < 8; ++i) sessions.push_back(login("many"));
  auto ninth = connect();
  ninth->send(proto::Hello{9, 0, "many", ""});
  ninth->expect_error(ErrorCode::kLimit, 9);
  ninth->expect_closed();
  for (auto& s : sessions) s->expect_open();
}

TEST_P(SessionTest, LoginTimeout) {
  start_server({{"login-timeout", "1"}});
  auto silent = connect("silent");
  // PINGs are answered but are no HELLO: they do not extend the login deadline.
  auto pinger = connect("pinger");
  pinger->set_keepalive(Ms(200));
  auto logged = login("logged");
  logged->set_keepalive(Ms(200));

  // The pinger first: its waits send the PINGs.
  pinger->expect_error(ErrorCode::kIdleTimeout, 0, Ms(1000) + kTimerSlack);
  pinger->expect_closed();
  silent->expect_error(ErrorCode::kIdleTimeout, 0, Ms(1000) + kTimerSlack);
  silent->expect_closed();
  // A logged-in session is not subject to the login timeout.
  logged->expect_none_of(MsgType::kError, Ms(500));
  logged->expect_open();
}

TEST_P(SessionTest, IdleTimeout) {
  start_server({{"timeout", "2"}, {"heartbeat", "1"}});
  auto idle = login("idle");
  idle->set_auto_pong(false);  // a silent client does not even answer the server's PING
  auto alive = login("alive");
  alive->set_keepalive(Ms(400));

  // Wait for the idle one's error while the active one keeps pinging.
  auto deadline = Clock::now() + Ms(2000) + kTimerSlack;
  std::optional<Frame> err;
  while (!err && !idle->closed() && Clock::now() < deadline) {
    err = idle->try_next_of(MsgType::kError, Ms(250));
    alive->ping();
  }
  ASSERT_TRUE(err.has_value()) << "no IDLE_TIMEOUT for a silent session";
  auto e = decode_as<proto::ErrorMsg>(*err);
  EXPECT_EQ(e->code, ErrorCode::kIdleTimeout) << err->describe();
  EXPECT_EQ(e->req, 0u);
  idle->expect_closed();
  // The active one survived twice the timeout.
  alive->expect_none_of(MsgType::kError, Ms(2500));
  EXPECT_FALSE(alive->closed());
  alive->expect_open();
}

TEST_P(SessionTest, PingGetsPongWithSameNonce) {
  start_server();
  auto c = connect();
  for (uint64_t nonce : {0ull, 1ull, 0xFFFFFFFFFFFFFFFFull}) {
    c->send(proto::Ping{nonce});
    EXPECT_EQ(c->expect<proto::Pong>(0)->nonce, nonce);
  }
  c->login("pinger");
  for (uint64_t nonce : {42ull, 0x8000000000000001ull}) {
    c->send(proto::Ping{nonce});
    EXPECT_EQ(c->expect<proto::Pong>(0)->nonce, nonce);
  }
}

TEST_P(SessionTest, ByeIsOkThenClose) {
  start_server();
  auto listener = login("listener");
  listener->join("r");
  auto c = login("leaver");
  c->join("r");
  listener->expect_event<proto::RoomEvent>();
  c->bye();

  // Pipelined: everything before BYE is answered and delivered first.
  auto d = login("leaver2");
  d->join("r");
  std::string batch;
  for (uint32_t i = 0; i < 3; ++i)
    batch += encoded(proto::Say{10 + i, "r", "bye " + std::to_string(i)});
  batch += encoded(proto::Bye{13});
  d->send_raw(batch);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(decode_as<proto::Ack>(d->next_reply())->req, 10 + i);
  d->expect<proto::Ok>(13);
  d->expect_closed();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(listener->expect_event<proto::Message>()->body, "bye " + std::to_string(i));
  }
}

TEST_P(SessionTest, HalfCloseStillGetsEveryReply) {
  start_server();
  auto c = connect();
  std::string batch = encoded(proto::Hello{1, 0, "half", ""});
  batch += encoded(proto::Join{2, "hc"});
  for (uint32_t i = 0; i < 3; ++i) batch += encoded(proto::Say{3 + i, "hc", "m"});
  batch += encoded(proto::Who{6, "hc"});
  batch += encoded(proto::Ping{7});
  batch += encoded(proto::Rooms{8});
  batch += encoded(proto::History{9, "hc", 0, 10});
  c->send_raw(batch);
  c->shutdown_write();

  EXPECT_EQ(decode_as<proto::Welcome>(c->next())->req, 1u);
  EXPECT_EQ(decode_as<proto::Ack>(c->next())->req, 2u);
  for (uint32_t i = 0; i < 3; ++i) {
    auto ack = decode_as<proto::Ack>(c->next());
    EXPECT_EQ(ack->req, 3 + i);
    EXPECT_EQ(ack->id, i + 1);
  }
  EXPECT_EQ(decode_as<proto::Members>(c->next())->req, 6u);
  EXPECT_EQ(decode_as<proto::Pong>(c->next())->nonce, 7u);
  EXPECT_EQ(decode_as<proto::RoomList>(c->next())->req, 8u);
  auto page = decode_as<proto::HistoryPage>(c->next());
  EXPECT_EQ(page->req, 9u);
  EXPECT_EQ(page->entries.size(), 3u);
  c->expect_closed();
  EXPECT_TRUE(c->pending().empty()) << c->pending().front().describe();
}

TEST_P(SessionTest, HalfCloseAfterLoginWithLongerBatch) {
  start_server({{"rate", "10000"}, {"burst", "10000"}});
  auto c = login("halfer");
  c->join("big");
  std::string batch;
  constexpr uint32_t kSays = 300;
  for (uint32_t i = 0; i < kSays; ++i) {
    batch += encoded(proto::Say{100 + i, "big", std::string(200, static_cast<char>('a' + i % 26))});
  }
  c->send_raw(batch);
  c->shutdown_write();
  for (uint32_t i = 0; i < kSays; ++i) {
    auto ack = decode_as<proto::Ack>(c->next());
    ASSERT_EQ(ack->req, 100 + i);
    ASSERT_EQ(ack->id, i + 1);
  }
  c->expect_closed();
}

TEST_P(SessionTest, RefusesMaxFrameBelowMaxBodyPlus256) {
  {
    ServerProcess refused;
    int status = refused.run_expecting_exit(
        {{"lobby", ""}, {"max-frame", "4351"}, {"max-body", "4096"}}, threads());
    EXPECT_NE(status, 0) << "max_frame 4351 < max_body 4096 + 256 must be refused";
    EXPECT_NE(status, -1) << "chatd kept running with max_frame < max_body + 256";
  }
  // The boundary itself is fine.
  start_server({{"max-frame", "4352"}, {"max-body", "4096"}});
  auto c = login("edge");
  c->join("r");
  EXPECT_EQ(c->say("r", std::string(4096, 'b')), 1u);
}

CHATD_INSTANTIATE_THREADS(SessionTest);

}  // namespace
}  // namespace chat::itest
