// Encoders and decoders of the fixed-shape messages, both directions
// (client_messages.cc, server_messages.cc). Lists: list_messages_test.cc.
// Byte-exact vectors: vectors_test.cc.

#include "proto/messages.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "message_testing.h"
#include "proto/frame.h"

namespace chat::proto {
namespace {

using test::bytes_of;
using test::decode_client_error;
using test::decode_server_error;
using test::same;

constexpr uint32_t kReq = 0xA1B2C3D4;  // every byte distinct, so a misread shows

// The payload of the single frame in `wire`.
Payload payload_of(const std::string& wire) {
  FrameView f = decode_frame(bytes_of(wire), UINT32_MAX);
  EXPECT_EQ(f.status, FrameStatus::kFrame);
  EXPECT_EQ(f.frame_bytes, wire.size());
  return f.payload;
}

uint8_t type_of(const std::string& wire) { return static_cast<uint8_t>(wire[3]); }

template <class T, class EncodeFn, class DecodeFn>
void expect_round_trip(const T& m, MsgType type, EncodeFn encode_fn, DecodeFn decode_fn) {
  std::string wire;
  encode_fn(wire, m);
  ASSERT_EQ(type_of(wire), static_cast<uint8_t>(type));
  auto d = decode_fn(payload_of(wire));
  ASSERT_TRUE(d.ok()) << error_name(d.error.code) << ": " << d.error.reason;
  EXPECT_TRUE(same(d.msg, m));
}

template <class T, class DecodeFn>
void expect_round_trip(const T& m, MsgType type, DecodeFn decode_fn) {
  expect_round_trip(
      m, type, [](std::string& out, const T& x) { encode(out, x); }, decode_fn);
}

Decoded<Say> say(Payload p) { return decode_say(p, DecodeLimits{}); }
Decoded<Whisper> whisper(Payload p) { return decode_whisper(p, DecodeLimits{}); }

// ---- round trips ----

TEST(ClientMessages, RoundTrip) {
  expect_round_trip(Hello{kReq, UINT64_MAX, "ana", "a.jwt.token"}, MsgType::kHello, decode_hello);
  expect_round_trip(Hello{0, 0, std::string(64, 'u'), ""}, MsgType::kHello, decode_hello);
  expect_round_trip(Ping{0x0102030405060708}, MsgType::kPing, decode_ping);
  expect_round_trip(Pong{UINT64_MAX}, MsgType::kPong, decode_pong);
  expect_round_trip(Join{kReq, "general"}, MsgType::kJoin, decode_join);
  expect_round_trip(Leave{kReq, "general"}, MsgType::kLeave, decode_leave);
  expect_round_trip(Say{kReq, "r", std::string(4096, 'b')}, MsgType::kSay, say);
  expect_round_trip(Whisper{kReq, "bob", "h\xC3\xA9"}, MsgType::kWhisper, whisper);
  expect_round_trip(Who{kReq, "lobby"}, MsgType::kWho, decode_who);
  expect_round_trip(Rooms{kReq}, MsgType::kRooms, decode_rooms);
  expect_round_trip(UserList{kReq, {"a", "b", "c"}}, MsgType::kWatch, encode_watch,
                    decode_user_list);
  expect_round_trip(UserList{kReq, {}}, MsgType::kUnwatch, encode_unwatch, decode_user_list);
  expect_round_trip(History{kReq, "general", UINT64_MAX, 0xFFFF}, MsgType::kHistory,
                    decode_history);
  expect_round_trip(Bye{kReq}, MsgType::kBye, decode_bye);
}

TEST(ServerMessages, RoundTrip) {
  expect_round_trip(Welcome{kReq, 1, 2, 30, 60, 65536, "ana", UINT64_MAX}, MsgType::kWelcome,
                    decode_welcome);
  expect_round_trip(Ok{kReq}, MsgType::kOk, decode_ok);
  expect_round_trip(ErrorMsg{kReq, ErrorCode::kUnavailable, "try later"}, MsgType::kError,
                    decode_error);
  expect_round_trip(ErrorMsg{0, ErrorCode::kBadFrame, ""}, MsgType::kError, decode_error);
  expect_round_trip(Ack{kReq, 17, 1764000000123}, MsgType::kAck, decode_ack);
  expect_round_trip(Message{"general", 1, 2, "ana", std::string(65535, 'm')}, MsgType::kMessage,
                    decode_message);
  expect_round_trip(Private{3, 4, "ana", "bob", "psst"}, MsgType::kPrivate, decode_private);
  expect_round_trip(RoomEvent{"general", RoomEventKind::kLeft, "bob", 5}, MsgType::kRoomEvent,
                    decode_room_event);
  expect_round_trip(RoomEvent{"general", RoomEventKind::kJoined, "bob", 5}, MsgType::kRoomEvent,
                    decode_room_event);
  expect_round_trip(Presence{"bob", false, 6}, MsgType::kPresence, decode_presence);
  expect_round_trip(Presence{"bob", true, 6}, MsgType::kPresence, decode_presence);
}

TEST(Encode, AppendsToWhatIsThere) {
  std::string out;
  encode(out, Ping{1});
  encode(out, Bye{2});
  ASSERT_EQ(out.size(), 16u + 12u);
  FrameView second = decode_frame(bytes_of(out).subspan(16), UINT32_MAX);
  ASSERT_EQ(second.status, FrameStatus::kFrame);
  EXPECT_EQ(decode_bye(second.payload).msg.req, 2u);
}

// ---- structure: every truncation and trailing bytes ----

struct Sample {
  std::string wire;
  bool has_req;  // the payload starts with req u32
};

std::vector<Sample> client_samples() {
  std::vector<Sample> s(14);
  encode(s[0].wire, Hello{kReq, 9, "ana", "tok"});
  encode(s[1].wire, Ping{7});
  encode(s[2].wire, Pong{7});
  encode(s[3].wire, Join{kReq, "room"});
  encode(s[4].wire, Leave{kReq, "room"});
  encode(s[5].wire, Say{kReq, "room", "body"});
  encode(s[6].wire, Whisper{kReq, "bob", "body"});
  encode(s[7].wire, Who{kReq, "room"});
  encode(s[8].wire, Rooms{kReq});
  encode_watch(s[9].wire, UserList{kReq, {"bob", "carl"}});
  encode_unwatch(s[10].wire, UserList{kReq, {"bob"}});
  encode(s[11].wire, History{kReq, "room", 5, 10});
  encode(s[12].wire, Bye{kReq});
  encode_watch(s[13].wire, UserList{kReq, {}});
  for (Sample& x : s) {
    const auto t = static_cast<MsgType>(type_of(x.wire));
    x.has_req = t != MsgType::kPing && t != MsgType::kPong;
  }
  return s;
}

std::vector<Sample> server_samples() {
  std::vector<Sample> s(13);
  encode(s[0].wire, Welcome{kReq, 1, 2, 30, 60, 65536, "ana", 3});
  encode(s[1].wire, Ok{kReq});
  encode(s[2].wire, ErrorMsg{kReq, ErrorCode::kLimit, "no"});
  encode(s[3].wire, Ack{kReq, 1, 2});
  encode(s[4].wire, Message{"room", 1, 2, "ana", "hi"});
  encode(s[5].wire, Private{1, 2, "ana", "bob", "hi"});
  encode(s[6].wire, RoomEvent{"room", RoomEventKind::kJoined, "bob", 1});
  encode(s[7].wire, Presence{"bob", true, 1});
  encode(s[8].wire, Members{kReq, "room", 2, {"ana", "bob"}}, UINT32_MAX);
  encode(s[9].wire, RoomList{kReq, 2, {{"a", 1}, {"b", 2}}}, UINT32_MAX);
  encode(s[10].wire, HistoryPage{kReq, "room", {{1, 2, "ana", "hi"}}, true}, UINT32_MAX);
  encode(s[11].wire, Ping{7});
  encode(s[12].wire, Pong{7});
  for (Sample& x : s) {
    const auto t = static_cast<MsgType>(type_of(x.wire));
    x.has_req = t == MsgType::kWelcome || t == MsgType::kOk || t == MsgType::kError ||
                t == MsgType::kAck || t == MsgType::kMembers || t == MsgType::kRoomList ||
                t == MsgType::kHistoryPage;
  }
  return s;
}

template <class DecodeFn>
void expect_truncations_and_trailing_malformed(const std::vector<Sample>& samples,
                                               DecodeFn decode_error_of) {
  for (const Sample& s : samples) {
    const uint8_t type = type_of(s.wire);
    SCOPED_TRACE(type_name(type));
    Payload whole = payload_of(s.wire);
    ASSERT_EQ(decode_error_of(type, whole).code, ErrorCode::kNone);
    for (size_t n = 0; n < whole.size(); ++n) {
      SCOPED_TRACE(n);
      DecodeError e = decode_error_of(type, whole.first(n));
      EXPECT_EQ(e.code, ErrorCode::kMalformed);
      EXPECT_EQ(e.reason, "truncated field");
      // req is reported once it was read.
      EXPECT_EQ(e.req, s.has_req && n >= 4 ? kReq : 0u);
    }
    std::string longer(s.wire.begin() + kHeaderBytes, s.wire.end());
    longer.push_back('\0');
    DecodeError e = decode_error_of(type, bytes_of(longer));
    EXPECT_EQ(e.code, ErrorCode::kMalformed);
    EXPECT_EQ(e.reason, "trailing bytes");
    EXPECT_EQ(e.req, s.has_req ? kReq : 0u);
  }
}

TEST(ClientMessages, EveryTruncationAndTrailingByteIsMalformed) {
  expect_truncations_and_trailing_malformed(
      client_samples(), [](uint8_t t, Payload p) { return decode_client_error(t, p); });
}

TEST(ServerMessages, EveryTruncationAndTrailingByteIsMalformed) {
  expect_truncations_and_trailing_malformed(server_samples(), decode_server_error);
}

TEST(ClientMessages, StructureIsJudgedBeforeValidation) {
  // A bad room name and a trailing byte: MALFORMED, not INVALID_NAME.
  std::string wire;
  encode(wire, Join{kReq, "a b"});
  std::string payload(wire.begin() + kHeaderBytes, wire.end());
  EXPECT_EQ(decode_join(bytes_of(payload)).error.code, ErrorCode::kInvalidName);
  payload.push_back('x');
  EXPECT_EQ(decode_join(bytes_of(payload)).error.code, ErrorCode::kMalformed);

  // A bad room name and a truncated body: MALFORMED.
  wire.clear();
  encode(wire, Say{kReq, "a b", "hello"});
  Payload p = payload_of(wire);
  EXPECT_EQ(say(p).error.code, ErrorCode::kInvalidName);
  EXPECT_EQ(say(p.first(p.size() - 1)).error.code, ErrorCode::kMalformed);
}

// ---- validation ----

TEST(ClientMessages, HelloValidatesUserAndToken) {
  auto hello = [](std::string_view user, std::string_view token) {
    std::string wire;
    encode(wire, Hello{kReq, 0, user, token});
    return decode_hello(payload_of(wire)).error;
  };
  EXPECT_EQ(hello("ana", "").code, ErrorCode::kNone);
  EXPECT_EQ(hello("ana", "h\xC3\xA9").code, ErrorCode::kNone);
  DecodeError e = hello("", "");
  EXPECT_EQ(e.code, ErrorCode::kInvalidName);
  EXPECT_EQ(e.req, kReq);
  EXPECT_EQ(hello("a b", "").code, ErrorCode::kInvalidName);
  EXPECT_EQ(hello(std::string(65, 'a'), "").code, ErrorCode::kInvalidName);
  // Invalid UTF-8 outside a name or body is MALFORMED.
  e = hello("ana", "\xC3");
  EXPECT_EQ(e.code, ErrorCode::kMalformed);
  EXPECT_EQ(e.req, kReq);
  // Fields are validated in wire order: the user is reported first.
  EXPECT_EQ(hello("a b", "\xC3").code, ErrorCode::kInvalidName);
}

TEST(ClientMessages, RoomRequestsValidateTheRoom) {
  for (std::string_view room : {std::string_view(""), std::string_view("a\tb"),
                                std::string_view("\x7F"), std::string_view("\xC3\x28")}) {
    std::string wire;
    encode(wire, Join{kReq, room});
    encode(wire, Leave{kReq, room});
    encode(wire, Who{kReq, room});
    encode(wire, History{kReq, room, 0, 1});
    std::span<const uint8_t> rest = bytes_of(wire);
    while (!rest.empty()) {
      FrameView f = decode_frame(rest, UINT32_MAX);
      ASSERT_EQ(f.status, FrameStatus::kFrame);
      DecodeError e = decode_client_error(f.type, f.payload);
      EXPECT_EQ(e.code, ErrorCode::kInvalidName) << type_name(f.type);
      EXPECT_EQ(e.req, kReq);
      rest = rest.subspan(f.frame_bytes);
    }
  }
}

TEST(ClientMessages, SayAndWhisperBodyLimits) {
  auto say_error = [](std::string_view room, std::string_view body, uint32_t max_body) {
    std::string wire;
    encode(wire, Say{kReq, room, body});
    return decode_say(payload_of(wire), DecodeLimits{max_body}).error;
  };
  auto whisper_error = [](std::string_view to, std::string_view body, uint32_t max_body) {
    std::string wire;
    encode(wire, Whisper{kReq, to, body});
    return decode_whisper(payload_of(wire), DecodeLimits{max_body}).error;
  };
  for (auto error_of : {+say_error, +whisper_error}) {
    EXPECT_EQ(error_of("r", "x", 4096).code, ErrorCode::kNone);
    EXPECT_EQ(error_of("r", std::string(4096, 'x'), 4096).code, ErrorCode::kNone);
    DecodeError e = error_of("r", std::string(4097, 'x'), 4096);
    EXPECT_EQ(e.code, ErrorCode::kInvalidBody);
    EXPECT_EQ(e.req, kReq);
    EXPECT_EQ(error_of("r", "", 4096).code, ErrorCode::kInvalidBody);
    EXPECT_EQ(error_of("r", "\xC3\x28", 4096).code, ErrorCode::kInvalidBody);
    EXPECT_EQ(error_of("r", "\xED\xA0\x80", 4096).code, ErrorCode::kInvalidBody);
    // The limit is the caller's, not a constant.
    EXPECT_EQ(error_of("r", "0123456789", 10).code, ErrorCode::kNone);
    EXPECT_EQ(error_of("r", "0123456789a", 10).code, ErrorCode::kInvalidBody);
    // A body may hold what a name may not.
    EXPECT_EQ(error_of("r", " \t\n\x7F", 10).code, ErrorCode::kNone);
    // The name comes first on the wire and is reported first.
    EXPECT_EQ(error_of("a b", "", 10).code, ErrorCode::kInvalidName);
    EXPECT_EQ(error_of("", "ok", 10).code, ErrorCode::kInvalidName);
  }
}

TEST(ClientMessages, UserListValidatesEveryName) {
  auto watch_error = [](std::vector<std::string_view> users) {
    std::string wire;
    encode_watch(wire, UserList{kReq, std::move(users)});
    return decode_user_list(payload_of(wire)).error;
  };
  EXPECT_EQ(watch_error({}).code, ErrorCode::kNone);
  EXPECT_EQ(watch_error({"a", std::string_view(std::string(64, 'b'))}).code, ErrorCode::kNone);
  DecodeError e = watch_error({"a", "b", "c d"});
  EXPECT_EQ(e.code, ErrorCode::kInvalidName);
  EXPECT_EQ(e.req, kReq);
  EXPECT_EQ(watch_error({""}).code, ErrorCode::kInvalidName);
}

TEST(ClientMessages, UserListCountIsOnlyAClaim) {
  // count 65535 with one name present: MALFORMED, and no 65535-entry vector.
  const std::string payload(
      "\x00\x00\x00\x01\xFF\xFF\x01"
      "a",
      8);
  Decoded<UserList> d = decode_user_list(bytes_of(payload));
  EXPECT_EQ(d.error.code, ErrorCode::kMalformed);
  EXPECT_EQ(d.error.req, 1u);
  EXPECT_LE(d.msg.users.capacity(), payload.size());
  // count 1 with two names present: trailing bytes.
  const std::string two(
      "\x00\x00\x00\x01\x00\x01\x01"
      "a\x01"
      "b",
      10);
  EXPECT_EQ(decode_user_list(bytes_of(two)).error.reason, "trailing bytes");
}

TEST(ServerMessages, DecodersCheckStructureOnly) {
  // Names and bodies are not validated on the client side.
  std::string wire;
  encode(wire, Message{"a b", 1, 2, "", "\xC3"});
  EXPECT_TRUE(decode_message(payload_of(wire)).ok());
  wire.clear();
  encode(wire, Private{1, 2, "", " ", ""});
  EXPECT_TRUE(decode_private(payload_of(wire)).ok());
  // An error code this version does not name passes through for the client
  // to handle generically.
  wire.clear();
  encode(wire, ErrorMsg{kReq, static_cast<ErrorCode>(999), "future"});
  Decoded<ErrorMsg> err = decode_error(payload_of(wire));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(static_cast<uint16_t>(err.msg.code), 999);
}

TEST(ServerMessages, EnumeratedBytesOutsideTheirValuesAreMalformed) {
  // ROOM_EVENT kind is 1 or 2: room "r", kind, user "u", time.
  for (int kind = 0; kind < 256; ++kind) {
    std::string p("\x01r", 2);
    p.push_back(static_cast<char>(kind));
    p += std::string("\x01u", 2) + std::string(8, '\0');
    const bool known = kind == 1 || kind == 2;
    EXPECT_EQ(decode_room_event(bytes_of(p)).ok(), known) << kind;
  }
  // PRESENCE online is 0 or 1.
  for (int online = 0; online < 256; ++online) {
    std::string p("\x01u", 2);
    p.push_back(static_cast<char>(online));
    p += std::string(8, '\0');
    Decoded<Presence> d = decode_presence(bytes_of(p));
    EXPECT_EQ(d.ok(), online <= 1) << online;
    if (d.ok()) {
      EXPECT_EQ(d.msg.online, online == 1);
    }
  }
}

}  // namespace
}  // namespace chat::proto
