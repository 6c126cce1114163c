// Fuzzes decode_frame the way a server consumes a byte stream: reads of
// varying sizes appended to a buffer, every whole frame taken off its front,
// the connection dropped at the first BAD_FRAME or FRAME_TOO_LARGE. The
// frames found that way must be exactly those found in the whole stream at
// once, and each client payload goes through its decoder.
//
// Input: byte 0 seeds the read sizes, byte 1 picks max_frame, the rest is
// the stream.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../tests/proto/message_testing.h"
#include "fuzz_check.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace {

using chat::proto::decode_frame;
using chat::proto::FrameStatus;
using chat::proto::FrameView;
using chat::proto::kHeaderBytes;

struct Seen {
  FrameStatus status;
  uint8_t type;
  uint32_t length;
  size_t offset;  // of the frame in the stream

  bool operator==(const Seen&) const = default;
};

// Checks what decode_frame promises about one result on `in`.
void check_view(const FrameView& f, std::span<const uint8_t> in, uint32_t max_frame) {
  switch (f.status) {
    case FrameStatus::kFrame:
      FUZZ_CHECK(f.length <= max_frame);
      FUZZ_CHECK(f.frame_bytes == kHeaderBytes + f.length);
      FUZZ_CHECK(f.frame_bytes <= in.size());
      FUZZ_CHECK(f.payload.data() == in.data() + kHeaderBytes);
      FUZZ_CHECK(f.payload.size() == f.length);
      break;
    case FrameStatus::kNeedMore:
      if (in.size() >= kHeaderBytes) {
        FUZZ_CHECK(f.length <= max_frame);
        FUZZ_CHECK(in.size() - kHeaderBytes < f.length);
      }
      FUZZ_CHECK(f.frame_bytes == 0);
      break;
    case FrameStatus::kBadFrame:
      FUZZ_CHECK(in.size() >= kHeaderBytes);
      FUZZ_CHECK(in[0] != 0xCA || in[1] != 0xF0 || in[2] != 1);
      break;
    case FrameStatus::kTooLarge:
      FUZZ_CHECK(in.size() >= kHeaderBytes);
      FUZZ_CHECK(f.length > max_frame);
      break;
  }
}

// What a server does with one whole frame: judge the type, decode the payload.
void handle(const FrameView& f) {
  if (!chat::proto::is_client_type(f.type)) {
    return;  // UNKNOWN_TYPE, connection kept
  }
  chat::proto::DecodeError e = chat::test::decode_client_error(f.type, f.payload);
  FUZZ_CHECK(e.code == chat::proto::ErrorCode::kNone ||
             e.code == chat::proto::ErrorCode::kMalformed ||
             e.code == chat::proto::ErrorCode::kInvalidName ||
             e.code == chat::proto::ErrorCode::kInvalidBody);
  FUZZ_CHECK(e.code == chat::proto::ErrorCode::kNone || !e.reason.empty());
}

// The reference: the whole stream in one buffer.
std::vector<Seen> all_at_once(std::span<const uint8_t> stream, uint32_t max_frame) {
  std::vector<Seen> seen;
  size_t pos = 0;
  while (true) {
    std::span<const uint8_t> rest = stream.subspan(pos);
    FrameView f = decode_frame(rest, max_frame);
    check_view(f, rest, max_frame);
    if (f.status == FrameStatus::kNeedMore) {
      return seen;
    }
    seen.push_back({f.status, f.type, f.length, pos});
    if (f.status != FrameStatus::kFrame) {
      return seen;  // the connection closes
    }
    handle(f);
    pos += f.frame_bytes;
  }
}

// The server's way: reads of `next_read()` bytes into a buffer that keeps
// only the unconsumed tail.
template <class NextRead>
std::vector<Seen> read_by_read(std::span<const uint8_t> stream, uint32_t max_frame,
                               NextRead next_read) {
  std::vector<Seen> seen;
  std::vector<uint8_t> buffer;
  size_t consumed = 0;  // stream offset of buffer[0]
  size_t fed = 0;
  while (fed < stream.size()) {
    size_t n = std::min(next_read(), stream.size() - fed);
    buffer.insert(buffer.end(), stream.begin() + static_cast<ptrdiff_t>(fed),
                  stream.begin() + static_cast<ptrdiff_t>(fed + n));
    fed += n;
    size_t front = 0;
    while (true) {
      std::span<const uint8_t> rest = std::span<const uint8_t>(buffer).subspan(front);
      FrameView f = decode_frame(rest, max_frame);
      check_view(f, rest, max_frame);
      if (f.status == FrameStatus::kNeedMore) {
        break;
      }
      seen.push_back({f.status, f.type, f.length, consumed + front});
      if (f.status != FrameStatus::kFrame) {
        return seen;
      }
      handle(f);
      front += f.frame_bytes;
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(front));
    consumed += front;
    // What stays buffered is part of one frame: less than a header, or less
    // than a header and a payload max_frame allows.
    FUZZ_CHECK(buffer.size() < kHeaderBytes + size_t{max_frame});
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  static constexpr uint32_t kMaxFrames[] = {0, 1, 16, 100, 4096, 65536, UINT32_MAX, 12};
  const uint32_t max_frame = kMaxFrames[data[1] % std::size(kMaxFrames)];
  std::span<const uint8_t> stream(data + 2, size - 2);

  const std::vector<Seen> reference = all_at_once(stream, max_frame);

  // One byte per read, the worst case the protocol allows.
  FUZZ_CHECK(read_by_read(stream, max_frame, [] { return size_t{1}; }) == reference);

  // Reads of varying sizes from a small generator seeded by byte 0.
  uint32_t state = data[0] * 2654435761u + 1;
  auto varying = [&state] {
    state = state * 1103515245u + 12345u;
    return size_t{1} + (state >> 16) % 40;
  };
  FUZZ_CHECK(read_by_read(stream, max_frame, varying) == reference);
  return 0;
}
