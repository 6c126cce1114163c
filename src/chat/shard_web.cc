// Shard, part 5: connections on the web listener. Each is a Session with a
// WebConn: its HTTP request is parsed (http-parser) and answered with a page
// file or an error, or upgraded to WebSocket at /ws. From then on binary
// message payloads feed the same chat frame reader a TCP session uses, and
// the session's queued chat frames go out as binary messages (write_web).
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "chat/shard.h"
#include "web/static_files.h"
#include "web/websocket_handshake.h"

namespace chat {

namespace {

constexpr int kMaxIovecs = 64;
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

// Cuts iov[0..n) so that it covers at most `limit` bytes; returns the count
// left and their total in *total.
int limit_iovec(struct iovec* iov, int n, uint64_t limit, uint64_t* total) {
  uint64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    if (sum + iov[i].iov_len >= limit) {
      iov[i].iov_len = static_cast<size_t>(limit - sum);
      *total = limit;
      return iov[i].iov_len == 0 ? i : i + 1;
    }
    sum += iov[i].iov_len;
  }
  *total = sum;
  return n;
}

// Appends the first `n` bytes of `q` to `out` and drops them from `q`.
void take_front(net::OutboundQueue& q, net::ChunkPool& pool, uint64_t n, std::string& out) {
  struct iovec iov[kMaxIovecs];
  while (n > 0 && !q.empty()) {
    uint64_t total = 0;
    int k = limit_iovec(iov, q.fill_iovec(iov, kMaxIovecs), n, &total);
    for (int i = 0; i < k; ++i)
      out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    q.consume(pool, static_cast<size_t>(total));
    n -= total;
  }
}

}  // namespace

uint16_t Shard::ws_close_code(CloseReason reason) {
  switch (reason) {
    case CloseReason::kBye:
    case CloseReason::kPeer:
    case CloseReason::kIdle:
      return web::kCloseNormal;
    case CloseReason::kShutdown:
      return web::kCloseGoingAway;
    default:
      return web::kClosePolicy;  // the ERROR frame before it says why
  }
}

// ---------------------------------------------------------------- input

void Shard::consume_web_input(Session& s, const uint8_t* data, size_t n) {
  WebConn& w = *s.web;
  if (w.phase == WebConn::Phase::kHttp) {
    auto step = w.http->feed({reinterpret_cast<const char*>(data), n});
    if (step.state == metrics::HttpRequestParser::State::kNeedMore) return;
    if (step.state == metrics::HttpRequestParser::State::kError) {
      stats_.web_http_errors.add();
      respond_http(s, w.http->error_status(), kTextPlain, w.http->error_reason() + "\n");
      return;
    }
    answer_http(s, data + step.consumed, n - step.consumed);
    return;
  }
  if (w.phase == WebConn::Phase::kWebSocket) read_websocket(s, data, n);
  // kClosed: the last reply is on its way; input is ignored.
}

void Shard::answer_http(Session& s, const uint8_t* rest, size_t rest_len) {
  WebConn& w = *s.web;
  const metrics::HttpRequest& req = w.http->request();
  const bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    stats_.web_http_errors.add();
    respond_http(s, 405, kTextPlain, "only GET and HEAD\n");
    return;
  }
  if (req.path == "/ws") {
    web::UpgradeCheck check = web::check_upgrade(req, ctx_.web_origins);
    if (check.refusal != web::UpgradeRefusal::kNone) {
      stats_.web_refused[static_cast<size_t>(check.refusal)].add();
      spdlog::debug("loop {}: WebSocket upgrade refused: {}", index_, check.reason);
      int status = check.refusal == web::UpgradeRefusal::kBadOrigin ? 403 : 400;
      respond_http(s, status, kTextPlain, check.reason + "\n");
      return;
    }
    stats_.web_upgrades.add();
    queue_raw(s, web::upgrade_response(check.accept));
    w.phase = WebConn::Phase::kWebSocket;
    w.http.reset();  // no parser kept for the life of the session
    // The HELLO timer set at accept still runs: the upgrade is not a login.
    if (rest_len > 0) read_websocket(s, rest, rest_len);
    return;
  }
  std::optional<web::StaticFile> file = web::find_static_file(req.path);
  if (!file) {
    stats_.web_http_errors.add();
    respond_http(s, 404, kTextPlain, "not found\n", head);
    return;
  }
  stats_.web_files.add();
  respond_http(s, 200, file->content_type, file->body, head);
}

void Shard::respond_http(Session& s, int status, std::string_view content_type,
                         std::string_view body, bool head_only) {
  WebConn& w = *s.web;
  queue_raw(s, web::http_response(status, content_type, body, head_only));
  w.phase = WebConn::Phase::kClosed;
  w.http.reset();
  close_session(s, CloseReason::kHttpDone);
}

void Shard::read_websocket(Session& s, const uint8_t* data, size_t n) {
  s.web->reader.feed(ws_parsers_, data, n);
  for (;;) {
    // s.web may be gone after consume_input: the session moved loops.
    if (s.web == nullptr || s.state == SessionState::kClosing || s.state == SessionState::kFree) {
      return;
    }
    WebConn& w = *s.web;
    web::WsReader::Event e = w.reader.next(ws_parsers_);
    switch (e.kind) {
      case web::WsReader::Kind::kNeedMore:
        return;
      case web::WsReader::Kind::kData:
        consume_input(s, e.data, e.size);
        break;
      case web::WsReader::Kind::kPing:
        queue_pong(s, e.data, e.size);
        break;
      case web::WsReader::Kind::kPong:
        break;
      case web::WsReader::Kind::kClose:
        // Answer with the peer's code, then close once it is out.
        w.close_code = e.code == 1005 ? web::kCloseNormal : e.code;
        close_session(s, CloseReason::kPeer);
        return;
      case web::WsReader::Kind::kFail:
        stats_.ws_protocol_closes.add();
        w.close_code = e.code;
        close_session(s, CloseReason::kProtocol);
        return;
    }
  }
}

