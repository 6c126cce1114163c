// Session recovery across reconnects: re-join, HISTORY from the last seq
// seen with no gap and no duplicate, resend of unacknowledged sends with the
// same client_id and req, history resets, the lobby.
#include <gtest/gtest.h>

#include <deque>

#include "client/session.h"
#include "session_fixture.h"

namespace chat::client::testing {
namespace {

using proto::MsgType;

class SessionRecoveryTest : public SessionTest {
 protected:
  // Joins `room` and answers the JOIN with `last_seq`.
  void join(const std::string& room, uint64_t last_seq) {
    const uint32_t req = session->join(room);
    ASSERT_NE(req, 0u);
    auto frames = transport.take();
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_EQ(frames[0].type, MsgType::kJoin);
    server(proto::Ack{req, last_seq, 1});
  }
  // Finds the single frame of `type` among `frames`. The copy returned lives
  // as long as the test, so messages decoded from it may keep views into it.
  const SentFrame& only(const std::vector<SentFrame>& frames, MsgType type) {
    const SentFrame* found = nullptr;
    for (const auto& f : frames) {
      if (f.type == type) {
        EXPECT_EQ(found, nullptr) << "more than one frame of that type";
        found = &f;
      }
    }
    EXPECT_NE(found, nullptr);
    kept_.push_back(found ? *found : SentFrame{MsgType::kPing, std::string(8, '\0')});
    return kept_.back();
  }
  static std::vector<SentFrame> all_of(const std::vector<SentFrame>& frames, MsgType type) {
    std::vector<SentFrame> out;
    for (const auto& f : frames) {
      if (f.type == type) out.push_back(f);
    }
    return out;
  }
  static proto::HistoryPage page(uint32_t req, std::string_view room,
                                 std::vector<std::pair<uint64_t, std::string_view>> entries,
                                 bool more = false) {
    proto::HistoryPage p{req, room, {}, more};
    for (auto& [seq, body] : entries) p.entries.push_back(proto::HistoryEntry{seq, 1, "bob", body});
    return p;
  }

  std::deque<SentFrame> kept_;
};

TEST_F(SessionRecoveryTest, FirstJoinShowsOnlyWhatComesAfter) {
  make();
  connect_and_login();
  join("r", 5);
  auto joined = events_of<JoinedEvent>();
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].last_seq, 5u);
  server(msg("r", 6, "six"));
  EXPECT_EQ(shown_messages(), (std::vector<std::string>{"r:6:six"}));
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionRecoveryTest, MessagesBeforeTheJoinAckAreHeldThenShown) {
  make();
  connect_and_login();
  const uint32_t req = session->join("r");
  transport.take();
  server(msg("r", 4, "four"));  // overtook the ACK
  EXPECT_TRUE(shown_messages().empty());
  EXPECT_FALSE(session->all_answered());
  server(proto::Ack{req, 3, 1});
  EXPECT_EQ(shown_messages(), (std::vector<std::string>{"r:4:four"}));
}

TEST_F(SessionRecoveryTest, RejoinsAndShowsMissedMessagesOnceInOrder) {
  make();
  connect_and_login();
  join("r", 0);
  server(msg("r", 1, "one"));
  server(msg("r", 2, "two"));
  cut();
  auto after = connect_and_login();
  const auto& join_frame = only(after, MsgType::kJoin);
  auto j = proto::decode_join(join_frame.bytes());
  EXPECT_EQ(j.msg.room, "r");
  // The room moved on to seq 6 while we were away; 7 arrives live before the
  // HISTORY answer, and the page overlaps it.
  server(proto::Ack{j.msg.req, 6, 1});
  auto frames = transport.take();
  auto h = proto::decode_history(only(frames, MsgType::kHistory).bytes());
  EXPECT_EQ(h.msg.room, "r");
  EXPECT_EQ(h.msg.after_seq, 2u);
  server(msg("r", 7, "seven"));
  EXPECT_FALSE(session->all_answered());
  server_list(
      page(h.msg.req, "r", {{3, "three"}, {4, "four"}, {5, "five"}, {6, "six"}, {7, "seven"}}));
  server(msg("r", 8, "eight"));
  EXPECT_EQ(shown_messages(),
            (std::vector<std::string>{"r:1:one", "r:2:two", "r:3:three", "r:4:four", "r:5:five",
                                      "r:6:six", "r:7:seven", "r:8:eight"}));
  for (const auto& m : events_of<MessageEvent>()) EXPECT_EQ(m.recovered, m.seq >= 3 && m.seq <= 7);
  EXPECT_TRUE(session->all_answered());
  EXPECT_EQ(events_of<JoinedEvent>().size(), 1u);  // re-joins are not news
}

