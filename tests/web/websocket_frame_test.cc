#include "web/websocket_frame.h"

#include "ws_client_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chat::web {
namespace {

using testing::client_frame;

struct Collected {
  std::string data;
  std::vector<WsReader::Event> events;  // everything but kData (data pointers dropped)
};

// Feeds `wire` in pieces of `step` bytes and collects what comes out.
Collected run(WsReader& r, WsParserPool& pool, const std::string& wire, size_t step) {
  Collected c;
  for (size_t off = 0; off < wire.size(); off += step) {
    size_t n = std::min(step, wire.size() - off);
    r.feed(pool, reinterpret_cast<const uint8_t*>(wire.data() + off), n);
    for (;;) {
      WsReader::Event e = r.next(pool);
      if (e.kind == WsReader::Kind::kNeedMore) break;
      if (e.kind == WsReader::Kind::kData) {
        c.data.append(reinterpret_cast<const char*>(e.data), e.size);
        continue;
      }
      if (e.kind == WsReader::Kind::kPing) {
        c.data.append("[ping:").append(reinterpret_cast<const char*>(e.data), e.size) += "]";
      }
      e.data = nullptr;
      c.events.push_back(e);
      if (e.kind == WsReader::Kind::kFail || e.kind == WsReader::Kind::kClose) return c;
    }
  }
  return c;
}

TEST(WebSocketFrame, HeaderLengthEncodings) {
  uint8_t h[kMaxWsHeaderBytes];
  ASSERT_EQ(encode_ws_header(h, kWsBinary, 125), 2u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 125);
  ASSERT_EQ(encode_ws_header(h, kWsBinary, 126), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[3], 126);
  ASSERT_EQ(encode_ws_header(h, kWsBinary, 65535), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ(h[2], 0xFF);
  EXPECT_EQ(h[3], 0xFF);
  ASSERT_EQ(encode_ws_header(h, kWsBinary, 65536), 10u);
  EXPECT_EQ(h[1], 127);
  const uint8_t want[8] = {0, 0, 0, 0, 0, 1, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(h[2 + i], want[i]) << i;
  ASSERT_EQ(encode_ws_header(h, kWsPong, 0), 2u);
  EXPECT_EQ(h[0], 0x8A);
  EXPECT_EQ(h[1], 0);
}

TEST(WebSocketFrame, CloseFrameCarriesTheCode) {
  std::string f = encode_close_frame(1009);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>(f[0]), 0x88);
  EXPECT_EQ(f[1], 2);
  EXPECT_EQ(static_cast<uint8_t>(f[2]), 1009 >> 8);
  EXPECT_EQ(static_cast<uint8_t>(f[3]), 1009 & 0xFF);
}

TEST(WebSocketFrame, BinaryMessagesAreUnmaskedAtAnySplit) {
  std::string payload;
  for (int i = 0; i < 300; ++i) payload += static_cast<char>(i * 7);
  std::string wire = client_frame(kWsBinary, payload) + client_frame(kWsBinary, "tail");
  for (size_t step : {size_t{1}, size_t{2}, size_t{7}, size_t{4096}}) {
    WsParserPool pool;
    WsReader r(65536);
    Collected c = run(r, pool, wire, step);
    EXPECT_EQ(c.data, payload + "tail") << "step " << step;
    EXPECT_TRUE(c.events.empty());
    EXPECT_FALSE(r.holds_parser()) << "an idle reader gives its parser back";
    EXPECT_EQ(pool.idle(), 1u);
  }
}

TEST(WebSocketFrame, ReaderKeepsItsParserOnlyMidFrame) {
  WsParserPool pool;
  WsReader r(65536);
  std::string wire = client_frame(kWsBinary, "abcdef");
  Collected c = run(r, pool, wire.substr(0, 5), 5);
  EXPECT_TRUE(r.holds_parser());
  EXPECT_EQ(pool.idle(), 0u);
  c = run(r, pool, wire.substr(5), 64);
  EXPECT_EQ(c.data, "abcdef");
  EXPECT_FALSE(r.holds_parser());
}

TEST(WebSocketFrame, FragmentedMessageWithControlFrameBetween) {
  std::string wire = client_frame(kWsBinary, "ab", false) + client_frame(kWsPing, "hi") +
                     client_frame(kWsContinuation, "cd", false) +
                     client_frame(kWsContinuation, "ef", true);
  WsParserPool pool;
  WsReader r(65536);
  Collected c = run(r, pool, wire, 3);
  EXPECT_EQ(c.data, "ab[ping:hi]cdef");
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].kind, WsReader::Kind::kPing);
}

