// Authentication (PROTOCOL.md §2.3): with --jwt-secret the token must be an
// HS256 JWT whose sub is the user and whose exp has not passed; without it any
// token is accepted.
#include <jwt.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "harness.h"

namespace chat::itest {
namespace {

using proto::ErrorCode;

constexpr const char* kSecret = "integration-secret-0123456789";

// A JWT for `sub` expiring at `exp` (Unix seconds), signed with `secret`, or
// unsigned (alg "none") when `secret` is empty.
std::string make_token(const std::string& sub, long exp, const std::string& secret) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return "";
  std::string out;
  int rc = secret.empty() ? jwt_set_alg(jwt, JWT_ALG_NONE, nullptr, 0)
                          : jwt_set_alg(jwt, JWT_ALG_HS256,
                                        reinterpret_cast<const unsigned char*>(secret.data()),
                                        static_cast<int>(secret.size()));
  if (rc == 0 && jwt_add_grant(jwt, "sub", sub.c_str()) == 0 &&
      jwt_add_grant_int(jwt, "exp", exp) == 0) {
    if (char* s = jwt_encode_str(jwt)) {
      out = s;
      std::free(s);
    }
  }
  jwt_free(jwt);
  return out;
}

long now_seconds() { return static_cast<long>(std::time(nullptr)); }

class AuthTest : public ServerTest {};

TEST_P(AuthTest, GoodTokenIsAccepted) {
  start_server({{"jwt-secret", kSecret}});
  std::string token = make_token("ana", now_seconds() + 3600, kSecret);
  ASSERT_FALSE(token.empty()) << "libjwt could not build a token";
  auto a = connect();
  EXPECT_EQ(a->login("ana", 0, token)->user, "ana");
  // The same token opens a second session.
  auto a2 = connect();
  EXPECT_EQ(a2->login("ana", 0, token)->user, "ana");
  a->join("r");
  EXPECT_EQ(a->say("r", "authenticated"), 1u);
}

TEST_P(AuthTest, BadTokensAreRefusedAndClosed) {
  start_server({{"jwt-secret", kSecret}});
  long now = now_seconds();
  struct Case {
    std::string what;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"wrong secret", make_token("ana", now + 3600, "another-secret")},
      {"expired", make_token("ana", now - 3600, kSecret)},
      {"sub is another user", make_token("bob", now + 3600, kSecret)},
      {"empty", ""},
      {"not a JWT", "not.a.jwt"},
      {"garbage", "garbage"},
      {"unsigned (alg none)", make_token("ana", now + 3600, "")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto client = connect();
    client->send(proto::Hello{4, 0, "ana", c.token});
    client->expect_error(ErrorCode::kAuthFailed, 4);
    client->expect_closed();
  }
  // A tampered signature (a middle character: the last one holds padding bits).
  std::string good = make_token("ana", now + 3600, kSecret);
  ASSERT_GT(good.size(), 20u);
  char& ch = good[good.size() - 10];
  ch = ch == 'A' ? 'B' : 'A';
  auto client = connect();
  client->send(proto::Hello{5, 0, "ana", good});
  client->expect_error(ErrorCode::kAuthFailed, 5);
  client->expect_closed();
  // ana was never online.
  auto b = connect();
  b->login("bob", 0, make_token("bob", now + 3600, kSecret));
  uint32_t req = b->next_req();
  b->send(proto::Whisper{req, "ana", "there?"});
  b->expect_error(ErrorCode::kNoSuchUser, req);
}

TEST_P(AuthTest, WithoutSecretAnyTokenIsAccepted) {
  start_server();
  long now = now_seconds();
  const std::vector<std::string> tokens = {"", "garbage", make_token("ana", now - 3600, kSecret),
                                           make_token("someone-else", now + 3600, kSecret)};
  for (const auto& token : tokens) {
    SCOPED_TRACE("token \"" + token + "\"");
    auto c = connect();
    EXPECT_EQ(c->login("ana", 0, token)->user, "ana");
  }
}

CHATD_INSTANTIATE_THREADS(AuthTest);

}  // namespace
}  // namespace chat::itest
