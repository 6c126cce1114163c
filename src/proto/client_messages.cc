// Encoders and decoders of the client-to-server messages (HELLO .. BYE).
//
// Every decoder first reads all fields (a short read or trailing bytes is
// MALFORMED), then validates them in wire order, so the first bad field is
// the one reported.

#include <algorithm>
#include <cassert>

#include "proto/coding.h"
#include "proto/messages.h"

namespace chat::proto {

using coding::begin_frame;
using coding::finish_frame;
using coding::put_str16;
using coding::put_str8;
using coding::put_u16;
using coding::put_u32;
using coding::put_u64;
using coding::Reader;

namespace {

DecodeError bad_name(uint32_t req, std::string_view reason) {
  return {ErrorCode::kInvalidName, req, reason};
}

DecodeError bad_body(uint32_t req) {
  return {ErrorCode::kInvalidBody, req, "body is not 1..max_body bytes of UTF-8"};
}

// JOIN, LEAVE and WHO: req u32, room str8.
template <class T>
void encode_room_request(std::string& out, MsgType type, const T& m) {
  size_t start = begin_frame(out, type);
  put_u32(out, m.req);
  put_str8(out, m.room);
  finish_frame(out, start);
}

template <class T>
Decoded<T> decode_room_request(Payload p) {
  Decoded<T> d;
  Reader r(p);
  r.u32(d.msg.req);
  r.str8(d.msg.room);
  d.error = r.finish(d.msg.req);
  if (d.ok() && !valid_name(d.msg.room)) {
    d.error = bad_name(d.msg.req, "invalid room name");
  }
  return d;
}

// ROOMS and BYE: req u32 alone.
template <class T>
void encode_req_only(std::string& out, MsgType type, const T& m) {
  size_t start = begin_frame(out, type);
  put_u32(out, m.req);
  finish_frame(out, start);
}

template <class T>
Decoded<T> decode_req_only(Payload p) {
  Decoded<T> d;
  Reader r(p);
  r.u32(d.msg.req);
  d.error = r.finish(d.msg.req);
  return d;
}

// PING and PONG: nonce u64.
template <class T>
void encode_nonce(std::string& out, MsgType type, const T& m) {
  size_t start = begin_frame(out, type);
  put_u64(out, m.nonce);
  finish_frame(out, start);
}

template <class T>
Decoded<T> decode_nonce(Payload p) {
  Decoded<T> d;
  Reader r(p);
  r.u64(d.msg.nonce);
  d.error = r.finish(0);
  return d;
}

// WATCH and UNWATCH. REQUIRES (debug): at most 65535 users; in release the
// rest are left out rather than written under a wrong count.
void encode_user_list(std::string& out, MsgType type, const UserList& m) {
  assert(m.users.size() <= UINT16_MAX);
  const size_t count = std::min<size_t>(m.users.size(), UINT16_MAX);
  size_t start = begin_frame(out, type);
  put_u32(out, m.req);
  put_u16(out, static_cast<uint16_t>(count));
  for (size_t i = 0; i < count; ++i) {
    put_str8(out, m.users[i]);
  }
  finish_frame(out, start);
}

}  // namespace

// ---- encoders ----

void encode(std::string& out, const Hello& m) {
  size_t start = begin_frame(out, MsgType::kHello);
  put_u32(out, m.req);
  put_u64(out, m.client_id);
  put_str8(out, m.user);
  put_str16(out, m.token);
  finish_frame(out, start);
}

void encode(std::string& out, const Ping& m) { encode_nonce(out, MsgType::kPing, m); }
void encode(std::string& out, const Pong& m) { encode_nonce(out, MsgType::kPong, m); }
void encode(std::string& out, const Join& m) { encode_room_request(out, MsgType::kJoin, m); }
void encode(std::string& out, const Leave& m) { encode_room_request(out, MsgType::kLeave, m); }

void encode(std::string& out, const Say& m) {
  size_t start = begin_frame(out, MsgType::kSay);
  put_u32(out, m.req);
  put_str8(out, m.room);
  put_str16(out, m.body);
  finish_frame(out, start);
}

void encode(std::string& out, const Whisper& m) {
  size_t start = begin_frame(out, MsgType::kWhisper);
  put_u32(out, m.req);
  put_str8(out, m.to);
  put_str16(out, m.body);
  finish_frame(out, start);
}

void encode(std::string& out, const Who& m) { encode_room_request(out, MsgType::kWho, m); }
void encode(std::string& out, const Rooms& m) { encode_req_only(out, MsgType::kRooms, m); }

void encode_watch(std::string& out, const UserList& m) {
  encode_user_list(out, MsgType::kWatch, m);
}

void encode_unwatch(std::string& out, const UserList& m) {
  encode_user_list(out, MsgType::kUnwatch, m);
}

void encode(std::string& out, const History& m) {
  size_t start = begin_frame(out, MsgType::kHistory);
  put_u32(out, m.req);
  put_str8(out, m.room);
  put_u64(out, m.after_seq);
  put_u16(out, m.limit);
  finish_frame(out, start);
}

void encode(std::string& out, const Bye& m) { encode_req_only(out, MsgType::kBye, m); }

// ---- decoders ----

Decoded<Hello> decode_hello(Payload p) {
  Decoded<Hello> d;
  Hello& m = d.msg;
  Reader r(p);
  r.u32(m.req);
  r.u64(m.client_id);
  r.str8(m.user);
  r.str16(m.token);
  d.error = r.finish(m.req);
  if (!d.ok()) {
    return d;
  }
  if (!valid_name(m.user)) {
    d.error = bad_name(m.req, "invalid user name");
  } else if (!valid_utf8(m.token)) {
    d.error = {ErrorCode::kMalformed, m.req, "token is not UTF-8"};
  }
  return d;
}

Decoded<Ping> decode_ping(Payload p) { return decode_nonce<Ping>(p); }
Decoded<Pong> decode_pong(Payload p) { return decode_nonce<Pong>(p); }
Decoded<Join> decode_join(Payload p) { return decode_room_request<Join>(p); }
Decoded<Leave> decode_leave(Payload p) { return decode_room_request<Leave>(p); }

Decoded<Say> decode_say(Payload p, const DecodeLimits& limits) {
  Decoded<Say> d;
  Say& m = d.msg;
  Reader r(p);
  r.u32(m.req);
  r.str8(m.room);
  r.str16(m.body);
  d.error = r.finish(m.req);
  if (!d.ok()) {
    return d;
  }
  if (!valid_name(m.room)) {
    d.error = bad_name(m.req, "invalid room name");
  } else if (!valid_body(m.body, limits.max_body)) {
    d.error = bad_body(m.req);
  }
  return d;
}

Decoded<Whisper> decode_whisper(Payload p, const DecodeLimits& limits) {
  Decoded<Whisper> d;
  Whisper& m = d.msg;
  Reader r(p);
  r.u32(m.req);
  r.str8(m.to);
  r.str16(m.body);
  d.error = r.finish(m.req);
  if (!d.ok()) {
    return d;
  }
  if (!valid_name(m.to)) {
    d.error = bad_name(m.req, "invalid user name");
  } else if (!valid_body(m.body, limits.max_body)) {
    d.error = bad_body(m.req);
  }
  return d;
}

Decoded<Who> decode_who(Payload p) { return decode_room_request<Who>(p); }
Decoded<Rooms> decode_rooms(Payload p) { return decode_req_only<Rooms>(p); }

Decoded<UserList> decode_user_list(Payload p) {
  Decoded<UserList> d;
  UserList& m = d.msg;
  Reader r(p);
  uint16_t count = 0;
  r.u32(m.req);
  r.u16(count);
  // Each name takes at least its count byte, so the payload bounds the
  // reservation whatever count claims.
  m.users.reserve(std::min<size_t>(count, r.remaining()));
  for (size_t i = 0; i < count; ++i) {
    std::string_view user;
    if (!r.str8(user)) {
      break;
    }
    m.users.push_back(user);
  }
  d.error = r.finish(m.req);
  if (!d.ok()) {
    return d;
  }
  for (std::string_view user : m.users) {
    if (!valid_name(user)) {
      d.error = bad_name(m.req, "invalid user name");
      break;
    }
  }
  return d;
}

Decoded<History> decode_history(Payload p) {
  Decoded<History> d;
  History& m = d.msg;
  Reader r(p);
  r.u32(m.req);
  r.str8(m.room);
  r.u64(m.after_seq);
  r.u16(m.limit);
  d.error = r.finish(m.req);
  if (d.ok() && !valid_name(m.room)) {
    d.error = bad_name(m.req, "invalid room name");
  }
  return d;
}

Decoded<Bye> decode_bye(Payload p) { return decode_req_only<Bye>(p); }

}  // namespace chat::proto
