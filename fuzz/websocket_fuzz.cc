// Fuzzes a web connection's input path as the server runs it: the HTTP
// request through HttpRequestParser (in reads of varying sizes), the upgrade
// check on it, then whatever follows the request through WsReader (wslay
// frame parsing, masking, message assembly, the size limit), again in reads
// of varying sizes. The binary payload delivered must be exactly what one
// pass over the whole stream delivers, never more than max_message per
// message, and nothing may come after a failure or a close.
//
// Input: byte 0 seeds the read sizes, byte 1 picks max_message, the rest is
// the stream.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "metrics/http_request_parser.h"
#include "web/websocket_frame.h"
#include "web/websocket_handshake.h"

namespace {

using chat::web::WsParserPool;
using chat::web::WsReader;

struct Outcome {
  std::string data;
  std::string events;  // one letter per non-data event, for comparison
  bool ended = false;
};

// Runs `in` through a reader in reads of sizes drawn from `seed`.
Outcome read_all(std::string_view in, uint64_t max_message, uint32_t seed, WsParserPool& pool) {
  Outcome o;
  WsReader r(max_message);
  size_t off = 0;
  while (off < in.size() && !o.ended) {
    seed = seed * 1103515245u + 12345u;
    size_t n = seed == 0 ? in.size() : 1 + (seed >> 16) % 700;
    n = std::min(n, in.size() - off);
    r.feed(pool, reinterpret_cast<const uint8_t*>(in.data() + off), n);
    off += n;
    for (;;) {
      WsReader::Event e = r.next(pool);
      if (e.kind == WsReader::Kind::kNeedMore) break;
      if (e.kind == WsReader::Kind::kData) {
        FUZZ_CHECK(e.size > 0 && e.size <= max_message);
        o.data.append(reinterpret_cast<const char*>(e.data), e.size);
        continue;
      }
      if (e.kind == WsReader::Kind::kPing) FUZZ_CHECK(e.size <= chat::web::kMaxControlPayload);
      o.events += static_cast<char>('a' + static_cast<int>(e.kind));
      if (e.kind == WsReader::Kind::kFail || e.kind == WsReader::Kind::kClose) {
        o.events += std::to_string(e.code);
        o.ended = true;
        break;
      }
    }
  }
  r.release(pool);
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t seed = data[0];
  const uint64_t max_message = 1 + uint64_t{data[1]} * 97;
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  // HTTP request, as the web listener reads it.
  chat::metrics::HttpRequestParser http(8192);
  size_t off = 0;
  uint32_t s = seed;
  bool upgraded = false;
  while (off < stream.size()) {
    s = s * 1664525u + 1013904223u;
    size_t n = std::min<size_t>(1 + (s >> 20) % 300, stream.size() - off);
    auto step = http.feed(stream.substr(off, n));
    FUZZ_CHECK(step.consumed <= n);
    off += step.consumed;
    if (step.state == chat::metrics::HttpRequestParser::State::kError) return 0;
    if (step.state == chat::metrics::HttpRequestParser::State::kRequest) {
      auto check = chat::web::check_upgrade(http.request(), {});
      if (check.refusal == chat::web::UpgradeRefusal::kNone) FUZZ_CHECK(check.accept.size() == 28);
      upgraded = true;
      break;
    }
    if (step.consumed < n) return 0;  // the parser stopped short without saying why
  }
  // Whatever follows the request (or the whole stream when it was not one)
  // goes through the WebSocket reader, split two ways.
  std::string_view ws = upgraded ? stream.substr(off) : stream;
  WsParserPool pool;
  Outcome whole = read_all(ws, max_message, 0, pool);
  Outcome pieces = read_all(ws, max_message, seed + 1, pool);
  FUZZ_CHECK(whole.data == pieces.data);
  FUZZ_CHECK(whole.events == pieces.events);
  FUZZ_CHECK(whole.data.size() <= ws.size());
  return 0;
}
