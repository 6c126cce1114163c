// WATCH/UNWATCH and PRESENCE, and ROOM_EVENT (PROTOCOL.md §3, §5).
#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;
using proto::MsgType;
using proto::RoomEventKind;

template <class M>
std::string encoded(const M& m) {
  std::string out;
  proto::encode(out, m);
  return out;
}

std::string watch_frame(uint32_t req, std::vector<std::string_view> users) {
  std::string out;
  proto::encode_watch(out, proto::UserList{req, std::move(users)});
  return out;
}

void expect_presence(TestClient& c, std::string_view user, bool online,
                     const SrcLoc& loc = SrcLoc::current()) {
  auto p = c.expect_event<proto::Presence>(kDefaultWait, loc);
  if (p->user != user || p->online != online) {
    fail_at(loc, c.label() + ": expected PRESENCE " + std::string(user) +
                     (online ? " online" : " offline") + ", got " + p.frame.describe());
  }
}

void expect_room_event(TestClient& c, std::string_view room, RoomEventKind kind,
                       std::string_view user, Ms timeout = kDefaultWait,
                       const SrcLoc& loc = SrcLoc::current()) {
  auto e = c.expect_event<proto::RoomEvent>(timeout, loc);
  if (e->room != room || e->kind != kind || e->user != user) {
    fail_at(loc, c.label() + ": expected ROOM_EVENT " + std::string(room) +
                     (kind == RoomEventKind::kJoined ? " joined " : " left ") + std::string(user) +
                     ", got " + e.frame.describe());
  }
}

class PresenceTest : public ServerTest {};

TEST_P(PresenceTest, WatchIsOkThenCurrentStateBeforeTheNextReply) {
  start_server();
  auto b = login("bob");
  auto a = login("ana");
  // WATCH and ROOMS in one write: OK, one PRESENCE per user, then ROOM_LIST.
  a->send_raw(watch_frame(5, {"bob", "carl"}) + encoded(proto::Rooms{6}));
  EXPECT_EQ(decode_as<proto::Ok>(a->next())->req, 5u);
  std::map<std::string, bool> state;
  for (int i = 0; i < 2; ++i) {
    auto p = decode_as<proto::Presence>(a->next());
    state[std::string(p->user)] = p->online;
  }
  EXPECT_EQ(state, (std::map<std::string, bool>{{"bob", true}, {"carl", false}}));
  EXPECT_EQ(decode_as<proto::RoomList>(a->next())->req, 6u);
  a->expect_silence(Ms(200));
}

TEST_P(PresenceTest, OnlineOnFirstSessionOfflineAfterLast) {
  start_server();
  auto a = login("ana");
  EXPECT_EQ(a->watch({"bob"}), (std::map<std::string, bool>{{"bob", false}}));

  auto b1 = login("bob");
  expect_presence(*a, "bob", true);
  auto b2 = login("bob");
  a->expect_none_of(MsgType::kPresence, Ms(300));  // not the first session
  b1->bye();
  a->expect_none_of(MsgType::kPresence, Ms(300));  // not the last session
  b2->close_now();                                 // the last one, without BYE
  expect_presence(*a, "bob", false);
  a->expect_none_of(MsgType::kPresence, Ms(200));

  // Again, with a reset this time.
  auto b3 = login("bob");
  expect_presence(*a, "bob", true);
  b3->close_now(/*reset=*/true);
  expect_presence(*a, "bob", false);
}

TEST_P(PresenceTest, OfflineAfterIdleTimeout) {
  start_server({{"timeout", "2"}, {"heartbeat", "1"}});
  auto a = login("ana");
  a->set_keepalive(Ms(300));
  EXPECT_EQ(a->watch({"bob"}), (std::map<std::string, bool>{{"bob", false}}));
  auto b = login("bob");
  b->set_auto_pong(false);
  expect_presence(*a, "bob", true);
  // bob says nothing more: timed out, and offline.
  auto p = a->expect_event<proto::Presence>(Ms(2000) + kTimerSlack);
  EXPECT_EQ(p->user, "bob");
  EXPECT_FALSE(p->online);
  b->expect_error(ErrorCode::kIdleTimeout, 0, Ms(1000));
}

TEST_P(PresenceTest, UnwatchStopsPresence) {
  start_server();
  auto a = login("ana");
  EXPECT_EQ(a->watch({"bob", "carl"}),
            (std::map<std::string, bool>{{"bob", false}, {"carl", false}}));
  a->unwatch({"bob"});
  a->unwatch({"nobody-watched"});  // not an error
  auto b = login("bob");
  auto c = login("carl");
  expect_presence(*a, "carl", true);
  a->expect_none_of(MsgType::kPresence, Ms(300));
  b->bye();
  a->expect_none_of(MsgType::kPresence, Ms(300));
}

