// PROTOCOL.md §1 and §7 on a real socket: the invalid vectors of
// tests/data/protocol-vectors.json, frames split down to one byte per write,
// many frames per write, the length check before the payload, unknown types.
#include <algorithm>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "mini_json.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;
using proto::MsgType;

std::string header(uint8_t type, uint32_t length) {
  std::string h;
  h += static_cast<char>(0xCA);
  h += static_cast<char>(0xF0);
  h += static_cast<char>(proto::kVersion);
  h += static_cast<char>(type);
  for (int shift = 24; shift >= 0; shift -= 8) h += static_cast<char>((length >> shift) & 0xFF);
  return h;
}

std::string raw_frame(uint8_t type, std::string_view payload) {
  return header(type, static_cast<uint32_t>(payload.size())) + std::string(payload);
}

std::string u32be(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xFF);
  return s;
}

template <class M>
std::string encoded(const M& m) {
  std::string out;
  proto::encode(out, m);
  return out;
}

std::optional<ErrorCode> code_by_name(const std::string& name) {
  for (uint16_t c = 1; c < 64; ++c) {
    if (proto::error_name(static_cast<ErrorCode>(c)) == name) return static_cast<ErrorCode>(c);
  }
  return std::nullopt;
}

bool is_framing_code(ErrorCode c) {
  return c == ErrorCode::kBadFrame || c == ErrorCode::kFrameTooLarge ||
         c == ErrorCode::kUnknownType;
}

// §7: which codes close the connection (outside HELLO).
bool closes_by_table(ErrorCode c) {
  switch (c) {
    case ErrorCode::kBadFrame:
    case ErrorCode::kFrameTooLarge:
    case ErrorCode::kAuthFailed:
    case ErrorCode::kSlowConsumer:
    case ErrorCode::kIdleTimeout:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kServerFull:
      return true;
    default:
      return false;
  }
}

// What an `invalid` vector expects, read from its "expect" text, e.g.
// "ERROR MALFORMED req 2 (or 0), connection kept".
struct VectorExpectation {
  std::string name;
  std::string bytes;
  ErrorCode code = ErrorCode::kNone;
  std::vector<uint32_t> reqs;  // acceptable req values
  bool closes = false;
};

VectorExpectation parse_vector(const JsonValue& v) {
  VectorExpectation e;
  e.name = v.str("name");
  e.bytes = from_hex(v.str("hex"));
  std::string expect = v.str("expect");
  std::smatch m;
  if (std::regex_search(expect, m, std::regex("ERROR ([A-Z_]+)"))) {
    if (auto c = code_by_name(m[1].str())) e.code = *c;
  }
  if (expect.find("kept") != std::string::npos) {
    e.closes = false;
  } else if (std::regex_search(expect, std::regex("\\bclose"))) {
    e.closes = true;
  } else {
    e.closes = closes_by_table(e.code);
  }
  if (std::regex_search(expect, m, std::regex("req ([0-9]+)( \\(or 0\\))?"))) {
    e.reqs.push_back(static_cast<uint32_t>(std::stoul(m[1].str())));
    if (m[2].matched) e.reqs.push_back(0);
  } else if (is_framing_code(e.code)) {
    e.reqs.push_back(0);  // the server's choice: framing errors carry req 0
  } else {
    // The server's choice: MALFORMED (and other payload errors) carry the req
    // when the payload got that far. Every client type but PING/PONG starts with it.
    auto type = e.bytes.size() > 3 ? static_cast<uint8_t>(e.bytes[3]) : 0;
    bool has_req = type != static_cast<uint8_t>(MsgType::kPing) &&
                   type != static_cast<uint8_t>(MsgType::kPong);
    if (has_req && e.bytes.size() >= proto::kHeaderBytes + 4) {
      const auto* p = reinterpret_cast<const unsigned char*>(e.bytes.data()) + proto::kHeaderBytes;
      e.reqs.push_back((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) |
                       uint32_t{p[3]});
    } else {
      e.reqs.push_back(0);
    }
  }
  return e;
}

std::vector<VectorExpectation> load_invalid_vectors() {
  std::string error;
  auto doc = load_json_file(std::string(CHATD_TEST_DATA) + "/protocol-vectors.json", &error);
  if (!doc) {
    ADD_FAILURE() << "protocol-vectors.json: " << error;
    return {};
  }
  std::vector<VectorExpectation> out;
  if (const JsonValue* inv = doc->find("invalid")) {
    for (const auto& v : inv->items) out.push_back(parse_vector(v));
  }
  return out;
}

void check_error_reply(TestClient& c, const VectorExpectation& e) {
  Frame f = c.next_reply();
  auto err = decode_as<proto::ErrorMsg>(f);
  EXPECT_EQ(err->code, e.code) << f.describe();
  bool req_ok = std::find(e.reqs.begin(), e.reqs.end(), err->req) != e.reqs.end();
  EXPECT_TRUE(req_ok) << "unexpected req in " << f.describe();
}

class FramingTest : public ServerTest {};

