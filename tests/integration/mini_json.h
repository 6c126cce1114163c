// A small JSON reader for the test vectors (tests/data/*.json). Test code only:
// whole document in memory, no streaming, numbers kept as double and as text.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::itest {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // a string's value, or a number's source text
  std::vector<JsonValue> items;
  std::map<std::string, JsonValue> fields;

  // The member `key` of an object, or nullptr.
  const JsonValue* find(const std::string& key) const;
  // The string member `key`, or "" when absent or not a string.
  std::string str(const std::string& key) const;
};

// Parses a whole document. Returns nullopt and sets *error on a syntax error.
std::optional<JsonValue> parse_json(std::string_view text, std::string* error);
// Reads and parses a file.
std::optional<JsonValue> load_json_file(const std::string& path, std::string* error);

}  // namespace chat::itest