TEST_P(PresenceTest, MaxWatchLimitWatchesNobody) {
  start_server({{"max-watch", "2"}});
  auto a = login("ana");
  a->send_raw(watch_frame(7, {"u1", "u2", "u3"}));
  a->expect_error(ErrorCode::kLimit, 7);
  a->expect_none_of(MsgType::kPresence, Ms(200));
  a->expect_open();  // LIMIT closes only for max_sessions
  auto u1 = login("u1");
  a->expect_none_of(MsgType::kPresence, Ms(300));  // the refused request watches nobody

  EXPECT_EQ(a->watch({"u1", "u2"}), (std::map<std::string, bool>{{"u1", true}, {"u2", false}}));
  a->send_raw(watch_frame(8, {"u3"}));
  a->expect_error(ErrorCode::kLimit, 8);
  a->unwatch({"u2"});
  EXPECT_EQ(a->watch({"u3"}), (std::map<std::string, bool>{{"u3", false}}));
  auto u3 = login("u3");
  expect_presence(*a, "u3", true);
}

TEST_P(PresenceTest, WatchValidatesNames) {
  start_server();
  auto a = login("ana");
  a->send_raw(watch_frame(3, {"ok", "not ok"}));
  a->expect_error(ErrorCode::kInvalidName, 3);
  a->expect_none_of(MsgType::kPresence, Ms(200));
  a->expect_open();
}

TEST_P(PresenceTest, RoomEventsOnFirstAndLastSessionOnly) {
  start_server();
  auto a1 = login("ana");
  auto a2 = login("ana");
  a1->join("ev");
  a2->join("ev");
  a1->expect_none_of(MsgType::kRoomEvent, Ms(200));  // ana's second session: not ana's first

  auto b1 = login("bob");
  auto b2 = login("bob");
  b1->join("ev");
  for (TestClient* a : {a1.get(), a2.get()})
    expect_room_event(*a, "ev", RoomEventKind::kJoined, "bob");
  b1->expect_none_of(MsgType::kRoomEvent, Ms(200));  // not to the mover itself
  b2->expect_none_of(MsgType::kRoomEvent, Ms(50));   // not a member

  b2->join("ev");   // bob already in
  b1->leave("ev");  // bob still in through b2
  a1->expect_none_of(MsgType::kRoomEvent, Ms(300));
  b2->leave("ev");  // bob's last session leaves
  for (TestClient* a : {a1.get(), a2.get()})
    expect_room_event(*a, "ev", RoomEventKind::kLeft, "bob");

  // A session's end leaves its rooms.
  auto c = login("carl");
  c->join("ev");
  for (TestClient* a : {a1.get(), a2.get()})
    expect_room_event(*a, "ev", RoomEventKind::kJoined, "carl");
  c->close_now();
  for (TestClient* a : {a1.get(), a2.get()})
    expect_room_event(*a, "ev", RoomEventKind::kLeft, "carl");

  // Only the session in the room counts.
  auto d1 = login("dora");
  auto d2 = login("dora");
  d1->join("ev");
  for (TestClient* a : {a1.get(), a2.get()})
    expect_room_event(*a, "ev", RoomEventKind::kJoined, "dora");
  d2->bye();
  a1->expect_none_of(MsgType::kRoomEvent, Ms(300));
  d1->bye();
  for (TestClient* a : {a1.get(), a2.get()}) {
    expect_room_event(*a, "ev", RoomEventKind::kLeft, "dora");
    a->expect_none_of(MsgType::kRoomEvent, Ms(100));
  }
}

TEST_P(PresenceTest, RoomEventLimitSilencesBigRooms) {
  start_server({{"room-event-limit", "2"}});
  auto a = login("ana");
  auto b = login("bob");
  auto c = login("carl");
  a->join("big");
  b->join("big");  // 2 users counting bob: events on
  expect_room_event(*a, "big", RoomEventKind::kJoined, "bob");
  c->join("big");  // 3 users counting carl: no events
  a->expect_none_of(MsgType::kRoomEvent, Ms(300));
  b->expect_none_of(MsgType::kRoomEvent, Ms(50));
  c->leave("big");  // still 3 counting carl
  a->expect_none_of(MsgType::kRoomEvent, Ms(300));
  b->expect_none_of(MsgType::kRoomEvent, Ms(50));
  b->leave("big");  // 2 counting bob: events on again
  expect_room_event(*a, "big", RoomEventKind::kLeft, "bob");
}

CHATD_INSTANTIATE_THREADS(PresenceTest);

}  // namespace
}  // namespace chat::itest
