// The full-screen UI driven in a private tmux server: join, send, see the
// other user's message (UTF-8 included), resize, quit.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "client_harness.h"

namespace chat::itest {
namespace {

class ClientTuiTest : public ServerTest {};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_P(ClientTuiTest, JoinSendReceiveResizeQuit) {
  if (::system("command -v tmux >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed";
  start_server();
  TempPath status("tui.exit");
  TempPath errors("tui.stderr");
  const std::string& status_file = status.str();
  // The exit status lands in a file: the pane is gone once chat exits.
  const std::string command = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen " + chat_binary() +
                              " --server 127.0.0.1:" + std::to_string(port()) + " --user ana 2>" +
                              errors.str() + "; echo $? > " + status_file;
  TmuxSession tmux;
  ASSERT_TRUE(tmux.start(command, 100, 30));
  tmux.wait_for("online");

  tmux.type("/join r");
  tmux.enter();
  tmux.wait_for("you joined r");

  auto bob = login("bob");
  bob->join("r");
  bob->say("r", "hello from bob");
  tmux.wait_for("bob: hello from bob");
  bob->say("r", "café 日本語 🎉");
  tmux.wait_for("café 日本語 🎉");

  tmux.type("hi bob, ça va? 漢字");
  tmux.enter();
  auto m = bob->expect_event<proto::Message>();
  EXPECT_EQ(m->body, "hi bob, ça va? 漢字");
  EXPECT_EQ(m->from, "ana");
  tmux.wait_for("ana> hi bob, ça va? 漢字");

  // Editing: type, move left over a wide character, delete it, send.
  tmux.type("ab日c");
  tmux.send_keys("Left", false);
  tmux.send_keys("BSpace", false);
  tmux.enter();
  auto edited = bob->expect_event<proto::Message>();
  EXPECT_EQ(edited->body, "abc");

  // Smaller: the screen is redrawn to the new size, status and input included.
  tmux.resize(60, 15);
  bob->say("r", "after the resize");
  tmux.wait_for("bob: after the resize");
  std::vector<std::string> rows = tmux.capture();
  ASSERT_GE(rows.size(), 15u);
  bool status_seen = false;
  for (const auto& r : rows) status_seen = status_seen || r.find("online") != std::string::npos;
  EXPECT_TRUE(status_seen) << tmux.capture_text();
  EXPECT_EQ(rows[14].rfind(">", 0), 0u) << tmux.capture_text();  // the input line, at the bottom

  // An unknown command shows help instead of crashing.
  tmux.type("/nonsense");
  tmux.enter();
  tmux.wait_for("show this help");

  tmux.type("/quit");
  tmux.enter();
  const auto deadline = Clock::now() + kDefaultWait;
  while (Clock::now() < deadline && read_all(status_file).empty()) {
    std::this_thread::sleep_for(Ms(50));
  }
  EXPECT_EQ(read_all(status_file), "0\n") << "stderr: " << read_all(errors.str());
}

INSTANTIATE_TEST_SUITE_P(Threads, ClientTuiTest, ::testing::Values(2), ThreadsParamName);

}  // namespace
}  // namespace chat::itest
