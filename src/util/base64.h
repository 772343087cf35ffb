// Base64 (RFC 4648): the standard alphabet with padding (section 4), used by
// the metrics wire format, and the URL-safe alphabet without padding
// (section 5), used by the demo target's JWT-like tokens. Hand-written, one
// codec for both: OpenSSL's encoder knows only the padded standard form with
// line handling, and the metrics library does not link OpenSSL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barrage {

enum class Base64 : uint8_t {
  kStandard,  // A-Z a-z 0-9 + /, padded with '='
  kUrl,       // A-Z a-z 0-9 - _, no padding
};

namespace base64_detail {
inline constexpr char kStandardAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr int value(char c, Base64 variant) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (variant == Base64::kStandard ? '+' : '-')) return 62;
  if (c == (variant == Base64::kStandard ? '/' : '_')) return 63;
  return -1;
}
}  // namespace base64_detail

inline std::string base64_encode(std::string_view bytes, Base64 variant = Base64::kStandard) {
  const char* alphabet =
      variant == Base64::kStandard ? base64_detail::kStandardAlphabet : base64_detail::kUrlAlphabet;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : bytes) {
    acc = (acc << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 63]);
  if (variant == Base64::kStandard) {
    while (out.size() % 4 != 0) out.push_back('=');
  }
  return out;
}

// Strict: characters of the variant's alphabet only, no impossible length,
// zero trailing bits; for kStandard the length is a multiple of 4 and '='
// appears only as the final padding.
inline std::optional<std::string> base64_decode(std::string_view text,
                                                Base64 variant = Base64::kStandard) {
  if (variant == Base64::kStandard) {
    if (text.size() % 4 != 0) return std::nullopt;
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    text.remove_suffix(pad);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = base64_detail::value(c, variant);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if ((acc & ((1U << bits) - 1)) != 0) return std::nullopt;  // non-zero trailing bits
  return out;
}

}  // namespace barrage
