// Session lifecycle: login, heartbeat, silent server, backoff, retries,
// server rotation, quit. Driven with a FakeClock and a recording transport.
#include "client/session.h"

#include <gtest/gtest.h>

#include "client/backoff.h"
#include "session_fixture.h"

namespace chat::client::testing {
namespace {

using proto::MsgType;

TEST_F(SessionTest, SendsHelloWithClientIdAndGoesLiveOnWelcome) {
  make();
  connect_and_login();
  EXPECT_EQ(last_client_id, 0xC0FFEEu);
  auto welcome = events_of<WelcomeEvent>();
  ASSERT_EQ(welcome.size(), 1u);
  EXPECT_EQ(welcome[0].user, "ana");
  EXPECT_EQ(welcome[0].server, "10.0.0.1:7000");
  EXPECT_EQ(transport.max_frame, 65536u);
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionTest, FirstConnectTriesEachServerOnceThenGivesUp) {
  make(base_config(2));
  session->start();
  cut("connection refused");
  EXPECT_EQ(session->state(), SessionState::kWaitingToReconnect);
  session->tick();  // the next server at once, no backoff
  ASSERT_EQ(transport.connects.size(), 2u);
  EXPECT_EQ(transport.connects[1].host, "10.0.0.2");
  cut("connection refused");
  EXPECT_EQ(session->state(), SessionState::kGaveUp);
  auto gave_up = events_of<GaveUpEvent>();
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_NE(gave_up[0].reason.find("10.0.0.1:7000: connection refused"), std::string::npos);
  EXPECT_NE(gave_up[0].reason.find("10.0.0.2:7000: connection refused"), std::string::npos);
  EXPECT_TRUE(events_of<ReconnectingEvent>().empty());
}

TEST_F(SessionTest, ResolveFailureCountsAsFailedAttempt) {
  make();
  transport.next_connect_error = "cannot resolve nowhere";
  session->start();
  EXPECT_EQ(session->state(), SessionState::kGaveUp);
}

TEST_F(SessionTest, AuthFailedGivesUpWithoutRetrying) {
  make();
  session->start();
  session->on_connected();
  auto frames = transport.take();
  auto hello = proto::decode_hello(frames.at(0).bytes());
  server(proto::ErrorMsg{hello.msg.req, proto::ErrorCode::kAuthFailed, "bad token"});
  EXPECT_EQ(session->state(), SessionState::kGaveUp);
  auto gave_up = events_of<GaveUpEvent>();
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_NE(gave_up[0].reason.find("AUTH_FAILED"), std::string::npos);
}

TEST_F(SessionTest, NoWelcomeWithinConnectTimeoutFails) {
  make();
  session->start();
  session->on_connected();
  clock.advance(9'999);
  session->tick();
  EXPECT_EQ(session->state(), SessionState::kLoggingIn);
  clock.advance(1);
  session->tick();
  EXPECT_EQ(session->state(), SessionState::kGaveUp);
}

TEST_F(SessionTest, PingsAfterHeartbeatOfSilence) {
  make();
  connect_and_login(7, /*heartbeat=*/30, /*timeout=*/60);
  server(proto::Pong{1});
  EXPECT_EQ(events_of<RttEvent>().size(), 1u);
  EXPECT_EQ(session->next_deadline_ms(), clock.mono_ms() + 30'000);
  clock.advance(29'999);
  session->tick();
  EXPECT_TRUE(transport.take().empty());
  clock.advance(1);
  session->tick();
  auto frames = transport.take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, MsgType::kPing);
}

TEST_F(SessionTest, SendingResetsTheHeartbeat) {
  make();
  connect_and_login(7, 30, 60);
  server(proto::Pong{1});
  clock.advance(20'000);
  session->list_rooms();
  server(proto::RoomList{2, 0, {}});  // the reply: the server is not silent either
  transport.take();
  clock.advance(20'000);
  session->tick();
  EXPECT_TRUE(transport.take().empty());
  clock.advance(10'000);
  session->tick();
  ASSERT_EQ(transport.take().size(), 1u);
}

TEST_F(SessionTest, SilentServerIsTreatedAsGone) {
  make();
  connect_and_login(7, 1, 3);
  clock.advance(1'000);
  session->tick();  // PING
  clock.advance(1'999);
  session->tick();
  EXPECT_EQ(session->state(), SessionState::kLive);
  clock.advance(1);
  session->tick();
  EXPECT_EQ(session->state(), SessionState::kWaitingToReconnect);
  auto lost = events_of<DisconnectedEvent>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].reason.find("no word from the server"), std::string::npos);
  EXPECT_FALSE(transport.connected);
}

TEST_F(SessionTest, AnswersServerPingWithSameNonce) {
  make();
  connect_and_login();
  server(proto::Ping{0xABCDEF});
  auto frames = transport.take();
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].type, MsgType::kPong);
  EXPECT_EQ(proto::decode_pong(frames[0].bytes()).msg.nonce, 0xABCDEFu);
}

TEST_F(SessionTest, RoundTripTimeFromPingPong) {
  make();
  connect_and_login();
  clock.advance(42);
  server(proto::Pong{1});
  ASSERT_TRUE(session->rtt_ms());
  EXPECT_EQ(*session->rtt_ms(), 42u);
  server(proto::Pong{99});  // not ours: ignored
  EXPECT_EQ(events_of<RttEvent>().size(), 1u);
}

TEST_F(SessionTest, BackoffDelaysStayWithinFullJitterBounds) {
  make(base_config(1, /*retries=*/0));
  connect_and_login();
  cut();
  BackoffPolicy policy;
  for (uint32_t attempt = 1; attempt <= 12; ++attempt) {
    auto reconnecting = events_of<ReconnectingEvent>();
    ASSERT_EQ(reconnecting.size(), attempt);
    const auto& r = reconnecting.back();
    EXPECT_EQ(r.attempt, attempt);
    EXPECT_EQ(r.max_attempts, 0u);
    EXPECT_LE(r.delay_ms, backoff_ceiling_ms(attempt, policy));
    // Nothing happens before the delay is over.
    if (r.delay_ms > 0) {
      clock.advance(r.delay_ms - 1);
      session->tick();
      EXPECT_EQ(session->state(), SessionState::kWaitingToReconnect);
      clock.advance(1);
    }
    session->tick();
    EXPECT_EQ(session->state(), SessionState::kConnecting);
    cut("connection refused");
  }
  EXPECT_EQ(backoff_ceiling_ms(12, policy), 30'000u);
}

TEST_F(SessionTest, GivesUpAfterRetriesReconnectAttempts) {
  make(base_config(1, /*retries=*/3));
  connect_and_login();
  cut();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(session->state(), SessionState::kWaitingToReconnect);
    clock.advance(30'000);
    session->tick();
    cut("connection refused");
  }
  EXPECT_EQ(session->state(), SessionState::kGaveUp);
  EXPECT_EQ(events_of<ReconnectingEvent>().size(), 3u);
  auto gave_up = events_of<GaveUpEvent>();
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_NE(gave_up[0].reason.find("3 reconnect attempts"), std::string::npos);
}

TEST_F(SessionTest, RetriesZeroReconnectsForever) {
  make(base_config(1, 0));
  connect_and_login();
  cut();
  for (int i = 0; i < 100; ++i) {
    clock.advance(30'000);
    session->tick();
    cut("connection refused");
  }
  EXPECT_EQ(session->state(), SessionState::kWaitingToReconnect);
  EXPECT_EQ(session->reconnect_attempt(), 101u);
}

TEST_F(SessionTest, ReconnectTriesTheNextServer) {
  make(base_config(3, 0));
  connect_and_login();
  ASSERT_EQ(transport.connects.back().host, "10.0.0.1");
  cut();
  clock.advance(30'000);
  session->tick();
  EXPECT_EQ(transport.connects.back().host, "10.0.0.2");
  cut();
  clock.advance(30'000);
  session->tick();
  EXPECT_EQ(transport.connects.back().host, "10.0.0.3");
  cut();
  clock.advance(30'000);
  session->tick();
  EXPECT_EQ(transport.connects.back().host, "10.0.0.1");
}

TEST_F(SessionTest, SuccessfulReconnectResetsTheAttemptCount) {
  make(base_config(1, 2));
  connect_and_login();
  for (int round = 0; round < 3; ++round) {
    cut();
    clock.advance(30'000);
    session->tick();
    cut("connection refused");  // attempt 1 fails
    connect_and_login();        // attempt 2 succeeds
    auto reconnected = events_of<ReconnectedEvent>();
    ASSERT_EQ(reconnected.size(), static_cast<size_t>(round + 1));
    EXPECT_EQ(reconnected.back().attempt, 2u);
  }
  EXPECT_EQ(session->state(), SessionState::kLive);
}

TEST_F(SessionTest, ClientIdAndReqSurviveReconnects) {
  make();
  connect_and_login();
  const uint32_t first_hello = last_hello_req;
  cut();
  connect_and_login();
  EXPECT_EQ(last_client_id, 0xC0FFEEu);
  EXPECT_GT(last_hello_req, first_hello);  // reqs are never reused for new requests
}

TEST_F(SessionTest, QuitSaysByeAndClosesOnOk) {
  make();
  connect_and_login();
  session->quit();
  EXPECT_EQ(session->state(), SessionState::kClosing);
  auto frames = transport.take();
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].type, MsgType::kBye);
  server(proto::Ok{proto::decode_bye(frames[0].bytes()).msg.req});
  EXPECT_EQ(session->state(), SessionState::kClosed);
  EXPECT_EQ(events_of<ClosedEvent>().size(), 1u);
}

TEST_F(SessionTest, QuitClosesAfterTimeoutWithoutOk) {
  make();
  connect_and_login();
  session->quit();
  clock.advance(2'000);
  session->tick();
  EXPECT_EQ(session->state(), SessionState::kClosed);
}

TEST_F(SessionTest, QuitWhileReconnectingEndsAtOnce) {
  make();
  connect_and_login();
  cut();
  session->quit();
  EXPECT_EQ(session->state(), SessionState::kClosed);
}

TEST_F(SessionTest, MalformedServerFrameDropsTheConnection) {
  make();
  connect_and_login();
  std::string frame;
  proto::append_header(frame, MsgType::kAck, 3);
  frame += "abc";  // an ACK is 20 bytes
  feed(frame);
  EXPECT_EQ(session->state(), SessionState::kWaitingToReconnect);
  auto lost = events_of<DisconnectedEvent>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].reason.find("malformed ACK"), std::string::npos);
}

TEST_F(SessionTest, UnknownServerTypeIsSkipped) {
  make();
  connect_and_login();
  std::string frame;
  proto::append_header(frame, static_cast<MsgType>(0x7E), 2);
  frame += "xy";
  feed(frame);
  EXPECT_EQ(session->state(), SessionState::kLive);
}

TEST_F(SessionTest, ServerErrorWithoutRequestIsReported) {
  make();
  connect_and_login();
  server(proto::ErrorMsg{0, proto::ErrorCode::kShuttingDown, "bye"});
  auto errors = events_of<ErrorEvent>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "SHUTTING_DOWN");
  EXPECT_EQ(errors[0].req, 0u);
}

}  // namespace
}  // namespace chat::client::testing
