// What a room looks like in Redis: key and channel names, the SAY script,
// and decoders for what Redis sends back (script replies, pub/sub pushes,
// stream ranges).
//
// Keys carry the room as a hash tag ("chatd:{ROOM}:seq") so a room's keys
// share one Redis Cluster slot. Pure functions, no I/O; replies are read,
// never kept (views point into them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

namespace chat::cluster {

std::string room_seq_key(std::string_view room);     // last seq (INCR)
std::string room_stream_key(std::string_view room);  // history: stream, ids "<seq>-0"
std::string room_channel(std::string_view room);     // pub/sub: each message once
// The room a room_channel() names; nullopt for any other channel.
std::optional<std::string_view> room_of_channel(std::string_view channel);
// Resend memory of one SAY: (room, user, client_id, req) -> "seq time".
std::string resend_key(std::string_view room, std::string_view user, uint64_t client_id,
                       uint32_t req);
// Resend memory of one WHISPER: (sender, client_id, req) -> "id time".
std::string whisper_resend_key(std::string_view user, uint64_t client_id, uint32_t req);

// A user's channel: every node with sessions of the user subscribes to it
// (private messages), and the counter that numbers private messages.
std::string user_channel(std::string_view user);
std::optional<std::string_view> user_of_channel(std::string_view channel);
inline constexpr std::string_view kPrivateIdKey = "chatd:private-id";

// SHA1 (hex) of a script, its name for EVALSHA.
std::string script_sha(std::string_view script);

// The SAY script (see docs/cluster.md) and its SHA1 (hex), for EVALSHA.
//   KEYS: seq, stream, resend key
//   ARGV: channel, time ms, sender, body, history, origin, frame, use resend (1/0)
// Returns {"seq time", duplicate 0/1}.
extern const std::string_view kSayScript;
const std::string& say_script_sha();

// The WHISPER script: numbers a PRIVATE and publishes it on the
// recipient's channel, and (when someone got it) on the sender's channel
// for the sender's other sessions.
//   KEYS: private id counter
//   ARGV: channel, time ms, origin, frame (PRIVATE with id and time zero),
//         sender's channel ("" for a whisper to oneself)
// Returns {id, receivers} (receivers: nodes subscribed to the channel).
extern const std::string_view kWhisperScript;
const std::string& whisper_script_sha();
struct WhisperResult {
  uint64_t id = 0;
  uint64_t receivers = 0;
  // A repeat of an accepted WHISPER (same sender, client_id and req, through
  // any node): answered with the first one's id and time, not delivered.
  bool duplicate = false;
  uint64_t time = 0;  // the first one's, when duplicate
};
std::optional<WhisperResult> decode_whisper_reply(const redisReply& reply);

// The pub/sub payload of one message: "seq time node addr arrival_us FRAME",
// FRAME being the MESSAGE as the sender's node encoded it (seq, time zero).
// A PRIVATE on a user channel has the same form, its id in place of seq.
struct RoomPush {
  uint64_t seq = 0;
  uint64_t time = 0;
  std::string_view node;  // the sender's node
  uint64_t addr = 0;      // the sender's session on that node
  uint64_t arrival_us = 0;
  std::string_view frame;
};
std::optional<RoomPush> decode_room_push(std::string_view payload);

// The script's answer.
struct SayResult {
  uint64_t seq = 0;
  uint64_t time = 0;
  bool duplicate = false;  // an earlier send with the same resend key
};
std::optional<SayResult> decode_say_reply(const redisReply& reply);

// A pub/sub push from a subscriber connection.
struct PubSubPush {
  enum class Kind : uint8_t { kSubscribe, kUnsubscribe, kMessage } kind = Kind::kMessage;
  std::string_view channel;
  std::string_view payload;  // kMessage only
};
std::optional<PubSubPush> decode_pubsub_push(const redisReply& reply);

// One entry of an XRANGE over a room stream.
struct StreamEntry {
  uint64_t seq = 0;
  uint64_t time = 0;
  std::string_view from;
  std::string_view body;
  std::string_view src_node;  // the node and session that sent it (may be empty)
  uint64_t src_addr = 0;
};
// Decodes an XRANGE reply; false when it is not one (entries stay partial).
bool decode_stream_range(const redisReply& reply, std::vector<StreamEntry>* out);

// A whole decimal number (no sign, no spaces); nullopt otherwise.
std::optional<uint64_t> parse_u64(std::string_view text);

}  // namespace chat::cluster
