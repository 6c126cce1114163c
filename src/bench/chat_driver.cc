// The chat protocol (docs/protocol.md), spoken with the project's one codec.
#include <memory>

#include "bench/driver.h"
#include "proto/frame.h"
#include "proto/messages.h"

namespace chat::bench {
namespace {

using proto::MsgType;

// The client trusts the server's frames up to this size.
constexpr uint32_t kMaxServerFrame = 16u << 20;
constexpr uint32_t kHelloReq = 1;
constexpr uint32_t kJoinReq = 2;
constexpr uint32_t kFirstSendReq = 16;

class ChatDriver final : public Driver {
 public:
  explicit ChatDriver(DriverSink& sink) : sink_(sink) {}

  void on_connected(Client& c) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kChat, {Topic::Kind::kUser, c.user});
    proto::encode(c.out, proto::Hello{kHelloReq, 0, std::string_view(name, n), ""});
    c.next_req = kFirstSendReq;
  }

  void subscribe(Client& c, Topic t) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kChat, t);
    proto::encode(c.out, proto::Join{kJoinReq, std::string_view(name, n)});
  }

  void publish(Client& c, Topic t, std::string_view body) override {
    char name[32];
    size_t n = topic_name(name, sizeof name, Target::kChat, t);
    if (t.kind == Topic::Kind::kRoom) {
      proto::encode(c.out, proto::Say{c.next_req++, std::string_view(name, n), body});
    } else {
      proto::encode(c.out, proto::Whisper{c.next_req++, std::string_view(name, n), body});
    }
  }

  bool acks_each_send() const override { return true; }
  void sync(Client& /*c*/) override {}
  void heartbeat(Client& c) override { proto::encode(c.out, proto::Ping{++nonce_}); }
  bool goodbye(Client& c) override {
    proto::encode(c.out, proto::Bye{c.next_req++});
    return true;
  }

  ptrdiff_t parse(Client& c, std::span<const uint8_t> in) override {
    size_t pos = 0;
    for (;;) {
      proto::FrameView f = proto::decode_frame(in.subspan(pos), kMaxServerFrame);
      if (f.status == proto::FrameStatus::kNeedMore) break;
      if (f.status != proto::FrameStatus::kFrame) {
        c.last_error = "bad_frame";
        return -1;
      }
      pos += f.frame_bytes;
      if (!handle(c, f.type, f.payload)) return -1;
      if (c.fd < 0) break;  // the sink closed it
    }
    return static_cast<ptrdiff_t>(pos);
  }

 private:
  // False when the stream cannot be trusted any more.
  bool handle(Client& c, uint8_t type, proto::Payload p) {
    switch (static_cast<MsgType>(type)) {
      case MsgType::kMessage: {
        auto m = proto::decode_message(p);
        if (!m.ok()) return malformed(c);
        Topic t;
        if (parse_topic_name(m.msg.room, &t)) sink_.on_delivery(c, t, m.msg.seq, m.msg.body);
        return true;
      }
      case MsgType::kPrivate: {
        auto m = proto::decode_private(p);
        if (!m.ok()) return malformed(c);
        sink_.on_delivery(c, Topic{Topic::Kind::kUser, c.user}, 0, m.msg.body);
        return true;
      }
      case MsgType::kAck: {
        auto m = proto::decode_ack(p);
        if (!m.ok()) return malformed(c);
        if (m.msg.req == kJoinReq && c.state == ClientState::kSubscribing) {
          sink_.on_subscribed(c, m.msg.id);
        } else if (m.msg.req >= kFirstSendReq) {
          sink_.on_send_acked(c, m.msg.id);
        }
        return true;
      }
      case MsgType::kError: {
        auto m = proto::decode_error(p);
        if (!m.ok()) return malformed(c);
        std::string_view code = proto::error_name(m.msg.code);
        if (m.msg.req == kHelloReq || m.msg.req == kJoinReq) {
          c.last_error = code;
          sink_.on_refused(c, code);
        } else if (m.msg.req >= kFirstSendReq && c.state != ClientState::kClosing) {
          sink_.on_send_refused(c, code);
        } else {
          c.last_error = code;
          sink_.on_error(c, code);
        }
        return true;
      }
      case MsgType::kWelcome: {
        auto m = proto::decode_welcome(p);
        if (!m.ok()) return malformed(c);
        if (c.state == ClientState::kHandshake) sink_.on_logged_in(c, m.msg.heartbeat);
        return true;
      }
      case MsgType::kPing: {
        auto m = proto::decode_ping(p);
        if (!m.ok()) return malformed(c);
        proto::encode(c.out, proto::Pong{m.msg.nonce});
        return true;
      }
      default:
        // PONG, OK (BYE), ROOM_EVENT, PRESENCE and the rest: nothing to measure.
        return true;
    }
  }

  static bool malformed(Client& c) {
    c.last_error = "malformed";
    return false;
  }

  DriverSink& sink_;
  uint64_t nonce_ = 0;
};

}  // namespace

std::unique_ptr<Driver> make_chat_driver(DriverSink& sink) {
  return std::make_unique<ChatDriver>(sink);
}

}  // namespace chat::bench
