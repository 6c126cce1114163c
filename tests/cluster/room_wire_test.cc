// Key names, the SAY script's payloads and replies, and decoding what
// Redis sends back. Replies are built by hiredis' own RESP reader.
#include "cluster/room_wire.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cluster/redis_address.h"

namespace chat::cluster {
namespace {

// Parses one RESP reply with hiredis' reader.
struct Parsed {
  std::unique_ptr<redisReply, void (*)(void*)> reply{nullptr, freeReplyObject};
};
Parsed parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* out = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &out), REDIS_OK);
  redisReaderFree(reader);
  Parsed p;
  p.reply.reset(static_cast<redisReply*>(out));
  EXPECT_NE(p.reply, nullptr) << "incomplete RESP in the test";
  return p;
}

TEST(RoomWireTest, KeysShareTheRoomAsHashTag) {
  EXPECT_EQ(room_seq_key("general"), "chatd:{general}:seq");
  EXPECT_EQ(room_stream_key("general"), "chatd:{general}:stream");
  EXPECT_EQ(room_channel("general"), "chatd:{general}:msg");
  EXPECT_EQ(resend_key("general", "ana", 0xabcULL, 7), "chatd:{general}:resend:ana:abc:7");
  EXPECT_EQ(room_of_channel("chatd:{general}:msg"), std::optional<std::string_view>("general"));
  EXPECT_EQ(room_of_channel("chatd:{a:b}:msg"), std::optional<std::string_view>("a:b"));
  EXPECT_FALSE(room_of_channel("chatd:{general}:seq"));
  EXPECT_FALSE(room_of_channel("chatd:u:{ana}"));
  EXPECT_FALSE(room_of_channel("}:msg"));
}

TEST(RoomWireTest, UserChannels) {
  EXPECT_EQ(user_channel("ana"), "chatd:u:{ana}");
  EXPECT_EQ(user_of_channel("chatd:u:{ana}"), std::optional<std::string_view>("ana"));
  EXPECT_FALSE(user_of_channel("chatd:u:{}"));
  EXPECT_FALSE(user_of_channel("chatd:{ana}:msg"));
}

TEST(RoomWireTest, DecodesWhisperReply) {
  auto ok = parse("*2\r\n:42\r\n:2\r\n");
  auto r = decode_whisper_reply(*ok.reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 42u);
  EXPECT_EQ(r->receivers, 2u);
  EXPECT_FALSE(decode_whisper_reply(*parse("*2\r\n:0\r\n:2\r\n").reply));
  EXPECT_FALSE(decode_whisper_reply(*parse("*2\r\n$2\r\n42\r\n:2\r\n").reply));
  EXPECT_FALSE(decode_whisper_reply(*parse("-ERR x\r\n").reply));
  EXPECT_FALSE(r->duplicate);

  // A repeat: the first one's id and time, flagged.
  auto dup = decode_whisper_reply(*parse("*4\r\n:42\r\n:1\r\n:1764000000000\r\n:1\r\n").reply);
  ASSERT_TRUE(dup);
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->id, 42u);
  EXPECT_EQ(dup->time, 1764000000000u);
  EXPECT_FALSE(decode_whisper_reply(*parse("*4\r\n:42\r\n:1\r\n:5\r\n:2\r\n").reply));
  EXPECT_FALSE(decode_whisper_reply(*parse("*3\r\n:42\r\n:1\r\n:5\r\n").reply));
}

TEST(RoomWireTest, WhisperResendKeyNamesSenderClientAndRequest) {
  EXPECT_EQ(whisper_resend_key("ana", 0xfa11, 7), "chatd:u:{ana}:resend:fa11:7");
  EXPECT_NE(whisper_resend_key("ana", 1, 7), whisper_resend_key("bob", 1, 7));
}

