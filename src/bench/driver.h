// A Driver speaks one target's protocol for the Worker: it writes requests
// into Client::out and turns the bytes that arrive into DriverSink events.
// Drivers are stateless apart from the per-client fields they own
// (proto_state, next_req, last_error) and never allocate per message.
// Owned by one Worker; single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "bench/client.h"
#include "bench/options.h"

namespace chat::bench {

// A room (chat room, or the peers' topic for it) or a user's private inbox
// (chat WHISPER, or the peers' per-user topic).
struct Topic {
  enum class Kind : uint8_t { kRoom, kUser };
  Kind kind = Kind::kRoom;
  uint32_t index = 0;
};

// Writes the wire name of `t` for `target` into buf: chat "r7"/"u7", Redis
// and NATS "bench.r7"/"bench.u7", MQTT "bench/r7"/"bench/u7".
// REQUIRES: cap >= 32.
size_t topic_name(char* buf, size_t cap, Target target, Topic t);
// Reads a name topic_name wrote (for any target). False for other names.
bool parse_topic_name(std::string_view name, Topic* t);

class DriverSink {
 public:
  virtual ~DriverSink() = default;
  // The handshake is done; `heartbeat_s` is how often to show life.
  virtual void on_logged_in(Client& c, uint32_t heartbeat_s) = 0;
  // The subscription is in place; `base_seq` is the room's seq then (chat),
  // 0 for the peers.
  virtual void on_subscribed(Client& c, uint64_t base_seq) = 0;
  // The handshake or the subscription was refused: `cause` is static text.
  virtual void on_refused(Client& c, std::string_view cause) = 0;
  // One send was accepted (chat ACK, Redis PUBLISH reply); `id` is the ACK's
  // id (for a chat SAY the message's room seq), 0 when there is none.
  virtual void on_send_acked(Client& c, uint64_t id) = 0;
  // One send was refused with `code` (static text).
  virtual void on_send_refused(Client& c, std::string_view code) = 0;
  // The reply to a sync marker arrived (MQTT PINGRESP, NATS PONG).
  virtual void on_marker(Client& c) = 0;
  // A message arrived; `room_seq` is the chat room seq (0 when none).
  virtual void on_delivery(Client& c, Topic t, uint64_t room_seq, std::string_view body) = 0;
  // An error not tied to a send (`code` static text); a fatal one is
  // followed by the server closing the connection.
  virtual void on_error(Client& c, std::string_view code) = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // The TCP connection is up: write the handshake (or wait for a greeting).
  virtual void on_connected(Client& c) = 0;
  virtual void subscribe(Client& c, Topic t) = 0;
  virtual void publish(Client& c, Topic t, std::string_view body) = 0;
  // True when every publish gets its own reply (on_send_acked/refused);
  // false when the worker confirms sends with sync markers.
  virtual bool acks_each_send() const = 0;
  // Writes a marker whose reply (on_marker) comes after everything before it.
  virtual void sync(Client& c) = 0;
  // Writes a keep-alive. For marker targets it is a marker (on_marker).
  virtual void heartbeat(Client& c) = 0;
  // Writes the polite goodbye. True when the server closes after it (wait
  // for EOF); false when the caller should close at once.
  virtual bool goodbye(Client& c) = 0;
  // Consumes whole frames of `in` and reports them. Returns the bytes
  // consumed, or -1 with c.last_error set when the stream is broken.
  virtual ptrdiff_t parse(Client& c, std::span<const uint8_t> in) = 0;
};

std::unique_ptr<Driver> make_chat_driver(DriverSink& sink);
std::unique_ptr<Driver> make_redis_driver(DriverSink& sink);
std::unique_ptr<Driver> make_mqtt_driver(DriverSink& sink);
std::unique_ptr<Driver> make_nats_driver(DriverSink& sink);
std::unique_ptr<Driver> make_driver(Target target, DriverSink& sink);

}  // namespace chat::bench
