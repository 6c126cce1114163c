#include "proto/frame.h"

#include <gtest/gtest.h>

#include <string>

#include "message_testing.h"
#include "proto/messages.h"

namespace chat::proto {
namespace {

using test::bytes_of;
using test::to_hex;

constexpr uint32_t kMaxFrame = 65536;

std::string frame_of(MsgType type, std::string_view payload) {
  std::string out;
  append_header(out, type, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

TEST(AppendHeader, WritesMagicVersionTypeAndBigEndianLength) {
  std::string out = "x";  // appends, keeping what is there
  append_header(out, MsgType::kSay, 0x01020304);
  EXPECT_EQ(to_hex(out),
            "78"
            "caf0"
            "01"
            "06"
            "01020304");
}

TEST(DecodeFrame, EmptyInputNeedsMore) {
  FrameView f = decode_frame({}, kMaxFrame);
  EXPECT_EQ(f.status, FrameStatus::kNeedMore);
  EXPECT_EQ(f.length, 0u);
  EXPECT_EQ(f.frame_bytes, 0u);
}

TEST(DecodeFrame, WholeFrame) {
  std::string wire = frame_of(MsgType::kBye, std::string("\0\0\0\x0b", 4));
  wire += "extra";  // the start of a next frame is not this frame's business
  FrameView f = decode_frame(bytes_of(wire), kMaxFrame);
  ASSERT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.type, static_cast<uint8_t>(MsgType::kBye));
  EXPECT_EQ(f.length, 4u);
  EXPECT_EQ(f.frame_bytes, 12u);
  // The payload is a view into the input, not a copy.
  EXPECT_EQ(static_cast<const void*>(f.payload.data()), wire.data() + kHeaderBytes);
  EXPECT_EQ(f.payload.size(), 4u);
}

TEST(DecodeFrame, EmptyPayload) {
  std::string wire = frame_of(MsgType::kOk, "");
  FrameView f = decode_frame(bytes_of(wire), kMaxFrame);
  ASSERT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.length, 0u);
  EXPECT_EQ(f.frame_bytes, kHeaderBytes);
  EXPECT_TRUE(f.payload.empty());
}

TEST(DecodeFrame, EveryPrefixNeedsMoreUntilTheLastByte) {
  std::string wire;
  encode(wire, Say{.req = 9, .room = "general", .body = "hello there"});
  for (size_t n = 0; n < wire.size(); ++n) {
    SCOPED_TRACE(n);
    FrameView f = decode_frame(bytes_of(wire).first(n), kMaxFrame);
    ASSERT_EQ(f.status, FrameStatus::kNeedMore);
    if (n >= kHeaderBytes) {
      // Type and length are known as soon as the header is.
      EXPECT_EQ(f.type, static_cast<uint8_t>(MsgType::kSay));
      EXPECT_EQ(f.length, wire.size() - kHeaderBytes);
    } else {
      EXPECT_EQ(f.length, 0u);
    }
  }
  FrameView f = decode_frame(bytes_of(wire), kMaxFrame);
  ASSERT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.frame_bytes, wire.size());
}

TEST(DecodeFrame, SeveralFramesInOneBuffer) {
  std::string wire;
  encode(wire, Ping{.nonce = 1});
  encode(wire, Join{.req = 2, .room = "a"});
  encode(wire, Rooms{.req = 3});
  encode(wire, Bye{.req = 4});
  const MsgType expected[] = {MsgType::kPing, MsgType::kJoin, MsgType::kRooms, MsgType::kBye};

  std::span<const uint8_t> rest = bytes_of(wire);
  for (MsgType type : expected) {
    FrameView f = decode_frame(rest, kMaxFrame);
    ASSERT_EQ(f.status, FrameStatus::kFrame);
    EXPECT_EQ(f.type, static_cast<uint8_t>(type));
    rest = rest.subspan(f.frame_bytes);
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(decode_frame(rest, kMaxFrame).status, FrameStatus::kNeedMore);
}

TEST(DecodeFrame, OversizedLengthRefusedOnTheHeaderAlone) {
  std::string header;
  append_header(header, MsgType::kSay, kMaxFrame + 1);
  ASSERT_EQ(header.size(), kHeaderBytes);
  // Seven bytes cannot be judged yet.
  EXPECT_EQ(decode_frame(bytes_of(header).first(7), kMaxFrame).status, FrameStatus::kNeedMore);
  // The eighth decides, with no payload byte present.
  FrameView f = decode_frame(bytes_of(header), kMaxFrame);
  EXPECT_EQ(f.status, FrameStatus::kTooLarge);
  EXPECT_EQ(f.length, kMaxFrame + 1);
  EXPECT_EQ(f.type, static_cast<uint8_t>(MsgType::kSay));
}

TEST(DecodeFrame, LengthExactlyMaxFrameIsAccepted) {
  std::string wire = frame_of(MsgType::kSay, std::string(100, 'x'));
  EXPECT_EQ(decode_frame(bytes_of(wire), 100).status, FrameStatus::kFrame);
  EXPECT_EQ(decode_frame(bytes_of(wire), 99).status, FrameStatus::kTooLarge);
  // Waiting for the payload of an acceptable frame is kNeedMore, not kTooLarge.
  EXPECT_EQ(decode_frame(bytes_of(wire).first(50), 100).status, FrameStatus::kNeedMore);
}

TEST(DecodeFrame, MaxFrameZeroAllowsOnlyEmptyPayloads) {
  std::string empty = frame_of(MsgType::kOk, "");
  std::string one = frame_of(MsgType::kOk, "x");
  EXPECT_EQ(decode_frame(bytes_of(empty), 0).status, FrameStatus::kFrame);
  EXPECT_EQ(decode_frame(bytes_of(one), 0).status, FrameStatus::kTooLarge);
}

TEST(DecodeFrame, HugeLengthDoesNotWrap) {
  std::string header;
  append_header(header, MsgType::kSay, UINT32_MAX);
  FrameView f = decode_frame(bytes_of(header), UINT32_MAX);
  EXPECT_EQ(f.status, FrameStatus::kNeedMore);
  EXPECT_EQ(f.length, UINT32_MAX);
}

TEST(DecodeFrame, BadMagic) {
  std::string wire = frame_of(MsgType::kBye, std::string(4, '\0'));
  for (size_t byte : {size_t{0}, size_t{1}}) {
    std::string bad = wire;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x01);
    EXPECT_EQ(decode_frame(bytes_of(bad), kMaxFrame).status, FrameStatus::kBadFrame);
    // Judged on the header alone, payload or not.
    EXPECT_EQ(decode_frame(bytes_of(bad).first(kHeaderBytes), kMaxFrame).status,
              FrameStatus::kBadFrame);
  }
}

TEST(DecodeFrame, BadVersion) {
  for (int version : {0, 2, 0xFF}) {
    std::string wire = frame_of(MsgType::kBye, std::string(4, '\0'));
    wire[2] = static_cast<char>(version);
    EXPECT_EQ(decode_frame(bytes_of(wire), kMaxFrame).status, FrameStatus::kBadFrame);
  }
}

TEST(DecodeFrame, BadMagicWinsOverOversizedLength) {
  std::string header;
  append_header(header, MsgType::kSay, UINT32_MAX);
  header[0] = 0;
  EXPECT_EQ(decode_frame(bytes_of(header), kMaxFrame).status, FrameStatus::kBadFrame);
}

TEST(DecodeFrame, UnknownTypeIsStillAFrame) {
  // The frame layer delimits; the type is judged by the caller (UNKNOWN_TYPE
  // keeps the connection).
  std::string wire = frame_of(static_cast<MsgType>(0x30), std::string_view("\x00\x01", 2));
  FrameView f = decode_frame(bytes_of(wire), kMaxFrame);
  ASSERT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.type, 0x30);
  EXPECT_FALSE(is_client_type(f.type));
}

TEST(DecodeFrame, StreamFedOneByteAtATimeYieldsEveryFrame) {
  std::string stream;
  for (uint32_t i = 0; i < 20; ++i) {
    encode(stream,
           Say{.req = i, .room = "r", .body = std::string_view("abcdefghijklmnopqrst", i + 1)});
  }
  std::string buffer;
  uint32_t frames = 0;
  for (char c : stream) {
    buffer.push_back(c);
    FrameView f = decode_frame(bytes_of(buffer), kMaxFrame);
    if (f.status == FrameStatus::kNeedMore) {
      continue;
    }
    ASSERT_EQ(f.status, FrameStatus::kFrame);
    Decoded<Say> say = decode_say(f.payload, {});
    ASSERT_TRUE(say.ok());
    EXPECT_EQ(say.msg.req, frames);
    EXPECT_EQ(say.msg.body.size(), frames + 1);
    buffer.erase(0, f.frame_bytes);
    ++frames;
  }
  EXPECT_EQ(frames, 20u);
  EXPECT_TRUE(buffer.empty());
}

}  // namespace
}  // namespace chat::proto
