#include "client/command_dispatch.h"

#include <gtest/gtest.h>

#include "session_fixture.h"

namespace chat::client::testing {
namespace {

class CommandDispatchTest : public SessionTest {
 protected:
  void SetUp() override {
    make();
    connect_and_login();
    dispatcher = std::make_unique<CommandDispatcher>(*session);
  }
  void run(const std::string& line) { dispatcher->dispatch(parse_command(line, true)); }
  std::vector<std::string> error_codes() const {
    std::vector<std::string> out;
    for (const auto& e : events_of<ErrorEvent>()) out.push_back(e.code);
    return out;
  }
  std::unique_ptr<CommandDispatcher> dispatcher;
};

TEST_F(CommandDispatchTest, TextGoesToTheCurrentRoom) {
  run("hello");
  EXPECT_EQ(error_codes(), (std::vector<std::string>{"NO_ROOM"}));
  run("/join a");
  run("/join b");
  EXPECT_EQ(dispatcher->current_room(), "b");
  transport.take();
  run("to b");
  auto frames = transport.take();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(proto::decode_say(frames[0].bytes(), {}).msg.room, "b");
  run("/switch a");
  EXPECT_EQ(dispatcher->current_room(), "a");
  run("/switch nowhere");
  EXPECT_EQ(dispatcher->current_room(), "a");
  EXPECT_EQ(error_codes().back(), "NOT_IN_ROOM");
}

TEST_F(CommandDispatchTest, LeavingTheCurrentRoomFallsBackToAnother) {
  run("/join a");
  run("/join b");
  run("/leave");
  EXPECT_FALSE(session->in_room("b"));
  EXPECT_EQ(dispatcher->current_room(), "a");
  run("/leave");
  EXPECT_EQ(dispatcher->current_room(), "");
}

TEST_F(CommandDispatchTest, FrontEndCommandsAreLeftToTheCaller) {
  for (const char* line : {"", "/help", "/quit", "/sleep 5", "/wait-acks"}) {
    EXPECT_FALSE(dispatcher->dispatch(parse_command(line, true))) << line;
  }
  EXPECT_TRUE(transport.take().empty());
}

TEST_F(CommandDispatchTest, BadCommandsAreReportedNotSent) {
  run("/nope");
  run("/msg");
  run("/join a b");
  EXPECT_EQ(error_codes(), (std::vector<std::string>{"UNKNOWN_COMMAND", "USAGE", "USAGE"}));
  EXPECT_TRUE(transport.take().empty());
}

TEST_F(CommandDispatchTest, AdoptOnlyWhenThereIsNoCurrentRoom) {
  dispatcher->adopt("lobby");  // not in it: the current room stays empty
  EXPECT_EQ(dispatcher->current_room(), "");
  run("/join a");
  server(msg("lobby", 1, "hi"));  // the server put us in the lobby
  dispatcher->adopt("lobby");
  EXPECT_EQ(dispatcher->current_room(), "a");
}

}  // namespace
}  // namespace chat::client::testing