TEST_F(SessionRecoveryTest, NothingMissedMeansNoHistoryRequest) {
  make();
  connect_and_login();
  join("r", 4);
  cut();
  auto after = connect_and_login();
  auto j = proto::decode_join(only(after, MsgType::kJoin).bytes());
  server(proto::Ack{j.msg.req, 4, 1});
  EXPECT_TRUE(all_of(transport.take(), MsgType::kHistory).empty());
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionRecoveryTest, RecoveryFollowsPagesUntilNoMore) {
  make();
  connect_and_login();
  join("r", 0);
  cut();
  auto after = connect_and_login();
  auto j = proto::decode_join(only(after, MsgType::kJoin).bytes());
  server(proto::Ack{j.msg.req, 4, 1});
  auto h1 = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  server_list(page(h1.msg.req, "r", {{1, "a"}, {2, "b"}}, /*more=*/true));
  auto h2 = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  EXPECT_EQ(h2.msg.after_seq, 2u);
  server_list(page(h2.msg.req, "r", {{3, "c"}, {4, "d"}}));
  EXPECT_EQ(shown_messages(), (std::vector<std::string>{"r:1:a", "r:2:b", "r:3:c", "r:4:d"}));
  EXPECT_TRUE(events_of<HistoryGapEvent>().empty());
}

TEST_F(SessionRecoveryTest, HistoryThatNoLongerReachesBackIsAGap) {
  make();
  connect_and_login();
  join("r", 0);
  server(msg("r", 1, "one"));
  cut();
  auto after = connect_and_login();
  auto j = proto::decode_join(only(after, MsgType::kJoin).bytes());
  server(proto::Ack{j.msg.req, 300, 1});
  auto h = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  server_list(page(h.msg.req, "r", {{201, "x"}, {202, "y"}}, true));
  auto h2 = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  server_list(page(h2.msg.req, "r", {{203, "z"}}, false));  // the room said 300: 204..300 gone too
  auto gaps = events_of<HistoryGapEvent>();
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].first_seq, 2u);
  EXPECT_EQ(gaps[0].last_seq, 200u);
  EXPECT_EQ(gaps[1].first_seq, 204u);
  EXPECT_EQ(gaps[1].last_seq, 300u);
  server(msg("r", 301, "live"));
  EXPECT_EQ(shown_messages().back(), "r:301:live");
}

