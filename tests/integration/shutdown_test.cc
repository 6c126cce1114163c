// Shutdown (PROTOCOL.md §6): on SIGTERM every session gets ERROR
// SHUTTING_DOWN and is closed, and chatd exits 0 within its grace period.
#include <string>
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

constexpr Ms kGrace{2000};
// Exit bound: the grace period plus generous slack for sanitizer builds.
constexpr Ms kExitBound = kGrace + Ms(8000);

class ShutdownTest : public ServerTest {};

TEST_P(ShutdownTest, SigtermSendsShuttingDownToEverySession) {
  start_server({{"shutdown-grace", "2"}, {"lobby", "lobby"}});
  std::vector<std::unique_ptr<TestClient>> sessions;
  for (int i = 0; i < 8; ++i) sessions.push_back(login("u" + std::to_string(i % 6)));
  sessions[0]->join("room");
  sessions[1]->join("room");
  sessions[0]->watch({"u1", "u2"});
  auto unlogged = connect("unlogged");
  unlogged->ping();  // the server has surely accepted it

  server().terminate();
  for (auto& s : sessions) {
    SCOPED_TRACE(s->label());
    s->expect_error(ErrorCode::kShuttingDown, 0, kExitBound);
    s->expect_closed(kExitBound);
  }
  // A connection that never logged in is closed too (an ERROR, if any, says why).
  unlogged->expect_closed(kExitBound);
  for (const auto& f : unlogged->pending()) {
    if (f.type != static_cast<uint8_t>(MsgType::kError)) continue;
    EXPECT_EQ(decode_as<proto::ErrorMsg>(f)->code, ErrorCode::kShuttingDown) << f.describe();
  }
  EXPECT_EQ(server().wait_exit(kExitBound), 0) << "chatd must exit 0 after SIGTERM";
}

TEST_P(ShutdownTest, IdleServerExitsPromptly) {
  start_server({{"shutdown-grace", "2"}});
  { auto c = login("brief"); }
  EXPECT_EQ(server().stop(kExitBound), 0);
}

// A client that stopped reading cannot hold the server past its grace period.
TEST_P(ShutdownTest, StuckClientDoesNotDelayExitPastGrace) {
  start_server({{"shutdown-grace", "2"},
                {"max-outbound", "67108864"},
                {"rate", "1000000"},
                {"burst", "1000000"}});
  auto sender = login("sender");
  TestClient::Options tiny;
  tiny.rcvbuf = 4096;
  auto stuck = login("stuck", 0, "", tiny);
  auto fine = login("fine");
  sender->join("flood");
  stuck->join("flood");
  // 8 MB for the stuck member, more than the kernel buffers hold.
  const std::string body(4000, 's');
  constexpr int kMessages = 2000;
  for (int i = 0; i < kMessages; i += 20) {
    std::string batch;
    std::vector<uint32_t> reqs;
    for (int k = 0; k < 20; ++k) {
      reqs.push_back(sender->next_req());
      batch += encoded(proto::Say{reqs.back(), "flood", body});
    }
    sender->send_raw(batch);
    for (uint32_t req : reqs) sender->expect<proto::Ack>(req);
  }
  server().terminate();
  fine->expect_error(ErrorCode::kShuttingDown, 0, kExitBound);
  fine->expect_closed(kExitBound);
  EXPECT_EQ(server().wait_exit(kExitBound), 0)
      << "chatd must exit 0 within its grace period even with a client that does not read";
}

CHATD_INSTANTIATE_THREADS(ShutdownTest);

}  // namespace
}  // namespace chat::itest
