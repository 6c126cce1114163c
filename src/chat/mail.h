// Mail: the work one loop hands another. Each Shard has one inbox per
// producer loop (a lock-free SPSC queue), so mail from one loop to another
// arrives in the order it was sent — the property that keeps a session's
// replies in order and a room's messages in seq order at every member.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/records.h"
#include "net/frame_ref.h"

namespace chat {

enum class MailKind : uint8_t {
  kNone,
  // session loop -> room owner
  kJoin,     // addr, user=a, room=b, req, flag=reply wanted
  kLeave,    // addr, user=a, room=b, req, flag=reply wanted
  kSay,      // addr, room=b, req, frame=MESSAGE to sequence, user_ref
  kWho,      // addr, room=b, req
  kHistory,  // addr, room=b, req, n1=after_seq, n2=limit
  // session loop -> every loop
  kRoomsQuery,  // addr, req
  // session loop -> user owner
  kWhisper,  // addr, to=b, req, frame=PRIVATE to number, user_ref
  kWatch,    // addr, user=b
  kUnwatch,  // addr, user=b
  // any loop -> a session's loop
  kJoined,       // addr, room=b, req, n1=last seq, flag=reply wanted, error
  kReply,        // addr, frame: a reply that completes one in-flight request
  kPresence,     // addr, b=user, frame: a PRESENCE for a session that watched b
  kFanout,       // room=b, frame, addr=excluded session (0: none)
  kSayDone,      // addr, req, n1=seq, n2=time, user_ref, client_id, error
  kWhisperDone,  // addr, req, n1=id (0: no such user), n2=time, frame, user_ref, client_id, error
  kRoomsPart,    // addr, n1=total, rooms
  // login: the accepting loop hands a connection to its user's loop
  kAdopt,  // fd, user=a, token verified, req, client_id, b=unparsed input, c=unsent output,
           // web=WebSocket state (c is then wire bytes, already framed)
};

struct Mail {
  MailKind kind = MailKind::kNone;
  bool flag = false;
  uint8_t error = 0;  // a proto::ErrorCode when an answer is a refusal (cluster mode)
  // The loop that sent it (set by Shard::post); kFromSelf for a loop's mail
  // to itself in cluster mode, where such answers come back asynchronously
  // (from Redis) and complete an in-flight request like remote ones.
  uint32_t from = 0;
  static constexpr uint32_t kFromSelf = ~0u;
  int fd = -1;
  uint32_t req = 0;
  SessionAddr addr = 0;
  uint64_t n1 = 0;
  uint64_t n2 = 0;
  uint64_t client_id = 0;
  User* user_ref = nullptr;  // opaque to every loop but the user's own
  std::string a;
  std::string b;
  std::string c;
  net::FrameRef frame;
  std::vector<std::pair<std::string, uint32_t>> rooms;
  std::unique_ptr<WebConn> web;
};

}  // namespace chat
