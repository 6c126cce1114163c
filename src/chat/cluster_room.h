// ClusterRoom: where a room this loop owns stands with Redis in cluster mode
// (docs/cluster.md). Owned by the room's owner Shard; touched only from its
// loop thread.
//
// A room with local members is subscribed to its channel. A JOIN is
// answered only once the subscription is confirmed and the room's seq read
// (GET) after it: every message with a greater seq then arrives on the
// subscription, so the joiner misses none ("gapless join"). Messages that
// arrive while the seq is being read wait in `buffered`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chat/mail.h"
#include "chat/records.h"

namespace chat {

struct ClusterRoom {
  enum class State : uint8_t {
    kIdle,           // not subscribed
    kSubscribing,    // SUBSCRIBE sent
    kSyncing,        // subscribed; GET of the seq sent (or due when Redis returns)
    kRefilling,      // subscribed again after a loss: what was missed is read from the stream
    kLive,           // subscribed and delivering: delivered_seq is current
    kUnsubscribing,  // UNSUBSCRIBE sent (no local members left)
  };
  struct Joiner {
    SessionAddr addr = 0;
    std::string user;
    uint32_t req = 0;
    bool reply = false;    // the session asked (not the login's lobby join)
    bool counted = false;  // the session was added to the Room
  };

  State state = State::kIdle;
  uint64_t delivered_seq = 0;         // last seq fanned out here
  std::vector<Joiner> joiners;        // JOINs waiting for kLive
  std::vector<std::string> buffered;  // pushes (payloads) that came while syncing
  // SAY answers whose message has not come back on the channel yet: an ACK
  // leaves once this node has fanned out every message up to its seq, so a
  // sender gets the room's earlier messages before its ACK, as standalone.
  struct ParkedAck {
    uint64_t seq = 0;
    Mail answer;
  };
  std::vector<ParkedAck> parked_acks;
};

// A user channel of a user this loop owns: subscribed while the user has
// sessions on this node. One SUBSCRIBE or UNSUBSCRIBE in flight at a time:
// a change of mind meanwhile is applied when Redis confirms.
struct UserChannel {
  enum class State : uint8_t { kIdle, kSubscribing, kSubscribed, kUnsubscribing };
  struct Welcome {
    SessionAddr addr = 0;
    net::FrameRef frame;
  };
  State state = State::kIdle;
  bool wanted = false;            // the user has sessions here
  std::vector<Welcome> welcomes;  // logins waiting for the subscription
};

}  // namespace chat
