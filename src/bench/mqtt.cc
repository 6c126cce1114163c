#include "bench/mqtt.h"

namespace chat::bench::mqtt {
namespace {

void put_remaining_length(std::string& out, size_t n) {
  do {
    auto byte = static_cast<uint8_t>(n % 128);
    n /= 128;
    if (n > 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (n > 0);
}

void put_u16(std::string& out, size_t v) {
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

void put_str(std::string& out, std::string_view s) {
  put_u16(out, s.size());
  out += s;
}

}  // namespace

void append_connect(std::string& out, std::string_view client_id, uint16_t keepalive_s) {
  // "MQTT", level 4, flags (clean session), keepalive, client id.
  size_t rem = 2 + 4 + 1 + 1 + 2 + 2 + client_id.size();
  out += static_cast<char>(0x10);
  put_remaining_length(out, rem);
  put_str(out, "MQTT");
  out += static_cast<char>(4);
  out += static_cast<char>(0x02);
  put_u16(out, keepalive_s);
  put_str(out, client_id);
}

void append_subscribe(std::string& out, uint16_t packet_id, std::string_view topic) {
  out += static_cast<char>(0x82);
  put_remaining_length(out, 2 + 2 + topic.size() + 1);
  put_u16(out, packet_id);
  put_str(out, topic);
  out += static_cast<char>(0);  // QoS 0
}

void append_publish(std::string& out, std::string_view topic, std::string_view payload) {
  out += static_cast<char>(0x30);
  put_remaining_length(out, 2 + topic.size() + payload.size());
  put_str(out, topic);
  out += payload;
}

void append_pingreq(std::string& out) {
  out += static_cast<char>(0xC0);
  out += static_cast<char>(0);
}

void append_disconnect(std::string& out) {
  out += static_cast<char>(0xE0);
  out += static_cast<char>(0);
}

Status read_packet(std::span<const uint8_t> in, uint32_t max_bytes, Packet* p) {
  if (in.size() < 2) return Status::kNeedMore;
  size_t rem = 0;
  size_t pos = 1;
  for (int shift = 0;; shift += 7) {
    if (shift > 21) return Status::kBad;  // at most 4 length bytes
    if (pos >= in.size()) return Status::kNeedMore;
    uint8_t b = in[pos++];
    rem |= static_cast<size_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (rem > max_bytes) return Status::kBad;
  if (in.size() - pos < rem) return Status::kNeedMore;
  p->type = static_cast<PacketType>(in[0] >> 4);
  p->flags = in[0] & 0x0F;
  p->body = in.subspan(pos, rem);
  p->packet_bytes = pos + rem;
  return Status::kOk;
}

bool split_publish(const Packet& p, std::string_view* topic, std::string_view* payload) {
  if (p.body.size() < 2) return false;
  size_t len = (static_cast<size_t>(p.body[0]) << 8) | p.body[1];
  size_t pos = 2 + len;
  if ((p.flags >> 1 & 3) != 0) pos += 2;  // packet id for QoS 1 and 2
  if (pos > p.body.size()) return false;
  const char* base = reinterpret_cast<const char*>(p.body.data());
  *topic = std::string_view(base + 2, len);
  *payload = std::string_view(base + pos, p.body.size() - pos);
  return true;
}

}  // namespace chat::bench::mqtt
