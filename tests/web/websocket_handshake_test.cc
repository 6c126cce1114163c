#include "web/websocket_handshake.h"

#include <gtest/gtest.h>

namespace chat::web {
namespace {

metrics::HttpRequest upgrade_request() {
  metrics::HttpRequest r;
  r.method = "GET";
  r.path = "/ws";
  r.upgrade = true;
  r.headers = {{"Host", "127.0.0.1:7080"},
               {"Upgrade", "websocket"},
               {"Connection", "keep-alive, Upgrade"},
               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"Sec-WebSocket-Version", "13"},
               {"Origin", "http://127.0.0.1:7080"}};
  return r;
}

void set_header(metrics::HttpRequest& r, const std::string& name, const std::string& value) {
  for (auto& [k, v] : r.headers) {
    if (k == name) {
      v = value;
      return;
    }
  }
  r.headers.emplace_back(name, value);
}

void drop_header(metrics::HttpRequest& r, const std::string& name) {
  std::erase_if(r.headers, [&](const auto& kv) { return kv.first == name; });
}

TEST(WebSocketHandshake, AcceptKeyIsTheRfcExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, ValidUpgradeIsAccepted) {
  UpgradeCheck c = check_upgrade(upgrade_request(), {});
  EXPECT_EQ(c.refusal, UpgradeRefusal::kNone) << c.reason;
  EXPECT_EQ(c.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  std::string reply = upgrade_response(c.accept);
  EXPECT_EQ(reply.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(reply.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_EQ(reply.substr(reply.size() - 4), "\r\n\r\n");
}

TEST(WebSocketHandshake, HeaderNamesAndTokensAreCaseInsensitive) {
  metrics::HttpRequest r = upgrade_request();
  r.headers = {{"host", "127.0.0.1:7080"},
               {"UPGRADE", "WebSocket"},
               {"connection", "upgrade"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"sec-websocket-version", " 13 "}};
  EXPECT_EQ(check_upgrade(r, {}).refusal, UpgradeRefusal::kNone);
}

TEST(WebSocketHandshake, BadRequestsAreRefusedWith400) {
  auto refused = [](metrics::HttpRequest r) { return check_upgrade(r, {}).refusal; };
  metrics::HttpRequest r = upgrade_request();
  r.method = "POST";
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  drop_header(r, "Upgrade");
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  set_header(r, "Connection", "keep-alive");
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  set_header(r, "Sec-WebSocket-Version", "8");
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  set_header(r, "Sec-WebSocket-Key", "short");
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  set_header(r, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ!=");  // not base64
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  drop_header(r, "Sec-WebSocket-Key");
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
  r = upgrade_request();
  drop_header(r, "Host");
  EXPECT_EQ(refused(r), UpgradeRefusal::kBadRequest);
}

TEST(WebSocketHandshake, OriginDefaultsToSameHost) {
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:7080", "127.0.0.1:7080", {}));
  EXPECT_TRUE(origin_allowed("http://localhost", "localhost:80", {}));
  EXPECT_TRUE(origin_allowed("https://chat.example", "chat.example:443", {}));
  EXPECT_FALSE(origin_allowed("http://evil.example:7080", "127.0.0.1:7080", {}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:7081", "127.0.0.1:7080", {}));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:7080", {}));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:7080/x", "127.0.0.1:7080", {}));
}

TEST(WebSocketHandshake, OriginListIsExact) {
  std::vector<std::string> allowed = split_list(" http://a.example:8000 ,http://b.example,");
  ASSERT_EQ(allowed.size(), 2u);
  EXPECT_TRUE(origin_allowed("http://a.example:8000", "127.0.0.1:7080", allowed));
  EXPECT_TRUE(origin_allowed("HTTP://B.EXAMPLE", "127.0.0.1:7080", allowed));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:7080", "127.0.0.1:7080", allowed));
  EXPECT_FALSE(origin_allowed("http://a.example", "127.0.0.1:7080", allowed));
}

TEST(WebSocketHandshake, BadOriginIsRefusedWith403AndMissingOriginIsAllowed) {
  metrics::HttpRequest r = upgrade_request();
  set_header(r, "Origin", "http://evil.example");
  EXPECT_EQ(check_upgrade(r, {}).refusal, UpgradeRefusal::kBadOrigin);
  drop_header(r, "Origin");
  EXPECT_EQ(check_upgrade(r, {}).refusal, UpgradeRefusal::kNone);
}

TEST(WebSocketHandshake, HttpResponseCarriesLengthAndClose) {
  std::string r = http_response(404, "text/plain", "not found\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_NE(r.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 10), "not found\n");
  std::string head = http_response(200, "text/html", "<p>hi</p>", /*head_only=*/true);
  EXPECT_NE(head.find("Content-Length: 9\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_NE(http_response(405, "text/plain", "").find("Allow: GET, HEAD\r\n"), std::string::npos);
}

}  // namespace
}  // namespace chat::web
