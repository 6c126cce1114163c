// PROTOCOL.md §3 (JOIN, LEAVE, SAY, WHO, ROOMS, HISTORY), §4 (seq order)
// and the lobby (§2.5) against a real server.
#include <algorithm>
#include <map>
#include <set>
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

std::set<std::string> user_set(const Got<proto::Members>& m) {
  return {m->users.begin(), m->users.end()};
}

std::map<std::string, uint32_t> room_map(const Got<proto::RoomList>& l) {
  std::map<std::string, uint32_t> out;
  for (const auto& e : l->rooms) out[std::string(e.room)] = e.members;
  return out;
}

class RoomsTest : public ServerTest {};

TEST_P(RoomsTest, JoinAckIsLastSeq) {
  start_server();
  auto a = login("ana");
  auto b = login("bob");
  EXPECT_EQ(a->join("general"), 0u) << "a new room has last seq 0";
  EXPECT_EQ(a->say("general", "one"), 1u);
  EXPECT_EQ(a->say("general", "two"), 2u);
  EXPECT_EQ(a->say("general", "three"), 3u);
  EXPECT_EQ(b->join("general"), 3u);
  // Joining again is not an error and still reports the last seq.
  EXPECT_EQ(a->join("general"), 3u);
  EXPECT_EQ(b->join("general"), 3u);
  EXPECT_EQ(a->join("other"), 0u);
}

TEST_P(RoomsTest, LeaveOkOrNotInRoom) {
  start_server();
  auto a = login("ana");
  a->join("r");
  a->leave("r");
  uint32_t req = a->next_req();
  a->send(proto::Leave{req, "r"});
  a->expect_error(ErrorCode::kNotInRoom, req);
  req = a->next_req();
  a->send(proto::Leave{req, "never-existed"});
  a->expect_error(ErrorCode::kNotInRoom, req);
  req = a->next_req();
  a->send(proto::Leave{req, "bad name"});
  a->expect_error(ErrorCode::kInvalidName, req);
  a->expect_open();
}

TEST_P(RoomsTest, SayAcksGaplessSeqs) {
  start_server();
  auto a = login("ana");
  auto b = login("bob");
  a->join("seq");
  b->join("seq");
  for (uint64_t i = 1; i <= 6; ++i) {
    auto& sender = i % 2 ? a : b;
    EXPECT_EQ(sender->say("seq", "n" + std::to_string(i)), i);
  }
  // Rooms number independently.
  a->join("seq2");
  EXPECT_EQ(a->say("seq2", "first"), 1u);
}

TEST_P(RoomsTest, SayNotMemberIsNotInRoom) {
  start_server();
  auto a = login("ana");
  auto b = login("bob");
  b->join("theirs");
  for (const char* room : {"theirs", "nowhere"}) {
    uint32_t req = a->next_req();
    a->send(proto::Say{req, room, "hi"});
    a->expect_error(ErrorCode::kNotInRoom, req);
  }
  a->join("mine");
  a->leave("mine");
  uint32_t req = a->next_req();
  a->send(proto::Say{req, "mine", "after leave"});
  a->expect_error(ErrorCode::kNotInRoom, req);
  // The refused messages were not delivered and took no seq.
  b->expect_none_of(MsgType::kMessage, Ms(200));
  EXPECT_EQ(b->say("theirs", "first"), 1u);
}

