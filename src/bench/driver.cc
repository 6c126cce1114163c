#include "bench/driver.h"

#include <charconv>
#include <cstring>

namespace chat::bench {

size_t topic_name(char* buf, size_t cap, Target target, Topic t) {
  char* p = buf;
  char* end = buf + cap;
  if (target != Target::kChat) {
    std::memcpy(p, "bench", 5);
    p += 5;
    *p++ = target == Target::kMqtt ? '/' : '.';
  }
  *p++ = t.kind == Topic::Kind::kRoom ? 'r' : 'u';
  p = std::to_chars(p, end, t.index).ptr;
  return static_cast<size_t>(p - buf);
}

bool parse_topic_name(std::string_view name, Topic* t) {
  size_t sep = name.find_last_of("./");
  if (sep != std::string_view::npos) {
    if (name.substr(0, sep) != "bench") return false;
    name.remove_prefix(sep + 1);
  }
  if (name.size() < 2) return false;
  if (name[0] == 'r') {
    t->kind = Topic::Kind::kRoom;
  } else if (name[0] == 'u') {
    t->kind = Topic::Kind::kUser;
  } else {
    return false;
  }
  const char* first = name.data() + 1;
  const char* last = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(first, last, t->index);
  return ec == std::errc() && ptr == last;
}

std::unique_ptr<Driver> make_driver(Target target, DriverSink& sink) {
  switch (target) {
    case Target::kChat:
      return make_chat_driver(sink);
    case Target::kRedis:
      return make_redis_driver(sink);
    case Target::kMqtt:
      return make_mqtt_driver(sink);
    case Target::kNats:
      return make_nats_driver(sink);
  }
  return nullptr;
}

}  // namespace chat::bench
