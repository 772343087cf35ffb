#include "target/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace barrage::target {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

int decode_char(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

TokenSigner::TokenSigner() : secret_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

std::string TokenSigner::sign(std::string_view signing_input) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
       mac.data(), &mac_len);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac_len));
}

std::string TokenSigner::issue(std::string_view username, int64_t now_s, int64_t ttl_s) const {
  const nlohmann::json payload = {
      {"sub", username}, {"username", username}, {"iat", now_s}, {"exp", now_s + ttl_s}};
  std::string token = base64url_encode(kHeaderJson);
  token.push_back('.');
  token += base64url_encode(payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string signature = sign(token);
  token.push_back('.');
  token += signature;
  return token;
}

std::optional<std::string> TokenSigner::verify(std::string_view token, int64_t now_s) const {
  const size_t dot2 = token.rfind('.');
  if (dot2 == std::string_view::npos) return std::nullopt;
  const std::string_view signing_input = token.substr(0, dot2);
  const size_t dot1 = signing_input.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const std::string expected = sign(signing_input);
  const std::string_view given = token.substr(dot2 + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  const auto payload_bytes = base64url_decode(signing_input.substr(dot1 + 1));
  if (!payload_bytes) return std::nullopt;
  const auto payload = nlohmann::json::parse(*payload_bytes, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return std::nullopt;
  const auto user = payload.find("username");
  const auto exp = payload.find("exp");
  if (user == payload.end() || !user->is_string() || exp == payload.end() ||
      !exp->is_number_integer()) {
    return std::nullopt;
  }
  if (exp->get<int64_t>() <= now_s) return std::nullopt;
  return user->get<std::string>();
}

}  // namespace barrage::target
