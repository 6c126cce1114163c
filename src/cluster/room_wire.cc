#include "cluster/room_wire.h"

#include <openssl/sha.h>

#include <charconv>
#include <cstdio>

namespace chat::cluster {

namespace {

std::string room_key(std::string_view room, std::string_view suffix) {
  std::string key;
  key.reserve(room.size() + suffix.size() + 9);
  key.append("chatd:{").append(room).append("}:").append(suffix);
  return key;
}

std::string_view str(const redisReply& r) { return {r.str, r.len}; }

bool is_str(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

// Splits off the text up to the next space.
std::optional<std::string_view> next_field(std::string_view* rest) {
  size_t sp = rest->find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view field = rest->substr(0, sp);
  rest->remove_prefix(sp + 1);
  return field;
}

std::optional<uint64_t> next_number(std::string_view* rest) {
  auto field = next_field(rest);
  if (!field) return std::nullopt;
  return parse_u64(*field);
}

}  // namespace

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string room_seq_key(std::string_view room) { return room_key(room, "seq"); }
std::string room_stream_key(std::string_view room) { return room_key(room, "stream"); }
std::string room_channel(std::string_view room) { return room_key(room, "msg"); }

std::optional<std::string_view> room_of_channel(std::string_view channel) {
  constexpr std::string_view kPrefix = "chatd:{";
  constexpr std::string_view kSuffix = "}:msg";
  if (channel.size() < kPrefix.size() + kSuffix.size()) return std::nullopt;
  if (channel.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  if (channel.substr(channel.size() - kSuffix.size()) != kSuffix) return std::nullopt;
  return channel.substr(kPrefix.size(), channel.size() - kPrefix.size() - kSuffix.size());
}

std::string user_channel(std::string_view user) {
  std::string ch;
  ch.reserve(user.size() + 10);
  ch.append("chatd:u:{").append(user).append("}");
  return ch;
}

std::optional<std::string_view> user_of_channel(std::string_view channel) {
  constexpr std::string_view kPrefix = "chatd:u:{";
  if (channel.size() < kPrefix.size() + 2 || channel.substr(0, kPrefix.size()) != kPrefix ||
      channel.back() != '}') {
    return std::nullopt;
  }
  return channel.substr(kPrefix.size(), channel.size() - kPrefix.size() - 1);
}

std::string resend_key(std::string_view room, std::string_view user, uint64_t client_id,
                       uint32_t req) {
  char tail[48];
  std::snprintf(tail, sizeof tail, ":%llx:%u", static_cast<unsigned long long>(client_id), req);
  std::string key = room_key(room, "resend:");
  key.append(user).append(tail);
  return key;
}

std::string whisper_resend_key(std::string_view user, uint64_t client_id, uint32_t req) {
  char tail[48];
  std::snprintf(tail, sizeof tail, ":%llx:%u", static_cast<unsigned long long>(client_id), req);
  std::string key = "chatd:u:{";
  key.append(user).append("}:resend").append(tail);
  return key;
}

// Everything a SAY does in Redis, atomically: the resend check, the seq, the
// history entry, the publication, the resend memory. Lua numbers print with
// %.14g: exact for seqs and millisecond times below 10^14.
const std::string_view kSayScript = R"LUA(
if ARGV[8] == '1' then
  local prev = redis.call('GET', KEYS[3])
  if prev then return {prev, 1} end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], seq .. '-0',
           'time', ARGV[2], 'from', ARGV[3], 'body', ARGV[4], 'src', ARGV[6])
redis.call('PUBLISH', ARGV[1], seq .. ' ' .. ARGV[2] .. ' ' .. ARGV[6] .. ' ' .. ARGV[7])
local answer = seq .. ' ' .. ARGV[2]
if ARGV[8] == '1' then redis.call('SET', KEYS[3], answer, 'EX', 300) end
return {answer, 0}
)LUA";

std::string script_sha(std::string_view script) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  std::string hex;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

const std::string& say_script_sha() {
  static const std::string sha = script_sha(kSayScript);
  return sha;
}

// A WHISPER: the resend check (ARGV[6] == '1', key KEYS[2]), the private id,
// the publication to the recipient's channel (and the sender's, ARGV[5]),
// and the resend memory when someone received it. A repeat answers
// {id, receivers, time, 1} without publishing.
const std::string_view kWhisperScript = R"LUA(
if ARGV[6] == '1' then
  local prev = redis.call('GET', KEYS[2])
  if prev then
    local sp = string.find(prev, ' ')
    return {tonumber(string.sub(prev, 1, sp - 1)), 1, tonumber(string.sub(prev, sp + 1)), 1}
  end
