// Payload structs of every message type, with a pure encoder and decoder for
// each. Strings in decoded structs are views into the payload they were
// decoded from: valid only while that buffer is. Encoders append one whole
// frame (header included) to `out`.
//
// Decoders check the payload exactly: a truncated field or trailing bytes is
// MALFORMED; a name that is not 1..64 bytes of UTF-8 without whitespace or
// control characters is INVALID_NAME; a body that is not 1..max_body bytes of
// UTF-8 is INVALID_BODY; invalid UTF-8 anywhere else (a token) is MALFORMED.
// A structural error is reported before a validation error. `req` in the
// error is the request's req when the payload got that far, else 0.
// Fields are validated in wire order: of several bad fields, the first is
// reported. After an error, `msg` holds whatever was read; do not use it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/types.h"

namespace chat::proto {

struct DecodeError {
  ErrorCode code = ErrorCode::kNone;
  uint32_t req = 0;
  std::string_view reason;  // static text for people, e.g. "trailing bytes"
};

template <class T>
struct Decoded {
  T msg{};
  DecodeError error;
  bool ok() const { return error.code == ErrorCode::kNone; }
};

struct DecodeLimits {
  uint32_t max_body = 4096;
};

// ---- validation (also used by the server for names it builds itself) ----
bool valid_utf8(std::string_view s);
// 1..64 bytes of valid UTF-8, no code point at or below U+0020, nor U+007F.
bool valid_name(std::string_view s);
// 1..max_body bytes of valid UTF-8.
bool valid_body(std::string_view s, uint32_t max_body);

// ---- client to server ----
struct Hello {
  uint32_t req = 0;
  uint64_t client_id = 0;
  std::string_view user;
  std::string_view token;
};
struct Ping {
  uint64_t nonce = 0;
};
struct Pong {
  uint64_t nonce = 0;
};
struct Join {
  uint32_t req = 0;
  std::string_view room;
};
struct Leave {
  uint32_t req = 0;
  std::string_view room;
};
struct Say {
  uint32_t req = 0;
  std::string_view room;
  std::string_view body;
};
struct Whisper {
  uint32_t req = 0;
  std::string_view to;
  std::string_view body;
};
struct Who {
  uint32_t req = 0;
  std::string_view room;
};
struct Rooms {
  uint32_t req = 0;
};
// WATCH and UNWATCH share a shape.
struct UserList {
  uint32_t req = 0;
  std::vector<std::string_view> users;
};
struct History {
  uint32_t req = 0;
  std::string_view room;
  uint64_t after_seq = 0;
  uint16_t limit = 0;
};
struct Bye {
  uint32_t req = 0;
};

// ---- server to client ----
struct Welcome {
  uint32_t req = 0;
  uint64_t session = 0;
  uint64_t time = 0;
  uint16_t heartbeat = 0;
  uint16_t timeout = 0;
  uint32_t max_frame = 0;
  std::string_view user;
  uint64_t epoch = 0;
};
struct Ok {
  uint32_t req = 0;
};
struct ErrorMsg {
  uint32_t req = 0;
  ErrorCode code = ErrorCode::kNone;
  std::string_view text;
};
struct Ack {
  uint32_t req = 0;
  uint64_t id = 0;
  uint64_t time = 0;
};
struct Message {
  std::string_view room;
  uint64_t seq = 0;
  uint64_t time = 0;
  std::string_view from;
  std::string_view body;
};
struct Private {
  uint64_t id = 0;
  uint64_t time = 0;
  std::string_view from;
  std::string_view to;
  std::string_view body;
};
struct RoomEvent {
  std::string_view room;
  RoomEventKind kind = RoomEventKind::kJoined;
  std::string_view user;
  uint64_t time = 0;
};
struct Presence {
  std::string_view user;
  bool online = false;
  uint64_t time = 0;
};
struct Members {
  uint32_t req = 0;
  std::string_view room;
  uint32_t total = 0;
  std::vector<std::string_view> users;
};
struct RoomEntry {
  std::string_view room;
  uint32_t members = 0;
};
struct RoomList {
  uint32_t req = 0;
  uint32_t total = 0;
  std::vector<RoomEntry> rooms;
};
struct HistoryEntry {
  uint64_t seq = 0;
  uint64_t time = 0;
  std::string_view from;
  std::string_view body;
};
struct HistoryPage {
  uint32_t req = 0;
  std::string_view room;
  std::vector<HistoryEntry> entries;
  bool more = false;
};

// ---- encoders: append one whole frame to `out` ----
// REQUIRES: every str8 field at most 255 bytes, every str16 field at most
// 65535, a WATCH/UNWATCH list at most 65535 names. Asserted in debug; in
// release a longer string is cut at a UTF-8 code point boundary (and a longer
// list cut short) so the frame is never corrupt. Encoders do not validate
// names or bodies: that is the caller's job.
void encode(std::string& out, const Hello& m);
void encode(std::string& out, const Ping& m);
void encode(std::string& out, const Pong& m);
void encode(std::string& out, const Join& m);
void encode(std::string& out, const Leave& m);
void encode(std::string& out, const Say& m);
void encode(std::string& out, const Whisper& m);
void encode(std::string& out, const Who& m);
void encode(std::string& out, const Rooms& m);
void encode_watch(std::string& out, const UserList& m);
void encode_unwatch(std::string& out, const UserList& m);
void encode(std::string& out, const History& m);
void encode(std::string& out, const Bye& m);

void encode(std::string& out, const Welcome& m);
void encode(std::string& out, const Ok& m);
void encode(std::string& out, const ErrorMsg& m);
void encode(std::string& out, const Ack& m);
void encode(std::string& out, const Message& m);
void encode(std::string& out, const Private& m);
void encode(std::string& out, const RoomEvent& m);
void encode(std::string& out, const Presence& m);
// The list encoders write the first entries that fit: at most
// kMaxListEntries (kMaxHistoryEntries for a page) and a frame of at most
// max_frame bytes in all (header included). They return how many entries
// they wrote. A page that leaves entries out says more = 1.
// The entries written are always a prefix (an entry that does not fit ends
// the list; none is skipped for a later, smaller one). `total` is written as
// max(m.total, entries given), never fewer than the frame holds. The fixed
// fields are written even if they alone pass max_frame (then with no
// entries); the server's rule max_frame >= max_body + 256 rules that out.
size_t encode(std::string& out, const Members& m, uint32_t max_frame);
size_t encode(std::string& out, const RoomList& m, uint32_t max_frame);
size_t encode(std::string& out, const HistoryPage& m, uint32_t max_frame);

// ---- decoders: `payload` is the frame's payload, header excluded ----
using Payload = std::span<const uint8_t>;
Decoded<Hello> decode_hello(Payload p);
Decoded<Ping> decode_ping(Payload p);
Decoded<Pong> decode_pong(Payload p);
Decoded<Join> decode_join(Payload p);
Decoded<Leave> decode_leave(Payload p);
Decoded<Say> decode_say(Payload p, const DecodeLimits& limits);
Decoded<Whisper> decode_whisper(Payload p, const DecodeLimits& limits);
Decoded<Who> decode_who(Payload p);
Decoded<Rooms> decode_rooms(Payload p);
Decoded<UserList> decode_user_list(Payload p);  // WATCH and UNWATCH
Decoded<History> decode_history(Payload p);
Decoded<Bye> decode_bye(Payload p);

// Server-to-client decoders check structure only (the client trusts the
// server's names and bodies to be valid, but never reads out of bounds).
// Enumerated bytes outside their values (ROOM_EVENT kind not 1 or 2,
// PRESENCE online or HISTORY_PAGE more not 0 or 1) are MALFORMED. ERROR's
// code is passed through as is: a newer server may send codes not named here.
Decoded<Welcome> decode_welcome(Payload p);
Decoded<Ok> decode_ok(Payload p);
Decoded<ErrorMsg> decode_error(Payload p);
Decoded<Ack> decode_ack(Payload p);
Decoded<Message> decode_message(Payload p);
Decoded<Private> decode_private(Payload p);
Decoded<RoomEvent> decode_room_event(Payload p);
Decoded<Presence> decode_presence(Payload p);
Decoded<Members> decode_members(Payload p);
Decoded<RoomList> decode_room_list(Payload p);
Decoded<HistoryPage> decode_history_page(Payload p);

}  // namespace chat::proto
