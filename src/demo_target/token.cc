#include "demo_target/token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/base64.h"

namespace barrage::demo_target {
namespace {

constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

}  // namespace

std::string base64url_encode(std::string_view bytes) { return base64_encode(bytes, Base64::kUrl); }

std::optional<std::string> base64url_decode(std::string_view text) {
  return base64_decode(text, Base64::kUrl);
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

}  // namespace barrage::demo_target
