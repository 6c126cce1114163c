// The pure encoders and parsers of chatbench: message bodies, topic names,
// RESP3, MQTT, stats lines, command-line values.
#include <gtest/gtest.h>

#include <span>
#include <string>

#include "bench/body.h"
#include "bench/driver.h"
#include "bench/mqtt.h"
#include "bench/options.h"
#include "bench/resp.h"
#include "bench/stats.h"

namespace chat::bench {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(BodyTest, RoundTripsAndPads) {
  char buf[256];
  BodyFields f{3, 42, 7, 123456789};
  size_t n = format_body(buf, sizeof buf, f, 100);
  ASSERT_EQ(n, 100u);
  std::string_view body(buf, n);
  EXPECT_EQ(body.substr(0, 20), "3 42 7 123456789 ...");
  BodyFields g;
  ASSERT_TRUE(parse_body(body, &g));
  EXPECT_EQ(g.round, 3u);
  EXPECT_EQ(g.sender, 42u);
  EXPECT_EQ(g.seq, 7u);
  EXPECT_EQ(g.sent_us, 123456789u);
  // A payload smaller than the header: the header only.
  n = format_body(buf, sizeof buf, f, 1);
  EXPECT_EQ(std::string_view(buf, n), "3 42 7 123456789 ");
}

TEST(BodyTest, RefusesOtherText) {
  BodyFields g;
  EXPECT_FALSE(parse_body("hello", &g));
  EXPECT_FALSE(parse_body("1 2 3", &g));
  EXPECT_FALSE(parse_body("1 2 3 4", &g));  // no space after the time
  EXPECT_FALSE(parse_body("", &g));
}

TEST(TopicTest, NamesPerTargetRoundTrip) {
  char buf[32];
  struct Case {
    Target target;
    Topic topic;
    const char* name;
  };
  for (const Case& c : {Case{Target::kChat, {Topic::Kind::kRoom, 7}, "r7"},
                        Case{Target::kChat, {Topic::Kind::kUser, 12}, "u12"},
                        Case{Target::kRedis, {Topic::Kind::kRoom, 0}, "bench.r0"},
                        Case{Target::kNats, {Topic::Kind::kUser, 5}, "bench.u5"},
                        Case{Target::kMqtt, {Topic::Kind::kRoom, 99}, "bench/r99"}}) {
    size_t n = topic_name(buf, sizeof buf, c.target, c.topic);
    EXPECT_EQ(std::string_view(buf, n), c.name);
    Topic t;
    ASSERT_TRUE(parse_topic_name(c.name, &t));
    EXPECT_EQ(t.kind, c.topic.kind);
    EXPECT_EQ(t.index, c.topic.index);
  }
  Topic t;
  EXPECT_FALSE(parse_topic_name("lobby", &t));
  EXPECT_FALSE(parse_topic_name("other.r1", &t));
  EXPECT_FALSE(parse_topic_name("r", &t));
  EXPECT_FALSE(parse_topic_name("r1x", &t));
}

TEST(RespTest, ReadsPushesRepliesAndNeedsMore) {
  std::string push = ">3\r\n$7\r\nmessage\r\n$8\r\nbench.r1\r\n$5\r\nhello\r\n";
  resp::Value top;
  resp::Value items[4];
  size_t used = 0;
  ASSERT_EQ(resp::read_value(bytes(push), &used, &top, items, 4), resp::Status::kOk);
  EXPECT_EQ(used, push.size());
  EXPECT_EQ(top.type, '>');
  EXPECT_EQ(top.count, 3u);
  EXPECT_EQ(items[0].text, "message");
  EXPECT_EQ(items[1].text, "bench.r1");
  EXPECT_EQ(items[2].text, "hello");
  for (size_t cut = 0; cut < push.size(); ++cut) {
    ASSERT_EQ(resp::read_value(bytes(push.substr(0, cut)), &used, &top, items, 4),
              resp::Status::kNeedMore)
        << cut;
  }
  std::string hello = "%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nmodes\r\n*1\r\n:1\r\n:3\r\n";
  ASSERT_EQ(resp::read_value(bytes(hello), &used, &top, items, 4), resp::Status::kOk);
  EXPECT_EQ(top.type, '%');
  EXPECT_EQ(top.count, 4u);
  ASSERT_EQ(hello.substr(used), ":3\r\n");
  ASSERT_EQ(resp::read_value(bytes(hello.substr(used)), &used, &top, items, 4), resp::Status::kOk);
  EXPECT_EQ(top.integer, 3);
  EXPECT_EQ(resp::read_value(bytes("?x\r\n"), &used, &top, items, 4), resp::Status::kBad);
  EXPECT_EQ(resp::read_value(bytes("$3\r\nabcd\r\n"), &used, &top, items, 4), resp::Status::kBad);
}

TEST(RespTest, WritesCommandsAsBulkArrays) {
  std::string out;
  resp::append_command(out, {"PUBLISH", "bench.r1", "hi"});
  EXPECT_EQ(out, "*3\r\n$7\r\nPUBLISH\r\n$8\r\nbench.r1\r\n$2\r\nhi\r\n");
}

TEST(MqttTest, EncodesConnectSubscribePublish) {
  std::string out;
  mqtt::append_connect(out, "id", 60);
  EXPECT_EQ(out, std::string("\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02id", 16));
  out.clear();
  mqtt::append_subscribe(out, 1, "t");
  EXPECT_EQ(out, std::string("\x82\x06\x00\x01\x00\x01t\x00", 8));
  out.clear();
  std::string payload(200, 'x');
  mqtt::append_publish(out, "t", payload);
  // Remaining length 203 takes two bytes: 0xCB 0x01.
  EXPECT_EQ(out.substr(0, 6), std::string("\x30\xcb\x01\x00\x01t", 6));
  mqtt::Packet p;
  ASSERT_EQ(mqtt::read_packet(bytes(out), 1 << 20, &p), mqtt::Status::kOk);
  EXPECT_EQ(p.type, mqtt::PacketType::kPublish);
  EXPECT_EQ(p.packet_bytes, out.size());
  std::string_view topic;
  std::string_view body;
  ASSERT_TRUE(mqtt::split_publish(p, &topic, &body));
  EXPECT_EQ(topic, "t");
  EXPECT_EQ(body, payload);
  EXPECT_EQ(mqtt::read_packet(bytes(out.substr(0, 100)), 1 << 20, &p), mqtt::Status::kNeedMore);
  EXPECT_EQ(mqtt::read_packet(bytes(out), 100, &p), mqtt::Status::kBad);
  EXPECT_EQ(mqtt::read_packet(bytes(std::string("\x30\xff\xff\xff\xff\x01", 6)), 1 << 30, &p),
            mqtt::Status::kBad);
}

TEST(StatsTest, TextRoundTripMerges) {
  Stats a;
  a.sent = 10;
  a.delivered = 7;
  a.first_send_us = 500;
  a.last_delivery_us = 900;
  a.errors.add("RATE_LIMITED", 3);
  a.failed.add("refused");
  a.latency_us.record(100);
  Stats b;
  b.sent = 5;
  b.first_send_us = 300;
  b.last_delivery_us = 800;
  b.errors.add("RATE_LIMITED");
  b.dropped.add("SLOW_CONSUMER", 2);
  b.latency_us.record(200);
  Stats sum;
  ASSERT_TRUE(sum.add_text(a.to_text()));
  ASSERT_TRUE(sum.add_text(b.to_text()));
  EXPECT_EQ(sum.sent, 15u);
  EXPECT_EQ(sum.delivered, 7u);
  EXPECT_EQ(sum.first_send_us, 300);
  EXPECT_EQ(sum.last_delivery_us, 900);
  EXPECT_EQ(sum.errors.get("RATE_LIMITED"), 4u);
  EXPECT_EQ(sum.failed.get("refused"), 1u);
  EXPECT_EQ(sum.dropped.get("SLOW_CONSUMER"), 2u);
  EXPECT_EQ(sum.latency_us.count(), 2u);
  EXPECT_EQ(sum.latency_us.max(), 200u);
  EXPECT_FALSE(sum.add_text("nonsense=1"));
  EXPECT_FALSE(sum.add_text("sent=x"));
}

TEST(OptionsTest, ParsesSourcesStepsPids) {
  auto s = parse_sources("127.0.0.1-127.0.0.4,127.0.1.1");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 5u);
  EXPECT_EQ((*s)[0], 0x7F000001u);
  EXPECT_EQ((*s)[3], 0x7F000004u);
  EXPECT_EQ((*s)[4], 0x7F000101u);
  EXPECT_FALSE(parse_sources("127.0.0.4-127.0.0.1"));
  EXPECT_FALSE(parse_sources("nope"));
  auto st = parse_steps("10,50,50,100");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size(), 4u);
  EXPECT_FALSE(parse_steps("50,10"));
  EXPECT_FALSE(parse_steps("0"));
  auto p = parse_pids("12,34");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size(), 2u);
  EXPECT_FALSE(parse_pids("-1"));
}

