// Runs every case of the AWS SigV4 signing test suite (fixtures/sigv4, copied
// from ../shared/fixtures/aws-sigv4) and compares canonical request, string to
// sign, signature and the signed request byte for byte, for both the
// Authorization header and the presigned URL.
#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "aws/credentials.h"

namespace barrage::aws {
namespace {

namespace fs = std::filesystem;

const fs::path kSuite = fs::path(BARRAGE_SOURCE_DIR) / "tests/unit/aws/fixtures/sigv4";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kSuite)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// request.txt: request line, header lines (indented lines continue the
// previous header), blank line, body.
struct RawRequest {
  std::string method;
  std::string target;  // path?query as written
  std::vector<std::string> header_lines;
  std::vector<Header> headers;
  std::string body;
};

RawRequest parse_request(const std::string& text) {
  RawRequest r;
  size_t pos = text.find('\n');
  const std::string line = text.substr(0, pos);
  r.method = line.substr(0, line.find(' '));
  r.target = line.substr(r.method.size() + 1, line.rfind(' ') - r.method.size() - 1);
  while (pos != std::string::npos && pos + 1 <= text.size()) {
    const size_t start = pos + 1;
    pos = text.find('\n', start);
    const std::string l = text.substr(start, pos == std::string::npos ? pos : pos - start);
    if (l.empty()) {
      if (pos != std::string::npos) r.body = text.substr(pos + 1);
      break;
    }
    r.header_lines.push_back(l);
    if ((l[0] == ' ' || l[0] == '\t') && !r.headers.empty()) {
      r.headers.back().value += "\n" + l;
    } else {
      const size_t colon = l.find(':');
      r.headers.push_back({l.substr(0, colon), l.substr(colon + 1)});
    }
  }
  return r;
}

struct Case {
  RawRequest request;
  SignableRequest signable;
  Credentials credentials;
  SigningParams params;
  std::chrono::seconds expires{0};
};

Case load(const std::string& name) {
  const fs::path dir = kSuite / name;
  Case c;
  c.request = parse_request(read(dir / "request.txt"));
  const auto ctx = nlohmann::json::parse(read(dir / "context.json"));
  c.credentials.access_key_id = ctx["credentials"]["access_key_id"];
  c.credentials.secret_access_key = ctx["credentials"]["secret_access_key"];
  c.credentials.session_token = ctx["credentials"].value("token", "");
  c.params.region = ctx["region"];
  c.params.service = ctx["service"];
  c.params.time = *parse_iso8601(ctx["timestamp"].get<std::string>());
  c.params.normalize_path = ctx["normalize"];
  c.params.sign_body = ctx["sign_body"];
  c.params.omit_session_token = ctx.value("omit_session_token", false);
  c.expires = std::chrono::seconds(ctx["expiration_in_seconds"].get<int>());

  const std::string& target = c.request.target;
  const size_t q = target.find('?');
  c.signable.method = c.request.method;
  c.signable.path = target.substr(0, q);
  c.signable.query = q == std::string::npos ? "" : target.substr(q + 1);
  c.signable.headers = c.request.headers;
  c.signable.payload_hash = sha256_hex(c.request.body);
  return c;
}

std::string render(const std::string& request_line, const RawRequest& r,
                   const std::vector<Header>& added) {
  std::string out = request_line + "\n";
  for (const auto& l : r.header_lines) out += l + "\n";
  for (const auto& h : added) out += h.name + ":" + h.value + "\n";
  return out + "\n" + r.body;
}

class SigningSuite : public testing::TestWithParam<std::string> {};

TEST_P(SigningSuite, AuthorizationHeader) {
  const Case c = load(GetParam());
  const fs::path dir = kSuite / GetParam();
  const SigningResult s = sign_request(c.signable, c.credentials, c.params);
  EXPECT_EQ(s.canonical_request, read(dir / "header-canonical-request.txt"));
  EXPECT_EQ(s.string_to_sign, read(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(s.signature, read(dir / "header-signature.txt"));
  EXPECT_EQ(
      render(c.request.method + " " + c.request.target + " HTTP/1.1", c.request, s.added_headers),
      read(dir / "header-signed-request.txt"));
}

TEST_P(SigningSuite, PresignedUrl) {
  const Case c = load(GetParam());
  const fs::path dir = kSuite / GetParam();
  const SigningResult s = presign_request(c.signable, c.credentials, c.params, c.expires);
  EXPECT_EQ(s.canonical_request, read(dir / "query-canonical-request.txt"));
  EXPECT_EQ(s.string_to_sign, read(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(s.signature, read(dir / "query-signature.txt"));
  const std::string sep = c.request.target.find('?') == std::string::npos ? "?" : "&";
  EXPECT_EQ(render(c.request.method + " " + c.request.target + sep + s.added_query + " HTTP/1.1",
                   c.request, {}),
            read(dir / "query-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(Aws, SigningSuite, testing::ValuesIn(case_names()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           std::string n = param.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(SigningSuiteSize, HasAll38Cases) { EXPECT_EQ(case_names().size(), 38U); }

// S3 signs its wire path as is (no normalization, no second encoding) and
// its presigned URLs with UNSIGNED-PAYLOAD.
TEST(SigV4, S3PathIsSignedAsSentAndPresignUsesUnsignedPayload) {
  SignableRequest r;
  r.method = "GET";
  r.path = "/bucket/runs/a%20b/../x";
  r.headers = {{"Host", "s3.eu-west-1.amazonaws.com"}};
  r.payload_hash = std::string(kUnsignedPayload);
  SigningParams p;
  p.region = "eu-west-1";
  p.service = "s3";
  p.time = *parse_iso8601("2024-01-02T03:04:05Z");
  p.normalize_path = false;
  p.double_encode_path = false;
  const Credentials creds{"AKIDEXAMPLE", "secret", "token/with+chars", std::nullopt, "test"};
  const SigningResult s = presign_request(r, creds, p, std::chrono::seconds(900));
  EXPECT_EQ(s.canonical_request.substr(0, s.canonical_request.find('\n', 4)),
            "GET\n/bucket/runs/a%20b/../x");
  EXPECT_TRUE(s.canonical_request.ends_with("\nhost\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(s.added_query.find("X-Amz-Expires=900"), std::string::npos);
  EXPECT_NE(s.added_query.find("X-Amz-Security-Token=token%2Fwith%2Bchars"), std::string::npos);
  EXPECT_NE(s.added_query.find("X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Feu-west-1%2Fs3%2Faws4_"
                               "request"),
            std::string::npos);
  EXPECT_THROW(presign_request(r, creds, p, std::chrono::hours(24 * 8)), std::invalid_argument);
}

TEST(SigV4, HeaderSigningWithBodyHashAndToken) {
  SignableRequest r;
  r.method = "PUT";
  r.path = "/b/k";
  r.headers = {{"Host", "127.0.0.1:4566"}};
  r.payload_hash = sha256_hex("hello");
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = *parse_iso8601("2024-01-02T03:04:05.123Z");
  p.sign_body = true;
  const SigningResult s =
      sign_request(r, Credentials{"AK", "SK", "TOKEN", std::nullopt, "test"}, p);
  ASSERT_EQ(s.added_headers.size(), 4U);
  EXPECT_EQ(s.added_headers[0].name, "X-Amz-Security-Token");
  EXPECT_EQ(s.added_headers[1].value, "20240102T030405Z");
  EXPECT_EQ(s.added_headers[2].value, sha256_hex("hello"));
  EXPECT_NE(s.added_headers[3].value.find(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"),
            std::string::npos);
  EXPECT_THROW(sign_request(r, Credentials{}, p), std::invalid_argument);
}

TEST(SigV4, Encoding) {
  EXPECT_EQ(uri_encode("a b/c~d+é"), "a%20b%2Fc~d%2B%C3%A9");
  EXPECT_EQ(uri_encode("a b/c", false), "a%20b/c");
  EXPECT_EQ(percent_decode("%E1%88%B4%2x%"), "\xE1\x88\xB4%2x%");
  EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
}

}  // namespace
}  // namespace barrage::aws
