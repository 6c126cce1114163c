// Fuzzes the client-to-server decoders (what the server decodes from
// untrusted peers). Byte 0 picks the message type (a client type as is,
// anything else folded onto one) and, with its top bit, a small max_body;
// the rest is the payload.
//
// Checks: only the errors messages.h allows, `req` reported exactly when it
// was decoded, and a payload that decodes re-encodes to the same bytes and
// decodes again to the same fields.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "../tests/proto/message_testing.h"
#include "fuzz_check.h"
#include "proto/messages.h"

namespace {

using namespace chat::proto;  // NOLINT(google-build-using-namespace)
using chat::fuzz::encoded_payload;
using chat::fuzz::same_bytes;
using chat::test::same;

// The req a well-formed prefix would carry, or 0 if the payload is too short
// or the type has none.
uint32_t leading_req(MsgType type, Payload p) {
  if (type == MsgType::kPing || type == MsgType::kPong || p.size() < 4) {
    return 0;
  }
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// What a successful decode guarantees about the fields (max_body aside,
// checked by the SAY and WHISPER callers).
bool valid(const Hello& m) { return valid_name(m.user) && valid_utf8(m.token); }
bool valid(const Ping&) { return true; }
bool valid(const Pong&) { return true; }
bool valid(const Join& m) { return valid_name(m.room); }
bool valid(const Leave& m) { return valid_name(m.room); }
bool valid(const Say& m) { return valid_name(m.room) && valid_utf8(m.body) && !m.body.empty(); }
bool valid(const Whisper& m) { return valid_name(m.to) && valid_utf8(m.body) && !m.body.empty(); }
bool valid(const Who& m) { return valid_name(m.room); }
bool valid(const Rooms&) { return true; }
bool valid(const UserList& m) {
  return std::all_of(m.users.begin(), m.users.end(),
                     [](std::string_view u) { return valid_name(u); });
}
bool valid(const History& m) { return valid_name(m.room); }
bool valid(const Bye&) { return true; }

template <class T, class EncodeFn, class DecodeFn>
void check(MsgType type, Payload p, DecodeFn decode_fn, EncodeFn encode_fn) {
  const Decoded<T> d = decode_fn(p);
  const ErrorCode code = d.error.code;
  FUZZ_CHECK(code == ErrorCode::kNone || code == ErrorCode::kMalformed ||
             code == ErrorCode::kInvalidName || code == ErrorCode::kInvalidBody);
  if (!d.ok()) {
    FUZZ_CHECK(!d.error.reason.empty());
    // A failed decode either read req or was cut before it.
    FUZZ_CHECK(d.error.req == leading_req(type, p));
    return;
  }
  FUZZ_CHECK(valid(d.msg));
  std::string wire;
  encode_fn(wire, d.msg);
  Payload again = encoded_payload(wire, type);
  // Decoding is exact, so encoding what it found gives back the input.
  FUZZ_CHECK(same_bytes(again, p));
  const Decoded<T> d2 = decode_fn(again);
  FUZZ_CHECK(d2.ok());
  FUZZ_CHECK(same(d2.msg, d.msg));
}

template <class T, class DecodeFn>
void check(MsgType type, Payload p, DecodeFn decode_fn) {
  check<T>(type, p, decode_fn, [](std::string& out, const T& m) { encode(out, m); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const uint8_t selector = data[0];
  uint8_t raw_type = selector & 0x7F;
  if (!is_client_type(raw_type)) {
    raw_type = static_cast<uint8_t>(1 + raw_type % 13);
  }
  const auto type = static_cast<MsgType>(raw_type);
  const DecodeLimits limits{(selector & 0x80) != 0 ? 16u : 4096u};
  const Payload p(data + 1, size - 1);

  auto say = [&limits](Payload x) {
    Decoded<Say> d = decode_say(x, limits);
    FUZZ_CHECK(!d.ok() || (valid_name(d.msg.room) && valid_body(d.msg.body, limits.max_body)));
    return d;
  };
  auto whisper = [&limits](Payload x) {
    Decoded<Whisper> d = decode_whisper(x, limits);
    FUZZ_CHECK(!d.ok() || (valid_name(d.msg.to) && valid_body(d.msg.body, limits.max_body)));
    return d;
  };

  switch (type) {
    case MsgType::kHello:
      check<Hello>(type, p, decode_hello);
      break;
    case MsgType::kPing:
      check<Ping>(type, p, decode_ping);
      break;
    case MsgType::kPong:
      check<Pong>(type, p, decode_pong);
      break;
    case MsgType::kJoin:
      check<Join>(type, p, decode_join);
      break;
    case MsgType::kLeave:
      check<Leave>(type, p, decode_leave);
      break;
    case MsgType::kSay:
      check<Say>(type, p, say);
      break;
    case MsgType::kWhisper:
      check<Whisper>(type, p, whisper);
      break;
    case MsgType::kWho:
      check<Who>(type, p, decode_who);
      break;
    case MsgType::kRooms:
      check<Rooms>(type, p, decode_rooms);
      break;
    case MsgType::kWatch:
      check<UserList>(type, p, decode_user_list, encode_watch);
      break;
    case MsgType::kUnwatch:
      check<UserList>(type, p, decode_user_list, encode_unwatch);
      break;
    case MsgType::kHistory:
      check<History>(type, p, decode_history);
      break;
    case MsgType::kBye:
      check<Bye>(type, p, decode_bye);
      break;
    default:
      FUZZ_CHECK(false);
  }
  return 0;
}
