#include "chat/room_traffic.h"

#include <gtest/gtest.h>

#include <string>

namespace chat {
namespace {

void messages(RoomTraffic& t, const std::string& room, int n) {
  for (int i = 0; i < n; ++i) t.count_message(t.touch(room));
}

TEST(RoomTrafficTest, CountsMessagesAndRatePerRoom) {
  RoomTraffic t;
  messages(t, "a", 30);
  messages(t, "b", 10);
  t.decay(2000);  // 2 s
  auto snap = t.snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].room, "a");
  EXPECT_EQ(snap[0].messages, 30u);
  EXPECT_DOUBLE_EQ(snap[0].messages_per_second, 15.0);
  EXPECT_EQ(snap[0].weight, 15u);  // halved
  EXPECT_EQ(snap[1].room, "b");
  EXPECT_DOUBLE_EQ(snap[1].messages_per_second, 5.0);

  // The next interval's rate counts only the new messages.
  messages(t, "b", 4);
  t.decay(1000);
  snap = t.snapshot();
  for (const auto& e : snap) {
    if (e.room == "a") {
      EXPECT_DOUBLE_EQ(e.messages_per_second, 0.0);
    }
    if (e.room == "b") {
      EXPECT_DOUBLE_EQ(e.messages_per_second, 4.0);
      EXPECT_EQ(e.messages, 14u);
    }
  }
}

TEST(RoomTrafficTest, TableStaysBoundedWithManyRooms) {
  RoomTraffic t;
  for (int i = 0; i < 10'000; ++i) messages(t, "room" + std::to_string(i), 1);
  EXPECT_EQ(t.size(), RoomTraffic::kSlots);
  EXPECT_EQ(t.snapshot().size(), RoomTraffic::kSlots);
}

TEST(RoomTrafficTest, BusyRoomKeepsItsSlotAgainstAStreamOfNewcomers) {
  RoomTraffic t;
  messages(t, "busy", 500);
  // A crowd of one-message rooms churns through the other slots.
  for (int i = 0; i < 5'000; ++i) messages(t, "quiet" + std::to_string(i), 1);
  auto snap = t.snapshot();
  ASSERT_FALSE(snap.empty());
  EXPECT_EQ(snap[0].room, "busy");
  EXPECT_EQ(snap[0].messages, 500u);
}

TEST(RoomTrafficTest, DecayLetsANewBusyRoomOvertakeAnOldOne) {
  RoomTraffic t;
  messages(t, "old", 1000);
  for (int s = 0; s < 12; ++s) {  // 12 quiet seconds: 1000 >> 12 == 0
    t.decay(1000);
  }
  for (uint32_t i = 0; i < RoomTraffic::kSlots; ++i) messages(t, "new" + std::to_string(i), 5);
  auto snap = t.snapshot();
  for (const auto& e : snap) EXPECT_NE(e.room, "old");
}

TEST(RoomTrafficTest, LatencyGoesToTheRoomThatHeldTheSlot) {
  RoomTraffic t;
  for (uint32_t i = 0; i < RoomTraffic::kSlots; ++i) messages(t, "r" + std::to_string(i), 2);
  RoomTraffic::Handle h = t.touch("r0");
  t.observe_latency(h, 300);
  auto snap = t.snapshot();
  for (const auto& e : snap) {
    EXPECT_EQ(e.latency.count(), e.room == "r0" ? 1u : 0u) << e.room;
  }

  // The slot changes hands before the latency arrives: it is dropped,
  // not charged to the newcomer.
  RoomTraffic u;
  RoomTraffic::Handle stale = u.touch("first");
  for (uint32_t i = 0; i < RoomTraffic::kSlots; ++i) messages(u, "other" + std::to_string(i), 3);
  u.observe_latency(stale, 100);
  for (const auto& e : u.snapshot()) EXPECT_EQ(e.latency.count(), 0u) << e.room;
}

TEST(RoomTrafficTest, MergeRanksByRateAndSumsLatencyOverLoops) {
  RoomTrafficEntry a{"a", 100, 50.0, {}, 10};
  RoomTrafficEntry b{"b", 900, 5.0, {}, 90};
  RoomTrafficEntry c{"c", 10, 80.0, {}, 5};
  RoomTrafficEntry touched_only{"d", 0, 0.0, {}, 1};
  std::vector<std::vector<RoomTrafficEntry>> owners = {{a, touched_only}, {b, c}};

  RoomTrafficEntry fa1{"a", 0, 0, {}, 1};
  fa1.latency.observe(100);
  RoomTrafficEntry fa2{"a", 0, 0, {}, 1};
  fa2.latency.observe(2000);
  fa2.latency.observe(3000);
  RoomTrafficEntry fz{"zzz", 0, 0, {}, 1};  // fanned out but not among the top
  fz.latency.observe(1);
  std::vector<std::vector<RoomTrafficEntry>> fanouts = {{fa1, fz}, {fa2}};

  auto top = merge_room_traffic(owners, fanouts, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].room, "c");
  EXPECT_EQ(top[1].room, "a");
  EXPECT_EQ(top[1].latency.count(), 3u);
  EXPECT_EQ(top[1].latency.sum_us, 5100u);
  EXPECT_EQ(top[0].latency.count(), 0u);

  auto all = merge_room_traffic(owners, fanouts, 20);
  EXPECT_EQ(all.size(), 3u);  // "d" never sequenced a message
}

}  // namespace
}  // namespace chat
