// The internal coding helpers (src/proto/coding.h): big-endian writers,
// the bounds-checked Reader, and what encoders do with strings that do not
// fit their field.

#include "proto/coding.h"

#include <gtest/gtest.h>

#include <string>

#include "message_testing.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::proto::coding {
namespace {

using test::bytes_of;
using test::to_hex;

constexpr uint32_t kReq = 0xA1B2C3D4;

[[maybe_unused]] Payload payload_of(const std::string& wire) {  // NDEBUG only
  FrameView f = decode_frame(bytes_of(wire), UINT32_MAX);
  EXPECT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.frame_bytes, wire.size());
  return f.payload;
}

TEST(Coding, WritersAreBigEndian) {
  std::string out;
  put_u8(out, 0x01);
  put_u16(out, 0x0203);
  put_u32(out, 0x04050607);
  put_u64(out, 0x08090A0B0C0D0E0F);
  EXPECT_EQ(to_hex(out),
            "01"
            "0203"
            "04050607"
            "08090a0b0c0d0e0f");
  patch_u16(out, 1, 0xAABB);
  patch_u32(out, 3, 0xCCDDEEFF);
  EXPECT_EQ(to_hex(out),
            "01"
            "aabb"
            "ccddeeff"
            "08090a0b0c0d0e0f");
}

TEST(Coding, StringFieldsCarryTheirLength) {
  std::string out;
  put_str8(out, "abc");
  put_str16(out, "de");
  put_str8(out, "");
  EXPECT_EQ(to_hex(out),
            "03616263"
            "00026465"
            "00");
  EXPECT_EQ(str8_bytes("abc"), 4u);
  EXPECT_EQ(str16_bytes("abc"), 5u);
}

TEST(Reader, ReadsWhatTheWritersWrote) {
  std::string in;
  put_u8(in, 0xFE);
  put_u16(in, 0xFDFC);
  put_u32(in, 0xFBFAF9F8);
  put_u64(in, 0xF7F6F5F4F3F2F1F0);
  put_str8(in, "name");
  put_str16(in, "body");
  Reader r(bytes_of(in));
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t c = 0;
  uint64_t d = 0;
  std::string_view e;
  std::string_view f;
  EXPECT_TRUE(r.u8(a) && r.u16(b) && r.u32(c) && r.u64(d) && r.str8(e) && r.str16(f));
  EXPECT_EQ(a, 0xFE);
  EXPECT_EQ(b, 0xFDFC);
  EXPECT_EQ(c, 0xFBFAF9F8u);
  EXPECT_EQ(d, 0xF7F6F5F4F3F2F1F0u);
  EXPECT_EQ(e, "name");
  EXPECT_EQ(f, "body");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.finish(7).code, ErrorCode::kNone);
}

TEST(Reader, AShortReadFailsForGood) {
  const std::string in("\x00\x01\x02", 3);
  Reader r(bytes_of(in));
  uint32_t v = 99;
  EXPECT_FALSE(r.u32(v));
  EXPECT_EQ(v, 99u);  // left alone
  uint8_t small = 0;
  EXPECT_FALSE(r.u8(small));  // a byte is there, but the reader has failed
  EXPECT_TRUE(r.failed());
  DecodeError e = r.finish(5);
  EXPECT_EQ(e.code, ErrorCode::kMalformed);
  EXPECT_EQ(e.req, 5u);
  EXPECT_EQ(e.reason, "truncated field");
}

TEST(Reader, StringLongerThanTheRest) {
  const std::string in(
      "\x05"
      "abcd",
      5);
  Reader r(bytes_of(in));
  std::string_view s = "untouched";
  EXPECT_FALSE(r.str8(s));
  EXPECT_EQ(s, "untouched");
}

TEST(Reader, LeftoverBytesAreTrailing) {
  const std::string in("\x01\x02", 2);
  Reader r(bytes_of(in));
  uint8_t v = 0;
  EXPECT_TRUE(r.u8(v));
  EXPECT_EQ(r.finish(3).reason, "trailing bytes");
  EXPECT_EQ(r.finish(3).req, 3u);
}

TEST(Reader, EmptyInput) {
  Reader r({});
  std::string_view s;
  EXPECT_EQ(r.finish(0).code, ErrorCode::kNone);
  EXPECT_FALSE(r.str8(s));
}

// ---- encoders given strings that do not fit ----

TEST(Coding, ClampUtf8CutsAtACodePointBoundary) {
  EXPECT_EQ(clamp_utf8("abc", 3), "abc");
  EXPECT_EQ(clamp_utf8("abcd", 3), "abc");
  EXPECT_EQ(clamp_utf8("", 0), "");
  EXPECT_EQ(clamp_utf8("a", 0), "");
  // "a" + é (2 bytes): a cut after 2 bytes would split é.
  EXPECT_EQ(clamp_utf8("a\xC3\xA9", 2), "a");
  EXPECT_EQ(clamp_utf8("a\xC3\xA9"
                       "b",
                       3),
            "a\xC3\xA9");
  // A 4-byte character cut anywhere inside is dropped whole.
  const std::string_view globe = "ab\xF0\x9F\x8C\x8D";
  for (size_t max = 2; max < 6; ++max) {
    EXPECT_EQ(clamp_utf8(globe, max), "ab") << max;
  }
  EXPECT_EQ(clamp_utf8(globe, 6), globe);
}

#ifdef NDEBUG
TEST(Encode, OverlongStringsAreCutNotCorrupted) {
  const std::string room(300, 'r');
  std::string globes;
  while (globes.size() < 70000) {
    globes += "\xF0\x9F\x8C\x8D";
  }
  std::string wire;
  encode(wire, Say{kReq, room, globes});
  Decoded<Say> d = decode_say(payload_of(wire), DecodeLimits{UINT32_MAX});
  EXPECT_EQ(d.error.code, ErrorCode::kInvalidName);  // 255 bytes: well formed, too long a name
  EXPECT_EQ(d.msg.room, room.substr(0, 255));
  EXPECT_EQ(d.msg.body.size(), 65532u);  // the last whole character under 65535
  EXPECT_TRUE(valid_utf8(d.msg.body));
}
#else
TEST(EncodeDeathTest, OverlongStringsAssertInDebug) {
  const std::string room(256, 'r');
  const std::string body(65536, 'b');
  std::string wire;
  EXPECT_DEATH(encode(wire, Join{kReq, room}), "");
  EXPECT_DEATH(encode(wire, Say{kReq, "r", body}), "");
}
#endif

}  // namespace
}  // namespace chat::proto::coding
