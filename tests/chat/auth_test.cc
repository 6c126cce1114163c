#include "chat/auth.h"

#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace chat {
namespace {

constexpr uint64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(in[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(in[i + 1])} << 8) |
                       uint32_t{static_cast<uint8_t>(in[i + 2])};
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (in.size() - i == 1) {
    const uint32_t v = uint32_t{static_cast<uint8_t>(in[i])} << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
  } else if (in.size() - i == 2) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(in[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(in[i + 1])} << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

// A token signed by libjwt with any algorithm and any grants (JSON).
std::string signed_token(jwt_alg_t alg, const std::string& secret, const std::string& grants) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, grants.c_str()), 0);
  EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size())),
            0);
  char* s = jwt_encode_str(jwt);
  std::string out = s ? s : "";
  std::free(s);
  jwt_free(jwt);
  return out;
}

std::string good_token(std::string_view user = "ana", uint64_t exp = kNow + 60) {
  auto t = make_token(kSecret, user, exp);
  EXPECT_TRUE(t) << t.status().message();
  return t ? *t : std::string();
}

TEST(TokenVerifierTest, AuthOffAcceptsAnyToken) {
  TokenVerifier v("");
  EXPECT_FALSE(v.enabled());
  EXPECT_TRUE(v.verify("ana", "", kNow));
  EXPECT_TRUE(v.verify("ana", "garbage", kNow));
  EXPECT_TRUE(v.verify("ana", good_token("bob", 1), kNow));
}

TEST(TokenVerifierTest, AcceptsAGoodToken) {
  TokenVerifier v(kSecret);
  EXPECT_TRUE(v.enabled());
  const std::string token = good_token();
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  Status s = v.verify("ana", token, kNow);
  EXPECT_TRUE(s) << s.message();
  // Unicode user names round-trip.
  EXPECT_TRUE(v.verify("zoë", good_token("zoë"), kNow));
}

TEST(TokenVerifierTest, RefusesAWrongSecret) {
  TokenVerifier v("another secret, also long enough!!");
  Status s = v.verify("ana", good_token(), kNow);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("secret"), std::string::npos) << s.message();
}

TEST(TokenVerifierTest, RefusesAnExpiredToken) {
  TokenVerifier v(kSecret);
  EXPECT_TRUE(v.verify("ana", good_token("ana", kNow + 1), kNow));
  Status s = v.verify("ana", good_token("ana", kNow), kNow);  // exp must be > now
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("expired"), std::string::npos) << s.message();
  EXPECT_FALSE(v.verify("ana", good_token("ana", kNow - 3600), kNow));
}

TEST(TokenVerifierTest, RefusesMissingOrNonIntegerExp) {
  TokenVerifier v(kSecret);
  Status s = v.verify("ana", signed_token(JWT_ALG_HS256, kSecret, R"({"sub":"ana"})"), kNow);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("exp"), std::string::npos) << s.message();
  EXPECT_FALSE(v.verify(
      "ana", signed_token(JWT_ALG_HS256, kSecret, R"({"sub":"ana","exp":"99999999999"})"), kNow));
  EXPECT_FALSE(
      v.verify("ana", signed_token(JWT_ALG_HS256, kSecret, R"({"sub":"ana","exp":-5})"), kNow));
  // The same grants with a good exp pass, so the above failed for exp alone.
  EXPECT_TRUE(v.verify(
      "ana", signed_token(JWT_ALG_HS256, kSecret, R"({"sub":"ana","exp":1700000060})"), kNow));
}

TEST(TokenVerifierTest, RefusesAWrongOrMissingSub) {
  TokenVerifier v(kSecret);
  Status s = v.verify("bob", good_token("ana"), kNow);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("sub"), std::string::npos) << s.message();
  EXPECT_FALSE(v.verify("an", good_token("ana"), kNow));
  EXPECT_FALSE(v.verify("anaa", good_token("ana"), kNow));
  EXPECT_FALSE(
      v.verify("ana", signed_token(JWT_ALG_HS256, kSecret, R"({"exp":1700000060})"), kNow));
  EXPECT_FALSE(
      v.verify("ana", signed_token(JWT_ALG_HS256, kSecret, R"({"sub":7,"exp":1700000060})"), kNow));
}

TEST(TokenVerifierTest, RefusesAlgNone) {
  TokenVerifier v(kSecret);
  const std::string payload = R"({"sub":"ana","exp":1700000060})";
  for (const std::string header : {R"({"alg":"none"})", R"({"alg":"none","typ":"JWT"})"}) {
    const std::string unsigned_token = base64url(header) + "." + base64url(payload) + ".";
    Status s = v.verify("ana", unsigned_token, kNow);
    EXPECT_FALSE(s) << header;
    EXPECT_FALSE(v.verify("ana", unsigned_token.substr(0, unsigned_token.size() - 1), kNow));
    // Even with a signature glued on.
    EXPECT_FALSE(v.verify("ana", unsigned_token + "c2lnbmF0dXJl", kNow));
  }
}

TEST(TokenVerifierTest, RefusesOtherAlgorithmsEvenWithTheRightSecret) {
  TokenVerifier v(kSecret);
  const std::string grants = R"({"sub":"ana","exp":1700000060})";
  for (jwt_alg_t alg : {JWT_ALG_HS384, JWT_ALG_HS512}) {
    Status s = v.verify("ana", signed_token(alg, kSecret, grants), kNow);
    EXPECT_FALSE(s) << jwt_alg_str(alg);
    EXPECT_NE(s.message().find("HS256"), std::string::npos) << s.message();
  }
}

TEST(TokenVerifierTest, RefusesGarbageAndEmptyTokens) {
  TokenVerifier v(kSecret);
  Status s = v.verify("ana", "", kNow);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("no token"), std::string::npos);
  for (std::string bad : {"x", "a.b.c", "..", "....", "not a token at all", "e30.e30.e30",
                          "eyJhbGciOiJIUzI1NiJ9.!!!.abc"}) {
    EXPECT_FALSE(v.verify("ana", bad, kNow)) << bad;
  }
  std::string with_nul = good_token();
  with_nul.insert(5, 1, '\0');
  EXPECT_FALSE(v.verify("ana", with_nul, kNow));
  EXPECT_FALSE(v.verify("ana", std::string(100'000, 'a'), kNow));
  // A good token with one signature character changed.
  std::string tampered = good_token();
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(v.verify("ana", tampered, kNow));
}

TEST(TokenVerifierTest, ConcurrentVerifiesAgree) {
  TokenVerifier v(kSecret);
  const std::string good = good_token();
  const std::string bad = good_token("bob");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (!v.verify("ana", good, kNow)) ++failures[t];
        if (v.verify("ana", bad, kNow)) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

TEST(MakeTokenTest, RefusesAnEmptySecret) { EXPECT_FALSE(make_token("", "ana", kNow)); }

}  // namespace
}  // namespace chat
