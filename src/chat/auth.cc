#include "chat/auth.h"

#include <jwt.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace chat {
namespace {

// Longer tokens are refused before libjwt sees them: a HELLO token is a
// str16, and nothing legitimate comes near this.
constexpr size_t kMaxTokenBytes = 8192;

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CharFree {
  void operator()(char* p) const { std::free(p); }
};

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Status TokenVerifier::verify(std::string_view user, std::string_view token, uint64_t now_s) const {
  if (!enabled()) return Status::ok();
  if (token.empty()) return Status::error("no token (authentication is on)");
  if (token.size() > kMaxTokenBytes) return Status::error("token too long");
  if (token.find('\0') != std::string_view::npos) return Status::error("token holds a NUL byte");
  if (secret_.size() > static_cast<size_t>(INT_MAX)) return Status::error("secret too long");

  const std::string token_z(token);  // libjwt wants NUL-terminated text
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, token_z.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || jwt == nullptr) {
    return Status::error("token is not a JWT signed with the server's secret (" + errno_text(rc) +
                         ")");
  }
  // jwt_decode verifies with whatever "alg" the token names; only HS256 with
  // our secret proves anything ("none" proves nothing at all).
  const jwt_alg_t alg = jwt_get_alg(jwt.get());
  if (alg != JWT_ALG_HS256) {
    const char* name = jwt_alg_str(alg);
    return Status::error(std::string("token algorithm is ") + (name ? name : "unknown") +
                         ", not HS256");
  }
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub == nullptr) return Status::error("token has no \"sub\" string");
  if (std::string_view(sub) != user) return Status::error("token \"sub\" is not the user name");

  errno = 0;
  const long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno != 0) return Status::error("token has no integer \"exp\"");
  if (exp <= 0 || static_cast<uint64_t>(exp) <= now_s) return Status::error("token has expired");
  return Status::ok();
}

Result<std::string> make_token(std::string_view secret, std::string_view user, uint64_t exp_s) {
  if (secret.empty()) return Status::error("make_token: empty secret");
  if (secret.size() > static_cast<size_t>(INT_MAX))
    return Status::error("make_token: secret too long");
  if (exp_s > static_cast<uint64_t>(LONG_MAX)) return Status::error("make_token: exp out of range");
  jwt_t* raw = nullptr;
  if (int rc = jwt_new(&raw); rc != 0 || raw == nullptr) {
    return Status::error("make_token: jwt_new: " + errno_text(rc));
  }
  JwtPtr jwt(raw);
  int rc =
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size()));
  if (rc != 0) return Status::error("make_token: jwt_set_alg: " + errno_text(rc));
  const std::string user_z(user);
  rc = jwt_add_grant(jwt.get(), "sub", user_z.c_str());
  if (rc != 0) return Status::error("make_token: sub: " + errno_text(rc));
  rc = jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp_s));
  if (rc != 0) return Status::error("make_token: exp: " + errno_text(rc));
  std::unique_ptr<char, CharFree> encoded(jwt_encode_str(jwt.get()));
  if (encoded == nullptr) return Status::error("make_token: jwt_encode_str: " + errno_text(errno));
  return std::string(encoded.get());
}

}  // namespace chat
