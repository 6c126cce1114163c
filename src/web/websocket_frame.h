// WebSocket framing (RFC 6455 §5) for the server side.
//
// Outbound: encode_ws_header() writes the 2-, 4- or 10-byte header of an
// unmasked server frame; the shard puts it in front of the queued chat frames
// in one writev (see docs/architecture.md, "WebSocket output").
//
// Inbound: Debian's libwslay parses and validates frames (wslay_frame_recv:
// header, lengths, control-frame rules, unmasking). A wslay frame context
// holds a 4 KiB input buffer, so a session does not own one: WsParserPool
// (one per loop) lends a WsParser to a session only while the session is in
// the middle of a frame, and takes it back as soon as every byte fed has
// been consumed by complete frames. WsReader adds what wslay_frame leaves
// to its user: masking required, no extensions, message assembly over
// continuation frames, the message size limit, text refused, control
// frames collected whole.
//
// Thread: a WsParserPool belongs to one loop. A WsParser and a WsReader are
// plain objects used by one thread at a time; both may move to another loop
// with their session (a borrowed WsParser is returned to whichever pool the
// session is on then).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct wslay_frame_context;

namespace chat::web {

inline constexpr uint8_t kWsContinuation = 0x0;
inline constexpr uint8_t kWsText = 0x1;
inline constexpr uint8_t kWsBinary = 0x2;
inline constexpr uint8_t kWsClose = 0x8;
inline constexpr uint8_t kWsPing = 0x9;
inline constexpr uint8_t kWsPong = 0xA;

inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseUnsupportedData = 1003;
inline constexpr uint16_t kClosePolicy = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;

inline constexpr size_t kMaxWsHeaderBytes = 10;  // server frames: no mask key
inline constexpr size_t kMaxControlPayload = 125;

// Writes the header of a final, unmasked frame of `opcode` carrying
// `payload_len` bytes into out[0..10). Returns its size: 2 (up to 125
// bytes), 4 (up to 65535) or 10.
size_t encode_ws_header(uint8_t* out, uint8_t opcode, uint64_t payload_len);

// A whole control frame (close with code, or pong with payload) as bytes.
std::string encode_close_frame(uint16_t code);
std::string encode_control_frame(uint8_t opcode, const uint8_t* payload, size_t len);

// One wslay frame context and the input it reads from.
class WsParser {
 public:
  WsParser();
  ~WsParser();
  WsParser(const WsParser&) = delete;
  WsParser& operator=(const WsParser&) = delete;

  struct Piece {
    uint8_t opcode = 0;
    bool fin = false;
    bool masked = false;
    uint8_t rsv = 0;
    uint64_t payload_length = 0;    // of the whole frame
    bool first = false;             // this piece starts the frame
    bool last = false;              // this piece ends the frame
    const uint8_t* data = nullptr;  // unmasked; valid until the next call
    size_t size = 0;
  };
  enum class Result { kPiece, kNeedMore, kProtocolError };

  // The bytes the next calls read from (they are not copied until wslay
  // asks for them). REQUIRES: input_left() == 0.
  void set_input(const uint8_t* data, size_t n);
  size_t input_left() const { return left_; }
  // Copies the input not yet read into `out` and forgets it (a session
  // that moves to another loop takes it along).
  void take_input(std::string& out);
  Result next(Piece* piece);
  // True when every byte fed so far belonged to complete frames: the
  // context holds nothing and may serve another session.
  bool idle() const { return fed_ == done_ && !in_frame_; }

 private:
  static ssize_t recv_cb(uint8_t* buf, size_t len, int flags, void* user);

  wslay_frame_context* ctx_ = nullptr;
  const uint8_t* in_ = nullptr;
  size_t left_ = 0;
  uint64_t fed_ = 0;        // bytes handed to wslay
  uint64_t done_ = 0;       // bytes of complete frames (headers included)
  uint64_t frame_got_ = 0;  // payload bytes of the current frame seen
  bool in_frame_ = false;
};

// Spare WsParsers of one loop.
class WsParserPool {
 public:
  explicit WsParserPool(size_t max_idle = 16) : max_idle_(max_idle) {}
  std::unique_ptr<WsParser> take();
  // REQUIRES: p->idle() and p->input_left() == 0.
  void give_back(std::unique_ptr<WsParser> p);
  size_t idle() const { return idle_.size(); }

 private:
  size_t max_idle_;
  std::vector<std::unique_ptr<WsParser>> idle_;
};

// One WebSocket connection's inbound state: message assembly and checks.
// Small while idle (no buffer): control-frame payloads (at most 125 bytes)
// are kept only while one is split across reads.
class WsReader {
 public:
  explicit WsReader(uint64_t max_message) : max_message_(max_message) {}

  enum class Kind {
    kNeedMore,  // all input consumed
    kData,      // binary message bytes: data/size
    kPing,      // a whole ping: data/size is its payload
    kPong,      // a whole pong (ignored by the server)
    kClose,     // the peer's close frame: code (1005 when it gave none)
    kFail,      // protocol violation: close with `code`
  };
  struct Event {
    Kind kind = Kind::kNeedMore;
    const uint8_t* data = nullptr;
    size_t size = 0;
    uint16_t code = 0;
  };

  // Gives the reader more input. Takes a parser from `pool` when it holds
  // none. REQUIRES: the previous input was read to kNeedMore (or the
  // reader failed).
  void feed(WsParserPool& pool, const uint8_t* data, size_t n);
  // The next event; data pointers stay valid until the next call. After
  // kNeedMore the parser goes back to `pool` when it holds nothing.
  Event next(WsParserPool& pool);
  // Unread input (for a move to another loop): see WsParser::take_input.
  void take_input(std::string& out);
  // Returns a held parser to `pool` if idle, else frees it (closing).
  void release(WsParserPool& pool);
  bool holds_parser() const { return parser_ != nullptr; }

 private:
  Event fail(uint16_t code);
  Event control_piece(const WsParser::Piece& p);

  uint64_t max_message_;
  std::unique_ptr<WsParser> parser_;
  uint64_t message_bytes_ = 0;  // of the binary message in progress
  bool in_message_ = false;     // a fragmented binary message is open
  bool failed_ = false;
  std::string control_;  // a control frame's payload split over reads
};

}  // namespace chat::web
