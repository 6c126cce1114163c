#include "proto/types.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace chat::proto {
namespace {

TEST(Types, HeaderConstants) {
  EXPECT_EQ(kMagic, 0xCAF0);
  EXPECT_EQ(kVersion, 1);
  EXPECT_EQ(kHeaderBytes, 8u);
  EXPECT_EQ(kMaxNameBytes, 64u);
  EXPECT_EQ(kMaxListEntries, 1000u);
  EXPECT_EQ(kMaxHistoryEntries, 100u);
}

TEST(Types, ErrorNamesMatchTheProtocolTable) {
  const char* const kNames[] = {
      "NONE",          "BAD_FRAME",         "FRAME_TOO_LARGE", "UNKNOWN_TYPE", "MALFORMED",
      "NOT_LOGGED_IN", "AUTH_FAILED",       "INVALID_NAME",    "INVALID_BODY", "NOT_IN_ROOM",
      "NO_SUCH_USER",  "RATE_LIMITED",      "SLOW_CONSUMER",   "IDLE_TIMEOUT", "TOO_MANY_ROOMS",
      "SHUTTING_DOWN", "ALREADY_LOGGED_IN", "SERVER_FULL",     "LIMIT",        "UNAVAILABLE",
  };
  for (size_t code = 0; code < std::size(kNames); ++code) {
    EXPECT_EQ(error_name(static_cast<ErrorCode>(code)), kNames[code]) << code;
  }
}

TEST(Types, UnknownErrorCodes) {
  EXPECT_EQ(error_name(static_cast<ErrorCode>(20)), "UNKNOWN");
  EXPECT_EQ(error_name(static_cast<ErrorCode>(0xFFFF)), "UNKNOWN");
}

TEST(Types, TypeNamesMatchTheProtocolTable) {
  const std::pair<uint8_t, const char*> kTypes[] = {
      {0x01, "HELLO"},    {0x02, "PING"},    {0x03, "PONG"},      {0x04, "JOIN"},
      {0x05, "LEAVE"},    {0x06, "SAY"},     {0x07, "WHISPER"},   {0x08, "WHO"},
      {0x09, "ROOMS"},    {0x0A, "WATCH"},   {0x0B, "UNWATCH"},   {0x0C, "HISTORY"},
      {0x0D, "BYE"},      {0x41, "WELCOME"}, {0x42, "OK"},        {0x43, "ERROR"},
      {0x44, "ACK"},      {0x45, "MESSAGE"}, {0x46, "PRIVATE"},   {0x47, "ROOM_EVENT"},
      {0x48, "PRESENCE"}, {0x49, "MEMBERS"}, {0x4A, "ROOM_LIST"}, {0x4B, "HISTORY_PAGE"},
  };
  std::set<uint8_t> known;
  for (const auto& [type, name] : kTypes) {
    EXPECT_EQ(type_name(type), name);
    known.insert(type);
  }
  for (unsigned t = 0; t <= 0xFF; ++t) {
    if (known.count(static_cast<uint8_t>(t)) == 0) {
      EXPECT_EQ(type_name(static_cast<uint8_t>(t)), "UNKNOWN") << t;
    }
  }
}

TEST(Types, DirectionOfEachType) {
  for (unsigned t = 0; t <= 0xFF; ++t) {
    const auto type = static_cast<uint8_t>(t);
    const bool client = t >= 0x01 && t <= 0x0D;
    const bool server = t == 0x02 || t == 0x03 || (t >= 0x41 && t <= 0x4B);
    EXPECT_EQ(is_client_type(type), client) << t;
    EXPECT_EQ(is_server_type(type), server) << t;
  }
}

}  // namespace
}  // namespace chat::proto