TEST_P(FramingTest, InvalidVectorsAfterLogin) {
  start_server({{"max-frame", "65536"}});
  auto vectors = load_invalid_vectors();
  ASSERT_GE(vectors.size(), 8u);
  int i = 0;
  for (const auto& e : vectors) {
    SCOPED_TRACE("vector \"" + e.name + "\"");
    ASSERT_NE(e.code, ErrorCode::kNone) << "cannot read the expected code";
    auto c = login("vec" + std::to_string(i++));
    c->send_raw(e.bytes);
    check_error_reply(*c, e);
    if (e.closes) {
      c->expect_closed();
    } else {
      c->expect_open();
      // Still logged in and in sync: a request gets its own reply.
      EXPECT_EQ(c->join("after-vector"), 0u);
      c->leave("after-vector");
    }
  }
}

TEST_P(FramingTest, FramingErrorsBeforeLoginClose) {
  start_server({{"max-frame", "65536"}});
  for (const auto& e : load_invalid_vectors()) {
    if (e.code != ErrorCode::kBadFrame && e.code != ErrorCode::kFrameTooLarge) continue;
    SCOPED_TRACE("vector \"" + e.name + "\" before HELLO");
    auto c = connect();
    c->send_raw(e.bytes);
    c->expect_error(e.code, 0);
    c->expect_closed();
  }
}

TEST_P(FramingTest, OversizedLengthRefusedAfterHeaderOnly) {
  start_server({{"max-frame", "8192"}, {"max-body", "4096"}});
  for (uint32_t length : {8193u, 65537u, 0xFFFFFFFFu}) {
    SCOPED_TRACE("length " + std::to_string(length));
    auto c = login("big" + std::to_string(length));
    // Only the header: the server must judge it without waiting for the payload.
    c->send_raw(header(static_cast<uint8_t>(MsgType::kSay), length));
    c->expect_error(ErrorCode::kFrameTooLarge, 0);
    c->expect_closed();
  }
  {
    SCOPED_TRACE("before HELLO");
    auto c = connect();
    c->send_raw(header(static_cast<uint8_t>(MsgType::kHello), 8193));
    c->expect_error(ErrorCode::kFrameTooLarge, 0);
    c->expect_closed();
  }
}

TEST_P(FramingTest, LengthOfExactlyMaxFrameIsAccepted) {
  start_server({{"max-frame", "8192"}, {"max-body", "4096"}});
  auto c = login("edge");
  // An unknown type, so the payload's content does not matter: the frame is
  // delimited and refused as UNKNOWN_TYPE, not as too large.
  c->send_raw(raw_frame(0x30, std::string(8192, 'x')));
  c->expect_error(ErrorCode::kUnknownType, 0);
  c->expect_open();
}

TEST_P(FramingTest, OneBytePerWrite) {
  start_server();
  auto listener = login("listener");
  listener->join("bytes");

  auto c = connect("trickler");
  std::string hello = encoded(proto::Hello{1, 0, "trickler", ""});
  c->send_trickle(hello, 1, Ms(1));
  auto w = c->expect<proto::Welcome>(1);
  EXPECT_EQ(w->user, "trickler");

  c->send_trickle(encoded(proto::Join{2, "bytes"}), 1, Ms(1));
  EXPECT_EQ(c->expect<proto::Ack>(2)->id, 0u);
  const std::string body = "h\xC3\xA9llo \xF0\x9F\x8C\x8D one byte at a time";
  c->send_trickle(encoded(proto::Say{3, "bytes", body}), 1, Ms(1));
  EXPECT_EQ(c->expect<proto::Ack>(3)->id, 1u);
  c->send_trickle(encoded(proto::Ping{0x0102030405060708ull}), 1, Ms(1));
  EXPECT_EQ(c->expect<proto::Pong>(0)->nonce, 0x0102030405060708ull);

  auto m = listener->expect_event<proto::Message>();
  EXPECT_EQ(m->room, "bytes");
  EXPECT_EQ(m->seq, 1u);
  EXPECT_EQ(m->from, "trickler");
  EXPECT_EQ(m->body, body);
}

TEST_P(FramingTest, FramesSplitAtEveryOffset) {
  start_server({{"rate", "10000"}, {"burst", "10000"}});
  auto c = login("splitter");
  c->join("split");
  std::string say = encoded(proto::Say{0, "split", "split body"});
  for (size_t cut = 1; cut < say.size(); ++cut) {
    uint32_t req = c->next_req();
    std::string f = encoded(proto::Say{req, "split", "split body"});
    c->send_raw(f.substr(0, cut));
    std::this_thread::sleep_for(Ms(5));
    c->send_raw(f.substr(cut));
    EXPECT_EQ(c->expect<proto::Ack>(req)->id, cut) << "cut at " << cut;
  }
}