TEST_F(SessionRecoveryTest, ResendsUnackedSayWithSameReqAfterTheJoin) {
  make();
  connect_and_login();
  join("r", 0);
  const uint32_t say_req = session->say("r", "lost ack");
  auto first = transport.take();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(session->unacked_sends(), 1u);
  cut();  // the ACK never came
  auto after = connect_and_login();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].type, MsgType::kJoin);  // the JOIN goes first: the SAY needs the room
  ASSERT_EQ(after[1].type, MsgType::kSay);
  auto s = proto::decode_say(after[1].bytes(), proto::DecodeLimits{});
  EXPECT_EQ(s.msg.req, say_req);
  EXPECT_EQ(s.msg.body, "lost ack");
  EXPECT_EQ(last_client_id, 0xC0FFEEu);
  // The server remembers the first SAY (seq 2) and answers the repeat with it;
  // the HISTORY that follows must not show our own message again.
  auto j = proto::decode_join(after[0].bytes());
  server(proto::Ack{j.msg.req, 3, 1});
  server(proto::Ack{say_req, 2, 1});
  auto h = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  server_list(proto::HistoryPage{
      h.msg.req,
      "r",
      {{1, 1, "bob", "before"}, {2, 1, "ana", "lost ack"}, {3, 1, "bob", "after"}},
      false});
  EXPECT_EQ(shown_messages(), (std::vector<std::string>{"r:1:before", "r:3:after"}));
  auto acks = events_of<AckEvent>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].req, say_req);
  EXPECT_EQ(acks[0].id, 2u);
  EXPECT_EQ(session->unacked_sends(), 0u);
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionRecoveryTest, ResendsWhisperWithSameReq) {
  make();
  connect_and_login();
  const uint32_t req = session->whisper("bob", "psst");
  transport.take();
  cut();
  auto after = connect_and_login();
  auto w = proto::decode_whisper(only(after, MsgType::kWhisper).bytes(), proto::DecodeLimits{});
  EXPECT_EQ(w.msg.req, req);
  server(proto::Ack{req, 9, 1});
  ASSERT_EQ(events_of<AckEvent>().size(), 1u);
  EXPECT_EQ(events_of<AckEvent>()[0].to, "bob");
}

TEST_F(SessionRecoveryTest, AcknowledgedSendsAreNotResent) {
  make();
  connect_and_login();
  join("r", 0);
  const uint32_t req = session->say("r", "done");
  transport.take();
  server(proto::Ack{req, 1, 1});
  cut();
  auto after = connect_and_login();
  EXPECT_TRUE(all_of(after, MsgType::kSay).empty());
}

TEST_F(SessionRecoveryTest, RequestsMadeWhileDisconnectedGoOutAfterLogin) {
  make();
  connect_and_login();
  cut();
  EXPECT_EQ(session->join("r"), 0u);  // waits for the login
  const uint32_t say_req = session->say("r", "typed while away");
  EXPECT_NE(say_req, 0u);
  EXPECT_FALSE(session->all_answered());
  auto after = connect_and_login();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].type, MsgType::kJoin);
  EXPECT_EQ(after[1].type, MsgType::kSay);
  auto j = proto::decode_join(after[0].bytes());
  server(proto::Ack{j.msg.req, 0, 1});
  server(proto::Ack{say_req, 1, 1});
  EXPECT_EQ(events_of<JoinedEvent>().size(), 1u);
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionRecoveryTest, NewEpochResetsHistory) {
  make();
  connect_and_login(/*epoch=*/7);
  join("r", 0);
  server(msg("r", 1, "one"));
  server(msg("r", 2, "two"));
  cut();
  auto after = connect_and_login(/*epoch=*/8);
  auto resets = events_of<HistoryResetEvent>();
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_EQ(resets[0].room, "r");
  auto j = proto::decode_join(only(after, MsgType::kJoin).bytes());
  server(proto::Ack{j.msg.req, 1, 1});  // bob already said something in the new epoch
  auto h = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  EXPECT_EQ(h.msg.after_seq, 0u);
  server_list(page(h.msg.req, "r", {{1, "new one"}}));
  server(msg("r", 2, "new two"));
  EXPECT_EQ(shown_messages(),
            (std::vector<std::string>{"r:1:one", "r:2:two", "r:1:new one", "r:2:new two"}));
  EXPECT_EQ(events_of<HistoryResetEvent>().size(), 1u);  // said once
}

