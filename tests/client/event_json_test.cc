#include "client/event_json.h"

#include <gtest/gtest.h>

namespace chat::client {
namespace {

TEST(EventJsonTest, ShapesFromTheIssue) {
  EXPECT_EQ(event_to_json(AckEvent{5, 17, 1764000000000, "lobby", ""}),
            R"({"event":"ack","req":5,"id":17,"time":1764000000000,"room":"lobby"})");
  EXPECT_EQ(
      event_to_json(MessageEvent{"lobby", 17, 1764000000000, "bob", "hi", false}),
      R"({"event":"message","room":"lobby","seq":17,"time":1764000000000,"from":"bob","body":"hi"})");
  EXPECT_EQ(event_to_json(PrivateEvent{3, 9, "bob", "ana", "psst"}),
            R"({"event":"private","id":3,"time":9,"from":"bob","to":"ana","body":"psst"})");
  EXPECT_EQ(event_to_json(RoomChangeEvent{"r", true, "bob", 4}),
            R"({"event":"room_event","room":"r","kind":"joined","user":"bob","time":4})");
  EXPECT_EQ(event_to_json(PresenceEvent{"bob", true, 4}),
            R"({"event":"presence","user":"bob","online":true,"time":4})");
  EXPECT_EQ(event_to_json(MembersEvent{2, "r", 2, {"ana", "bob"}}),
            R"({"event":"members","req":2,"room":"r","total":2,"users":["ana","bob"]})");
  EXPECT_EQ(event_to_json(RoomsEvent{3, 1, {{"r", 2}}}),
            R"({"event":"rooms","req":3,"total":1,"rooms":[{"room":"r","members":2}]})");
  EXPECT_EQ(
      event_to_json(ErrorEvent{5, "NOT_IN_ROOM", "not in that room", "SAY"}),
      R"({"event":"error","req":5,"code":"NOT_IN_ROOM","text":"not in that room","request":"SAY"})");
  EXPECT_EQ(event_to_json(ReconnectedEvent{1}), R"({"event":"reconnected","attempt":1})");
  EXPECT_EQ(event_to_json(HistoryResetEvent{"r"}), R"({"event":"history_reset","room":"r"})");
}

TEST(EventJsonTest, WelcomeCarriesUserAndSession) {
  const std::string j = event_to_json(WelcomeEvent{"ana", 12, 99, 30, 60, "h:1"});
  EXPECT_EQ(j.rfind(R"({"event":"welcome","user":"ana","session":12,)", 0), 0u) << j;
}

TEST(EventJsonTest, RecoveredMessagesSaySo) {
  EXPECT_NE(event_to_json(MessageEvent{"r", 1, 1, "b", "x", true}).find(R"("recovered":true)"),
            std::string::npos);
}

TEST(EventJsonTest, RttIsNotPrinted) { EXPECT_EQ(event_to_json(RttEvent{3}), ""); }

TEST(EventJsonTest, QuotesEscapeControlCharactersAndKeepUtf8) {
  EXPECT_EQ(json_quote("a\"b\\c\nd\te\x01\x7f"), R"("a\"b\\c\nd\te\u0001\u007f")");
  EXPECT_EQ(json_quote("café 日本 🎉"), "\"café 日本 🎉\"");
}

}  // namespace
}  // namespace chat::client