TEST_P(FramingTest, ManyFramesInOneWrite) {
  start_server({{"rate", "10000"}, {"burst", "10000"}});
  auto c = connect("batch");
  // HELLO and everything after it in a single write.
  std::string all = encoded(proto::Hello{1, 0, "batch", ""});
  all += encoded(proto::Join{2, "many"});
  constexpr uint32_t kSays = 100;
  for (uint32_t i = 0; i < kSays; ++i) {
    all += encoded(proto::Say{100 + i, "many", "message " + std::to_string(i)});
    all += encoded(proto::Ping{1000 + i});
  }
  all += encoded(proto::Who{3, "many"});
  all += encoded(proto::Rooms{4});
  all += encoded(proto::History{5, "many", 0, 100});
  c->send_raw(all);

  // Replies come in request order, with nothing else in between.
  EXPECT_EQ(decode_as<proto::Welcome>(c->next())->req, 1u);
  auto join = decode_as<proto::Ack>(c->next());
  EXPECT_EQ(join->req, 2u);
  EXPECT_EQ(join->id, 0u);
  for (uint32_t i = 0; i < kSays; ++i) {
    auto ack = decode_as<proto::Ack>(c->next());
    EXPECT_EQ(ack->req, 100 + i);
    EXPECT_EQ(ack->id, i + 1);
    EXPECT_EQ(decode_as<proto::Pong>(c->next())->nonce, 1000 + i);
  }
  auto who = decode_as<proto::Members>(c->next());
  EXPECT_EQ(who->req, 3u);
  EXPECT_EQ(who->total, 1u);
  auto rooms = decode_as<proto::RoomList>(c->next());
  EXPECT_EQ(rooms->req, 4u);
  auto page = decode_as<proto::HistoryPage>(c->next());
  EXPECT_EQ(page->req, 5u);
  ASSERT_EQ(page->entries.size(), kSays);
  EXPECT_EQ(page->entries.back().body, "message 99");
  c->expect_silence(Ms(200));
}

TEST_P(FramingTest, UnknownTypeKeepsConnection) {
  start_server();
  auto c = login("unknown");
  for (uint8_t type : std::initializer_list<uint8_t>{0x00, 0x0E, 0x30, 0x3F, 0x80, 0xFF}) {
    for (size_t len : {0u, 2u, 300u}) {
      SCOPED_TRACE("type " + std::to_string(type) + " length " + std::to_string(len));
      // The unknown frame and a PING in the same write: the length alone must
      // delimit the unknown frame.
      std::string bytes = raw_frame(type, std::string(len, '\x07'));
      bytes += encoded(proto::Ping{type * 1000ull + len});
      c->send_raw(bytes);
      c->expect_error(ErrorCode::kUnknownType, 0);
      EXPECT_EQ(c->expect<proto::Pong>(0)->nonce, type * 1000ull + len);
    }
  }
  EXPECT_EQ(c->join("still-here"), 0u);
}

TEST_P(FramingTest, MalformedPayloadsKeepConnection) {
  start_server();
  auto c = connect("malformed");
  // HELLO whose token is not UTF-8: MALFORMED (not a name, not a body), kept.
  {
    std::string p = u32be(1) + std::string(8, '\0') +
                    "\x03"
                    "ana" +
                    std::string("\x00\x02", 2) + "\xC3\x28";
    c->send_raw(raw_frame(static_cast<uint8_t>(MsgType::kHello), p));
    c->expect_error(ErrorCode::kMalformed, 1);
    c->expect_open();
  }
  c->login("malformed");
  // PING with 7 bytes: no req field in PING, so req 0.
  c->send_raw(raw_frame(static_cast<uint8_t>(MsgType::kPing), std::string(7, '\0')));
  c->expect_error(ErrorCode::kMalformed, 0);
  // JOIN with an empty payload: the req never arrived.
  c->send_raw(raw_frame(static_cast<uint8_t>(MsgType::kJoin), ""));
  c->expect_error(ErrorCode::kMalformed, 0);
  // BYE with a trailing byte: the req did arrive.
  c->send_raw(raw_frame(static_cast<uint8_t>(MsgType::kBye), u32be(41) + "x"));
  c->expect_error(ErrorCode::kMalformed, 41);
  // WATCH announcing 3 users but carrying 1.
  c->send_raw(
      raw_frame(static_cast<uint8_t>(MsgType::kWatch), u32be(42) + std::string("\x00\x03\x03"
                                                                               "bob",
                                                                               6)));
  c->expect_error(ErrorCode::kMalformed, 42);
  // HISTORY without its limit.
  c->send_raw(raw_frame(static_cast<uint8_t>(MsgType::kHistory),
                        u32be(43) + "\x01r" + std::string(8, '\0')));
  c->expect_error(ErrorCode::kMalformed, 43);
  // A room name that is not UTF-8 is INVALID_NAME.
  c->send_raw(raw_frame(static_cast<uint8_t>(MsgType::kJoin), u32be(44) + "\x02\xC3\x28"));
  c->expect_error(ErrorCode::kInvalidName, 44);
  c->expect_open();
  EXPECT_EQ(c->join("fine"), 0u);
}

TEST_P(FramingTest, PongFromClientGetsNoReply) {
  start_server();
  auto c = connect("ponger");
  c->send(proto::Pong{7});  // before HELLO: accepted, unanswered
  c->expect_silence(Ms(300));
  c->login("ponger");
  c->send(proto::Pong{8});
  c->expect_silence(Ms(300));
  c->expect_open();
}

CHATD_INSTANTIATE_THREADS(FramingTest);

}  // namespace
}  // namespace chat::itest