TEST(WebSocketFrame, TextIsRefusedWith1003) {
  WsParserPool pool;
  WsReader r(65536);
  Collected c = run(r, pool, client_frame(kWsText, "hello"), 100);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].kind, WsReader::Kind::kFail);
  EXPECT_EQ(c.events[0].code, kCloseUnsupportedData);
}

TEST(WebSocketFrame, ProtocolViolationsAre1002) {
  const std::vector<std::string> cases = {
      client_frame(kWsBinary, "x", true, /*masked=*/false),
      client_frame(kWsBinary, "x", true, true, /*rsv=*/4),
      client_frame(kWsContinuation, "x"),                                  // no message to continue
      client_frame(kWsBinary, "a", false) + client_frame(kWsBinary, "b"),  // new message mid-way
      client_frame(0x3, "x"),                                              // reserved opcode
      client_frame(kWsPing, std::string(126, 'p')),                        // control > 125
      client_frame(kWsPing, "p", /*fin=*/false),                           // fragmented control
      client_frame(kWsClose, "x"),                                         // 1-byte close body
      client_frame(kWsClose, std::string("\x03\xE7", 2)),                  // close code 999
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    WsParserPool pool;
    WsReader r(65536);
    Collected c = run(r, pool, cases[i], 1000);
    ASSERT_EQ(c.events.size(), 1u) << "case " << i;
    EXPECT_EQ(c.events[0].kind, WsReader::Kind::kFail) << "case " << i;
    EXPECT_EQ(c.events[0].code, kCloseProtocolError) << "case " << i;
    // Only case 3 has a valid frame ("a") before its violation.
    EXPECT_EQ(c.data, i == 3 ? "a" : "") << "case " << i;
  }
}

TEST(WebSocketFrame, OversizedMessageIs1009BeforeItsPayload) {
  WsParserPool pool;
  WsReader r(1000);
  // Refused on its header, with the first payload byte: none is passed on.
  std::string wire = client_frame(kWsBinary, std::string(1001, 'x')).substr(0, 9);
  Collected c = run(r, pool, wire, 100);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].code, kCloseTooBig);
  EXPECT_TRUE(c.data.empty());

  // Fragments that add up past the limit.
  WsReader r2(1000);
  std::string frags = client_frame(kWsBinary, std::string(600, 'a'), false) +
                      client_frame(kWsContinuation, std::string(401, 'b'), true);
  c = run(r2, pool, frags, 4096);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].code, kCloseTooBig);
  EXPECT_EQ(c.data.size(), 600u);

  // Exactly the limit is fine.
  WsReader r3(1000);
  c = run(r3, pool, client_frame(kWsBinary, std::string(1000, 'z')), 4096);
  EXPECT_TRUE(c.events.empty());
  EXPECT_EQ(c.data.size(), 1000u);
}

TEST(WebSocketFrame, CloseReportsTheCode) {
  WsParserPool pool;
  WsReader r(65536);
  Collected c = run(r, pool,
                    client_frame(kWsClose, std::string("\x03\xE8"
                                                       "bye",
                                                       5)),
                    2);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].kind, WsReader::Kind::kClose);
  EXPECT_EQ(c.events[0].code, 1000);
  WsReader r2(65536);
  c = run(r2, pool, client_frame(kWsClose, ""), 2);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].code, 1005);
}

TEST(WebSocketFrame, ParserInputMovesWithTakeInput) {
  WsParserPool pool;
  WsReader r(65536);
  std::string wire = client_frame(kWsBinary, "one") + client_frame(kWsBinary, "two");
  r.feed(pool, reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  WsReader::Event e = r.next(pool);
  ASSERT_EQ(e.kind, WsReader::Kind::kData);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(e.data), e.size), "one");
  std::string rest;
  r.take_input(rest);
  // Whatever wslay had not pulled in yet is handed back; fed again (as on
  // the adopting loop) it yields the rest of the stream.
  r.feed(pool, reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
  std::string got;
  for (;;) {
    e = r.next(pool);
    if (e.kind != WsReader::Kind::kData) break;
    got.append(reinterpret_cast<const char*>(e.data), e.size);
  }
  EXPECT_EQ(got, "two");
}

}  // namespace
}  // namespace chat::web
