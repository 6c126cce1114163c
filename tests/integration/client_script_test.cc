// `chat --script` against a real chatd: conversations in rooms and in
// private, presence, history, errors as events, exit statuses, --help.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "client_harness.h"

namespace chat::itest {
namespace {

class ClientScriptTest : public ServerTest {
 protected:
  std::string server_address() const { return "127.0.0.1:" + std::to_string(port()); }

  // A scripted chat logged in as `user` (its welcome already read).
  std::unique_ptr<ChatProcess> chat(const std::string& user,
                                    const std::vector<std::string>& extra = {},
                                    const SrcLoc& loc = SrcLoc::current()) {
    auto c = std::make_unique<ChatProcess>(user);
    if (!c->start_script(server_address(), user, extra)) fail_at(loc, "cannot start chat");
    c->take_event("welcome", {{"user", user}}, kDefaultWait, loc);
    return c;
  }

  // Asks the client to end (input closed) and checks it exits 0.
  static void finish(ChatProcess& c, const SrcLoc& loc = SrcLoc::current()) {
    c.close_input();
    const int status = c.wait_exit(Ms(10000));
    if (status != 0) {
      fail_at(loc, "chat exited with " + std::to_string(status) + ": " + c.stderr_text());
    }
  }
};

TEST_P(ClientScriptTest, TwoUsersConverseInARoom) {
  start_server();
  auto ana = chat("ana");
  ana->send_line("/join r");
  ana->take_event("joined", {{"room", "r"}});
  auto bob = chat("bob");
  bob->send_line("/join r");
  bob->take_event("joined", {{"room", "r"}});
  ana->take_event("room_event", {{"room", "r"}, {"kind", "joined"}, {"user", "bob"}});

  ana->send_line("hello bob, ça va? 日本 🎉");
  JsonValue ack = ana->take_event("ack", {{"room", "r"}});
  JsonValue got = bob->take_event("message", {{"room", "r"}, {"from", "ana"}});
  EXPECT_EQ(got.str("body"), "hello bob, ça va? 日本 🎉");
  EXPECT_EQ(num(got, "seq"), num(ack, "id"));

  bob->send_line("hi ana");
  JsonValue reply = ana->take_event("message", {{"room", "r"}, {"from", "bob"}});
  EXPECT_EQ(reply.str("body"), "hi ana");
  EXPECT_EQ(num(reply, "seq"), num(ack, "id") + 1);

  bob->send_line("/leave");
  bob->take_event("left", {{"room", "r"}});
  ana->take_event("room_event", {{"room", "r"}, {"kind", "left"}, {"user", "bob"}});
  finish(*bob);
  finish(*ana);
  EXPECT_EQ(ana->all("closed").size(), 1u);
}

TEST_P(ClientScriptTest, PrivateMessagesBothWays) {
  start_server();
  auto ana = chat("ana");
  auto bob = chat("bob");
  ana->send_line("/msg bob psst, bob");
  JsonValue ack = ana->take_event("ack", {{"to", "bob"}});
  JsonValue got = bob->take_event("private", {{"from", "ana"}, {"to", "bob"}});
  EXPECT_EQ(got.str("body"), "psst, bob");
  EXPECT_EQ(num(got, "id"), num(ack, "id"));
  bob->send_line("/msg ana  two  spaces ");
  EXPECT_EQ(ana->take_event("private", {{"from", "bob"}}).str("body"), " two  spaces ");
  finish(*ana);
  finish(*bob);
}

TEST_P(ClientScriptTest, PresenceOfWatchedUsers) {
  start_server();
  auto ana = chat("ana");
  ana->send_line("/watch bob");
  ana->take_event("watching");
  ana->take_event("presence", {{"user", "bob"}, {"online", "false"}});
  auto bob = chat("bob");
  ana->take_event("presence", {{"user", "bob"}, {"online", "true"}});
  finish(*bob);
  ana->take_event("presence", {{"user", "bob"}, {"online", "false"}});
  ana->send_line("/unwatch bob");
  ana->take_event("unwatched");
  finish(*ana);
}

TEST_P(ClientScriptTest, HistoryShowsTheLastMessages) {
  start_server();
  auto bob = login("bob");
  bob->join("r");
  for (int i = 1; i <= 5; ++i) bob->say("r", "old " + std::to_string(i));
  auto ana = chat("ana");
  ana->send_line("/join r");
  EXPECT_EQ(num(ana->take_event("joined", {{"room", "r"}}), "last_seq"), 5u);
  ana->send_line("/history 3");
  ana->send_line("/wait-acks");
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i)
    bodies.push_back(ana->take_event("history", {{"room", "r"}}).str("body"));
  EXPECT_EQ(bodies, (std::vector<std::string>{"old 3", "old 4", "old 5"}));
  EXPECT_EQ(num(ana->take_event("history_end", {{"room", "r"}}), "count"), 3u);
  EXPECT_TRUE(ana->all("message").empty());  // history is not news
  finish(*ana);
}

TEST_P(ClientScriptTest, WhoAndRooms) {
  start_server();
  auto bob = login("bob");
  bob->join("r");
  auto ana = chat("ana");
  ana->send_line("/join r");
  ana->send_line("/who");
  JsonValue members = ana->take_event("members", {{"room", "r"}});
  EXPECT_EQ(num(members, "total"), 2u);
  std::set<std::string> users;
  for (const auto& u : members.find("users")->items) users.insert(u.text);
  EXPECT_EQ(users, (std::set<std::string>{"ana", "bob"}));
  ana->send_line("/rooms");
  JsonValue rooms = ana->take_event("rooms");
  ASSERT_EQ(rooms.find("rooms")->items.size(), 1u);
  EXPECT_EQ(rooms.find("rooms")->items[0].str("room"), "r");
  EXPECT_EQ(num(rooms.find("rooms")->items[0], "members"), 2u);
  finish(*ana);
}

TEST_P(ClientScriptTest, ErrorsAreEvents) {
  start_server();
  auto ana = chat("ana");
  ana->send_line("no room yet");
  ana->take_event("error", {{"code", "NO_ROOM"}, {"req", "0"}});
  ana->send_line("/leave nowhere");
  JsonValue e = ana->take_event("error", {{"code", "NOT_IN_ROOM"}, {"request", "LEAVE"}});
  EXPECT_GT(num(e, "req"), 0u);
  ana->send_line("/msg ghost boo");
  ana->take_event("error", {{"code", "NO_SUCH_USER"}, {"request", "WHISPER"}});
  ana->send_line("/frobnicate");
  ana->take_event("error", {{"code", "UNKNOWN_COMMAND"}});
  ana->send_line("/join two words");
  ana->take_event("error", {{"code", "USAGE"}});
  ana->send_line("/switch elsewhere");
  ana->take_event("error", {{"code", "NOT_IN_ROOM"}, {"req", "0"}});
  ana->send_line("/msg bad\x01name hi");
  ana->take_event("error", {{"code", "INVALID_NAME"}});
  ana->send_line("/help");
  ana->take_event("help");
  finish(*ana);  // still alive and well after all of that
}

TEST_P(ClientScriptTest, ScriptFromAFileEndsWhenEverythingIsAcknowledged) {
  start_server();
  TempPath script("script.txt");
  const std::string& path = script.str();
  {
    std::ofstream f(path);
    f << "/join r\n";
    for (int i = 1; i <= 30; ++i) f << "line " << i << "\n";
    f << "/sleep 10\n";  // no trailing newline on the last line:
    f << "last line";
  }
  auto bob = login("bob");
  bob->join("r");
  ChatProcess ana("ana");
  ASSERT_TRUE(ana.start(
      {"--server", "127.0.0.1:" + std::to_string(port()), "--user", "ana", "--script", path}));
  EXPECT_EQ(ana.wait_exit(Ms(15000)), 0) << ana.stderr_text();
  auto acks = ana.all("ack");
  ASSERT_EQ(acks.size(), 31u);
  for (size_t i = 0; i < acks.size(); ++i) EXPECT_EQ(num(acks[i], "id"), i + 1);
  EXPECT_EQ(ana.events().back().str("event"), "closed");
  EXPECT_EQ(ana.stderr_text(), "");
  for (int i = 1; i <= 31; ++i) {
    auto m = bob->expect_event<proto::Message>();
    EXPECT_EQ(m->seq, static_cast<uint64_t>(i));
  }
}

TEST_P(ClientScriptTest, WaitAcksBlocksUntilAnswered) {
  start_server();
  auto bob = login("bob");
  bob->join("r");
  auto ana = chat("ana");
  ana->send_line("/join r");
  for (int i = 0; i < 10; ++i) ana->send_line("burst " + std::to_string(i));
  ana->send_line("/wait-acks");
  ana->send_line("/who");
  // The WHO goes out only after the ten ACKs: MEMBERS comes after them.
  ana->take_event("members");
  EXPECT_EQ(ana->all("ack").size(), 10u);
  finish(*ana);
}

TEST_P(ClientScriptTest, LingerKeepsListeningAfterTheInputEnds) {
  start_server();
  auto bob = login("bob");
  bob->join("r");
  ChatProcess ana("ana");
  ASSERT_TRUE(ana.start_script("127.0.0.1:" + std::to_string(port()), "ana", {"--linger", "5000"}));
  ana.send_line("/join r");
  ana.close_input();
  ana.take_event("joined", {{"room", "r"}});
  bob->say("r", "late news");
  ana.take_event("message", {{"body", "late news"}});
  EXPECT_EQ(ana.wait_exit(Ms(15000)), 0);
}

TEST_P(ClientScriptTest, TheLobbyIsFollowedWithoutJoining) {
  start_server({{"lobby", "lobby"}});
  auto ana = chat("ana");
  auto bob = login("bob");
  // The server joins a new session to the lobby asynchronously: talk once ana is in.
  bob->wait_member("lobby", "ana");
  bob->say("lobby", "hello everyone");
  JsonValue m = ana->take_event("message", {{"room", "lobby"}, {"from", "bob"}});
  EXPECT_EQ(m.str("body"), "hello everyone");
  // From then on the lobby is one of her rooms: plain text goes there.
  ana->send_line("hello bob");
  EXPECT_EQ(bob->expect_event<proto::Message>()->body, "hello bob");
  finish(*ana);
}

TEST_P(ClientScriptTest, TokenFromAFile) {
  const std::string secret = "client-it-secret-0123456789";
  start_server({{"jwt-secret", secret}});
  TempPath token_file("token");
  const std::string& path = token_file.str();
  {
    std::ofstream f(path);
    f << make_client_token("ana", secret) << "\n";
  }
  auto ana = chat("ana", {"--token-file", path});
  finish(*ana);

  ChatProcess bad("bad");
  ASSERT_TRUE(bad.start_script(server_address(), "ana", {"--token", "not-a-jwt"}));
  EXPECT_EQ(bad.wait_exit(Ms(10000)), 1);
  const std::string err = bad.stderr_text();
  EXPECT_NE(err.find("AUTH_FAILED"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_P(ClientScriptTest, CannotConnectExitsNonZeroWithOneLine) {
  start_server();
  const uint16_t dead_port = port();
  server().stop();
  ChatProcess ana("ana");
  ASSERT_TRUE(ana.start_script("127.0.0.1:" + std::to_string(dead_port), "ana"));
  EXPECT_EQ(ana.wait_exit(Ms(15000)), 1);
  const std::string err = ana.stderr_text();
  EXPECT_EQ(err.rfind("chat: cannot connect to 127.0.0.1:", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(ana.all("gave_up").size(), 1u);
}

TEST_P(ClientScriptTest, GivesUpAfterTheRetriesRunOut) {
  start_server();
  auto ana = chat("ana", {"--retries", "2"});
  server().stop();
  ana->take_event("disconnected");
  ana->take_event("reconnecting", {{"attempt", "1"}, {"max", "2"}});
  ana->take_event("reconnecting", {{"attempt", "2"}});
  EXPECT_EQ(ana->wait_exit(Ms(15000)), 1);
  const std::string err = ana->stderr_text();
  EXPECT_NE(err.find("gave up after 2 reconnect attempts"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_P(ClientScriptTest, IdleClientKeepsItsSessionWithHeartbeats) {
  start_server({{"heartbeat", "1"}, {"timeout", "3"}});
  auto ana = chat("ana");
  ana->send_line("/join r");
  ana->send_line("/sleep 4500");  // past the server's timeout: only PINGs keep us
  ana->send_line("still here");
  ana->take_event("ack", {{"room", "r"}}, Ms(15000));
  EXPECT_TRUE(ana->all("disconnected").empty());
  finish(*ana);
}

TEST_P(ClientScriptTest, HelpDocumentsEveryFlag) {
  ChatProcess help("help");
  help.set_json_output(false);
  ASSERT_TRUE(help.start({"--help"}));
  EXPECT_EQ(help.wait_exit(Ms(10000)), 0);
  const std::string text = help.stdout_text();
  for (const char* flag : {"--server", "--user", "--token", "--token-file", "--retries", "--script",
                           "--linger", "--help", "--version"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag << " missing from:\n" << text;
  }
  ChatProcess version("version");
  version.set_json_output(false);
  ASSERT_TRUE(version.start({"--version"}));
  EXPECT_EQ(version.wait_exit(Ms(10000)), 0);
  EXPECT_EQ(version.stdout_text().rfind("chat ", 0), 0u);
  ChatProcess bad("bad");
  bad.set_json_output(false);
  ASSERT_TRUE(bad.start({"--no-such-flag"}));
  EXPECT_NE(bad.wait_exit(Ms(10000)), 0);
}

INSTANTIATE_TEST_SUITE_P(Threads, ClientScriptTest, ::testing::Values(2), ThreadsParamName);

}  // namespace
}  // namespace chat::itest
