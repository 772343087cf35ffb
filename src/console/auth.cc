#include "console/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace barrage::console {

namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

}  // namespace

std::optional<Scope> parse_scope(std::string_view s) {
  if (s == "read") return Scope::kRead;
  if (s == "run") return Scope::kRun;
  if (s == "admin") return Scope::kAdmin;
  return std::nullopt;
}

const char* scope_name(Scope s) {
  switch (s) {
    case Scope::kRead:
      return "read";
    case Scope::kRun:
      return "run";
    case Scope::kAdmin:
      return "admin";
  }
  return "read";
}

std::string new_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return "brg_" + hex(bytes, sizeof bytes);
}

std::string hash_token(std::string_view token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return hex(md, len);
}

std::optional<std::string> bearer_token(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  std::string_view t = header.substr(kPrefix.size());
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

}  // namespace barrage::console
