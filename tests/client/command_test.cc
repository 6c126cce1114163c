#include "client/command.h"

#include <gtest/gtest.h>

namespace chat::client {
namespace {

Command parse(std::string_view line, bool script = false) { return parse_command(line, script); }

TEST(CommandTest, PlainTextIsSayKeptAsTyped) {
  Command c = parse("  hello  world \r\n");
  EXPECT_EQ(c.kind, CommandKind::kSay);
  EXPECT_EQ(c.text, "  hello  world ");
  EXPECT_EQ(parse("//not a command").text, "/not a command");
  EXPECT_EQ(parse("   ").kind, CommandKind::kEmpty);
  EXPECT_EQ(parse("").kind, CommandKind::kEmpty);
}

TEST(CommandTest, RoomCommands) {
  EXPECT_EQ(parse("/join r").kind, CommandKind::kJoin);
  EXPECT_EQ(parse("/join   r ").target, "r");
  EXPECT_EQ(parse("/join").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/join a b").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/leave").target, "");
  EXPECT_EQ(parse("/leave x").target, "x");
  EXPECT_EQ(parse("/switch x").kind, CommandKind::kSwitch);
  EXPECT_EQ(parse("/switch").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/who").kind, CommandKind::kWho);
  EXPECT_EQ(parse("/who r").target, "r");
  EXPECT_EQ(parse("/rooms").kind, CommandKind::kRooms);
  EXPECT_EQ(parse("/rooms x").kind, CommandKind::kInvalid);
}

TEST(CommandTest, MsgKeepsTheText) {
  Command c = parse("/msg bob  hi  there");
  EXPECT_EQ(c.kind, CommandKind::kMsg);
  EXPECT_EQ(c.target, "bob");
  EXPECT_EQ(c.text, " hi  there");
  EXPECT_EQ(parse("/msg bob").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/msg").kind, CommandKind::kInvalid);
}

TEST(CommandTest, WatchLists) {
  Command c = parse("/watch bob  cy");
  EXPECT_EQ(c.kind, CommandKind::kWatch);
  EXPECT_EQ(c.users, (std::vector<std::string>{"bob", "cy"}));
  EXPECT_EQ(parse("/unwatch bob").kind, CommandKind::kUnwatch);
  EXPECT_EQ(parse("/watch").kind, CommandKind::kInvalid);
}

TEST(CommandTest, HistoryCount) {
  EXPECT_EQ(parse("/history").number, kDefaultHistoryCount);
  EXPECT_EQ(parse("/history 5").number, 5u);
  EXPECT_EQ(parse("/history 0").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/history x").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/history 100000").kind, CommandKind::kInvalid);
}

TEST(CommandTest, ScriptOnlyCommands) {
  EXPECT_EQ(parse("/sleep 250", true).kind, CommandKind::kSleep);
  EXPECT_EQ(parse("/sleep 250", true).number, 250u);
  EXPECT_EQ(parse("/sleep", true).kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/sleep -1", true).kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/wait-acks", true).kind, CommandKind::kWaitAcks);
  EXPECT_EQ(parse("/sleep 250").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/wait-acks").kind, CommandKind::kInvalid);
}

TEST(CommandTest, UnknownCommandSaysHowToGetHelp) {
  Command c = parse("/frobnicate now");
  EXPECT_EQ(c.kind, CommandKind::kInvalid);
  EXPECT_NE(c.error.find("/help"), std::string::npos);
  EXPECT_EQ(parse("/").kind, CommandKind::kInvalid);
  EXPECT_EQ(parse("/help").kind, CommandKind::kHelp);
  EXPECT_EQ(parse("/quit").kind, CommandKind::kQuit);
}

TEST(CommandTest, HelpListsEveryCommand) {
  std::string all;
  for (const auto& l : help_lines(true)) all += l + "\n";
  for (const char* name : {"/join", "/leave", "/switch", "/msg", "/who", "/rooms", "/watch",
                           "/unwatch", "/history", "/help", "/quit", "/sleep", "/wait-acks"}) {
    EXPECT_NE(all.find(name), std::string::npos) << name;
  }
  EXPECT_LT(help_lines(false).size(), help_lines(true).size());
}

}  // namespace
}  // namespace chat::client
