// MQTT 3.1.1 at QoS 0: no reply per PUBLISH, so sends are confirmed by
// PINGREQ markers (the broker answers packets of a connection in order).
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "bench/driver.h"
#include "bench/mqtt.h"

namespace chat::bench {
namespace {

constexpr uint16_t kKeepaliveSeconds = 60;
constexpr uint32_t kMaxPacket = 16u << 20;
constexpr uint16_t kSubscribePacketId = 1;

class MqttDriver final : public Driver {
 public:
  explicit MqttDriver(DriverSink& sink) : sink_(sink), pid_(static_cast<uint32_t>(::getpid())) {}

  void on_connected(Client& c) override {
    // Unique per connection and per process: a broker drops the older of two
    // sessions with one client id.
    char id[48];
    int n = std::snprintf(id, sizeof id, "chatbench-%u-%u", pid_, c.user);
    mqtt::append_connect(c.out, std::string_view(id, static_cast<size_t>(n)), kKeepaliveSeconds);
  }

  void subscribe(Client& c, Topic t) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kMqtt, t);
    mqtt::append_subscribe(c.out, kSubscribePacketId, std::string_view(name, n));
  }

  void publish(Client& c, Topic t, std::string_view body) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kMqtt, t);
    mqtt::append_publish(c.out, std::string_view(name, n), body);
  }

  bool acks_each_send() const override { return false; }
  void sync(Client& c) override { mqtt::append_pingreq(c.out); }
  void heartbeat(Client& c) override { mqtt::append_pingreq(c.out); }
  bool goodbye(Client& c) override {
    mqtt::append_disconnect(c.out);
    return true;  // the broker closes after DISCONNECT
  }

  ptrdiff_t parse(Client& c, std::span<const uint8_t> in) override {
    size_t pos = 0;
    for (;;) {
      mqtt::Packet p;
      mqtt::Status s = mqtt::read_packet(in.subspan(pos), kMaxPacket, &p);
      if (s == mqtt::Status::kNeedMore) break;
      if (s == mqtt::Status::kBad) {
        c.last_error = "bad_mqtt";
        return -1;
      }
      pos += p.packet_bytes;
      handle(c, p);
      if (c.fd < 0) break;
    }
    return static_cast<ptrdiff_t>(pos);
  }

 private:
  void handle(Client& c, const mqtt::Packet& p) {
    switch (p.type) {
      case mqtt::PacketType::kConnack:
        if (c.state != ClientState::kHandshake) return;
        if (p.body.size() == 2 && p.body[1] == 0) {
          sink_.on_logged_in(c, kKeepaliveSeconds / 2);
        } else {
          c.last_error = "connack_refused";
          sink_.on_refused(c, "connack_refused");
        }
        return;
      case mqtt::PacketType::kSuback:
        if (c.state != ClientState::kSubscribing) return;
        if (p.body.size() >= 3 && p.body[2] != 0x80) {
          sink_.on_subscribed(c, 0);
        } else {
          c.last_error = "suback_refused";
          sink_.on_refused(c, "suback_refused");
        }
        return;
      case mqtt::PacketType::kPublish: {
        std::string_view topic;
        std::string_view payload;
        Topic t;
        if (mqtt::split_publish(p, &topic, &payload) && parse_topic_name(topic, &t)) {
          sink_.on_delivery(c, t, 0, payload);
        }
        return;
      }
      case mqtt::PacketType::kPingresp:
        sink_.on_marker(c);
        return;
      default:
        return;
    }
  }

  DriverSink& sink_;
  uint32_t pid_;
};

}  // namespace

std::unique_ptr<Driver> make_mqtt_driver(DriverSink& sink) {
  return std::make_unique<MqttDriver>(sink);
}

}  // namespace chat::bench