TEST_F(SessionRecoveryTest, LowerSeqInJoinAckResetsHistory) {
  make();
  connect_and_login(7);
  join("r", 0);
  for (uint64_t s = 1; s <= 5; ++s) server(msg("r", s, "m"));
  cut();
  auto after = connect_and_login(7);  // same epoch, yet the room is behind
  auto j = proto::decode_join(only(after, MsgType::kJoin).bytes());
  server(proto::Ack{j.msg.req, 0, 1});
  ASSERT_EQ(events_of<HistoryResetEvent>().size(), 1u);
  EXPECT_TRUE(all_of(transport.take(), MsgType::kHistory).empty());
  server(msg("r", 1, "fresh"));
  EXPECT_EQ(shown_messages().back(), "r:1:fresh");
}

TEST_F(SessionRecoveryTest, LobbyIsAdoptedAndRejoined) {
  make();
  connect_and_login();
  server(msg("lobby", 12, "welcome all"));  // never joined: the server put us there
  EXPECT_EQ(shown_messages(), (std::vector<std::string>{"lobby:12:welcome all"}));
  auto frames = transport.take();
  auto j = proto::decode_join(only(frames, MsgType::kJoin).bytes());
  EXPECT_EQ(j.msg.room, "lobby");
  server(proto::Ack{j.msg.req, 12, 1});
  EXPECT_TRUE(session->in_room("lobby"));
  cut();
  auto after = connect_and_login();
  auto j2 = proto::decode_join(only(after, MsgType::kJoin).bytes());
  EXPECT_EQ(j2.msg.room, "lobby");
}

TEST_F(SessionRecoveryTest, LeftLobbyIsLeftQuietlyWhenTheServerPutsUsBack) {
  make();
  connect_and_login();
  server(proto::RoomEvent{"lobby", proto::RoomEventKind::kJoined, "bob", 1});
  auto j = proto::decode_join(only(transport.take(), MsgType::kJoin).bytes());
  server(proto::Ack{j.msg.req, 0, 1});
  const uint32_t leave = session->leave("lobby");
  transport.take();
  server(proto::Ok{leave});
  EXPECT_EQ(events_of<LeftEvent>().size(), 1u);
  cut();
  auto after = connect_and_login();
  EXPECT_TRUE(all_of(after, MsgType::kJoin).empty());
  const size_t shown = events.size();
  server(msg("lobby", 1, "hello again"));  // the server joined the new session to the lobby
  auto l = proto::decode_leave(only(transport.take(), MsgType::kLeave).bytes());
  EXPECT_EQ(l.msg.room, "lobby");
  server(proto::Ok{l.msg.req});
  EXPECT_EQ(events.size(), shown);  // nothing shown
}

TEST_F(SessionRecoveryTest, FailedJoinForgetsTheRoom) {
  make();
  connect_and_login();
  const uint32_t req = session->join("r");
  transport.take();
  server(proto::ErrorMsg{req, proto::ErrorCode::kTooManyRooms, "too many"});
  EXPECT_FALSE(session->in_room("r"));
  auto errors = events_of<ErrorEvent>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "TOO_MANY_ROOMS");
  EXPECT_EQ(errors[0].request, "JOIN");
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionRecoveryTest, RateLimitedSayIsRetriedWithSameReq) {
  make();
  connect_and_login();
  join("r", 0);
  const uint32_t req = session->say("r", "slow down");
  transport.take();
  server(proto::ErrorMsg{req, proto::ErrorCode::kRateLimited, "too fast"});
  EXPECT_TRUE(events_of<ErrorEvent>().empty());
  EXPECT_FALSE(session->all_answered());
  clock.advance(999);
  session->tick();
  EXPECT_TRUE(all_of(transport.take(), MsgType::kSay).empty());
  clock.advance(1);
  session->tick();
  auto s = proto::decode_say(only(transport.take(), MsgType::kSay).bytes(), proto::DecodeLimits{});
  EXPECT_EQ(s.msg.req, req);
  server(proto::Ack{req, 1, 1});
  EXPECT_EQ(events_of<AckEvent>().size(), 1u);
}

