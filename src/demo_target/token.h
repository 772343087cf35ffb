// Bearer tokens issued by the demo target: JWT-shaped
// (base64url(header).base64url(payload).base64url(signature)), signed with
// HMAC-SHA256 under a secret that is random per server unless given. The
// payload carries "sub"/"username", "iat" and "exp" (seconds since the epoch).
// Only this signer's own tokens verify; there is no key rotation or "alg"
// negotiation: this is a realistic-looking workload, not an identity provider.
//
// Thread-safe: a TokenSigner is immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barrage::demo_target {

// RFC 4648 section 5 alphabet, no padding (util/base64.h).
std::string base64url_encode(std::string_view bytes);
// nullopt on a character outside the alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

class TokenSigner {
 public:
  // A random 32-byte secret from the OS RNG.
  TokenSigner();
  explicit TokenSigner(std::string secret) : secret_(std::move(secret)) {}

  // A token for `username` valid from `now_s` for `ttl_s` seconds.
  [[nodiscard]] std::string issue(std::string_view username, int64_t now_s, int64_t ttl_s) const;

  // The username, when `token` carries this signer's signature and
  // now_s < exp; nullopt otherwise. Never throws.
  [[nodiscard]] std::optional<std::string> verify(std::string_view token, int64_t now_s) const;

 private:
  [[nodiscard]] std::string sign(std::string_view signing_input) const;
  std::string secret_;
};

}  // namespace barrage::demo_target
