// MEMBERS, ROOM_LIST, HISTORY_PAGE (src/proto/list_messages.cc): entries cut
// by the entry caps and by max_frame, with `total` and `more` kept right.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "message_testing.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::proto {
namespace {

using test::bytes_of;

constexpr uint32_t kReq = 0xA1B2C3D4;
constexpr uint32_t kNoLimit = UINT32_MAX;

Payload payload_of(const std::string& wire) {
  FrameView f = decode_frame(bytes_of(wire), UINT32_MAX);
  EXPECT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.frame_bytes, wire.size());
  return f.payload;
}

// Names of assorted lengths, 1..64 bytes, all distinct.
std::vector<std::string> names(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string s = "n" + std::to_string(i);
    s.resize(std::max(s.size(), 1 + (i * 37) % 64), 'x');
    out.push_back(s);
  }
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// Fixed bytes of each frame: header and every field that is not an entry.
size_t members_fixed(std::string_view room) { return 8 + 4 + 1 + room.size() + 4 + 2; }
size_t room_list_fixed() { return 8 + 4 + 4 + 2; }
size_t page_fixed(std::string_view room) { return 8 + 4 + 1 + room.size() + 2 + 1; }

// ---- MEMBERS ----

TEST(Members, CappedAt1000WithTotalCountingAll) {
  std::vector<std::string> users = names(1500);
  std::string wire;
  EXPECT_EQ(encode(wire, Members{kReq, "lobby", 1500, views(users)}, kNoLimit), 1000u);
  Decoded<Members> d = decode_members(payload_of(wire));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.msg.req, kReq);
  EXPECT_EQ(d.msg.room, "lobby");
  EXPECT_EQ(d.msg.total, 1500u);
  ASSERT_EQ(d.msg.users.size(), 1000u);
  for (size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(d.msg.users[i], users[i]);
  }
}

TEST(Members, TotalIsNeverBelowTheEntriesGiven) {
  std::vector<std::string_view> users = {"a", "b", "c"};
  std::string wire;
  encode(wire, Members{kReq, "r", 0, users}, kNoLimit);
  EXPECT_EQ(decode_members(payload_of(wire)).msg.total, 3u);
  wire.clear();
  encode(wire, Members{kReq, "r", 50, users}, kNoLimit);
  EXPECT_EQ(decode_members(payload_of(wire)).msg.total, 50u);
}

TEST(Members, CutAtMaxFrameExactly) {
  const std::string room = "general";
  std::vector<std::string> users;
  users.reserve(20);
  for (int i = 0; i < 20; ++i) {
    users.push_back(std::string(63, 'u') + static_cast<char>('A' + i));  // 64 bytes, 65 on the wire
  }
  const size_t fixed = members_fixed(room);
  for (size_t n : {size_t{0}, size_t{1}, size_t{10}, size_t{20}}) {
    SCOPED_TRACE(n);
    const auto max_frame = static_cast<uint32_t>(fixed + 65 * n);
    std::string wire;
    EXPECT_EQ(encode(wire, Members{kReq, room, 20, views(users)}, max_frame), n);
    EXPECT_EQ(wire.size(), max_frame);  // filled to the byte
    if (n > 0) {
      wire.clear();
      EXPECT_EQ(encode(wire, Members{kReq, room, 20, views(users)}, max_frame - 1), n - 1);
      EXPECT_LE(wire.size(), max_frame - 1);
    }
  }
}

TEST(Members, FixedPartAloneOverMaxFrameStillWritesAnEmptyList) {
  std::string wire;
  EXPECT_EQ(encode(wire, Members{kReq, "general", 2, {"a", "b"}}, 10), 0u);
  Decoded<Members> d = decode_members(payload_of(wire));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d.msg.users.empty());
  EXPECT_EQ(d.msg.total, 2u);
}

// For every max_frame in a range: the frame fits, the entries are a prefix,
// and the next entry would not have fitted (greedy, no gaps).
TEST(Members, EveryMaxFrameGivesTheLongestPrefixThatFits) {
  std::vector<std::string> users = names(40);
  const size_t fixed = members_fixed("r");
  for (size_t max = fixed; max < fixed + 1500; ++max) {
    std::string wire;
    const size_t n = encode(wire, Members{kReq, "r", 40, views(users)}, static_cast<uint32_t>(max));
    ASSERT_LE(wire.size(), max);
    Decoded<Members> d = decode_members(payload_of(wire));
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d.msg.users.size(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(d.msg.users[i], users[i]);
    }
    if (n < users.size()) {
      ASSERT_GT(wire.size() + 1 + users[n].size(), max) << "entry " << n << " would have fit";
    }
  }
}

TEST(Members, DecoderTreatsCountAsAClaim) {
  std::string wire;
  encode(wire, Members{kReq, "r", 2, {"a", "b"}}, kNoLimit);
  std::string payload(wire.begin() + kHeaderBytes, wire.end());
  payload[4 + 2 + 4] = '\xFF';  // count: 0xFF02
  Decoded<Members> d = decode_members(bytes_of(payload));
  EXPECT_EQ(d.error.code, ErrorCode::kMalformed);
  EXPECT_EQ(d.error.req, kReq);
  EXPECT_LE(d.msg.users.capacity(), payload.size());
}

// ---- ROOM_LIST ----

