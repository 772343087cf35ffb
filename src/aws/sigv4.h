// AWS Signature Version 4: canonical request, string to sign, signing key and
// signature, for the Authorization header and for presigned URLs (query-string
// authentication). Hand-written on OpenSSL's HMAC/SHA-256: no packaged C++
// library signs AWS requests, and the algorithm is small and fully specified
// by the AWS signing test suite (tests/unit/aws/fixtures/sigv4), which this
// code reproduces byte for byte.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"

namespace barrage::aws {

struct Header {
  std::string name;
  std::string value;
};

// The parts of an HTTP request that SigV4 covers.
struct SignableRequest {
  std::string method;
  // Path as sent on the wire (percent-encoded where needed), e.g. "/bucket/a%20b".
  std::string path = "/";
  // Query as sent, without '?' ("" when none).
  std::string query;
  // Must include Host. Values may span lines (folded); the signer
  // canonicalizes them (trim, collapse whitespace).
  std::vector<Header> headers;
  // Lower-case hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" (S3 presign).
  std::string payload_hash;
};

struct SigningParams {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  // Remove dot segments and repeated slashes from the path (every service but S3).
  bool normalize_path = true;
  // URI-encode the wire path again for the canonical request (every service
  // but S3, whose wire path is signed as is).
  bool double_encode_path = true;
  // Add x-amz-content-sha256 with the payload hash (S3 requires it).
  bool sign_body = false;
  // Add the session token after signing instead of signing it (the signing
  // suite's "omit_session_token"; some older services expect that).
  bool omit_session_token = false;
};

struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // Header signing: headers to add, in this order (X-Amz-Security-Token,
  // X-Amz-Date, x-amz-content-sha256, Authorization; absent ones skipped).
  std::vector<Header> added_headers;
  // Presigning: the query parameters to append to the request's query,
  // already encoded ("X-Amz-Algorithm=...&...&X-Amz-Signature=...").
  std::string added_query;
};

// Signs with the Authorization header.
SigningResult sign_request(const SignableRequest& request, const Credentials& credentials,
                           const SigningParams& params);

// Presigns: the signature goes in the query string, valid for `expires`
// (1 s .. 7 days). Header X-Amz-Date is not used.
SigningResult presign_request(const SignableRequest& request, const Credentials& credentials,
                              const SigningParams& params, std::chrono::seconds expires);

// Building blocks, exposed for the clients and tests.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string md5_base64(std::string_view data);                         // Content-MD5
// RFC 3986 encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~);
// '/' kept when !encode_slash.
std::string uri_encode(std::string_view s, bool encode_slash = true);
std::string percent_decode(std::string_view s);
// "20150830T123600Z"
std::string amz_date(std::chrono::system_clock::time_point t);

}  // namespace barrage::aws
