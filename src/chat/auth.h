// HELLO token checks (PROTOCOL.md §2.3). With no secret configured,
// authentication is off and every token is accepted. With a secret, the
// token must be a JWT signed with HS256 by that secret, whose "sub" is the
// user name and whose "exp" (seconds since the epoch) has not passed.
//
// Thread: verify() is const and keeps no mutable state, so one TokenVerifier
// may be shared by every loop thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace chat {

class TokenVerifier {
 public:
  // An empty secret turns authentication off.
  explicit TokenVerifier(std::string secret) : secret_(std::move(secret)) {}

  bool enabled() const { return !secret_.empty(); }

  // OK when authentication is off, or when `token` is an HS256 JWT signed
  // with the secret whose "sub" equals `user` and whose "exp" is present and
  // greater than now_s (wall clock, seconds since the epoch). Otherwise an
  // error whose message says why (for the log; the client gets only
  // AUTH_FAILED). Any other "alg", "none" included, is refused.
  Status verify(std::string_view user, std::string_view token, uint64_t now_s) const;

 private:
  std::string secret_;
};

// Builds an HS256 JWT {"sub": user, "exp": exp_s} signed with `secret`, for
// tests and tools. REQUIRES: secret not empty.
Result<std::string> make_token(std::string_view secret, std::string_view user, uint64_t exp_s);

}  // namespace chat