end
local id = redis.call('INCR', KEYS[1])
local payload = id .. ' ' .. ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4]
local n = redis.call('PUBLISH', ARGV[1], payload)
if n > 0 and ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], payload) end
if n > 0 and ARGV[6] == '1' then redis.call('SET', KEYS[2], id .. ' ' .. ARGV[2], 'EX', 300) end
return {id, n}
)LUA";

const std::string& whisper_script_sha() {
  static const std::string sha = script_sha(kWhisperScript);
  return sha;
}

std::optional<WhisperResult> decode_whisper_reply(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || (reply.elements != 2 && reply.elements != 4)) {
    return std::nullopt;
  }
  for (size_t i = 0; i < reply.elements; ++i) {
    const redisReply* e = reply.element[i];
    if (e == nullptr || e->type != REDIS_REPLY_INTEGER || e->integer < 0) return std::nullopt;
  }
  if (reply.element[0]->integer == 0) return std::nullopt;
  WhisperResult r{static_cast<uint64_t>(reply.element[0]->integer),
                  static_cast<uint64_t>(reply.element[1]->integer)};
  if (reply.elements == 4) {
    if (reply.element[3]->integer != 1) return std::nullopt;
    r.duplicate = true;
    r.time = static_cast<uint64_t>(reply.element[2]->integer);
  }
  return r;
}

std::optional<RoomPush> decode_room_push(std::string_view payload) {
  RoomPush p;
  auto seq = next_number(&payload);
  auto time = next_number(&payload);
  auto node = next_field(&payload);
  auto addr = next_number(&payload);
  auto arrival = next_number(&payload);
  if (!seq || !time || !node || node->empty() || !addr || !arrival || *seq == 0) {
    return std::nullopt;
  }
  p.seq = *seq;
  p.time = *time;
  p.node = *node;
  p.addr = *addr;
  p.arrival_us = *arrival;
  p.frame = payload;
  return p;
}

std::optional<SayResult> decode_say_reply(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2) return std::nullopt;
  const redisReply* answer = reply.element[0];
  const redisReply* dup = reply.element[1];
  if (!is_str(answer) || dup == nullptr || dup->type != REDIS_REPLY_INTEGER) return std::nullopt;
  std::string_view rest = str(*answer);
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  auto seq = parse_u64(rest.substr(0, sp));
  auto time = parse_u64(rest.substr(sp + 1));
  if (!seq || !time || *seq == 0) return std::nullopt;
  return SayResult{*seq, *time, dup->integer != 0};
}

std::optional<PubSubPush> decode_pubsub_push(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) return std::nullopt;
  const redisReply* kind = reply.element[0];
  const redisReply* channel = reply.element[1];
  if (!is_str(kind) || !is_str(channel)) return std::nullopt;
  PubSubPush p;
  p.channel = str(*channel);
  std::string_view k = str(*kind);
  if (k == "message") {
    if (!is_str(reply.element[2])) return std::nullopt;
    p.kind = PubSubPush::Kind::kMessage;
    p.payload = str(*reply.element[2]);
  } else if (k == "subscribe") {
    p.kind = PubSubPush::Kind::kSubscribe;
  } else if (k == "unsubscribe") {
    p.kind = PubSubPush::Kind::kUnsubscribe;
  } else {
    return std::nullopt;
  }
  return p;
}

bool decode_stream_range(const redisReply& reply, std::vector<StreamEntry>* out) {
  if (reply.type != REDIS_REPLY_ARRAY) return false;
  for (size_t i = 0; i < reply.elements; ++i) {
    const redisReply* e = reply.element[i];
    if (e == nullptr || e->type != REDIS_REPLY_ARRAY || e->elements != 2) return false;
    const redisReply* id = e->element[0];
    const redisReply* fields = e->element[1];
    if (!is_str(id) || fields == nullptr || fields->type != REDIS_REPLY_ARRAY) return false;
    std::string_view id_text = str(*id);
    size_t dash = id_text.find('-');
    auto seq = parse_u64(id_text.substr(0, dash));
    if (!seq) return false;
    StreamEntry entry;
    entry.seq = *seq;
    bool have_time = false;
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      const redisReply* name = fields->element[f];
      const redisReply* value = fields->element[f + 1];
      if (!is_str(name) || !is_str(value)) return false;
      std::string_view n = str(*name);
      if (n == "time") {
        auto t = parse_u64(str(*value));
        if (!t) return false;
        entry.time = *t;
        have_time = true;
      } else if (n == "from") {
        entry.from = str(*value);
      } else if (n == "body") {
        entry.body = str(*value);
      } else if (n == "src") {  // "node addr ...": the sending session
        std::string_view src = str(*value);
        auto node = next_field(&src);
        auto addr = next_number(&src);
        if (node && addr) {
          entry.src_node = *node;
          entry.src_addr = *addr;
        }
      }
    }
    if (!have_time || entry.from.empty()) return false;
    out->push_back(entry);
  }
  return true;
}

}  // namespace chat::cluster
