// The metrics endpoint of a real chatd (--http): gauges and counters follow
// what clients do, errors are counted by code, /healthz and /readyz answer,
// and /readyz fails while chatd shuts down.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "harness.h"
#include "metrics_helpers.h"
#include "mini_json.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;

constexpr Ms kGaugeWait{5000};         // gauges refresh once a second
constexpr size_t kTopRoomsShown = 20;  // the per-room series cover the 20 busiest rooms

class MetricsTest : public ServerTest {
 protected:
  ServerProcess& start_with_http(ServerArgs args = {}) {
    http_port_ = free_local_port();
    args.set("http", "127.0.0.1:" + std::to_string(http_port_));
    ServerProcess& s = start_server(args);
    // The endpoint starts right after the chat listener.
    EXPECT_TRUE(wait_until([&] { return http_get(http_port_, "/readyz").has_value(); }, Ms(5000)));
    return s;
  }

  Scrape scrape() {
    auto r = http_get(http_port_, "/metrics");
    EXPECT_TRUE(r.has_value()) << "no reply from /metrics";
    if (!r) return {};
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
        << r->headers;
    return parse_scrape(r->body);
  }

  double value(const std::string& series) {
    const auto v = scrape().get(series);
    EXPECT_TRUE(v.has_value()) << series << " is not in the scrape";
    return v.value_or(-1);
  }

  // Polls until `series` satisfies `ok`; fails the test with the last value.
  void expect_metric(const std::string& series, const std::function<bool(double)>& ok,
                     const std::string& what, Ms timeout = kGaugeWait) {
    double last = -1;
    const bool met = wait_until(
        [&] {
          last = scrape().get(series).value_or(-1);
          return ok(last);
        },
        timeout);
    EXPECT_TRUE(met) << series << " should be " << what << ", is " << last;
  }
  void expect_metric_eq(const std::string& series, double want, Ms timeout = kGaugeWait) {
    expect_metric(
        series, [want](double v) { return v == want; }, std::to_string(want), timeout);
  }
  void expect_metric_ge(const std::string& series, double want, Ms timeout = kGaugeWait) {
    expect_metric(
        series, [want](double v) { return v >= want; }, ">= " + std::to_string(want), timeout);
  }

  uint16_t http_port_ = 0;
};