TEST_F(SessionRecoveryTest, RefusedSayIsReportedAndNotResent) {
  make();
  connect_and_login();
  const uint32_t req = session->say("r", "not a member");
  transport.take();
  server(proto::ErrorMsg{req, proto::ErrorCode::kNotInRoom, "not in that room"});
  auto errors = events_of<ErrorEvent>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].req, req);
  EXPECT_EQ(errors[0].code, "NOT_IN_ROOM");
  EXPECT_EQ(errors[0].request, "SAY");
  cut();
  EXPECT_TRUE(all_of(connect_and_login(), MsgType::kSay).empty());
}

TEST_F(SessionRecoveryTest, WatchesAgainAfterReconnect) {
  make();
  connect_and_login();
  const uint32_t req = session->watch({"bob", "cy"});
  transport.take();
  server(proto::Ok{req});
  server(proto::Presence{"bob", true, 1});
  ASSERT_EQ(events_of<WatchingEvent>().size(), 1u);
  cut();
  auto after = connect_and_login();
  auto w = proto::decode_user_list(only(after, MsgType::kWatch).bytes());
  EXPECT_EQ(w.msg.users, (std::vector<std::string_view>{"bob", "cy"}));
  server(proto::Ok{w.msg.req});
  EXPECT_EQ(events_of<WatchingEvent>().size(), 1u);  // the re-WATCH is not news
}

TEST_F(SessionRecoveryTest, UserHistoryShowsTheLastNAcrossPages) {
  make();
  connect_and_login();
  join("r", 150);
  const uint32_t req = session->history("r", 120);
  auto h = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  EXPECT_EQ(h.msg.req, req);
  EXPECT_EQ(h.msg.after_seq, 30u);
  EXPECT_EQ(h.msg.limit, 100u);
  proto::HistoryPage p1{req, "r", {}, true};
  for (uint64_t s = 31; s <= 130; ++s) p1.entries.push_back({s, 1, "bob", "x"});
  server_list(p1);
  auto h2 = proto::decode_history(only(transport.take(), MsgType::kHistory).bytes());
  EXPECT_EQ(h2.msg.after_seq, 130u);
  EXPECT_EQ(h2.msg.limit, 20u);
  proto::HistoryPage p2{h2.msg.req, "r", {}, false};
  for (uint64_t s = 131; s <= 150; ++s) p2.entries.push_back({s, 1, "bob", "x"});
  server_list(p2);
  EXPECT_EQ(events_of<HistoryEvent>().size(), 120u);
  auto end = events_of<HistoryEndEvent>();
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].count, 120u);
  EXPECT_TRUE(shown_messages().empty());  // history is not news
  EXPECT_TRUE(session->all_answered());
}

TEST_F(SessionRecoveryTest, InvalidArgumentsAreRefusedLocally) {
  make();
  connect_and_login();
  EXPECT_EQ(session->join("has space"), 0u);
  EXPECT_EQ(session->say("r", ""), 0u);
  EXPECT_EQ(session->say("r", std::string(70'000, 'x')), 0u);
  EXPECT_EQ(session->whisper("bob", "\xff\xfe"), 0u);
  EXPECT_TRUE(transport.take().empty());
  auto errors = events_of<ErrorEvent>();
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].code, "INVALID_NAME");
  EXPECT_EQ(errors[1].code, "INVALID_BODY");
  EXPECT_EQ(errors[2].code, "INVALID_BODY");
  EXPECT_EQ(errors[3].code, "INVALID_BODY");
}

TEST_F(SessionRecoveryTest, LeaveCutByTheLossStillEnds) {
  make();
  connect_and_login();
  join("r", 0);
  session->leave("r");
  transport.take();
  cut();
  EXPECT_EQ(events_of<LeftEvent>().size(), 1u);
  EXPECT_TRUE(all_of(connect_and_login(), MsgType::kJoin).empty());
}

}  // namespace
}  // namespace chat::client::testing
