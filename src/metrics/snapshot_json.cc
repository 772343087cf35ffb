#include "metrics/snapshot_json.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace barrage::metrics {
namespace {

using Json = nlohmann::json;

bool read_int64(const Json& j, int64_t& out) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(v);
    return true;
  }
  if (j.is_number_integer()) {
    out = j.get<int64_t>();
    return true;
  }
  return false;
}

}  // namespace

std::string to_json(const Snapshot& snapshot) {
  Json counters = Json::object();
  for (const auto& [name, n] : snapshot.counters) counters[name] = n;
  Json histograms = Json::object();
  for (const auto& [name, h] : snapshot.histograms) histograms[name] = h.to_base64();
  Json j = {{"v", kSnapshotJsonVersion},
            {"start", snapshot.period_start_ms},
            {"end", snapshot.period_end_ms},
            {"counters", std::move(counters)},
            {"histograms", std::move(histograms)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<Snapshot> snapshot_from_json(std::string_view text) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;

  const auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != kSnapshotJsonVersion) {
    return std::nullopt;
  }
  Snapshot s;
  const auto start = j.find("start");
  const auto end = j.find("end");
  if (start == j.end() || end == j.end() || !read_int64(*start, s.period_start_ms) ||
      !read_int64(*end, s.period_end_ms)) {
    return std::nullopt;
  }

  const auto counters = j.find("counters");
  if (counters == j.end() || !counters->is_object()) return std::nullopt;
  for (const auto& [name, value] : counters->items()) {
    if (!value.is_number_unsigned()) return std::nullopt;
    s.counters.emplace(name, value.get<uint64_t>());
  }

  const auto histograms = j.find("histograms");
  if (histograms == j.end() || !histograms->is_object()) return std::nullopt;
  for (const auto& [name, value] : histograms->items()) {
    if (!value.is_string()) return std::nullopt;
    auto h = Histogram::from_base64(value.get_ref<const std::string&>());
    if (!h) return std::nullopt;
    s.histograms.emplace(name, std::move(*h));
  }
  return s;
}

}  // namespace barrage::metrics
