// Internal to src/proto: big-endian field writers, a bounds-checked Reader,
// and frame building. Pure functions on memory; no I/O, no exceptions, no
// allocation beyond the `out` string the caller hands in.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/frame.h"
#include "proto/messages.h"
#include "proto/types.h"

namespace chat::proto::coding {

inline constexpr size_t kMaxStr8Bytes = 0xFF;
inline constexpr size_t kMaxStr16Bytes = 0xFFFF;

// ---- writers: append to `out` ----

inline void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

inline void put_u16(std::string& out, uint16_t v) {
  put_u8(out, static_cast<uint8_t>(v >> 8));
  put_u8(out, static_cast<uint8_t>(v));
}

inline void put_u32(std::string& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}

inline void put_u64(std::string& out, uint64_t v) {
  put_u32(out, static_cast<uint32_t>(v >> 32));
  put_u32(out, static_cast<uint32_t>(v));
}

// Overwrites 2 bytes at `pos`. REQUIRES: pos + 2 <= out.size().
inline void patch_u16(std::string& out, size_t pos, uint16_t v) {
  assert(pos + 2 <= out.size());
  out[pos] = static_cast<char>(v >> 8);
  out[pos + 1] = static_cast<char>(v);
}

// Overwrites 4 bytes at `pos`. REQUIRES: pos + 4 <= out.size().
inline void patch_u32(std::string& out, size_t pos, uint32_t v) {
  assert(pos + 4 <= out.size());
  out[pos] = static_cast<char>(v >> 24);
  out[pos + 1] = static_cast<char>(v >> 16);
  out[pos + 2] = static_cast<char>(v >> 8);
  out[pos + 3] = static_cast<char>(v);
}

// The longest prefix of `s` of at most `max` bytes that does not end inside
// a UTF-8 sequence. Only for strings that break the caller's contract: a
// string that fits is returned whole.
inline std::string_view clamp_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) {
    return s;
  }
  size_t n = max;
  // s[n] is the first byte cut off; while it continues a sequence, the
  // sequence started inside the kept part, so cut before its lead byte.
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) {
    --n;
  }
  return s.substr(0, n);
}

// What put_str8/put_str16 write for `s`: the string, cut if it does not fit.
inline std::string_view str8_part(std::string_view s) { return clamp_utf8(s, kMaxStr8Bytes); }
inline std::string_view str16_part(std::string_view s) { return clamp_utf8(s, kMaxStr16Bytes); }

// Encoded sizes, count prefix included.
inline size_t str8_bytes(std::string_view s) { return 1 + str8_part(s).size(); }
inline size_t str16_bytes(std::string_view s) { return 2 + str16_part(s).size(); }

// REQUIRES (debug): s.size() <= 255. In release a longer string is cut at a
// code point boundary rather than written as a corrupt field.
inline void put_str8(std::string& out, std::string_view s) {
  assert(s.size() <= kMaxStr8Bytes);
  std::string_view part = str8_part(s);
  put_u8(out, static_cast<uint8_t>(part.size()));
  out.append(part);
}

// REQUIRES (debug): s.size() <= 65535. Cut like put_str8 otherwise.
inline void put_str16(std::string& out, std::string_view s) {
  assert(s.size() <= kMaxStr16Bytes);
  std::string_view part = str16_part(s);
  put_u16(out, static_cast<uint16_t>(part.size()));
  out.append(part);
}

// Starts a frame of `type` at the end of `out` with a placeholder length;
// returns where the frame starts, for finish_frame.
inline size_t begin_frame(std::string& out, MsgType type) {
  size_t start = out.size();
  append_header(out, type, 0);
  return start;
}

// Writes the payload length of the frame begun at `start`, which runs to the
// end of `out`.
inline void finish_frame(std::string& out, size_t start) {
  size_t payload = out.size() - start - kHeaderBytes;
  assert(payload <= UINT32_MAX);
  patch_u32(out, start + 4, static_cast<uint32_t>(payload));
}

// ---- Reader: consumes a payload front to back ----
//
// Every read checks the bytes remain. The first short read makes the reader
// fail for good: later reads return false and leave their outputs alone, so
// a decoder may read every field and check once at the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}

  bool u8(uint8_t& v) {
    if (!take(1)) {
      return false;
    }
    v = in_[pos_ - 1];
    return true;
  }

  bool u16(uint16_t& v) {
    if (!take(2)) {
      return false;
    }
    v = static_cast<uint16_t>(be(2));
    return true;
  }

  bool u32(uint32_t& v) {
    if (!take(4)) {
      return false;
    }
    v = static_cast<uint32_t>(be(4));
    return true;
  }

  bool u64(uint64_t& v) {
    if (!take(8)) {
      return false;
    }
    v = be(8);
    return true;
  }

  bool str8(std::string_view& s) {
    uint8_t n = 0;
    return u8(n) && bytes(n, s);
  }

  bool str16(std::string_view& s) {
    uint16_t n = 0;
    return u16(n) && bytes(n, s);
  }

  bool failed() const { return failed_; }
  size_t remaining() const { return in_.size() - pos_; }

  // The structural verdict once every field is read: a short read or bytes
  // left over are MALFORMED, reported with `req` (0 if it was not reached).
  DecodeError finish(uint32_t req) const {
    if (failed_) {
      return {ErrorCode::kMalformed, req, "truncated field"};
    }
    if (pos_ != in_.size()) {
      return {ErrorCode::kMalformed, req, "trailing bytes"};
    }
    return {};
  }

 private:
  // Claims n bytes, which then end at pos_.
  bool take(size_t n) {
    if (failed_ || n > remaining()) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }

  // The n bytes just taken, as a big-endian number.
  uint64_t be(size_t n) const {
    uint64_t v = 0;
    for (size_t i = pos_ - n; i < pos_; ++i) {
      v = (v << 8) | in_[i];
    }
    return v;
  }

  bool bytes(size_t n, std::string_view& s) {
    if (!take(n)) {
      return false;
    }
    s = std::string_view(reinterpret_cast<const char*>(in_.data() + (pos_ - n)), n);
    return true;
  }

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace chat::proto::coding
