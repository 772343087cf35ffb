#include "script/plan.h"

#include <charconv>

namespace barrage::script {

const char* method_name(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kHead:
      return "HEAD";
    case Method::kOptions:
      return "OPTIONS";
  }
  return "GET";
}

namespace {

std::optional<int64_t> parse_count(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::pair<int64_t, int64_t>> parse_loop_range(std::string_view text) {
  if (const auto n = parse_count(text)) return std::pair<int64_t, int64_t>{0, *n};
  const size_t dash = text.find('-', 1);
  if (dash == std::string_view::npos) return std::nullopt;
  const auto from = parse_count(text.substr(0, dash));
  const auto to = parse_count(text.substr(dash + 1));
  if (!from || !to || *to < *from) return std::nullopt;
  return std::pair<int64_t, int64_t>{*from, *to};
}

double Plan::total_duration_s() const {
  double total = 0;
  for (const Phase& p : phases) total += p.duration_s;
  return total;
}

}  // namespace barrage::script
