// Conformance to the shared test vectors (tests/data/protocol-vectors.json):
// every frame encodes byte-exact from its fields and decodes back to them,
// and every invalid input gets the error the file expects.

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>

#include "json_lite.h"
#include "message_testing.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::test {
namespace {

constexpr uint32_t kMaxFrame = 65536;  // the default max_frame

const Json& vectors() {
  static const Json kVectors = [] {
    std::ifstream in(CHATD_TEST_DATA "/protocol-vectors.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    std::optional<Json> json = JsonParser::parse(text.str(), &error);
    if (!json) {
      ADD_FAILURE() << "protocol-vectors.json: " << error;
      return Json{};
    }
    return *json;
  }();
  return kVectors;
}

// Reads a vector's "fields", remembering which it read so a test can check
// none was left unread (a field the codec does not know is a test bug).
class Fields {
 public:
  explicit Fields(const Json& fields) : j_(fields) {}

  template <class T>
  T num(std::string_view key) {
    const Json& v = get(key);
    EXPECT_EQ(v.kind, Json::Kind::kNumber) << key;
    EXPECT_LE(v.number, std::numeric_limits<T>::max()) << key;
    return static_cast<T>(v.number);
  }

  std::string_view str(std::string_view key) {
    const Json& v = get(key);
    EXPECT_EQ(v.kind, Json::Kind::kString) << key;
    return v.string;
  }

  std::vector<std::string_view> strs(std::string_view key) {
    std::vector<std::string_view> out;
    for (const Json& item : get(key).items) {
      EXPECT_EQ(item.kind, Json::Kind::kString) << key;
      out.push_back(item.string);
    }
    return out;
  }

  const Json& get(std::string_view key) {
    used_.insert(std::string(key));
    EXPECT_FALSE(j_[key].is_null()) << "missing field " << key;
    return j_[key];
  }

  void expect_all_used() const {
    for (const std::string& name : j_.keys) {
      EXPECT_TRUE(used_.count(name) == 1) << "field not checked: " << name;
    }
  }

 private:
  const Json& j_;
  std::set<std::string> used_;
};

template <class T>
void expect_decoded(const Decoded<T>& d, const T& expected) {
  ASSERT_TRUE(d.ok()) << error_name(d.error.code) << ": " << d.error.reason;
  EXPECT_TRUE(same(d.msg, expected));
}

// Encodes `m` with `encode_fn`, compares with `wire`, decodes `payload` with
// `decode_fn` and compares with `m`.
template <class T, class EncodeFn, class DecodeFn>
void check(const T& m, std::string_view wire, Payload payload, EncodeFn encode_fn,
           DecodeFn decode_fn) {
  std::string out;
  encode_fn(out, m);
  EXPECT_EQ(to_hex(out), to_hex(wire));
  expect_decoded(decode_fn(payload), m);
}

// For messages with a plain encode(out, m) overload.
template <class T, class DecodeFn>
void check(const T& m, std::string_view wire, Payload payload, DecodeFn decode_fn) {
  check(
      m, wire, payload, [](std::string& out, const T& x) { encode(out, x); }, decode_fn);
}

// For the list messages: everything fits, so every entry is written.
template <class T, class DecodeFn>
void check_list(const T& m, size_t entries, std::string_view wire, Payload payload,
                DecodeFn decode_fn) {
  check(
      m, wire, payload,
      [entries](std::string& out, const T& x) { EXPECT_EQ(encode(out, x, kMaxFrame), entries); },
      decode_fn);
}

void check_vector(uint8_t type, Fields& f, std::string_view wire, Payload p) {
  const DecodeLimits limits;
  switch (static_cast<MsgType>(type)) {
    case MsgType::kHello:
      return check(Hello{f.num<uint32_t>("req"), f.num<uint64_t>("client_id"), f.str("user"),
                         f.str("token")},
                   wire, p, decode_hello);
    case MsgType::kPing:
      return check(Ping{f.num<uint64_t>("nonce")}, wire, p, decode_ping);
    case MsgType::kPong:
      return check(Pong{f.num<uint64_t>("nonce")}, wire, p, decode_pong);
    case MsgType::kJoin:
      return check(Join{f.num<uint32_t>("req"), f.str("room")}, wire, p, decode_join);
    case MsgType::kLeave:
      return check(Leave{f.num<uint32_t>("req"), f.str("room")}, wire, p, decode_leave);
    case MsgType::kSay:
      return check(Say{f.num<uint32_t>("req"), f.str("room"), f.str("body")}, wire, p,
                   [&](Payload x) { return decode_say(x, limits); });
    case MsgType::kWhisper:
      return check(Whisper{f.num<uint32_t>("req"), f.str("to"), f.str("body")}, wire, p,
                   [&](Payload x) { return decode_whisper(x, limits); });
    case MsgType::kWho:
      return check(Who{f.num<uint32_t>("req"), f.str("room")}, wire, p, decode_who);
    case MsgType::kRooms:
      return check(Rooms{f.num<uint32_t>("req")}, wire, p, decode_rooms);
    case MsgType::kWatch:
      return check(UserList{f.num<uint32_t>("req"), f.strs("users")}, wire, p, encode_watch,
                   decode_user_list);
    case MsgType::kUnwatch:
      return check(UserList{f.num<uint32_t>("req"), f.strs("users")}, wire, p, encode_unwatch,
                   decode_user_list);
    case MsgType::kHistory:
      return check(History{f.num<uint32_t>("req"), f.str("room"), f.num<uint64_t>("after_seq"),
                           f.num<uint16_t>("limit")},
                   wire, p, decode_history);
    case MsgType::kBye:
      return check(Bye{f.num<uint32_t>("req")}, wire, p, decode_bye);
    case MsgType::kWelcome:
      return check(
          Welcome{f.num<uint32_t>("req"), f.num<uint64_t>("session"), f.num<uint64_t>("time"),
                  f.num<uint16_t>("heartbeat"), f.num<uint16_t>("timeout"),
                  f.num<uint32_t>("max_frame"), f.str("user"), f.num<uint64_t>("epoch")},
          wire, p, decode_welcome);
    case MsgType::kOk:
      return check(Ok{f.num<uint32_t>("req")}, wire, p, decode_ok);
    case MsgType::kError:
      return check(ErrorMsg{f.num<uint32_t>("req"), static_cast<ErrorCode>(f.num<uint16_t>("code")),
                            f.str("text")},
                   wire, p, decode_error);
    case MsgType::kAck:
      return check(Ack{f.num<uint32_t>("req"), f.num<uint64_t>("id"), f.num<uint64_t>("time")},
                   wire, p, decode_ack);
    case MsgType::kMessage:
      return check(Message{f.str("room"), f.num<uint64_t>("seq"), f.num<uint64_t>("time"),
                           f.str("from"), f.str("body")},
                   wire, p, decode_message);
    case MsgType::kPrivate:
      return check(Private{f.num<uint64_t>("id"), f.num<uint64_t>("time"), f.str("from"),
                           f.str("to"), f.str("body")},
                   wire, p, decode_private);
    case MsgType::kRoomEvent:
      return check(RoomEvent{f.str("room"), static_cast<RoomEventKind>(f.num<uint8_t>("kind")),
                             f.str("user"), f.num<uint64_t>("time")},
                   wire, p, decode_room_event);
    case MsgType::kPresence:
      return check(Presence{f.str("user"), f.num<uint8_t>("online") == 1, f.num<uint64_t>("time")},
                   wire, p, decode_presence);
    case MsgType::kMembers: {
      Members m{f.num<uint32_t>("req"), f.str("room"), f.num<uint32_t>("total"), f.strs("users")};
      return check_list(m, m.users.size(), wire, p, decode_members);
    }
    case MsgType::kRoomList: {
      RoomList m{f.num<uint32_t>("req"), f.num<uint32_t>("total"), {}};
      for (const Json& room : f.get("rooms").items) {
        EXPECT_EQ(room.items.size(), 2u);
        m.rooms.push_back({room[0].string, static_cast<uint32_t>(room[1].number)});
      }
      return check_list(m, m.rooms.size(), wire, p, decode_room_list);
    }
    case MsgType::kHistoryPage: {
      HistoryPage m{f.num<uint32_t>("req"), f.str("room"), {}, false};
      for (const Json& e : f.get("messages").items) {
        Fields entry(e);
        m.entries.push_back({entry.num<uint64_t>("seq"), entry.num<uint64_t>("time"),
                             entry.str("from"), entry.str("body")});
        entry.expect_all_used();
      }
      m.more = f.num<uint8_t>("more") == 1;
      return check_list(m, m.entries.size(), wire, p, decode_history_page);
    }
  }
  ADD_FAILURE() << "vector of unknown type " << int{type};
}

TEST(ProtocolVectors, FileLoads) {
  EXPECT_FALSE(vectors()["frames"].items.empty());
  EXPECT_FALSE(vectors()["invalid"].items.empty());
}

TEST(ProtocolVectors, EveryFrameEncodesExactlyAndDecodesToItsFields) {
  std::set<uint8_t> types_seen;
  for (const Json& v : vectors()["frames"].items) {
    SCOPED_TRACE(v["name"].string);
    std::optional<std::string> wire = from_hex(v["hex"].string);
    ASSERT_TRUE(wire.has_value());
    const auto type = static_cast<uint8_t>(v["type"].number);
    types_seen.insert(type);

    FrameView frame = decode_frame(bytes_of(*wire), kMaxFrame);
    ASSERT_EQ(frame.status, FrameStatus::kFrame);
    EXPECT_EQ(frame.type, type);
    EXPECT_EQ(frame.frame_bytes, wire->size());
    EXPECT_EQ(frame.length, wire->size() - kHeaderBytes);

    Fields fields(v["fields"]);
    check_vector(type, fields, *wire, frame.payload);
    fields.expect_all_used();
  }
  // The file covers every message type of the protocol.
  for (unsigned t = 0; t <= 0xFF; ++t) {
    const auto type = static_cast<uint8_t>(t);
    if (is_client_type(type) || is_server_type(type)) {
      EXPECT_EQ(types_seen.count(type), 1u) << "no vector for " << type_name(type);
    }
  }
}

// The whole file's frames as one stream, fed one byte at a time the way a
// server reading a slow socket would see it.
TEST(ProtocolVectors, StreamOfAllFramesFedOneByteAtATime) {
  std::vector<std::string> frames;
  std::string stream;
  for (const Json& v : vectors()["frames"].items) {
    frames.push_back(from_hex(v["hex"].string).value_or(""));
    stream += frames.back();
  }
  std::string buffer;
  size_t next = 0;
  for (char c : stream) {
    buffer.push_back(c);
    FrameView f = decode_frame(bytes_of(buffer), kMaxFrame);
    if (f.status == FrameStatus::kNeedMore) {
      continue;
    }
    ASSERT_EQ(f.status, FrameStatus::kFrame);
    ASSERT_LT(next, frames.size());
    EXPECT_EQ(to_hex(buffer.substr(0, f.frame_bytes)), to_hex(frames[next]));
    EXPECT_EQ(f.frame_bytes, buffer.size()) << "a frame completes on its last byte";
    buffer.erase(0, f.frame_bytes);
    ++next;
  }
  EXPECT_EQ(next, frames.size());
  EXPECT_TRUE(buffer.empty());
}

TEST(ProtocolVectors, InvalidInputsGetTheExpectedError) {
  for (const Json& v : vectors()["invalid"].items) {
    SCOPED_TRACE(v["name"].string);
    std::optional<std::string> wire = from_hex(v["hex"].string);
    ASSERT_TRUE(wire.has_value());
    // "ERROR <NAME>[, ...][ req <n>...]"
    const std::string_view expect = v["expect"].string;
    ASSERT_TRUE(expect.starts_with("ERROR "));
    std::string_view name = expect.substr(6);
    name = name.substr(0, name.find_first_of(", "));
    const bool closes = expect.find("close") != std::string_view::npos;

    FrameView f = decode_frame(bytes_of(*wire), kMaxFrame);
    ErrorCode got = ErrorCode::kNone;
    if (f.status == FrameStatus::kBadFrame) {
      got = ErrorCode::kBadFrame;
    } else if (f.status == FrameStatus::kTooLarge) {
      got = ErrorCode::kFrameTooLarge;
    } else {
      ASSERT_EQ(f.status, FrameStatus::kFrame);
      EXPECT_EQ(f.frame_bytes, wire->size());
      DecodeError e = decode_client_error(f.type, f.payload);
      got = e.code;
      if (size_t at = expect.find("req "); at != std::string_view::npos) {
        EXPECT_EQ(e.req, std::stoul(std::string(expect.substr(at + 4))));
      }
    }
    EXPECT_EQ(error_name(got), name);
    // Only frame-level errors close: the stream cannot be resynchronised.
    EXPECT_EQ(closes, f.status != FrameStatus::kFrame);
    if (expect.find("never buffered") != std::string_view::npos) {
      EXPECT_EQ(wire->size(), kHeaderBytes) << "judged on the header alone";
    }
  }
}

}  // namespace
}  // namespace chat::test