TEST_P(RoomsTest, MessageFanout) {
  start_server();
  auto a1 = login("ana");
  auto a2 = login("ana");
  auto a3 = login("ana");  // ana's session outside the room
  auto b = login("bob");
  auto c = login("carl");  // not a member
  a1->join("fan");
  a2->join("fan");
  b->join("fan");
  std::vector<std::unique_ptr<TestClient>> more;
  for (int i = 0; i < 6; ++i) {
    more.push_back(login("m" + std::to_string(i)));
    more.back()->join("fan");
  }

  uint32_t req = a1->next_req();
  const std::string body = "fan out \xE2\x9C\x93";
  a1->send(proto::Say{req, "fan", body});
  auto ack = a1->expect<proto::Ack>(req);
  EXPECT_EQ(ack->id, 1u);

  std::vector<TestClient*> receivers = {a2.get(), b.get()};
  for (auto& m : more) receivers.push_back(m.get());
  for (TestClient* r : receivers) {
    SCOPED_TRACE(r->label());
    auto m = r->expect_event<proto::Message>();
    EXPECT_EQ(m->room, "fan");
    EXPECT_EQ(m->seq, 1u);
    EXPECT_EQ(m->from, "ana");
    EXPECT_EQ(m->body, body);
    EXPECT_GE(m->time + 60'000, unix_ms());
    r->expect_none_of(MsgType::kMessage, Ms(100));
  }
  // Not the sending session, not ana's session outside the room, not carl.
  a1->expect_none_of(MsgType::kMessage, Ms(200));
  a3->expect_none_of(MsgType::kMessage, Ms(50));
  c->expect_none_of(MsgType::kMessage, Ms(50));
}

TEST_P(RoomsTest, EveryMemberSeesSeqOrderFromManySenders) {
  start_server({{"rate", "10000"}, {"burst", "10000"}});
  constexpr int kUsers = 8;
  constexpr uint32_t kPerSender = 25;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kUsers; ++i) clients.push_back(login("u" + std::to_string(i)));
  // Two users with a second session too, so a user's sessions sit on different loops.
  clients.push_back(login("u0"));
  clients.push_back(login("u1"));
  for (auto& c : clients) c->join("order");

  // Everyone pipelines its SAYs at once.
  std::vector<std::vector<uint32_t>> reqs(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    std::string batch;
    for (uint32_t k = 0; k < kPerSender; ++k) {
      uint32_t req = clients[i]->next_req();
      reqs[i].push_back(req);
      batch += encoded(proto::Say{
          req, "order", clients[i]->label() + "#" + std::to_string(i) + "." + std::to_string(k)});
    }
    clients[i]->send_raw(batch);
  }
  const uint64_t total = clients.size() * kPerSender;

  std::map<uint64_t, std::string> body_of_seq;  // what every member must agree on
  std::set<uint64_t> acked;
  for (size_t i = 0; i < clients.size(); ++i) {
    SCOPED_TRACE("client " + std::to_string(i));
    auto& c = *clients[i];
    uint64_t last_ack = 0;
    for (size_t k = 0; k < reqs[i].size(); ++k) {
      auto ack = c.expect<proto::Ack>(reqs[i][k]);
      EXPECT_GT(ack->id, last_ack) << "one sender's messages are sequenced in its order";
      last_ack = ack->id;
      EXPECT_TRUE(acked.insert(ack->id).second) << "seq " << ack->id << " acked twice";
      std::string mine = c.label() + "#" + std::to_string(i) + "." + std::to_string(k);
      auto it = body_of_seq.emplace(ack->id, mine).first;
      EXPECT_EQ(it->second, mine) << "seq " << ack->id;
    }
    uint64_t last = 0;
    for (uint64_t n = 0; n < total - kPerSender; ++n) {
      auto m = c.expect_event<proto::Message>();
      ASSERT_GT(m->seq, last) << "MESSAGEs out of seq order";
      last = m->seq;
      auto it = body_of_seq.emplace(m->seq, std::string(m->body)).first;
      EXPECT_EQ(it->second, m->body) << "members disagree on seq " << m->seq;
    }
  }
  ASSERT_EQ(acked.size(), total);
  EXPECT_EQ(*acked.begin(), 1u);
  EXPECT_EQ(*acked.rbegin(), total) << "seqs have gaps";
  for (auto& c : clients) c->expect_none_of(MsgType::kMessage, Ms(100));
}

TEST_P(RoomsTest, WhoListsDistinctUsersWithoutMembership) {
  start_server();
  auto a1 = login("ana");
  auto a2 = login("ana");
  auto b = login("bob");
  auto c = login("carl");
  a1->join("w");
  a2->join("w");
  b->join("w");
  auto m = c->who("w");  // carl is not a member
  EXPECT_EQ(m->room, "w");
  EXPECT_EQ(m->total, 2u);
  EXPECT_EQ(m->users.size(), 2u) << "users are listed once each";
  EXPECT_EQ(user_set(m), (std::set<std::string>{"ana", "bob"}));

  b->leave("w");
  a1->leave("w");  // ana is still in through a2
  m = c->who("w");
  EXPECT_EQ(m->total, 1u);
  EXPECT_EQ(user_set(m), (std::set<std::string>{"ana"}));

  // A room nobody is in lists nobody (server's choice: not an error).
  m = c->who("empty-room");
  EXPECT_EQ(m->total, 0u);
  EXPECT_TRUE(m->users.empty());

  uint32_t req = c->next_req();
  c->send(proto::Who{req, "bad name"});
  c->expect_error(ErrorCode::kInvalidName, req);
}

TEST_P(RoomsTest, RoomsCountsDistinctUsersAndOmitsEmptyRooms) {
  start_server();
  auto a1 = login("ana");
  auto a2 = login("ana");
  auto b = login("bob");
  auto c = login("carl");
  auto d = login("dora");  // in no room
  a1->join("r1");
  a2->join("r1");
  b->join("r1");
  c->join("r2");
  b->join("r3");
  b->leave("r3");  // empty again
  auto l = d->rooms();
  EXPECT_EQ(l->total, 2u);
  EXPECT_EQ(room_map(l), (std::map<std::string, uint32_t>{{"r1", 2}, {"r2", 1}}));

  // A room with history but no members is not listed either.
  c->say("r2", "kept in history");
  c->leave("r2");
  l = d->rooms();
  EXPECT_EQ(l->total, 1u);
  EXPECT_EQ(room_map(l), (std::map<std::string, uint32_t>{{"r1", 2}}));
}