TEST(RoomList, CappedAt1000WithTotalCountingAll) {
  std::vector<std::string> rooms = names(1001);
  RoomList m{kReq, 1001, {}};
  for (size_t i = 0; i < rooms.size(); ++i) {
    m.rooms.push_back({rooms[i], static_cast<uint32_t>(i)});
  }
  std::string wire;
  EXPECT_EQ(encode(wire, m, kNoLimit), 1000u);
  Decoded<RoomList> d = decode_room_list(payload_of(wire));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.msg.total, 1001u);
  ASSERT_EQ(d.msg.rooms.size(), 1000u);
  EXPECT_EQ(d.msg.rooms[999].room, rooms[999]);
  EXPECT_EQ(d.msg.rooms[999].members, 999u);
}

TEST(RoomList, CutAtMaxFrameExactly) {
  RoomList m{kReq, 0, {}};
  std::vector<std::string> rooms;
  rooms.reserve(10);
  for (int i = 0; i < 10; ++i) {
    rooms.push_back("room" + std::to_string(i));  // 5 bytes, 1 + 5 + 4 = 10 on the wire
  }
  for (const std::string& r : rooms) {
    m.rooms.push_back({r, 7});
  }
  const auto max_frame = static_cast<uint32_t>(room_list_fixed() + size_t{10} * 4);
  std::string wire;
  EXPECT_EQ(encode(wire, m, max_frame), 4u);
  EXPECT_EQ(wire.size(), max_frame);
  Decoded<RoomList> d = decode_room_list(payload_of(wire));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.msg.total, 10u);  // at least the entries given
  EXPECT_EQ(d.msg.rooms.size(), 4u);
  wire.clear();
  EXPECT_EQ(encode(wire, m, max_frame - 1), 3u);
}

TEST(RoomList, Empty) {
  std::string wire;
  EXPECT_EQ(encode(wire, RoomList{kReq, 0, {}}, kNoLimit), 0u);
  EXPECT_EQ(wire.size(), room_list_fixed());
  EXPECT_TRUE(decode_room_list(payload_of(wire)).ok());
}

// ---- HISTORY_PAGE ----

HistoryPage page_of(size_t n, std::string_view body, bool more = false) {
  HistoryPage m{kReq, "general", {}, more};
  for (size_t i = 0; i < n; ++i) {
    m.entries.push_back({i + 1, 1000 + i, "ana", body});
  }
  return m;
}

TEST(HistoryPage, CappedAt100WithMore) {
  std::string wire;
  EXPECT_EQ(encode(wire, page_of(150, "hi"), kNoLimit), 100u);
  Decoded<HistoryPage> d = decode_history_page(payload_of(wire));
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d.msg.entries.size(), 100u);
  EXPECT_EQ(d.msg.entries.front().seq, 1u);
  EXPECT_EQ(d.msg.entries.back().seq, 100u);
  EXPECT_TRUE(d.msg.more);
}

TEST(HistoryPage, AllFitKeepsTheCallersMore) {
  for (bool more : {false, true}) {
    std::string wire;
    EXPECT_EQ(encode(wire, page_of(100, "hi", more), kNoLimit), 100u);
    Decoded<HistoryPage> d = decode_history_page(payload_of(wire));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.msg.entries.size(), 100u);
    EXPECT_EQ(d.msg.more, more);
  }
  std::string wire;
  EXPECT_EQ(encode(wire, page_of(0, "", false), kNoLimit), 0u);
  EXPECT_EQ(wire.size(), page_fixed("general"));
  EXPECT_FALSE(decode_history_page(payload_of(wire)).msg.more);
}

TEST(HistoryPage, CutAtMaxFrameCountsTheMoreByte) {
  // Entry on the wire: seq 8 + time 8 + from (1 + 3) + body (2 + 100).
  const std::string body(100, 'b');
  const size_t entry = 8 + 8 + 4 + 2 + 100;
  const size_t fixed = page_fixed("general");
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}}) {
    SCOPED_TRACE(n);
    const auto max_frame = static_cast<uint32_t>(fixed + n * entry);
    std::string wire;
    EXPECT_EQ(encode(wire, page_of(10, body), max_frame), n);
    EXPECT_EQ(wire.size(), max_frame);
    Decoded<HistoryPage> d = decode_history_page(payload_of(wire));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.msg.entries.size(), n);
    EXPECT_TRUE(d.msg.more);
    if (n > 0) {
      wire.clear();
      EXPECT_EQ(encode(wire, page_of(10, body), max_frame - 1), n - 1);
    }
  }
  // The default limits: a page of the largest bodies stays under 64 KiB.
  std::string wire;
  const size_t n = encode(wire, page_of(100, std::string(4096, 'x')), 65536);
  EXPECT_EQ(n, 15u);  // 23 + 15 * 4118 <= 65536 < 23 + 16 * 4118
  EXPECT_LE(wire.size(), 65536u);
}

TEST(HistoryPage, DecoderChecksMoreAndCount) {
  std::string wire;
  encode(wire, page_of(1, "hi"), kNoLimit);
  std::string payload(wire.begin() + kHeaderBytes, wire.end());
  payload.back() = 2;
  Decoded<HistoryPage> d = decode_history_page(bytes_of(payload));
  EXPECT_EQ(d.error.code, ErrorCode::kMalformed);
  EXPECT_EQ(d.error.req, kReq);
  payload.back() = 1;
  EXPECT_TRUE(decode_history_page(bytes_of(payload)).ok());
  payload[4 + 8] = '\x7F';  // count: 0x7F01
  d = decode_history_page(bytes_of(payload));
  EXPECT_EQ(d.error.code, ErrorCode::kMalformed);
  EXPECT_LE(d.msg.entries.capacity(), payload.size() / 19 + 1);
}

}  // namespace
}  // namespace chat::proto
