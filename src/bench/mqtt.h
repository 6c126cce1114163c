// The part of MQTT 3.1.1 chatbench needs: CONNECT (clean session), SUBSCRIBE
// and PUBLISH at QoS 0, PINGREQ, DISCONNECT; and splitting the server's
// byte stream into packets. Pure functions; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace chat::bench::mqtt {

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kSubscribe = 8,
  kSuback = 9,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
};

void append_connect(std::string& out, std::string_view client_id, uint16_t keepalive_s);
void append_subscribe(std::string& out, uint16_t packet_id, std::string_view topic);
void append_publish(std::string& out, std::string_view topic, std::string_view payload);
void append_pingreq(std::string& out);
void append_disconnect(std::string& out);

enum class Status : uint8_t { kOk, kNeedMore, kBad };

struct Packet {
  PacketType type{};
  uint8_t flags = 0;              // low nibble of the fixed header
  std::span<const uint8_t> body;  // variable header + payload
  size_t packet_bytes = 0;
};

// Reads the first packet of `in`; refuses a remaining length over `max_bytes`.
Status read_packet(std::span<const uint8_t> in, uint32_t max_bytes, Packet* p);

// A PUBLISH body split into topic and payload.
bool split_publish(const Packet& p, std::string_view* topic, std::string_view* payload);

}  // namespace chat::bench::mqtt
