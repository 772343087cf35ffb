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

template <typename Map, typename Add>
void merge_sorted(Map& into, const Map& from, Add add) {
  auto it = into.begin();
  for (const auto& [name, value] : from) {
    while (it != into.end() && it->first < name) ++it;
    if (it != into.end() && it->first == name) {
      add(it->second, value);
      ++it;
    } else {
      into.emplace_hint(it, name, value);  // before `it`, which stays the next candidate
    }
  }
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
  // Both maps are sorted by name: walk them together (one comparison per step, no
  // search from the root), inserting with the position as the hint. The coordinator
  // merges 1,000 snapshots of hundreds of long, prefix-sharing names per period.
  merge_sorted(counters, other.counters, [](uint64_t& into, uint64_t n) { into += n; });
  merge_sorted(histograms, other.histograms,
               [](Histogram& into, const Histogram& h) { into.merge(h); });
}

bool Snapshot::empty() const {
  return counters.empty() && std::all_of(histograms.begin(), histograms.end(),
                                         [](const auto& kv) { return kv.second.empty(); });
}

}  // namespace barrage::metrics
