#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "util/base64.h"

namespace barrage::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and turns each run of whitespace (folded lines included) into one space.
std::string canonical_header_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string date_only(std::string_view amz) { return std::string(amz.substr(0, 8)); }

// Removes empty and "." segments, resolves "..", keeps a trailing slash.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view seg = path.substr(pos, slash - pos);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result.push_back('/');
    result.append(out[i]);
  }
  if (!out.empty() && path.size() > 1 && path.back() == '/') result.push_back('/');
  return result;
}

std::string canonical_uri(std::string_view path, const SigningParams& params) {
  std::string p = path.empty() ? std::string("/") : std::string(path);
  if (params.normalize_path) p = normalize_path(p);
  if (params.double_encode_path) p = uri_encode(p, /*encode_slash=*/false);
  return p;
}

using Param = std::pair<std::string, std::string>;  // encoded name, encoded value

std::vector<Param> parse_query(std::string_view query) {
  std::vector<Param> out;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view part = query.substr(pos, amp - pos);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      const std::string_view name = part.substr(0, eq);
      const std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
      out.emplace_back(uri_encode(percent_decode(name)), uri_encode(percent_decode(value)));
    }
    pos = amp + 1;
  }
  return out;
}

std::string join_query(std::vector<Param> params) {
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" lines
  std::string signed_names;  // "a;b;c"
};

CanonicalHeaders canonical_headers(const std::vector<Header>& headers) {
  // Stable sort by lower-case name keeps duplicate headers in request order.
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const auto& h : headers) {
    std::string name(h.name.size(), '\0');
    std::transform(h.name.begin(), h.name.end(), name.begin(), ascii_lower);
    lowered.emplace_back(std::move(name), canonical_header_value(h.value));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < lowered.size(); ++i) {
    if (i > 0 && lowered[i].first == lowered[i - 1].first) {
      out.block.pop_back();  // the '\n'
      out.block += ',';
      out.block += lowered[i].second;
      out.block += '\n';
      continue;
    }
    if (!out.signed_names.empty()) out.signed_names.push_back(';');
    out.signed_names += lowered[i].first;
    out.block += lowered[i].first;
    out.block += ':';
    out.block += lowered[i].second;
    out.block += '\n';
  }
  return out;
}

std::string scope_of(const std::string& date, const SigningParams& params) {
  return date + "/" + params.region + "/" + params.service + "/aws4_request";
}

std::string signature_of(const std::string& string_to_sign, const std::string& date,
                         const Credentials& credentials, const SigningParams& params) {
  std::string key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
  key = hmac_sha256(key, params.region);
  key = hmac_sha256(key, params.service);
  key = hmac_sha256(key, "aws4_request");
  const std::string raw = hmac_sha256(key, string_to_sign);
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string string_to_sign_of(const std::string& amz, const std::string& scope,
                              const std::string& canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz;
  out += '\n';
  out += scope;
  out += '\n';
  out += sha256_hex(canonical_request);
  return out;
}

void check(const Credentials& credentials) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    throw std::invalid_argument("SigV4: credentials without an access key id or secret key");
  }
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(digest, sizeof digest);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string md5_base64(std::string_view data) {
  unsigned char digest[16];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string uri_encode(std::string_view s, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kDigits[b >> 4]);
      out.push_back(kDigits[b & 0xF]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SigningResult sign_request(const SignableRequest& request, const Credentials& credentials,
                           const SigningParams& params) {
  check(credentials);
  SigningResult result;
  const std::string amz = amz_date(params.time);
  const std::string date = date_only(amz);
  const bool has_token = !credentials.session_token.empty();

  std::vector<Header> signed_headers = request.headers;
  if (has_token) {
    result.added_headers.push_back({"X-Amz-Security-Token", credentials.session_token});
    if (!params.omit_session_token) signed_headers.push_back(result.added_headers.back());
  }
  result.added_headers.push_back({"X-Amz-Date", amz});
  signed_headers.push_back(result.added_headers.back());
  if (params.sign_body) {
    result.added_headers.push_back({"x-amz-content-sha256", request.payload_hash});
    signed_headers.push_back(result.added_headers.back());
  }

  const CanonicalHeaders ch = canonical_headers(signed_headers);
  result.canonical_request = request.method + "\n" + canonical_uri(request.path, params) + "\n" +
                             join_query(parse_query(request.query)) + "\n" + ch.block + "\n" +
                             ch.signed_names + "\n" + request.payload_hash;
  const std::string scope = scope_of(date, params);
  result.string_to_sign = string_to_sign_of(amz, scope, result.canonical_request);
  result.signature = signature_of(result.string_to_sign, date, credentials, params);
  result.added_headers.push_back(
      {"Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                            scope + ", SignedHeaders=" + ch.signed_names +
                            ", Signature=" + result.signature});
  return result;
}

SigningResult presign_request(const SignableRequest& request, const Credentials& credentials,
                              const SigningParams& params, std::chrono::seconds expires) {
  check(credentials);
  if (expires.count() < 1 || expires.count() > 604800) {
    throw std::invalid_argument("SigV4: a presigned URL expires after 1 s to 7 days");
  }
  SigningResult result;
  const std::string amz = amz_date(params.time);
  const std::string date = date_only(amz);
  const std::string scope = scope_of(date, params);
  const CanonicalHeaders ch = canonical_headers(request.headers);
  const bool has_token = !credentials.session_token.empty();

  const std::string credential = uri_encode(credentials.access_key_id + "/" + scope);
  const std::string signed_names = uri_encode(ch.signed_names);
  const std::string expires_s = std::to_string(expires.count());
  const std::string token = uri_encode(credentials.session_token);

  std::vector<Param> query = parse_query(request.query);
  query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query.emplace_back("X-Amz-Credential", credential);
  query.emplace_back("X-Amz-Date", amz);
  query.emplace_back("X-Amz-Expires", expires_s);
  if (has_token && !params.omit_session_token) query.emplace_back("X-Amz-Security-Token", token);
  query.emplace_back("X-Amz-SignedHeaders", signed_names);

  result.canonical_request = request.method + "\n" + canonical_uri(request.path, params) + "\n" +
                             join_query(std::move(query)) + "\n" + ch.block + "\n" +
                             ch.signed_names + "\n" + request.payload_hash;
  result.string_to_sign = string_to_sign_of(amz, scope, result.canonical_request);
  result.signature = signature_of(result.string_to_sign, date, credentials, params);

  result.added_query = "X-Amz-Algorithm=" + std::string(kAlgorithm) +
                       "&X-Amz-Credential=" + credential + "&X-Amz-Date=" + amz +
                       "&X-Amz-SignedHeaders=" + signed_names + "&X-Amz-Expires=" + expires_s;
  if (has_token) result.added_query += "&X-Amz-Security-Token=" + token;
  result.added_query += "&X-Amz-Signature=" + result.signature;
  return result;
}

}  // namespace barrage::aws