TEST(RoomWireTest, ScriptShaIsSha1HexOfTheScript) {
  // SHA1("abc"), the FIPS 180 test vector.
  EXPECT_EQ(script_sha("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  const std::string& sha = say_script_sha();
  EXPECT_EQ(sha.size(), 40u);
  EXPECT_EQ(sha.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(&sha, &say_script_sha());
}

TEST(RoomWireTest, DecodesRoomPushWithBinaryFrame) {
  std::string frame("\xCA\x00 x y\n", 7);
  const std::string payload = "12 1700000000123 node-a 72057594037927937 99 " + frame;
  auto p = decode_room_push(payload);  // views into payload
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 12u);
  EXPECT_EQ(p->time, 1700000000123u);
  EXPECT_EQ(p->node, "node-a");
  EXPECT_EQ(p->addr, 72057594037927937u);
  EXPECT_EQ(p->arrival_us, 99u);
  EXPECT_EQ(p->frame, frame);
}

TEST(RoomWireTest, RejectsMalformedRoomPush) {
  EXPECT_FALSE(decode_room_push(""));
  EXPECT_FALSE(decode_room_push("12 13 node 5"));         // fields missing
  EXPECT_FALSE(decode_room_push("0 13 node 5 6 FRAME"));  // seq 0
  EXPECT_FALSE(decode_room_push("x 13 node 5 6 FRAME"));
  EXPECT_FALSE(decode_room_push("-1 13 node 5 6 FRAME"));
  EXPECT_FALSE(decode_room_push("1 13  5 6 FRAME"));  // empty node
  EXPECT_FALSE(decode_room_push("99999999999999999999 1 n 5 6 F"));
}

TEST(RoomWireTest, DecodesSayReply) {
  auto fresh = parse("*2\r\n$14\r\n17 17000000001\r\n:0\r\n");
  auto r = decode_say_reply(*fresh.reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq, 17u);
  EXPECT_EQ(r->time, 17000000001u);
  EXPECT_FALSE(r->duplicate);
  auto dup = parse("*2\r\n$4\r\n3 44\r\n:1\r\n");
  r = decode_say_reply(*dup.reply);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->duplicate);
  EXPECT_FALSE(decode_say_reply(*parse("-NOSCRIPT No matching script\r\n").reply));
  EXPECT_FALSE(decode_say_reply(*parse("*2\r\n$2\r\n17\r\n:0\r\n").reply));
  EXPECT_FALSE(decode_say_reply(*parse("*2\r\n:17\r\n:0\r\n").reply));
  EXPECT_FALSE(decode_say_reply(*parse("*1\r\n$4\r\n3 44\r\n").reply));
}

TEST(RoomWireTest, DecodesPubSubPushes) {
  auto msg = parse("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\na b\r\n");
  auto p = decode_pubsub_push(*msg.reply);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, PubSubPush::Kind::kMessage);
  EXPECT_EQ(p->channel, "ch");
  EXPECT_EQ(p->payload, "a b");
  auto sub = parse("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  p = decode_pubsub_push(*sub.reply);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, PubSubPush::Kind::kSubscribe);
  auto unsub = parse("*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n");
  p = decode_pubsub_push(*unsub.reply);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, PubSubPush::Kind::kUnsubscribe);
  EXPECT_FALSE(decode_pubsub_push(*parse("*3\r\n$8\r\npmessage\r\n$2\r\nch\r\n:0\r\n").reply));
  EXPECT_FALSE(decode_pubsub_push(*parse("+OK\r\n").reply));
}

TEST(RoomWireTest, DecodesStreamRange) {
  auto range = parse(
      "*2\r\n"
      "*2\r\n$4\r\n41-0\r\n*6\r\n$4\r\ntime\r\n$3\r\n100\r\n$4\r\nfrom\r\n$3\r\nana\r\n"
      "$4\r\nbody\r\n$2\r\nhi\r\n"
      "*2\r\n$4\r\n42-0\r\n*6\r\n$4\r\ntime\r\n$3\r\n101\r\n$4\r\nfrom\r\n$3\r\nbob\r\n"
      "$4\r\nbody\r\n$0\r\n\r\n");
  std::vector<StreamEntry> entries;
  ASSERT_TRUE(decode_stream_range(*range.reply, &entries));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].seq, 41u);
  EXPECT_EQ(entries[0].time, 100u);
  EXPECT_EQ(entries[0].from, "ana");
  EXPECT_EQ(entries[0].body, "hi");
  EXPECT_EQ(entries[1].seq, 42u);
  EXPECT_EQ(entries[1].body, "");
  entries.clear();
  EXPECT_TRUE(decode_stream_range(*parse("*0\r\n").reply, &entries));
  EXPECT_TRUE(entries.empty());
  auto no_time = parse("*1\r\n*2\r\n$4\r\n41-0\r\n*2\r\n$4\r\nfrom\r\n$3\r\nana\r\n");
  EXPECT_FALSE(decode_stream_range(*no_time.reply, &entries));
  EXPECT_FALSE(decode_stream_range(*parse("$3\r\nabc\r\n").reply, &entries));
}

TEST(RedisAddressTest, ParsesRedisUrls) {
  auto a = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  a = parse_redis_url("redis://localhost/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  EXPECT_FALSE(parse_redis_url("http://127.0.0.1:6379"));
  EXPECT_FALSE(parse_redis_url("redis://:6379"));
  EXPECT_FALSE(parse_redis_url("redis://h:0"));
  EXPECT_FALSE(parse_redis_url("redis://h:70000"));
  EXPECT_FALSE(parse_redis_url("redis://h:12x"));
  EXPECT_FALSE(parse_redis_url("redis://user@h:1"));
}

TEST(RedisAddressTest, NodeIds) {
  EXPECT_TRUE(valid_node_id("node-a.1_x"));
  EXPECT_FALSE(valid_node_id(""));
  EXPECT_FALSE(valid_node_id("a b"));
  EXPECT_FALSE(valid_node_id(std::string(65, 'a')));
  std::string id = default_node_id();
  EXPECT_TRUE(valid_node_id(id)) << id;
  EXPECT_NE(id.find('-'), std::string::npos);
}

}  // namespace
}  // namespace chat::cluster
