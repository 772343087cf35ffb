// Per-virtual-user cookie jar (RFC 6265 subset), as Artillery keeps one per VU.
//
// Honoured: Domain (host-only when absent; otherwise the request host must equal
// it or end with "." + it, never for IP addresses), Path (default path from the
// request when absent or not starting with '/'), Secure (only sent over https),
// deletion by Max-Age <= 0 or by an Expires date in the past (wall clock),
// replacement by (name, domain, path) keeping the original position.
// Simplified: a cookie with a future expiry is kept for the jar's life (one
// virtual user's, far shorter than useful expiries); HttpOnly and SameSite are
// ignored (there are no scripts or cross-site contexts here); there is no
// public-suffix list, so Domain=com would be accepted from a .com host.
// Bounds: a Set-Cookie value over 4096 bytes is ignored; past 256 cookies the
// oldest is evicted.
//
// Not thread-safe; owned by one virtual user on its shard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/url.h"

namespace barrage::http {

class CookieJar {
 public:
  static constexpr size_t kMaxCookies = 256;
  static constexpr size_t kMaxSetCookieBytes = 4096;

  // Applies one Set-Cookie header value received in a response from `from`.
  // Malformed values (no '=', empty name, foreign Domain) are ignored.
  void store(std::string_view set_cookie_header, const Url& from);

  // Replaces out with the Cookie header value for a request to `to`
  // ("a=1; b=2", longer paths first, then oldest first); empty when none apply.
  void header_for(const Url& to, std::string& out) const;

  // Value of the first stored cookie named `name` (any domain/path).
  [[nodiscard]] std::optional<std::string_view> value(std::string_view name) const;
  [[nodiscard]] size_t size() const { return cookies_.size(); }
  void clear() { cookies_.clear(); }

 private:
  struct Cookie {
    std::string name;
    std::string value;
    std::string domain;  // lower case, no leading dot
    std::string path;
    bool host_only = true;
    bool secure = false;
    uint64_t created = 0;  // insertion sequence, for eviction
  };

  std::vector<Cookie> cookies_;  // ordered: longer path first, then older first
  uint64_t next_seq_ = 0;
};

}  // namespace barrage::http
