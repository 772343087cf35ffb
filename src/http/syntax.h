// Character classes and small field-value helpers of HTTP/1 (RFC 9110 section
// 5.6), shared by the message parser core and its front ends. Header-only,
// table driven; no <expected> (fuzz targets compile it with clang 14).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "util/ascii.h"

namespace barrage::http::syntax {

namespace detail {

// tchar (RFC 9110 section 5.6.2).
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}

// field-vchar / obs-text / SP / HTAB.
constexpr std::array<bool, 256> make_field_table() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 256; ++c) t[c] = c != 0x7F;
  t['\t'] = true;
  return t;
}

constexpr std::array<int8_t, 256> make_hex_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}

inline constexpr auto kTchar = make_tchar_table();
inline constexpr auto kFieldByte = make_field_table();
inline constexpr auto kHex = make_hex_table();

}  // namespace detail

constexpr bool is_tchar(char c) { return detail::kTchar[static_cast<unsigned char>(c)]; }
constexpr bool is_field_byte(char c) { return detail::kFieldByte[static_cast<unsigned char>(c)]; }
// 0..15, or -1 for a byte that is not a hex digit.
constexpr int8_t hex_value(char c) { return detail::kHex[static_cast<unsigned char>(c)]; }

// True when every byte is a field byte; eight bytes per step (SWAR): a byte
// below 0x20 or equal to 0x7F sends the caller to the exact per-byte check
// (HTAB is allowed there).
inline bool all_field_bytes(const char* p, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, p + i, 8);
    const uint64_t below_space = (x - 0x20 * kOnes) & ~x & kHighs;
    const uint64_t y = x ^ (0x7F * kOnes);
    const uint64_t del = (y - kOnes) & ~y & kHighs;
    if ((below_space | del) != 0) return false;
  }
  for (; i < n; ++i) {
    if (!is_field_byte(p[i])) return false;
  }
  return true;
}

// Case-insensitive match of validated header bytes (token or field bytes, so
// never CR) against a literal made of lower-case letters and '-': for those
// inputs OR-ing in 0x20 lower-cases letters and maps nothing else onto them.
inline bool matches_lower(std::string_view s, std::string_view lit) {
  if (s.size() != lit.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    diff |= static_cast<unsigned char>(s[i] | 0x20) ^ static_cast<unsigned char>(lit[i]);
  }
  return diff == 0;
}

// Calls fn(element) for each comma-separated, OWS-trimmed element of a field
// value (empty ones too).
template <typename Fn>
void for_each_element(std::string_view list, Fn&& fn) {
  while (true) {
    const size_t comma = list.find(',');
    fn(ascii::trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// Decimal digits only, no sign, no overflow.
inline bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!ascii::is_digit(c)) return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace barrage::http::syntax
