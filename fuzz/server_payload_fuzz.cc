// Fuzzes the server-to-client decoders (what a client decodes) and, through
// them, the list encoders. Byte 0 picks the message type (a server type as
// is, anything else folded onto one) and, with its top bit, how tight a
// max_frame the list encoders get; the rest is the payload.
//
// Checks: only MALFORMED as an error, `req` reported exactly when decoded,
// a decoded message re-encodes to the same bytes (lists: whenever nothing
// had to be cut) and decodes again to the same fields, and the list
// encoders keep their promises under any max_frame: the frame fits, the
// entries are the longest prefix that fits, `total` and `more` are right.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../tests/proto/message_testing.h"
#include "fuzz_check.h"
#include "proto/messages.h"

namespace {

using namespace chat::proto;  // NOLINT(google-build-using-namespace)
using chat::fuzz::encoded_payload;
using chat::fuzz::same_bytes;
using chat::test::same;

bool has_req(MsgType t) {
  return t == MsgType::kWelcome || t == MsgType::kOk || t == MsgType::kError ||
         t == MsgType::kAck || t == MsgType::kMembers || t == MsgType::kRoomList ||
         t == MsgType::kHistoryPage;
}

uint32_t leading_req(MsgType type, Payload p) {
  if (!has_req(type) || p.size() < 4) {
    return 0;
  }
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

template <class T>
bool decoded_ok(MsgType type, Payload p, const Decoded<T>& d) {
  FUZZ_CHECK(d.error.code == ErrorCode::kNone || d.error.code == ErrorCode::kMalformed);
  if (!d.ok()) {
    FUZZ_CHECK(!d.error.reason.empty());
    FUZZ_CHECK(d.error.req == leading_req(type, p));
  }
  return d.ok();
}

// The fixed-shape messages: decoding is exact and encoding verbatim.
template <class T, class DecodeFn>
void check_fixed(MsgType type, Payload p, DecodeFn decode_fn) {
  const Decoded<T> d = decode_fn(p);
  if (!decoded_ok(type, p, d)) {
    return;
  }
  std::string wire;
  encode(wire, d.msg);
  Payload again = encoded_payload(wire, type);
  FUZZ_CHECK(same_bytes(again, p));
  const Decoded<T> d2 = decode_fn(again);
  FUZZ_CHECK(d2.ok());
  FUZZ_CHECK(same(d2.msg, d.msg));
}

// How a list message exposes its entries to the generic checks below.
size_t entry_bytes(std::string_view user) { return 1 + user.size(); }
size_t entry_bytes(const RoomEntry& e) { return 1 + e.room.size() + 4; }
size_t entry_bytes(const HistoryEntry& e) { return 8 + 8 + 1 + e.from.size() + 2 + e.body.size(); }
bool same_entry(std::string_view a, std::string_view b) { return a == b; }
bool same_entry(const RoomEntry& a, const RoomEntry& b) { return same(a, b); }
bool same_entry(const HistoryEntry& a, const HistoryEntry& b) { return same(a, b); }
const std::vector<std::string_view>& entries_of(const Members& m) { return m.users; }
const std::vector<RoomEntry>& entries_of(const RoomList& m) { return m.rooms; }
const std::vector<HistoryEntry>& entries_of(const HistoryPage& m) { return m.entries; }
size_t cap_of(const Members&) { return kMaxListEntries; }
size_t cap_of(const RoomList&) { return kMaxListEntries; }
size_t cap_of(const HistoryPage&) { return kMaxHistoryEntries; }

// The fields outside the list, as the encoder must have written them for
// `given` when it wrote `written` entries.
bool same_rest(const Members& got, const Members& given, size_t /*written*/) {
  const auto total = std::max<size_t>(given.total, given.users.size());
  return got.req == given.req && got.room == given.room && got.total == total;
}
bool same_rest(const RoomList& got, const RoomList& given, size_t /*written*/) {
  const auto total = std::max<size_t>(given.total, given.rooms.size());
  return got.req == given.req && got.total == total;
}
bool same_rest(const HistoryPage& got, const HistoryPage& given, size_t written) {
  const bool more = given.more || written < given.entries.size();
  return got.req == given.req && got.room == given.room && got.more == more;
}

// True when the encoder, given room, writes `m` as it is: no entry over the
// cap and no total below the entries.
bool encodes_verbatim(const Members& m) {
  return m.users.size() <= kMaxListEntries && m.total >= m.users.size();
}
bool encodes_verbatim(const RoomList& m) {
  return m.rooms.size() <= kMaxListEntries && m.total >= m.rooms.size();
}
bool encodes_verbatim(const HistoryPage& m) { return m.entries.size() <= kMaxHistoryEntries; }

// Encodes `m` under `max_frame` and checks the result against the promises.
// Returns the frame.
template <class T, class DecodeFn>
std::string encode_and_check(MsgType type, const T& m, uint32_t max_frame, DecodeFn decode_fn) {
  std::string wire;
  const size_t written = encode(wire, m, max_frame);
  const auto& given = entries_of(m);
  FUZZ_CHECK(written <= std::min(given.size(), cap_of(m)));

  const Decoded<T> d = decode_fn(encoded_payload(wire, type));
  FUZZ_CHECK(d.ok());
  const auto& got = entries_of(d.msg);
  FUZZ_CHECK(got.size() == written);
  for (size_t i = 0; i < written; ++i) {
    FUZZ_CHECK(same_entry(got[i], given[i]));
  }
  FUZZ_CHECK(same_rest(d.msg, m, written));

  if (written > 0) {
    FUZZ_CHECK(wire.size() <= max_frame);  // else only the fixed part overflows
  }
  if (written < given.size() && written < cap_of(m)) {
    // Greedy: the next entry would not have fitted.
    FUZZ_CHECK(wire.size() + entry_bytes(given[written]) > max_frame);
  }
  return wire;
}

template <class T, class DecodeFn>
void check_list(MsgType type, Payload p, DecodeFn decode_fn, bool tight) {
  const Decoded<T> d = decode_fn(p);
  if (!decoded_ok(type, p, d)) {
    return;
  }
  // Room for everything: byte-exact unless the encoder had to adjust.
  const std::string wire = encode_and_check(type, d.msg, UINT32_MAX, decode_fn);
  if (encodes_verbatim(d.msg)) {
    FUZZ_CHECK(same_bytes(encoded_payload(wire, type), p));
  }
  // A max_frame that cuts the list: a third or two thirds of the frame.
  const size_t full = kHeaderBytes + p.size();
  encode_and_check(type, d.msg, static_cast<uint32_t>(full * (tight ? 1 : 2) / 3), decode_fn);
  encode_and_check(type, d.msg, static_cast<uint32_t>(full - 1), decode_fn);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  static constexpr MsgType kServerTypes[] = {
      MsgType::kPing,        MsgType::kPong,     MsgType::kWelcome, MsgType::kOk,
      MsgType::kError,       MsgType::kAck,      MsgType::kMessage, MsgType::kPrivate,
      MsgType::kRoomEvent,   MsgType::kPresence, MsgType::kMembers, MsgType::kRoomList,
      MsgType::kHistoryPage,
  };
  const uint8_t selector = data[0];
  const auto raw_type = static_cast<uint8_t>(selector & 0x7F);
  const MsgType type = is_server_type(raw_type) ? static_cast<MsgType>(raw_type)
                                                : kServerTypes[raw_type % std::size(kServerTypes)];
  const bool tight = (selector & 0x80) != 0;
  const Payload p(data + 1, size - 1);

  switch (type) {
    case MsgType::kPing:
      check_fixed<Ping>(type, p, decode_ping);
      break;
    case MsgType::kPong:
      check_fixed<Pong>(type, p, decode_pong);
      break;
    case MsgType::kWelcome:
      check_fixed<Welcome>(type, p, decode_welcome);
      break;
    case MsgType::kOk:
      check_fixed<Ok>(type, p, decode_ok);
      break;
    case MsgType::kError:
      check_fixed<ErrorMsg>(type, p, decode_error);
      break;
    case MsgType::kAck:
      check_fixed<Ack>(type, p, decode_ack);
      break;
    case MsgType::kMessage:
      check_fixed<Message>(type, p, decode_message);
      break;
    case MsgType::kPrivate:
      check_fixed<Private>(type, p, decode_private);
      break;
    case MsgType::kRoomEvent:
      check_fixed<RoomEvent>(type, p, decode_room_event);
      break;
    case MsgType::kPresence:
      check_fixed<Presence>(type, p, decode_presence);
      break;
    case MsgType::kMembers:
      check_list<Members>(type, p, decode_members, tight);
      break;
    case MsgType::kRoomList:
      check_list<RoomList>(type, p, decode_room_list, tight);
      break;
    case MsgType::kHistoryPage:
      check_list<HistoryPage>(type, p, decode_history_page, tight);
      break;
    default:
      FUZZ_CHECK(false);
  }
  return 0;
}