TEST(OptionsTest, ParsesSeveralServers) {
  auto s = parse_servers("127.0.0.1:7000,localhost:7100,127.0.0.2:7200");
  ASSERT_TRUE(s) << s.status().message();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[1].host, "localhost");
  EXPECT_EQ((*s)[2].port, 7200);
  EXPECT_FALSE(parse_servers("127.0.0.1"));
  EXPECT_FALSE(parse_servers("127.0.0.1:0"));
  EXPECT_FALSE(parse_servers("127.0.0.1:70000"));
  EXPECT_FALSE(parse_servers("example.com:7000"));
  EXPECT_FALSE(parse_servers("127.0.0.1:7000,"));

  // Without --server: the target's default; the first server is also host:port.
  Options o;
  o.target = Target::kRedis;
  ASSERT_TRUE(o.finalize());
  ASSERT_EQ(o.servers.size(), 1u);
  EXPECT_EQ(o.servers[0].port, 6379);
  Options two;
  two.servers = *parse_servers("127.0.0.3:7001,127.0.0.4:7002");
  ASSERT_TRUE(two.finalize());
  EXPECT_EQ(two.host, "127.0.0.3");
  EXPECT_EQ(two.port, 7001);
}

TEST(PlanTest, RolesPerScenario) {
  Options o;
  o.scenario = Scenario::kFanout;
  o.subs = 3;
  o.pubs = 2;
  ASSERT_TRUE(o.finalize());
  Plan fan(o);
  EXPECT_EQ(fan.users(), 5u);
  EXPECT_TRUE(fan.role(2).subscriber);
  EXPECT_FALSE(fan.role(3).subscriber);
  EXPECT_TRUE(fan.role(3).room_sender);
  EXPECT_EQ(fan.sender_slot(4), 1u);
  EXPECT_EQ(fan.round_rate(0), 0.0);  // as fast as the window allows

  Options s;
  s.scenario = Scenario::kSteps;
  s.steps = {10, 25};
  s.room_size = 10;
  s.user_rate = 2;
  ASSERT_TRUE(s.finalize());
  Plan steps(s);
  EXPECT_EQ(steps.users(), 25u);
  EXPECT_EQ(steps.rooms(), 3u);
  EXPECT_EQ(steps.round_count(), 2u);
  EXPECT_EQ(steps.round_users(1), 25u);
  EXPECT_EQ(steps.round_rate(1), 50.0);
  EXPECT_EQ(steps.role(24).room, 2u);
  EXPECT_EQ(steps.sender_slot(24), 4u);

  Options c;
  c.scenario = Scenario::kConnect;
  c.target = Target::kNats;
  ASSERT_TRUE(c.finalize());
  EXPECT_EQ(c.port, 4222);
  EXPECT_EQ(c.conns, 1000u);
  EXPECT_TRUE(Plan(c).role(0).private_peer);
  EXPECT_EQ(Plan(c).round_count(), 0u);

  Options bad;
  bad.scenario = Scenario::kPairs;
  bad.conns = 1;
  EXPECT_FALSE(bad.finalize());
}

}  // namespace
}  // namespace chat::bench
