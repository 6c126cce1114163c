// Encoders and decoders of the fixed-shape server-to-client messages
// (WELCOME .. PRESENCE). The list messages are in list_messages.cc.
//
// The decoders check structure only: names and bodies are not validated
// (the client trusts the server's), but an enumerated u8 outside its values
// (ROOM_EVENT kind, PRESENCE online) is MALFORMED, since the struct could not
// represent it. ERROR codes are taken as they come: a newer server may send
// codes this version does not name.

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
using coding::put_u8;
using coding::Reader;

// ---- encoders ----

void encode(std::string& out, const Welcome& m) {
  size_t start = begin_frame(out, MsgType::kWelcome);
  put_u32(out, m.req);
  put_u64(out, m.session);
  put_u64(out, m.time);
  put_u16(out, m.heartbeat);
  put_u16(out, m.timeout);
  put_u32(out, m.max_frame);
  put_str8(out, m.user);
  put_u64(out, m.epoch);
  finish_frame(out, start);
}

void encode(std::string& out, const Ok& m) {
  size_t start = begin_frame(out, MsgType::kOk);
  put_u32(out, m.req);
  finish_frame(out, start);
}

void encode(std::string& out, const ErrorMsg& m) {
  size_t start = begin_frame(out, MsgType::kError);
  put_u32(out, m.req);
  put_u16(out, static_cast<uint16_t>(m.code));
  put_str16(out, m.text);
  finish_frame(out, start);
}

void encode(std::string& out, const Ack& m) {
  size_t start = begin_frame(out, MsgType::kAck);
  put_u32(out, m.req);
  put_u64(out, m.id);
  put_u64(out, m.time);
  finish_frame(out, start);
}

void encode(std::string& out, const Message& m) {
  size_t start = begin_frame(out, MsgType::kMessage);
  put_str8(out, m.room);
  put_u64(out, m.seq);
  put_u64(out, m.time);
  put_str8(out, m.from);
  put_str16(out, m.body);
  finish_frame(out, start);
}

void encode(std::string& out, const Private& m) {
  size_t start = begin_frame(out, MsgType::kPrivate);
  put_u64(out, m.id);
  put_u64(out, m.time);
  put_str8(out, m.from);
  put_str8(out, m.to);
  put_str16(out, m.body);
  finish_frame(out, start);
}

void encode(std::string& out, const RoomEvent& m) {
  size_t start = begin_frame(out, MsgType::kRoomEvent);
  put_str8(out, m.room);
  put_u8(out, static_cast<uint8_t>(m.kind));
  put_str8(out, m.user);
  put_u64(out, m.time);
  finish_frame(out, start);
}

void encode(std::string& out, const Presence& m) {
  size_t start = begin_frame(out, MsgType::kPresence);
  put_str8(out, m.user);
  put_u8(out, m.online ? 1 : 0);
  put_u64(out, m.time);
  finish_frame(out, start);
}

// ---- decoders ----

Decoded<Welcome> decode_welcome(Payload p) {
  Decoded<Welcome> d;
  Welcome& m = d.msg;
  Reader r(p);
  r.u32(m.req);
  r.u64(m.session);
  r.u64(m.time);
  r.u16(m.heartbeat);
  r.u16(m.timeout);
  r.u32(m.max_frame);
  r.str8(m.user);
  r.u64(m.epoch);
  d.error = r.finish(m.req);
  return d;
}

Decoded<Ok> decode_ok(Payload p) {
  Decoded<Ok> d;
  Reader r(p);
  r.u32(d.msg.req);
  d.error = r.finish(d.msg.req);
  return d;
}

Decoded<ErrorMsg> decode_error(Payload p) {
  Decoded<ErrorMsg> d;
  ErrorMsg& m = d.msg;
  Reader r(p);
  uint16_t code = 0;
  r.u32(m.req);
  r.u16(code);
  r.str16(m.text);
  m.code = static_cast<ErrorCode>(code);
  d.error = r.finish(m.req);
  return d;
}

Decoded<Ack> decode_ack(Payload p) {
  Decoded<Ack> d;
  Ack& m = d.msg;
  Reader r(p);
  r.u32(m.req);
  r.u64(m.id);
  r.u64(m.time);
  d.error = r.finish(m.req);
  return d;
}

Decoded<Message> decode_message(Payload p) {
  Decoded<Message> d;
  Message& m = d.msg;
  Reader r(p);
  r.str8(m.room);
  r.u64(m.seq);
  r.u64(m.time);
  r.str8(m.from);
  r.str16(m.body);
  d.error = r.finish(0);
  return d;
}

Decoded<Private> decode_private(Payload p) {
  Decoded<Private> d;
  Private& m = d.msg;
  Reader r(p);
  r.u64(m.id);
  r.u64(m.time);
  r.str8(m.from);
  r.str8(m.to);
  r.str16(m.body);
  d.error = r.finish(0);
  return d;
}

Decoded<RoomEvent> decode_room_event(Payload p) {
  Decoded<RoomEvent> d;
  RoomEvent& m = d.msg;
  Reader r(p);
  uint8_t kind = 0;
  r.str8(m.room);
  r.u8(kind);
  r.str8(m.user);
  r.u64(m.time);
  d.error = r.finish(0);
  if (!d.ok()) {
    return d;
  }
  if (kind != static_cast<uint8_t>(RoomEventKind::kJoined) &&
      kind != static_cast<uint8_t>(RoomEventKind::kLeft)) {
    d.error = {ErrorCode::kMalformed, 0, "room event kind is neither joined nor left"};
    return d;
  }
  m.kind = static_cast<RoomEventKind>(kind);
  return d;
}

Decoded<Presence> decode_presence(Payload p) {
  Decoded<Presence> d;
  Presence& m = d.msg;
  Reader r(p);
  uint8_t online = 0;
  r.str8(m.user);
  r.u8(online);
  r.u64(m.time);
  d.error = r.finish(0);
  if (d.ok() && online > 1) {
    d.error = {ErrorCode::kMalformed, 0, "presence online is neither 0 nor 1"};
  }
  m.online = online == 1;
  return d;
}

}  // namespace chat::proto