TEST_P(RoomsTest, HistoryPages) {
  start_server();
  auto a = login("ana");
  auto b = login("bob");
  a->join("h");
  for (int i = 1; i <= 5; ++i) a->say("h", "m" + std::to_string(i));

  auto p = a->history("h", 0, 10);
  EXPECT_EQ(p->room, "h");
  ASSERT_EQ(p->entries.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(p->entries[i].seq, i + 1);
    EXPECT_EQ(p->entries[i].from, "ana");
    EXPECT_EQ(p->entries[i].body, "m" + std::to_string(i + 1));
  }
  EXPECT_FALSE(p->more);

  p = a->history("h", 2, 2);
  ASSERT_EQ(p->entries.size(), 2u);
  EXPECT_EQ(p->entries[0].seq, 3u);
  EXPECT_EQ(p->entries[1].seq, 4u);
  EXPECT_TRUE(p->more);

  p = a->history("h", 4, 2);
  ASSERT_EQ(p->entries.size(), 1u);
  EXPECT_EQ(p->entries[0].seq, 5u);
  EXPECT_FALSE(p->more);

  p = a->history("h", 5, 10);
  EXPECT_TRUE(p->entries.empty());
  EXPECT_FALSE(p->more);

  // Membership is required; a new member can read what came before it.
  uint32_t req = b->next_req();
  b->send(proto::History{req, "h", 0, 10});
  b->expect_error(ErrorCode::kNotInRoom, req);
  EXPECT_EQ(b->join("h"), 5u);
  p = b->history("h", 3, 10);
  ASSERT_EQ(p->entries.size(), 2u);
  EXPECT_EQ(p->entries[0].body, "m4");
  EXPECT_EQ(p->entries[1].body, "m5");
}

TEST_P(RoomsTest, HistoryLimitCappedAt100) {
  start_server({{"history", "300"}, {"rate", "10000"}, {"burst", "10000"}});
  auto a = login("ana");
  a->join("long");
  std::string batch;
  std::vector<uint32_t> reqs;
  for (int i = 1; i <= 150; ++i) {
    reqs.push_back(a->next_req());
    batch += encoded(proto::Say{reqs.back(), "long", "b" + std::to_string(i)});
  }
  a->send_raw(batch);
  for (uint32_t req : reqs) a->expect<proto::Ack>(req);

  auto p = a->history("long", 0, 1000);
  ASSERT_EQ(p->entries.size(), 100u);
  EXPECT_EQ(p->entries.front().seq, 1u);
  EXPECT_EQ(p->entries.back().seq, 100u);
  EXPECT_TRUE(p->more);
  p = a->history("long", 100, 65535);
  ASSERT_EQ(p->entries.size(), 50u);
  EXPECT_EQ(p->entries.front().seq, 101u);
  EXPECT_EQ(p->entries.back().body, "b150");
  EXPECT_FALSE(p->more);
}

