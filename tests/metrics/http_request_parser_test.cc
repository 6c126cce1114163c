#include "metrics/http_request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace chat::metrics {
namespace {

using State = HttpRequestParser::State;

TEST(HttpRequestParserTest, OneRequestThenStopsBeforeTheNext) {
  HttpRequestParser p(8192);
  const std::string in =
      "GET /metrics?debug=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
  auto step = p.feed(in);
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_EQ(p.request().method, "GET");
  EXPECT_EQ(p.request().path, "/metrics");
  EXPECT_EQ(p.request().query, "debug=1");
  EXPECT_TRUE(p.keep_alive());
  EXPECT_EQ(in.substr(step.consumed), "GET /healthz HTTP/1.1\r\n\r\n");
  p.reset();
  step = p.feed(in.substr(step.consumed));
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_EQ(p.request().path, "/healthz");
  EXPECT_EQ(p.request().query, "");
}

TEST(HttpRequestParserTest, ByteAtATime) {
  HttpRequestParser p(8192);
  const std::string in = "GET /a/b HTTP/1.1\r\nConnection: close\r\n\r\n";
  for (size_t i = 0; i + 1 < in.size(); ++i) {
    auto step = p.feed(in.substr(i, 1));
    ASSERT_EQ(step.state, State::kNeedMore) << i;
    ASSERT_EQ(step.consumed, 1u);
  }
  auto step = p.feed(in.substr(in.size() - 1));
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_EQ(p.request().path, "/a/b");
  EXPECT_FALSE(p.keep_alive());
}

TEST(HttpRequestParserTest, AbsoluteFormTargetAndHttp10) {
  HttpRequestParser p(8192);
  auto step = p.feed("GET http://127.0.0.1:7001/stats?x HTTP/1.0\r\n\r\n");
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_EQ(p.request().path, "/stats");
  EXPECT_EQ(p.request().query, "x");
  EXPECT_FALSE(p.keep_alive());  // HTTP/1.0 without keep-alive
  p.reset();
  step = p.feed("GET /stats HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_TRUE(p.keep_alive());
}

TEST(HttpRequestParserTest, BodyIsSkippedAndMethodKept) {
  HttpRequestParser p(8192);
  auto step = p.feed("POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcdGET");
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_EQ(p.request().method, "POST");
  EXPECT_EQ(step.consumed, std::string("POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd").size());
}

TEST(HttpRequestParserTest, UpgradeIsNotKeptAlive) {
  HttpRequestParser p(8192);
  auto step = p.feed("GET /x HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_FALSE(p.keep_alive());
}

TEST(HttpRequestParserTest, MalformedIs400) {
  for (const char* bad :
       {"BREW /pot HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1\r\nNo colon here\r\n\r\n", "GET\r\n\r\n",
        "\x01\x02\x03\x04", "GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n"}) {
    HttpRequestParser p(8192);
    auto step = p.feed(bad);
    EXPECT_EQ(step.state, State::kError) << bad;
    EXPECT_EQ(p.error_status(), 400) << bad;
    EXPECT_NE(p.error_reason().find("malformed"), std::string::npos) << p.error_reason();
  }
}

TEST(HttpRequestParserTest, HeadersPastTheBoundAre431AndABodyIs413) {
  {
    HttpRequestParser p(100);
    auto step = p.feed("GET /x HTTP/1.1\r\nX: " + std::string(200, 'a'));
    EXPECT_EQ(step.state, State::kError);
    EXPECT_EQ(p.error_status(), 431);
    EXPECT_LE(step.consumed, 101u);
  }
  {
    // Arriving in pieces, the bound is on the sum.
    HttpRequestParser p(100);
    State last = State::kNeedMore;
    for (int i = 0; i < 20 && last == State::kNeedMore; ++i) {
      last = p.feed(i == 0 ? std::string("GET /x HTTP/1.1\r\n") : std::string("X: abcdefgh\r\n"))
                 .state;
    }
    EXPECT_EQ(last, State::kError);
    EXPECT_EQ(p.error_status(), 431);
  }
  {
    HttpRequestParser p(100);
    auto step = p.feed("GET /x HTTP/1.1\r\nContent-Length: 500\r\n\r\n" + std::string(500, 'b'));
    EXPECT_EQ(step.state, State::kError);
    EXPECT_EQ(p.error_status(), 413);
  }
  {
    HttpRequestParser p(100);  // exactly at the bound is fine
    std::string req = "GET /x HTTP/1.1\r\nX: ";
    req += std::string(100 - req.size() - 4, 'c') + "\r\n\r\n";
    ASSERT_EQ(req.size(), 100u);
    EXPECT_EQ(p.feed(req).state, State::kRequest);
  }
}

}  // namespace
}  // namespace chat::metrics
