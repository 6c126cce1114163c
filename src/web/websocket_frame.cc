#include "web/websocket_frame.h"

#include <wslay/wslay.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace chat::web {

size_t encode_ws_header(uint8_t* out, uint8_t opcode, uint64_t payload_len) {
  out[0] = static_cast<uint8_t>(0x80 | (opcode & 0x0F));  // FIN, no RSV
  if (payload_len <= 125) {
    out[1] = static_cast<uint8_t>(payload_len);
    return 2;
  }
  if (payload_len <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_len >> 8);
    out[3] = static_cast<uint8_t>(payload_len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
  return 10;
}

std::string encode_control_frame(uint8_t opcode, const uint8_t* payload, size_t len) {
  len = std::min(len, kMaxControlPayload);
  uint8_t header[kMaxWsHeaderBytes];
  size_t h = encode_ws_header(header, opcode, len);
  std::string out(reinterpret_cast<const char*>(header), h);
  if (len > 0) out.append(reinterpret_cast<const char*>(payload), len);
  return out;
}

std::string encode_close_frame(uint16_t code) {
  const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  return encode_control_frame(kWsClose, payload, sizeof payload);
}

// ---------------------------------------------------------------- WsParser

namespace {

uint64_t client_header_bytes(uint64_t payload_len, bool masked) {
  // The shortest encoding: a frame that used a longer one makes done_ fall
  // behind fed_, so its parser is never returned as idle (safe, not wrong).
  uint64_t n = 2;
  if (payload_len > 0xFFFF) {
    n += 8;
  } else if (payload_len >= 126) {
    n += 2;
  }
  return n + (masked ? 4 : 0);
}

}  // namespace

WsParser::WsParser() {
  wslay_frame_callbacks callbacks{};
  callbacks.recv_callback = &WsParser::recv_cb;
  if (wslay_frame_context_init(&ctx_, &callbacks, this) != 0) std::abort();  // out of memory
}

WsParser::~WsParser() { wslay_frame_context_free(ctx_); }

ssize_t WsParser::recv_cb(uint8_t* buf, size_t len, int /*flags*/, void* user) {
  auto* self = static_cast<WsParser*>(user);
  size_t n = std::min(len, self->left_);
  if (n == 0) return -1;  // wslay: nothing more now (WANT_READ)
  std::memcpy(buf, self->in_, n);
  self->in_ += n;
  self->left_ -= n;
  self->fed_ += n;
  return static_cast<ssize_t>(n);
}

void WsParser::set_input(const uint8_t* data, size_t n) {
  in_ = data;
  left_ = n;
}

void WsParser::take_input(std::string& out) {
  out.append(reinterpret_cast<const char*>(in_), left_);
  in_ = nullptr;
  left_ = 0;
}

WsParser::Result WsParser::next(Piece* piece) {
  wslay_frame_iocb iocb{};
  ssize_t r = wslay_frame_recv(ctx_, &iocb);
  if (r == WSLAY_ERR_WANT_READ) return Result::kNeedMore;
  if (r < 0) return Result::kProtocolError;
  piece->opcode = iocb.opcode;
  piece->fin = iocb.fin != 0;
  piece->masked = iocb.mask != 0;
  piece->rsv = iocb.rsv;
  piece->payload_length = iocb.payload_length;
  piece->data = iocb.data;
  piece->size = iocb.data_length;
  piece->first = !in_frame_;
  frame_got_ = in_frame_ ? frame_got_ + iocb.data_length : iocb.data_length;
  piece->last = frame_got_ == iocb.payload_length;
  in_frame_ = !piece->last;
  if (piece->last) done_ += client_header_bytes(iocb.payload_length, piece->masked) + frame_got_;
  return Result::kPiece;
}

std::unique_ptr<WsParser> WsParserPool::take() {
  if (idle_.empty()) return std::make_unique<WsParser>();
  std::unique_ptr<WsParser> p = std::move(idle_.back());
  idle_.pop_back();
  return p;
}

void WsParserPool::give_back(std::unique_ptr<WsParser> p) {
  if (idle_.size() < max_idle_) idle_.push_back(std::move(p));
}

// ---------------------------------------------------------------- WsReader

void WsReader::feed(WsParserPool& pool, const uint8_t* data, size_t n) {
  if (failed_) return;
  if (parser_ == nullptr) parser_ = pool.take();
  parser_->set_input(data, n);
}

void WsReader::take_input(std::string& out) {
  if (parser_ != nullptr) parser_->take_input(out);
}

void WsReader::release(WsParserPool& pool) {
  if (parser_ == nullptr) return;
  if (parser_->idle() && parser_->input_left() == 0) {
    pool.give_back(std::move(parser_));
  }
  parser_.reset();
}

WsReader::Event WsReader::fail(uint16_t code) {
  failed_ = true;
  parser_.reset();  // its state is no longer meaningful
  Event e;
  e.kind = Kind::kFail;
  e.code = code;
  return e;
}

WsReader::Event WsReader::control_piece(const WsParser::Piece& p) {
  // wslay has checked: at most 125 bytes and FIN set.
  Event e;
  const uint8_t* data = p.data;
  size_t size = p.size;
  if (!p.first || !p.last) {
    if (p.first) control_.clear();
    control_.append(reinterpret_cast<const char*>(p.data), p.size);
    if (!p.last) return e;  // kNeedMore-like: the caller asks again
    data = reinterpret_cast<const uint8_t*>(control_.data());
    size = control_.size();
  }
  if (p.opcode == kWsPing) {
    e.kind = Kind::kPing;
    e.data = data;
    e.size = size;
  } else if (p.opcode == kWsPong) {
    e.kind = Kind::kPong;
  } else {  // close
    e.kind = Kind::kClose;
    e.code = 1005;  // no status code given
    if (size == 1) return fail(kCloseProtocolError);
    if (size >= 2) {
      uint16_t code = static_cast<uint16_t>((data[0] << 8) | data[1]);
      bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
                   (code >= 3000 && code <= 4999);
      if (!valid) return fail(kCloseProtocolError);
      e.code = code;
    }
  }
  return e;
}

WsReader::Event WsReader::next(WsParserPool& pool) {
  Event none;
  if (failed_ || parser_ == nullptr) return none;
  for (;;) {
    WsParser::Piece p;
    WsParser::Result r = parser_->next(&p);
    if (r == WsParser::Result::kNeedMore) {
      if (parser_->idle()) {
        std::string().swap(control_);
        pool.give_back(std::move(parser_));
        parser_.reset();
      }
      return none;
    }
    if (r == WsParser::Result::kProtocolError) return fail(kCloseProtocolError);
    if (p.first) {
      // Checks made once per frame, on its header, before any payload.
      if (!p.masked || p.rsv != 0) return fail(kCloseProtocolError);
      switch (p.opcode) {
        case kWsText:
          return fail(kCloseUnsupportedData);
        case kWsBinary:
          if (in_message_) return fail(kCloseProtocolError);
          in_message_ = true;
          message_bytes_ = 0;
          break;
        case kWsContinuation:
          if (!in_message_) return fail(kCloseProtocolError);
          break;
        case kWsClose:
        case kWsPing:
        case kWsPong:
          break;
        default:
          return fail(kCloseProtocolError);  // reserved opcode
      }
      if (p.opcode == kWsBinary || p.opcode == kWsContinuation) {
        if (p.payload_length > max_message_ - message_bytes_) return fail(kCloseTooBig);
        message_bytes_ += p.payload_length;
      }
    }
    if (p.opcode >= kWsClose) {
      Event e = control_piece(p);
      if (e.kind == Kind::kNeedMore) continue;
      return e;
    }
    if (p.last && p.fin) in_message_ = false;
    if (p.size == 0) continue;  // an empty frame: nothing to deliver
    Event e;
    e.kind = Kind::kData;
    e.data = p.data;
    e.size = p.size;
    return e;
  }
}

}  // namespace chat::web
