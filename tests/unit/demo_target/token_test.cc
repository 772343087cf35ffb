#include "demo_target/token.h"

#include <gtest/gtest.h>

namespace barrage::demo_target {
namespace {

TEST(TargetToken, Base64UrlVectors) {
  // RFC 4648 section 10, without padding.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("Zm9vYmE").value(), "fooba");
  EXPECT_EQ(base64url_decode("-_8").value(), "\xfb\xff");
  EXPECT_FALSE(base64url_decode("Zm9v+").has_value());
  EXPECT_FALSE(base64url_decode("Z").has_value());
}

TEST(TargetToken, IssuedTokenVerifies) {
  const TokenSigner signer("secret");
  const std::string token = signer.issue("alice", 1000, 60);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(signer.verify(token, 1001).value_or(""), "alice");
  const auto payload =
      base64url_decode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  ASSERT_TRUE(payload.has_value());
  EXPECT_NE(payload->find(R"("exp":1060)"), std::string::npos);
  EXPECT_NE(payload->find(R"("username":"alice")"), std::string::npos);
}

TEST(TargetToken, RejectsExpiredTamperedAndForeign) {
  const TokenSigner signer("secret");
  const std::string token = signer.issue("alice", 1000, 60);
  EXPECT_FALSE(signer.verify(token, 1060).has_value());
  std::string tampered = token;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_FALSE(signer.verify(tampered, 1001).has_value());
  EXPECT_FALSE(TokenSigner("other").verify(token, 1001).has_value());
  EXPECT_FALSE(TokenSigner().verify(token, 1001).has_value());
  EXPECT_FALSE(signer.verify("", 1001).has_value());
  EXPECT_FALSE(signer.verify("a.b", 1001).has_value());
  EXPECT_FALSE(signer.verify("demo-token", 1001).has_value());
}

TEST(TargetToken, EscapesUsername) {
  const TokenSigner signer("k");
  const std::string name = "we\"ird\\name";
  EXPECT_EQ(signer.verify(signer.issue(name, 0, 10), 1).value_or(""), name);
}

}  // namespace
}  // namespace barrage::demo_target