// ---------------------------------------------------------------- output

void Shard::queue_raw(Session& s, std::string_view bytes) {
  if (bytes.empty()) return;
  s.out.push(chunks_, Frame::copy_of(bytes));
  s.web->raw_left += bytes.size();
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(s.slot);
  }
}

void Shard::queue_pong(Session& s, const uint8_t* payload, size_t n) {
  WebConn& w = *s.web;
  // One pong waits at a time; a newer ping replaces one not started (RFC
  // 6455 §5.5.3 allows answering only the most recent).
  if (w.control_off > 0) return;
  w.control = web::encode_control_frame(web::kWsPong, payload, n);
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(s.slot);
  }
}

void Shard::write_web(Session& s, size_t budget) {
  WebConn& w = *s.web;
  struct iovec iov[kMaxIovecs];
  enum class Part { kRaw, kControl, kMessage };
  while (!s.write_blocked && budget > 0) {
    Part part;
    int n = 0;
    uint64_t total = 0;
    if (w.raw_left > 0) {
      part = Part::kRaw;
      n = limit_iovec(iov, s.out.fill_iovec(iov, kMaxIovecs), w.raw_left, &total);
    } else if (w.message_in_flight()) {
      part = Part::kMessage;
      if (w.header_off < w.header_len) {
        iov[0].iov_base = w.header + w.header_off;
        iov[0].iov_len = static_cast<size_t>(w.header_len - w.header_off);
        n = 1;
      }
      uint64_t payload = 0;
      n += limit_iovec(iov + n, s.out.fill_iovec(iov + n, kMaxIovecs - n), w.msg_left, &payload);
    } else if (w.control_off < w.control.size()) {
      part = Part::kControl;
      iov[0].iov_base = w.control.data() + w.control_off;
      iov[0].iov_len = w.control.size() - w.control_off;
      n = 1;
    } else if (!s.out.empty()) {
      // A new binary message: exactly the queued frames this writev can
      // carry, behind a header announcing their length.
      int k = s.out.fill_iovec(iov, kMaxIovecs - 1);
      uint64_t len = 0;
      for (int i = 0; i < k; ++i) len += iov[i].iov_len;
      w.msg_left = len;
      w.header_len = static_cast<uint8_t>(web::encode_ws_header(w.header, web::kWsBinary, len));
      w.header_off = 0;
      continue;
    } else if (w.close_code != 0 && !w.close_queued) {
      w.close_queued = true;
      w.control = web::encode_close_frame(w.close_code);
      w.control_off = 0;
      continue;
    } else {
      break;
    }
    if (n == 0) break;
    ssize_t written = ::writev(s.fd, iov, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        s.write_blocked = true;
        break;
      }
      s.out.clear(chunks_);
      w.raw_left = w.msg_left = 0;
      w.header_len = w.header_off = 0;
      std::string().swap(w.control);
      w.control_off = 0;
      w.close_queued = true;
      close_session(s, CloseReason::kPeer);
      s.close_now = true;
      return;
    }
    auto wrote = static_cast<uint64_t>(written);
    stats_.bytes_out.add(wrote);
    budget -= std::min<size_t>(budget, static_cast<size_t>(wrote));
    switch (part) {
      case Part::kRaw:
        s.out.consume(chunks_, static_cast<size_t>(wrote));
        w.raw_left -= wrote;
        break;
      case Part::kControl:
        w.control_off += static_cast<size_t>(wrote);
        if (w.control_off == w.control.size()) {
          std::string().swap(w.control);
          w.control_off = 0;
        }
        break;
      case Part::kMessage: {
        uint64_t h = std::min<uint64_t>(wrote, w.header_len - w.header_off);
        w.header_off = static_cast<uint8_t>(w.header_off + h);
        s.out.consume(chunks_, static_cast<size_t>(wrote - h));
        w.msg_left -= wrote - h;
        if (w.msg_left == 0 && w.header_off == w.header_len) w.header_len = w.header_off = 0;
        break;
      }
    }
  }
}

std::string Shard::take_web_output(Session& s) {
  WebConn& w = *s.web;
  std::string out;
  take_front(s.out, chunks_, w.raw_left, out);
  w.raw_left = 0;
  if (w.header_off < w.header_len) {
    out.append(reinterpret_cast<const char*>(w.header + w.header_off),
               static_cast<size_t>(w.header_len - w.header_off));
  }
  take_front(s.out, chunks_, w.msg_left, out);
  w.msg_left = 0;
  w.header_len = w.header_off = 0;
  if (w.control_off < w.control.size()) out.append(w.control, w.control_off);
  std::string().swap(w.control);
  w.control_off = 0;
  if (!s.out.empty()) {
    uint8_t header[web::kMaxWsHeaderBytes];
    size_t h = web::encode_ws_header(header, web::kWsBinary, s.out.bytes());
    out.append(reinterpret_cast<const char*>(header), h);
    take_front(s.out, chunks_, s.out.bytes(), out);
  }
  return out;
}

}  // namespace chat
