#include "bench/resp.h"

#include <charconv>

namespace chat::bench::resp {
namespace {

constexpr int kMaxDepth = 8;
constexpr uint64_t kMaxCount = 1u << 24;
constexpr int64_t kMaxBulk = 512ll << 20;

struct Reader {
  std::span<const uint8_t> in;
  size_t pos = 0;

  // The line at pos (without CRLF); moves past it. kNeedMore without CRLF.
  Status line(std::string_view* out) {
    for (size_t i = pos; i + 1 < in.size(); ++i) {
      if (in[i] == '\r') {
        if (in[i + 1] != '\n') return Status::kBad;
        *out = std::string_view(reinterpret_cast<const char*>(in.data()) + pos, i - pos);
        pos = i + 2;
        return Status::kOk;
      }
    }
    return Status::kNeedMore;
  }

  Status value(int depth, Value* v, Value* items, size_t max_items) {
    if (depth > kMaxDepth) return Status::kBad;
    if (pos >= in.size()) return Status::kNeedMore;
    char type = static_cast<char>(in[pos++]);
    std::string_view head;
    if (Status s = line(&head); s != Status::kOk) return s;
    v->type = type;
    v->text = head;
    switch (type) {
      case '+':
      case '-':
      case '_':
      case '#':
      case ',':
      case '(':
        return Status::kOk;
      case ':':
        return number(head, &v->integer) ? Status::kOk : Status::kBad;
      case '$':
      case '!':
      case '=': {
        int64_t len = 0;
        if (!number(head, &len) || len > kMaxBulk) return Status::kBad;
        if (len < 0) return Status::kOk;  // RESP2 null bulk
        auto n = static_cast<size_t>(len);
        if (in.size() - pos < n + 2) return Status::kNeedMore;
        if (in[pos + n] != '\r' || in[pos + n + 1] != '\n') return Status::kBad;
        v->text = std::string_view(reinterpret_cast<const char*>(in.data()) + pos, n);
        pos += n + 2;
        return Status::kOk;
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        int64_t n = 0;
        if (!number(head, &n)) return Status::kBad;
        if (n < 0) return Status::kOk;  // RESP2 null array
        auto count = static_cast<uint64_t>(n);
        if (type == '%' || type == '|') count *= 2;
        if (count > kMaxCount) return Status::kBad;
        v->count = count;
        for (uint64_t i = 0; i < count; ++i) {
          Value scratch;
          Value* slot = i < max_items ? &items[i] : &scratch;
          if (Status s = value(depth + 1, slot, nullptr, 0); s != Status::kOk) return s;
        }
        return Status::kOk;
      }
      default:
        return Status::kBad;
    }
  }

  static bool number(std::string_view s, int64_t* out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
  }
};

}  // namespace

Status read_value(std::span<const uint8_t> in, size_t* used, Value* top, Value* items,
                  size_t max_items) {
  Reader r{in, 0};
  *top = Value{};
  for (;;) {
    Status s = r.value(0, top, items, max_items);
    if (s != Status::kOk) return s;
    // An attribute describes the value after it: skip it.
    if (top->type != '|') break;
    *top = Value{};
  }
  *used = r.pos;
  return Status::kOk;
}

void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  char num[24];
  auto put_len = [&](char prefix, size_t n) {
    out += prefix;
    out.append(num, static_cast<size_t>(std::to_chars(num, num + sizeof num, n).ptr - num));
    out += "\r\n";
  };
  put_len('*', args.size());
  for (auto a : args) {
    put_len('$', a.size());
    out += a;
    out += "\r\n";
  }
}

}  // namespace chat::bench::resp
