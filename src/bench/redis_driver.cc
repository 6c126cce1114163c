// Redis over RESP3 (HELLO 3), so that one connection can both SUBSCRIBE and
// PUBLISH: messages arrive as push frames between ordinary replies.
#include <memory>

#include "bench/driver.h"
#include "bench/resp.h"

namespace chat::bench {
namespace {

constexpr uint32_t kHeartbeatSeconds = 60;  // Redis closes no idle client by default
constexpr size_t kMaxItems = 4;

class RedisDriver final : public Driver {
 public:
  explicit RedisDriver(DriverSink& sink) : sink_(sink) {}

  void on_connected(Client& c) override { resp::append_command(c.out, {"HELLO", "3"}); }

  void subscribe(Client& c, Topic t) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kRedis, t);
    resp::append_command(c.out, {"SUBSCRIBE", std::string_view(name, n)});
  }

  void publish(Client& c, Topic t, std::string_view body) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kRedis, t);
    resp::append_command(c.out, {"PUBLISH", std::string_view(name, n), body});
  }

  bool acks_each_send() const override { return true; }
  void sync(Client& /*c*/) override {}
  void heartbeat(Client& c) override { resp::append_command(c.out, {"PING"}); }
  bool goodbye(Client& /*c*/) override { return false; }

  ptrdiff_t parse(Client& c, std::span<const uint8_t> in) override {
    size_t pos = 0;
    while (pos < in.size()) {
      size_t used = 0;
      resp::Value top;
      resp::Value items[kMaxItems];
      resp::Status s = resp::read_value(in.subspan(pos), &used, &top, items, kMaxItems);
      if (s == resp::Status::kNeedMore) break;
      if (s == resp::Status::kBad) {
        c.last_error = "bad_resp";
        return -1;
      }
      pos += used;
      handle(c, top, items);
      if (c.fd < 0) break;
    }
    return static_cast<ptrdiff_t>(pos);
  }

 private:
  void handle(Client& c, const resp::Value& v, const resp::Value* items) {
    if (v.type == '>') {
      if (v.count >= 3 && items[0].text == "message") {
        Topic t;
        if (parse_topic_name(items[1].text, &t)) sink_.on_delivery(c, t, 0, items[2].text);
      } else if (v.count >= 2 && items[0].text == "subscribe" &&
                 c.state == ClientState::kSubscribing) {
        sink_.on_subscribed(c, 0);
      }
      return;
    }
    bool error = v.type == '-' || v.type == '!';
    switch (c.state) {
      case ClientState::kHandshake:
        if (error) {
          c.last_error = "redis_error";
          sink_.on_refused(c, "redis_error");
        } else {
          sink_.on_logged_in(c, kHeartbeatSeconds);
        }
        return;
      case ClientState::kSubscribing:
        if (error) {
          c.last_error = "redis_error";
          sink_.on_refused(c, "redis_error");
        }
        return;
      case ClientState::kReady:
        if (v.type == ':') {
          sink_.on_send_acked(c, 0);
        } else if (error) {
          sink_.on_send_refused(c, "redis_error");
        }
        return;  // '+PONG' for heartbeats
      default:
        return;
    }
  }

  DriverSink& sink_;
};

}  // namespace

std::unique_ptr<Driver> make_redis_driver(DriverSink& sink) {
  return std::make_unique<RedisDriver>(sink);
}

}  // namespace chat::bench
