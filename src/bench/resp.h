// The part of Redis's RESP3 wire format chatbench needs: reading one whole
// reply or push (any type, nested aggregates skipped), and writing a command
// as an array of bulk strings. Pure functions; no I/O, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace chat::bench::resp {

enum class Status : uint8_t { kOk, kNeedMore, kBad };

struct Value {
  char type = 0;          // '+', '-', ':', '$', '*', '%', '>', '_', ...
  std::string_view text;  // simple/bulk/verbatim string, error, number text
  int64_t integer = 0;    // ':' replies
  uint64_t count = 0;     // elements of an aggregate (a map counts its pairs twice)
};

// Reads one value at the start of `in`. For an aggregate, its first
// `max_items` elements are stored in `items` (nested aggregates keep only
// their type and count). Returns kNeedMore while `in` holds less than the
// whole value, kBad on anything that is not RESP3.
Status read_value(std::span<const uint8_t> in, size_t* used, Value* top, Value* items,
                  size_t max_items);

// Appends "*N\r\n" and each argument as "$len\r\n...\r\n".
void append_command(std::string& out, std::initializer_list<std::string_view> args);

}  // namespace chat::bench::resp
