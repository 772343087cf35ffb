// Hand-written: no packaged C++ library parses `ms`-style duration strings.
#include "script/duration.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "util/ascii.h"

namespace barrage::script {
namespace {

using ascii::is_alpha;
using ascii::is_digit;
using ascii::is_space;

// Seconds per unit; names are matched exactly (lower case, as `ms` does).
constexpr std::array<std::pair<std::string_view, double>, 23> kUnits{{
    {"ms", 0.001},
    {"msec", 0.001},
    {"msecs", 0.001},
    {"millisecond", 0.001},
    {"milliseconds", 0.001},
    {"s", 1},
    {"sec", 1},
    {"secs", 1},
    {"second", 1},
    {"seconds", 1},
    {"m", 60},
    {"min", 60},
    {"mins", 60},
    {"minute", 60},
    {"minutes", 60},
    {"h", 3600},
    {"hr", 3600},
    {"hrs", 3600},
    {"hour", 3600},
    {"hours", 3600},
    {"d", 86400},
    {"day", 86400},
    {"days", 86400},
}};

std::optional<double> unit_seconds(std::string_view unit) {
  for (const auto& [name, secs] : kUnits) {
    if (name == unit) return secs;
  }
  return std::nullopt;
}

// Reads an unsigned decimal number (digits with an optional fraction) at `i`.
std::optional<double> read_number(std::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i == start || (i == start + 1 && s[start] == '.')) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data() + start, s.data() + i, v);
  if (ec != std::errc() || ptr != s.data() + i) return std::nullopt;
  return v;
}

}  // namespace

std::optional<double> parse_duration_s(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;

  double total = 0;
  size_t i = 0;
  int terms = 0;
  while (i < text.size()) {
    const auto number = read_number(text, i);
    if (!number) return std::nullopt;
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t unit_start = i;
    while (i < text.size() && is_alpha(text[i])) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      // A bare number is seconds, but only on its own.
      if (terms > 0 || i != text.size()) return std::nullopt;
      total = *number;
      break;
    }
    const auto secs = unit_seconds(unit);
    if (!secs) return std::nullopt;
    total += *number * *secs;
    ++terms;
    while (i < text.size() && is_space(text[i])) ++i;
  }
  if (!std::isfinite(total)) return std::nullopt;
  return total;
}

}  // namespace barrage::script
