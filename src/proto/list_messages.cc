// MEMBERS, ROOM_LIST and HISTORY_PAGE: the server messages whose length
// depends on a list, and which must still fit in max_frame.
//
// The encoders write a prefix of the list: they stop at the first entry that
// would break the entry cap or push the frame past max_frame, never skipping
// an entry to fit a later one (a page must not have gaps). Choices beyond
// messages.h:
//  - `total` is written as max(m.total, entries given), so a frame never
//    says it holds more entries than exist;
//  - the fixed part (header, req, room, counts) is always written, even if
//    it alone passes max_frame; the server's configuration rule
//    (max_frame >= max_body + 256) makes that impossible in practice.

#include <algorithm>

#include "proto/coding.h"
#include "proto/messages.h"

namespace chat::proto {

using coding::begin_frame;
using coding::finish_frame;
using coding::patch_u16;
using coding::put_str16;
using coding::put_str8;
using coding::put_u16;
using coding::put_u32;
using coding::put_u64;
using coding::put_u8;
using coding::Reader;
using coding::str16_bytes;
using coding::str8_bytes;

namespace {

static_assert(kMaxListEntries <= UINT16_MAX && kMaxHistoryEntries <= UINT16_MAX);

uint32_t total_at_least(uint32_t total, size_t entries) {
  return static_cast<uint32_t>(std::max<size_t>(total, std::min<size_t>(entries, UINT32_MAX)));
}

// Appends entries[0..] with `put` while each fits under `cap` entries and
// `max_frame` bytes counted from `frame_start`, keeping `reserve` bytes for
// fields that follow the list. Returns how many it wrote.
template <class Entry, class SizeFn, class PutFn>
size_t put_fitting(std::string& out, size_t frame_start, const std::vector<Entry>& entries,
                   size_t cap, uint32_t max_frame, size_t reserve, SizeFn size_of, PutFn put) {
  size_t written = 0;
  for (const Entry& e : entries) {
    if (written == cap) {
      break;
    }
    const size_t frame_after = out.size() - frame_start + size_of(e) + reserve;
    if (frame_after > max_frame) {
      break;
    }
    put(e);
    ++written;
  }
  return written;
}

size_t history_entry_bytes(const HistoryEntry& e) {
  return 8 + 8 + str8_bytes(e.from) + str16_bytes(e.body);
}

}  // namespace

// ---- encoders ----

size_t encode(std::string& out, const Members& m, uint32_t max_frame) {
  size_t start = begin_frame(out, MsgType::kMembers);
  put_u32(out, m.req);
  put_str8(out, m.room);
  put_u32(out, total_at_least(m.total, m.users.size()));
  const size_t count_at = out.size();
  put_u16(out, 0);
  const size_t written = put_fitting(
      out, start, m.users, kMaxListEntries, max_frame, 0,
      [](std::string_view user) { return str8_bytes(user); },
      [&out](std::string_view user) { put_str8(out, user); });
  patch_u16(out, count_at, static_cast<uint16_t>(written));
  finish_frame(out, start);
  return written;
}

size_t encode(std::string& out, const RoomList& m, uint32_t max_frame) {
  size_t start = begin_frame(out, MsgType::kRoomList);
  put_u32(out, m.req);
  put_u32(out, total_at_least(m.total, m.rooms.size()));
  const size_t count_at = out.size();
  put_u16(out, 0);
  const size_t written = put_fitting(
      out, start, m.rooms, kMaxListEntries, max_frame, 0,
      [](const RoomEntry& e) { return str8_bytes(e.room) + 4; },
      [&out](const RoomEntry& e) {
        put_str8(out, e.room);
        put_u32(out, e.members);
      });
  patch_u16(out, count_at, static_cast<uint16_t>(written));
  finish_frame(out, start);
  return written;
}

size_t encode(std::string& out, const HistoryPage& m, uint32_t max_frame) {
  size_t start = begin_frame(out, MsgType::kHistoryPage);
  put_u32(out, m.req);
  put_str8(out, m.room);
  const size_t count_at = out.size();
  put_u16(out, 0);
  const size_t written =
      put_fitting(out, start, m.entries, kMaxHistoryEntries, max_frame,
                  /*reserve=*/1, history_entry_bytes, [&out](const HistoryEntry& e) {
                    put_u64(out, e.seq);
                    put_u64(out, e.time);
                    put_str8(out, e.from);
                    put_str16(out, e.body);
                  });
  patch_u16(out, count_at, static_cast<uint16_t>(written));
  put_u8(out, m.more || written < m.entries.size() ? 1 : 0);
  finish_frame(out, start);
  return written;
}

// ---- decoders ----
//
// A count is only a claim: entries are read while the payload holds them,
// and memory is reserved for no more than the payload could hold.

Decoded<Members> decode_members(Payload p) {
  Decoded<Members> d;
  Members& m = d.msg;
  Reader r(p);
  uint16_t count = 0;
  r.u32(m.req);
  r.str8(m.room);
  r.u32(m.total);
  r.u16(count);
  m.users.reserve(std::min<size_t>(count, r.remaining()));  // >= 1 byte each
  for (size_t i = 0; i < count; ++i) {
    std::string_view user;
    if (!r.str8(user)) {
      break;
    }
    m.users.push_back(user);
  }
  d.error = r.finish(m.req);
  return d;
}

Decoded<RoomList> decode_room_list(Payload p) {
  Decoded<RoomList> d;
  RoomList& m = d.msg;
  Reader r(p);
  uint16_t count = 0;
  r.u32(m.req);
  r.u32(m.total);
  r.u16(count);
  m.rooms.reserve(std::min<size_t>(count, r.remaining() / 5));  // >= 5 bytes each
  for (size_t i = 0; i < count; ++i) {
    RoomEntry e;
    if (!r.str8(e.room) || !r.u32(e.members)) {
      break;
    }
    m.rooms.push_back(e);
  }
  d.error = r.finish(m.req);
  return d;
}

Decoded<HistoryPage> decode_history_page(Payload p) {
  Decoded<HistoryPage> d;
  HistoryPage& m = d.msg;
  Reader r(p);
  uint16_t count = 0;
  r.u32(m.req);
  r.str8(m.room);
  r.u16(count);
  m.entries.reserve(std::min<size_t>(count, r.remaining() / 19));  // >= 19 bytes each
  for (size_t i = 0; i < count; ++i) {
    HistoryEntry e;
    if (!r.u64(e.seq) || !r.u64(e.time) || !r.str8(e.from) || !r.str16(e.body)) {
      break;
    }
    m.entries.push_back(e);
  }
  uint8_t more = 0;
  r.u8(more);
  d.error = r.finish(m.req);
  if (d.ok() && more > 1) {
    d.error = {ErrorCode::kMalformed, m.req, "history page more is neither 0 nor 1"};
  }
  m.more = more == 1;
  return d;
}

}  // namespace chat::proto
