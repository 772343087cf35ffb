// API tokens: random, shown once, stored as SHA-256 hashes, scoped
// read < run < admin (a scope includes the ones below it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace barrage::console {

enum class Scope { kRead = 1, kRun = 2, kAdmin = 3 };

std::optional<Scope> parse_scope(std::string_view s);
const char* scope_name(Scope s);
// True when a token of scope `have` may call a route that needs `need`.
inline bool allows(Scope have, Scope need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

// "brg_" + 64 hex digits of 32 bytes from OpenSSL's CSPRNG.
std::string new_token();
// Lower-case hex SHA-256 of the token (what the database keeps).
std::string hash_token(std::string_view token);
// The token of an "Authorization: Bearer TOKEN" header value.
std::optional<std::string> bearer_token(std::string_view header);

}  // namespace barrage::console
