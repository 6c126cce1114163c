// NATS text protocol: INFO, CONNECT, SUB, PUB, MSG, PING/PONG. No reply per
// PUB (verbose off), so sends are confirmed by PING markers: the server
// answers PING after it has processed everything before it.
#include <charconv>
#include <memory>

#include "bench/driver.h"

namespace chat::bench {
namespace {

constexpr uint32_t kHeartbeatSeconds = 60;
constexpr size_t kMaxControlLine = 64 * 1024;
constexpr size_t kMaxPayload = 64u << 20;
constexpr std::string_view kConnect =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false,\"lang\":\"c++\","
    "\"version\":\"1\",\"name\":\"chatbench\",\"protocol\":1}\r\nPING\r\n";

// proto_state during the handshake.
constexpr uint8_t kWaitInfo = 0;
constexpr uint8_t kWaitConnectPong = 1;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

class NatsDriver final : public Driver {
 public:
  explicit NatsDriver(DriverSink& sink) : sink_(sink) {}

  void on_connected(Client& c) override { c.proto_state = kWaitInfo; }

  void subscribe(Client& c, Topic t) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kNats, t);
    c.out += "SUB ";
    c.out.append(name, n);
    c.out += " 1\r\nPING\r\n";
  }

  void publish(Client& c, Topic t, std::string_view body) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kNats, t);
    char len[24];
    auto* end = std::to_chars(len, len + sizeof len, body.size()).ptr;
    c.out += "PUB ";
    c.out.append(name, n);
    c.out += ' ';
    c.out.append(len, static_cast<size_t>(end - len));
    c.out += "\r\n";
    c.out += body;
    c.out += "\r\n";
  }

  bool acks_each_send() const override { return false; }
  void sync(Client& c) override { c.out += "PING\r\n"; }
  void heartbeat(Client& c) override { c.out += "PING\r\n"; }
  bool goodbye(Client& /*c*/) override { return false; }

  ptrdiff_t parse(Client& c, std::span<const uint8_t> in) override {
    std::string_view s(reinterpret_cast<const char*>(in.data()), in.size());
    size_t pos = 0;
    while (pos < s.size()) {
      size_t eol = s.find("\r\n", pos);
      if (eol == std::string_view::npos) {
        if (s.size() - pos > kMaxControlLine) {
          c.last_error = "bad_nats";
          return -1;
        }
        break;
      }
      std::string_view line = s.substr(pos, eol - pos);
      size_t next = eol + 2;
      if (starts_with(line, "MSG ")) {
        std::string_view subject;
        size_t bytes = 0;
        if (!parse_msg_line(line, &subject, &bytes)) {
          c.last_error = "bad_nats";
          return -1;
        }
        if (s.size() - next < bytes + 2) break;  // payload not all here yet
        std::string_view payload = s.substr(next, bytes);
        next += bytes + 2;
        Topic t;
        if (parse_topic_name(subject, &t)) sink_.on_delivery(c, t, 0, payload);
      } else {
        handle_line(c, line);
      }
      pos = next;
      if (c.fd < 0) break;
    }
    return static_cast<ptrdiff_t>(pos);
  }

 private:
  // "MSG <subject> <sid> [reply-to] <#bytes>"
  static bool parse_msg_line(std::string_view line, std::string_view* subject, size_t* bytes) {
    std::string_view fields[5];
    size_t n = 0;
    size_t pos = 4;
    while (pos < line.size() && n < 5) {
      size_t sp = line.find(' ', pos);
      size_t end = sp == std::string_view::npos ? line.size() : sp;
      if (end > pos) fields[n++] = line.substr(pos, end - pos);
      pos = end + 1;
    }
    if (n != 3 && n != 4) return false;
    *subject = fields[0];
    std::string_view len = fields[n - 1];
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), *bytes);
    return ec == std::errc() && ptr == len.data() + len.size() && *bytes <= kMaxPayload;
  }

  void handle_line(Client& c, std::string_view line) {
    if (line == "PING") {
      c.out += "PONG\r\n";
    } else if (line == "PONG") {
      on_pong(c);
    } else if (starts_with(line, "INFO ")) {
      if (c.state == ClientState::kHandshake && c.proto_state == kWaitInfo) {
        c.out += kConnect;
        c.proto_state = kWaitConnectPong;
      }
    } else if (starts_with(line, "-ERR")) {
      std::string_view code = "nats_error";
      if (line.find("Slow Consumer") != std::string_view::npos) {
        code = "nats_slow_consumer";
      } else if (line.find("Maximum Connections") != std::string_view::npos) {
        code = "nats_max_connections";
      }
      c.last_error = code;
      if (c.state == ClientState::kHandshake || c.state == ClientState::kSubscribing) {
        sink_.on_refused(c, code);
      } else {
        sink_.on_error(c, code);
      }
    }
    // "+OK" and anything else: nothing to do.
  }

  void on_pong(Client& c) {
    switch (c.state) {
      case ClientState::kHandshake:
        if (c.proto_state == kWaitConnectPong) sink_.on_logged_in(c, kHeartbeatSeconds);
        return;
      case ClientState::kSubscribing:
        sink_.on_subscribed(c, 0);
        return;
      default:
        sink_.on_marker(c);
        return;
    }
  }

  DriverSink& sink_;
};

}  // namespace

std::unique_ptr<Driver> make_nats_driver(DriverSink& sink) {
  return std::make_unique<NatsDriver>(sink);
}

}  // namespace chat::bench