TEST_P(RoomsTest, HistoryKeepsTheLastNMessages) {
  start_server({{"history", "10"}, {"rate", "10000"}, {"burst", "10000"}});
  auto a = login("ana");
  a->join("short");
  for (int i = 1; i <= 25; ++i) a->say("short", "s" + std::to_string(i));
  auto p = a->history("short", 0, 100);
  ASSERT_EQ(p->entries.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(p->entries[i].seq, 16 + i);
  EXPECT_FALSE(p->more);
  p = a->history("short", 20, 100);
  ASSERT_EQ(p->entries.size(), 5u);
  EXPECT_EQ(p->entries.front().seq, 21u);
  EXPECT_EQ(a->join("short"), 25u);
}

TEST_P(RoomsTest, RoomWithHistoryOutlivesItsMembers) {
  start_server();
  auto a = login("ana");
  auto b = login("bob");
  a->join("kept");
  a->say("kept", "k1");
  a->say("kept", "k2");
  a->say("kept", "k3");
  a->leave("kept");
  // Not forgotten: it has history.
  EXPECT_EQ(b->join("kept"), 3u);
  auto p = b->history("kept", 0, 10);
  ASSERT_EQ(p->entries.size(), 3u);
  EXPECT_EQ(p->entries[2].body, "k3");
  EXPECT_EQ(b->say("kept", "k4"), 4u);
}

TEST_P(RoomsTest, TooManyRoomsCountsTheLobby) {
  start_server({{"max-rooms", "3"}, {"lobby", "lobby"}});
  auto a = login("ana");
  a->join("r1");
  a->join("r2");  // lobby + r1 + r2 = 3
  uint32_t req = a->next_req();
  a->send(proto::Join{req, "r3"});
  a->expect_error(ErrorCode::kTooManyRooms, req);
  // Joining a room already joined is no new room.
  EXPECT_EQ(a->join("r2"), 0u);
  a->leave("r1");
  EXPECT_EQ(a->join("r3"), 0u);
  req = a->next_req();
  a->send(proto::Join{req, "r4"});
  a->expect_error(ErrorCode::kTooManyRooms, req);
  a->leave("lobby");
  EXPECT_EQ(a->join("r4"), 0u);
  // The limit is per session: ana's second session has its own.
  auto a2 = login("ana");
  a2->join("r5");
  a2->join("r6");
  req = a2->next_req();
  a2->send(proto::Join{req, "r7"});
  a2->expect_error(ErrorCode::kTooManyRooms, req);
}

TEST_P(RoomsTest, LobbyReachesEveryOnlineUser) {
  start_server({{"lobby", "lobby"}});
  auto a = login("ana");
  auto b = login("bob");
  auto c = login("carl");
  auto who = a->who("lobby");
  EXPECT_EQ(who->total, 3u);
  EXPECT_EQ(user_set(who), (std::set<std::string>{"ana", "bob", "carl"}));

  EXPECT_EQ(a->say("lobby", "hello all"), 1u);
  for (TestClient* r : {b.get(), c.get()}) {
    auto m = r->expect_event<proto::Message>();
    EXPECT_EQ(m->room, "lobby");
    EXPECT_EQ(m->from, "ana");
    EXPECT_EQ(m->body, "hello all");
  }
  a->expect_none_of(MsgType::kMessage, Ms(200));

  // The lobby is an ordinary room: ana may leave it.
  a->leave("lobby");
  EXPECT_EQ(b->say("lobby", "without ana"), 2u);
  EXPECT_EQ(c->expect_event<proto::Message>()->body, "without ana");
  a->expect_none_of(MsgType::kMessage, Ms(300));
  EXPECT_EQ(user_set(c->who("lobby")), (std::set<std::string>{"bob", "carl"}));

  // A new session of ana is auto-joined again; the one that left stays out.
  auto a2 = login("ana");
  EXPECT_EQ(b->say("lobby", "ana is back"), 3u);
  EXPECT_EQ(a2->expect_event<proto::Message>()->body, "ana is back");
  a->expect_none_of(MsgType::kMessage, Ms(300));
}

TEST_P(RoomsTest, LobbyNameIsConfigurable) {
  start_server({{"lobby", "hall"}});
  auto a = login("ana");
  auto l = a->rooms();
  EXPECT_EQ(room_map(l), (std::map<std::string, uint32_t>{{"hall", 1}}));
  auto b = login("bob");
  EXPECT_EQ(b->say("hall", "hi"), 1u);
  EXPECT_EQ(a->expect_event<proto::Message>()->room, "hall");
}

TEST_P(RoomsTest, EmptyLobbySettingDisablesIt) {
  start_server({{"lobby", ""}});
  auto a = login("ana");
  auto b = login("bob");
  auto l = a->rooms();
  EXPECT_EQ(l->total, 0u);
  EXPECT_TRUE(l->rooms.empty());
  uint32_t req = a->next_req();
  a->send(proto::Say{req, "lobby", "anyone?"});
  a->expect_error(ErrorCode::kNotInRoom, req);
  EXPECT_EQ(b->who("lobby")->total, 0u);
  b->expect_none_of(MsgType::kMessage, Ms(200));
}

TEST_P(RoomsTest, NamesAreValidated) {
  start_server();
  auto a = login("ana");
  for (const std::string& room :
       {std::string(""), std::string("a b"), std::string(65, 'r'), std::string("x\x7f")}) {
    SCOPED_TRACE("room " + to_hex(room));
    uint32_t req = a->next_req();
    a->send(proto::Join{req, room});
    a->expect_error(ErrorCode::kInvalidName, req);
    req = a->next_req();
    a->send(proto::History{req, room, 0, 10});
    a->expect_error(ErrorCode::kInvalidName, req);
  }
  EXPECT_EQ(a->join(std::string(64, 'r')), 0u);
  EXPECT_EQ(a->join("caf\xC3\xA9"), 0u);
  EXPECT_EQ(a->say("caf\xC3\xA9", "ok"), 1u);
}

CHATD_INSTANTIATE_THREADS(RoomsTest);

}  // namespace
}  // namespace chat::itest
