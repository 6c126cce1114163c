#include "client/transcript.h"

#include <gtest/gtest.h>

namespace chat::client {
namespace {

TEST(TranscriptTest, MessagesGoToTheirRoomAndCountAsUnreadElsewhere) {
  Transcript t;
  t.apply(WelcomeEvent{"ana", 1, 1, 30, 60, "h:1"}, 0);
  t.apply(JoinedEvent{"a", 0}, 0);
  t.apply(JoinedEvent{"b", 0}, 0);
  t.set_current("a");
  t.apply(MessageEvent{"a", 1, 5, "bob", "in a", false}, 0);
  t.apply(MessageEvent{"b", 1, 5, "bob", "in b", false}, 0);
  t.apply(MessageEvent{"b", 2, 5, "bob", "in b again", false}, 0);
  auto tabs = t.tabs();
  ASSERT_EQ(tabs.size(), 2u);
  EXPECT_EQ(tabs[0].unread, 0u);
  EXPECT_EQ(tabs[1].unread, 2u);
  t.set_current("b");
  EXPECT_EQ(t.tabs()[1].unread, 0u);
  EXPECT_EQ(t.lines("b").back().text, "in b again");
}

TEST(TranscriptTest, OwnMessagesTrackDelivery) {
  Transcript t;
  t.apply(WelcomeEvent{"ana", 1, 1, 30, 60, "h:1"}, 0);
  t.apply(JoinedEvent{"r", 0}, 0);
  t.set_current("r");
  t.own_message("r", 7, "hello", 1);
  t.own_message("r", 8, "oops", 1);
  EXPECT_EQ(t.lines("r").back().delivery, Delivery::kPending);
  t.apply(AckEvent{7, 1, 99, "r", ""}, 0);
  t.apply(ErrorEvent{8, "INVALID_BODY", "bad", "SAY"}, 0);
  const auto& lines = t.lines("r");
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[lines.size() - 3].delivery, Delivery::kDelivered);
  EXPECT_EQ(lines[lines.size() - 3].time_ms, 99u);
  EXPECT_EQ(lines[lines.size() - 2].delivery, Delivery::kFailed);
  EXPECT_EQ(lines[lines.size() - 1].kind, LineKind::kError);
  EXPECT_EQ(t.last_error(), "INVALID_BODY: bad");
}

TEST(TranscriptTest, PrivateShowsFromAndTo) {
  Transcript t;
  t.apply(PrivateEvent{1, 1, "bob", "ana", "psst"}, 0);
  ASSERT_EQ(t.lines(Transcript::kStatusPane).size(), 1u);
  EXPECT_EQ(t.lines(Transcript::kStatusPane)[0].from, "bob → ana");
}

TEST(TranscriptTest, WatchedUsersFollowPresence) {
  Transcript t;
  t.apply(WatchingEvent{{"bob", "cy"}}, 0);
  EXPECT_FALSE(t.watched().at("bob").has_value());
  t.apply(PresenceEvent{"bob", true, 1}, 0);
  EXPECT_EQ(t.watched().at("bob"), std::optional<bool>(true));
  t.apply(UnwatchedEvent{{"bob"}}, 0);
  EXPECT_EQ(t.watched().count("bob"), 0u);
}

TEST(TranscriptTest, StatusLinesMoveIntoTheFirstRoomShown) {
  Transcript t;
  t.apply(WelcomeEvent{"ana", 1, 1, 30, 60, "h:1"}, 0);
  t.apply(PresenceEvent{"bob", true, 1}, 0);
  ASSERT_EQ(t.lines(Transcript::kStatusPane).size(), 2u);
  t.apply(JoinedEvent{"r", 0}, 0);
  t.set_current("r");
  EXPECT_TRUE(t.lines(Transcript::kStatusPane).empty());
  ASSERT_EQ(t.lines("r").size(), 3u);
  EXPECT_NE(t.lines("r")[0].text.find("connected"), std::string::npos);
  EXPECT_NE(t.lines("r")[2].text.find("you joined r"), std::string::npos);
}

TEST(TranscriptTest, HistoryResetIsOneLine) {
  Transcript t;
  t.apply(JoinedEvent{"r", 0}, 0);
  const size_t before = t.lines("r").size();
  t.apply(HistoryResetEvent{"r"}, 0);
  ASSERT_EQ(t.lines("r").size(), before + 1);
  EXPECT_NE(t.lines("r").back().text.find("reset"), std::string::npos);
}

TEST(TranscriptTest, LeavingClosesThePane) {
  Transcript t;
  t.apply(JoinedEvent{"r", 0}, 0);
  t.set_current("r");
  t.apply(LeftEvent{"r"}, 0);
  EXPECT_TRUE(t.tabs().empty());
  EXPECT_EQ(t.current(), Transcript::kStatusPane);
}

TEST(TranscriptTest, PanesAreBounded) {
  Transcript t;
  for (uint64_t i = 0; i < Transcript::kMaxLinesPerPane + 50; ++i) {
    t.apply(MessageEvent{"r", i + 1, 1, "bob", "x", false}, 0);
  }
  EXPECT_EQ(t.lines("r").size(), Transcript::kMaxLinesPerPane);
}

}  // namespace
}  // namespace chat::client
