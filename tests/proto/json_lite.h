// A small JSON reader for test data (tests/data/*.json), not for input from
// the network. It keeps non-negative integers exact as uint64_t (the vectors
// hold u64 values past 2^53, which a double would round) and refuses
// fractions, exponents and negative numbers, which the test data never uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat::test {

struct Json {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  uint64_t number = 0;
  std::string string;
  std::vector<Json> items;        // kArray
  std::vector<std::string> keys;  // kObject, in file order,
  std::vector<Json> values;       // values[i] named keys[i]

  bool is_null() const { return kind == Kind::kNull; }

  // The member named `key`, or a null value if there is none.
  const Json& operator[](std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) {
        return values[i];
      }
    }
    return null_value();
  }

  // The i-th item, or a null value past the end.
  const Json& operator[](size_t i) const { return i < items.size() ? items[i] : null_value(); }

 private:
  static const Json& null_value() {
    static const Json kNull;
    return kNull;
  }
};

// Parses `text` as one JSON value; on failure returns nullopt and says where
// in `error`.
class JsonParser {
 public:
  static std::optional<Json> parse(std::string_view text, std::string* error) {
    JsonParser p(text);
    Json value;
    if (!p.value(value, 0)) {
      if (error != nullptr) {
        *error = p.error_ + " at offset " + std::to_string(p.pos_);
      }
      return std::nullopt;
    }
    p.skip_space();
    if (p.pos_ != text.size()) {
      if (error != nullptr) {
        *error = "trailing characters at offset " + std::to_string(p.pos_);
      }
      return std::nullopt;
    }
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  explicit JsonParser(std::string_view text) : s_(text) {}

  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return fail("bad literal");
    }
    pos_ += word.size();
    return true;
  }

  bool value(Json& out, int depth) {
    if (depth > kMaxDepth) {
      return fail("nested too deep");
    }
    skip_space();
    if (pos_ >= s_.size()) {
      return fail("unexpected end");
    }
    char c = s_[pos_];
    if (c == '{') {
      return object(out, depth);
    }
    if (c == '[') {
      return array(out, depth);
    }
    if (c == '"') {
      out.kind = Json::Kind::kString;
      return string(out.string);
    }
    if (c == 't' || c == 'f') {
      out.kind = Json::Kind::kBool;
      out.boolean = c == 't';
      return literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out.kind = Json::Kind::kNull;
      return literal("null");
    }
    if (c >= '0' && c <= '9') {
      out.kind = Json::Kind::kNumber;
      return number(out.number);
    }
    return fail("unexpected character");
  }

  bool object(Json& out, int depth) {
    out.kind = Json::Kind::kObject;
    ++pos_;  // '{'
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      std::string key;
      if (pos_ >= s_.size() || s_[pos_] != '"' || !string(key)) {
        return fail("expected a member name");
      }
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ':') {
        return fail("expected ':'");
      }
      ++pos_;
      Json member;
      if (!value(member, depth + 1)) {
        return false;
      }
      out.keys.push_back(std::move(key));
      out.values.push_back(std::move(member));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(Json& out, int depth) {
    out.kind = Json::Kind::kArray;
    ++pos_;  // '['
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      Json item;
      if (!value(item, depth + 1)) {
        return false;
      }
      out.items.push_back(std::move(item));
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool number(uint64_t& out) {
    uint64_t v = 0;
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      auto digit = static_cast<uint64_t>(s_[pos_] - '0');
      if (v > (UINT64_MAX - digit) / 10) {
        return fail("integer too large");
      }
      v = v * 10 + digit;
      ++pos_;
    }
    if (s_[start] == '0' && pos_ - start > 1) {
      return fail("leading zero");
    }
    if (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
      return fail("only non-negative integers are supported");
    }
    out = v;
    return true;
  }

  bool hex4(uint32_t& out) {
    if (s_.size() - pos_ < 4) {
      return fail("short \\u escape");
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return fail("bad hex digit");
      }
      out = out * 16 + d;
    }
    return true;
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    auto put = [&out](uint32_t b) { out.push_back(static_cast<char>(b)); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xC0 | (cp >> 6));
      put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      put(0xE0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    } else {
      put(0xF0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3F));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    }
  }

  // REQUIRES: s_[pos_] == '"'. Raw bytes (UTF-8 in the file) are kept as
  // they are; escapes are decoded, \u pairs for astral code points included.
  bool string(std::string& out) {
    ++pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') {
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return fail("control character in string");
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) {
        break;
      }
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) {
            return false;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (s_.substr(pos_, 2) != "\\u") {
              return fail("lone high surrogate");
            }
            pos_ += 2;
            if (!hex4(low)) {
              return false;
            }
            if (low < 0xDC00 || low > 0xDFFF) {
              return fail("bad low surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("lone low surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace chat::test
