#include "chat/room_directory.h"

#include <gtest/gtest.h>

#include <string>

namespace chat {
namespace {

net::FrameRef frame(std::string_view s) { return net::FrameRef::copy_of(s); }

TEST(HistoryRingTest, KeepsTheLastCapacityFramesOldestFirst) {
  HistoryRing ring(3);
  for (int i = 1; i <= 5; ++i) ring.push(frame(std::to_string(i)));
  ASSERT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.at(0).view(), "3");
  EXPECT_EQ(ring.at(1).view(), "4");
  EXPECT_EQ(ring.at(2).view(), "5");
}

TEST(HistoryRingTest, CapacityZeroKeepsNothing) {
  HistoryRing ring(0);
  ring.push(frame("x"));
  EXPECT_TRUE(ring.empty());
}

TEST(RoomTest, CountsSessionsPerUserAndPerLoop) {
  Room room("r", 2, 10);
  EXPECT_TRUE(room.add_session("ana", 0));   // ana's first
  EXPECT_FALSE(room.add_session("ana", 1));  // her second
  EXPECT_TRUE(room.add_session("bob", 1));
  EXPECT_EQ(room.distinct_users(), 2u);
  EXPECT_EQ(room.sessions(), 3u);
  EXPECT_EQ(room.sessions_on(0), 1u);
  EXPECT_EQ(room.sessions_on(1), 2u);

  EXPECT_FALSE(room.remove_session("ana", 0));  // ana still in through loop 1
  EXPECT_TRUE(room.remove_session("ana", 1));   // her last
  EXPECT_EQ(room.distinct_users(), 2u);         // still counted until forgotten
  room.forget_user("ana");
  EXPECT_EQ(room.distinct_users(), 1u);
  EXPECT_EQ(room.sessions(), 1u);
}

TEST(RoomTest, SequencesGaplessAndPagesHistory) {
  Room room("r", 1, 5);
  for (int i = 1; i <= 8; ++i)
    EXPECT_EQ(room.sequence(frame("m" + std::to_string(i))), uint64_t(i));
  EXPECT_EQ(room.last_seq(), 8u);
  bool more = false;
  // History holds seqs 4..8.
  auto all = room.history_after(0, 100, &more);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front()->view(), "m4");
  EXPECT_FALSE(more);

  auto page = room.history_after(4, 2, &more);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0]->view(), "m5");
  EXPECT_EQ(page[1]->view(), "m6");
  EXPECT_TRUE(more);

  EXPECT_TRUE(room.history_after(8, 10, &more).empty());
  EXPECT_FALSE(more);
  EXPECT_TRUE(room.history_after(100, 10, &more).empty());
  EXPECT_TRUE(room.history_after(0, 0, &more).empty());
  EXPECT_TRUE(more);  // limit 0: nothing returned, but there is more
}

TEST(RoomDirectoryTest, EmptyRoomWithoutHistoryIsForgotten) {
  RoomDirectory dir(1, 10, 100);
  Room& r = dir.open("quiet");
  r.add_session("ana", 0);
  r.remove_session("ana", 0);
  r.forget_user("ana");
  dir.release_if_empty(r);
  EXPECT_EQ(dir.find("quiet"), nullptr);
  EXPECT_EQ(dir.size(), 0u);
}

TEST(RoomDirectoryTest, EmptyRoomsWithHistoryAreRetainedUpToTheBound) {
  RoomDirectory dir(1, 10, 2);
  for (std::string name : {"a", "b", "c"}) {
    Room& r = dir.open(name);
    r.add_session("ana", 0);
    r.sequence(frame("hi"));
    r.remove_session("ana", 0);
    dir.release_if_empty(r);
  }
  // Three emptied in order a, b, c; only two are kept: a, the oldest, went.
  EXPECT_EQ(dir.find("a"), nullptr);
  ASSERT_NE(dir.find("b"), nullptr);
  ASSERT_NE(dir.find("c"), nullptr);
  EXPECT_EQ(dir.retained(), 2u);
  EXPECT_EQ(dir.find("b")->last_seq(), 1u);

  // Reopening a retained room takes it off the list, with its seq intact.
  Room& b = dir.open("b");
  EXPECT_EQ(dir.retained(), 1u);
  EXPECT_EQ(b.last_seq(), 1u);
  b.add_session("bob", 0);
  dir.release_if_empty(b);  // has a member: stays
  EXPECT_EQ(dir.retained(), 1u);
  EXPECT_NE(dir.find("b"), nullptr);
}

}  // namespace
}  // namespace chat
