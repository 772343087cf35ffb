#include "metrics/snapshot.h"

#include <algorithm>

namespace barrage::metrics {
namespace {

int64_t min_set(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

int64_t max_set(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::max(a, b);
}

}  // namespace

void Snapshot::add(std::string_view name, uint64_t n) {
  auto it = counters.find(name);
  if (it == counters.end()) {
    counters.emplace(std::string(name), n);
  } else {
    it->second += n;
  }
}

uint64_t Snapshot::counter(std::string_view name) const {
  auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

Histogram& Snapshot::histogram(std::string_view name) {
  auto it = histograms.find(name);
  if (it == histograms.end()) it = histograms.emplace(std::string(name), Histogram{}).first;
  return it->second;
}

const Histogram* Snapshot::find_histogram(std::string_view name) const {
  auto it = histograms.find(name);
  return it == histograms.end() ? nullptr : &it->second;
}

void Snapshot::merge(const Snapshot& other) {
  period_start_ms = min_set(period_start_ms, other.period_start_ms);
  period_end_ms = max_set(period_end_ms, other.period_end_ms);
  for (const auto& [name, n] : other.counters) add(name, n);
  for (const auto& [name, h] : other.histograms) histogram(name).merge(h);
}

bool Snapshot::empty() const {
  return counters.empty() && std::all_of(histograms.begin(), histograms.end(),
                                         [](const auto& kv) { return kv.second.empty(); });
}

}  // namespace barrage::metrics