TEST_P(MetricsTest, GaugesCountThreeClients) {
  start_with_http({{"lobby", "lobby"}});
  auto a = login("ann");
  auto b = login("bob");
  auto c = login("cid");
  expect_metric_eq("chatd_connections", 3);
  expect_metric_eq("chatd_sessions", 3);
  expect_metric_eq("chatd_users_online", 3);
  expect_metric_eq("chatd_rooms", 1);  // the lobby
  expect_metric_ge("chatd_connections_accepted_total", 3);
  EXPECT_EQ(value("chatd_loop_threads"), threads());
  EXPECT_EQ(value("chatd_ready"), 1);
  EXPECT_GT(value("chatd_max_connections"), 3);
  EXPECT_EQ(value("chatd_frames_received_total{type=\"HELLO\"}"), 3);
  EXPECT_EQ(value("chatd_frames_sent_total{type=\"WELCOME\"}"), 3);

  // /stats has the same figures, as JSON.
  auto stats = http_get(http_port_, "/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 200);
  std::string error;
  auto json = parse_json(stats->body, &error);
  ASSERT_TRUE(json) << error << "\n" << stats->body;
  EXPECT_EQ(json->find("connections")->find("open")->number, 3);
  EXPECT_EQ(json->find("sessions")->number, 3);
  EXPECT_EQ(json->find("users_online")->number, 3);
  EXPECT_EQ(json->find("loops")->items.size(), static_cast<size_t>(threads()));
  EXPECT_TRUE(json->find("ready")->boolean);
  EXPECT_TRUE(json->find("healthy")->boolean);
  EXPECT_GT(json->find("process")->find("resident_memory_bytes")->number, 0);

  // One leaves with BYE: the gauges follow and the close is counted.
  c->bye();
  expect_metric_eq("chatd_sessions", 2);
  expect_metric_eq("chatd_users_online", 2);
  expect_metric_eq("chatd_connections", 2);
  expect_metric_eq("chatd_connections_closed_total{reason=\"bye\"}", 1);
}

TEST_P(MetricsTest, CountersMoveWhenClientsTalk) {
  start_with_http();
  auto a = login("ann");
  auto b = login("bob");
  a->join("room");
  b->join("room");
  const Scrape before = scrape();
  for (int i = 0; i < 3; ++i) a->say("room", "hello " + std::to_string(i));
  b->whisper("ann", "psst");
  const auto grew = [&](const std::string& series, double by) {
    const double was = before.get(series).value_or(0);
    expect_metric_ge(series, was + by);
  };
  grew("chatd_messages_accepted_total{kind=\"say\"}", 3);
  grew("chatd_messages_accepted_total{kind=\"whisper\"}", 1);
  grew("chatd_frames_received_total{type=\"SAY\"}", 3);
  grew("chatd_frames_received_total{type=\"WHISPER\"}", 1);
  grew("chatd_frames_sent_total{type=\"ACK\"}", 4);
  grew("chatd_frames_sent_total{type=\"MESSAGE\"}", 3);
  grew("chatd_deliveries_total", 4);
  grew("chatd_bytes_received_total", 3 * 8);
  grew("chatd_bytes_sent_total", 3 * 8);
  grew("chatd_delivery_latency_seconds_count", 3);
  grew("chatd_delivery_latency_seconds_bucket{le=\"+Inf\"}", 3);
  // Every loop's iteration histogram moves; a loop with nothing to do still ticks.
  for (int loop = 0; loop < threads(); ++loop) {
    expect_metric_ge("chatd_loop_iteration_seconds_count{loop=\"" + std::to_string(loop) + "\"}",
                     1);
    const double age =
        value("chatd_loop_last_iteration_age_seconds{loop=\"" + std::to_string(loop) + "\"}");
    EXPECT_GE(age, 0);
    EXPECT_LT(age, 2);
  }
  EXPECT_EQ(value("chatd_errors_sent_total{code=\"NOT_IN_ROOM\"}"), 0);
}

TEST_P(MetricsTest, BusiestRoomsHavePerRoomSeries) {
  start_with_http();
  auto a = login("ann");
  auto b = login("bob");
  // 25 rooms with traffic, more than the 20 shown; "hot" has the most.
  std::vector<std::string> rooms;
  for (int i = 0; i < 25; ++i) rooms.push_back("r" + std::to_string(i));
  rooms.push_back("hot");
  for (const auto& r : rooms) {
    a->join(r);
    b->join(r);
  }
  for (const auto& r : rooms) a->say(r, "one");
  for (int i = 0; i < 20; ++i) a->say("hot", "more " + std::to_string(i));
  for (size_t i = 0; i < rooms.size() + 20; ++i) b->expect_event<proto::Message>();

  expect_metric_eq("chatd_room_messages_total{room=\"hot\"}", 21);
  expect_metric_ge("chatd_room_delivery_latency_seconds_count{room=\"hot\"}", 21);
  const Scrape s = scrape();
  size_t shown = 0;
  for (const auto& r : rooms) {
    if (s.get("chatd_room_messages_total{room=\"" + r + "\"}")) ++shown;
  }
  EXPECT_EQ(shown, kTopRoomsShown);
  EXPECT_TRUE(s.get("chatd_room_messages_per_second{room=\"hot\"}").has_value());

  auto stats = http_get(http_port_, "/stats");
  ASSERT_TRUE(stats);
  std::string error;
  auto json = parse_json(stats->body, &error);
  ASSERT_TRUE(json) << error;
  const auto& top = json->find("top_rooms")->items;
  EXPECT_EQ(top.size(), kTopRoomsShown);
  bool hot = false;
  for (const auto& r : top) {
    if (r.str("room") == "hot") {
      hot = true;
      EXPECT_EQ(r.find("messages_total")->number, 21);
      EXPECT_GE(r.find("delivery_latency_seconds")->find("count")->number, 21);
    }
  }
  EXPECT_TRUE(hot) << stats->body;
}

TEST_P(MetricsTest, ErrorsAreCountedByCode) {
  start_with_http();
  auto a = login("ann");
  const uint32_t req = a->next_req();
  a->send(proto::Say{req, "nowhere", "hi"});
  a->expect_error(ErrorCode::kNotInRoom, req);
  expect_metric_eq("chatd_errors_sent_total{code=\"NOT_IN_ROOM\"}", 1);

  // Bytes that are not a frame: BAD_FRAME, and the connection closes.
  auto junk = connect("junk");
  junk->send_raw("GET / HTTP/1.1\r\n\r\n");
  junk->expect_closed();
  expect_metric_ge("chatd_errors_sent_total{code=\"BAD_FRAME\"}", 1);
  expect_metric_ge("chatd_connections_closed_total{reason=\"protocol_error\"}", 1);
  EXPECT_EQ(value("chatd_errors_sent_total{code=\"RATE_LIMITED\"}"), 0);
}

TEST_P(MetricsTest, HealthReadyAndHttpErrors) {
  start_with_http();
  auto health = http_get(http_port_, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_NE(health->body.find("ok"), std::string::npos);
  auto ready = http_get(http_port_, "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  auto missing = http_get(http_port_, "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(http_raw(http_port_, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
                .compare(0, 12, "HTTP/1.1 405"),
            0);
  EXPECT_EQ(http_raw(http_port_, "NOT HTTP AT ALL\r\n\r\n").compare(0, 12, "HTTP/1.1 400"), 0);
  EXPECT_EQ(
      http_raw(http_port_, std::string("\x16\x03\x01\x00\xff", 5)).compare(0, 12, "HTTP/1.1 400"),
      0);
  // The chat side is unaffected by all that.
  auto a = login("ann");
  a->ping();
  EXPECT_EQ(http_get(http_port_, "/healthz")->status, 200);
}

// SIGTERM with a client that does not read: chatd stays up for its grace
// period flushing to it, and meanwhile /readyz says 503 while /healthz and
// /metrics still answer.
TEST_P(MetricsTest, ReadyzFailsDuringShutdown) {
  start_with_http({{"shutdown-grace", "3"},
                   {"max-outbound", "67108864"},
                   {"rate", "1000000"},
                   {"burst", "1000000"}});
  auto sender = login("sender");
  TestClient::Options tiny;
  tiny.rcvbuf = 4096;
  auto stuck = login("stuck", 0, "", tiny);
  sender->join("flood");
  stuck->join("flood");
  const std::string body(4000, 's');
  for (int i = 0; i < 2000; i += 20) {  // 8 MB for the stuck member
    std::string batch;
    std::vector<uint32_t> reqs;
    for (int k = 0; k < 20; ++k) {
      reqs.push_back(sender->next_req());
      std::string frame;
      proto::encode(frame, proto::Say{reqs.back(), "flood", body});
      batch += frame;
    }
    sender->send_raw(batch);
    for (uint32_t req : reqs) sender->expect<proto::Ack>(req);
  }
  EXPECT_EQ(http_get(http_port_, "/readyz")->status, 200);

  server().terminate();
  int ready_status = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        auto r = http_get(http_port_, "/readyz", Ms(1000));
        ready_status = r ? r->status : -1;
        return ready_status == 503;
      },
      Ms(2500)))
      << "/readyz during shutdown: " << ready_status;
  auto ready = http_get(http_port_, "/readyz");
  if (ready) {  // chatd may just have finished
    EXPECT_EQ(ready->status, 503);
    EXPECT_NE(ready->body.find("shutting down"), std::string::npos) << ready->body;
  }
  if (auto health = http_get(http_port_, "/healthz")) {
    EXPECT_EQ(health->status, 200);
  }
  if (auto m = http_get(http_port_, "/metrics")) {
    EXPECT_EQ(parse_scrape(m->body).get("chatd_ready"), 0);
  }
  EXPECT_EQ(server().wait_exit(Ms(15000)), 0);
  EXPECT_FALSE(http_get(http_port_, "/readyz", Ms(500)).has_value()) << "endpoint gone after exit";
}

TEST_P(MetricsTest, TakenHttpAddressIsAStartupError) {
  // Something already listens on the port given with --http.
  uint16_t taken = 0;
  const int fd = listen_on_free_port(&taken);
  ASSERT_GE(fd, 0);
  ServerProcess p;
  EXPECT_EQ(p.run_expecting_exit({{"http", "127.0.0.1:" + std::to_string(taken)}}, threads()), 1);
  const std::string log = p.read_log();
  EXPECT_NE(log.find("cannot bind 127.0.0.1:" + std::to_string(taken)), std::string::npos) << log;
  ::close(fd);
}

CHATD_INSTANTIATE_THREADS(MetricsTest);

}  // namespace
}  // namespace chat::itest
