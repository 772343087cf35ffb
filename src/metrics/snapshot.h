// Metrics of one period (or of an aggregate of periods): counters and histograms keyed
// by Artillery's metric names ("http.requests", "http.codes.200", "errors.ETIMEDOUT",
// "http.response_time", ...). Snapshots merge, so any window can be recomputed from
// per-period snapshots of any number of shards or workers.
//
// Thread affinity: none; a plain value. The maps use a transparent comparator so
// look-ups by std::string_view do not allocate.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "metrics/histogram.h"

namespace barrage::metrics {

struct Snapshot {
  int64_t period_start_ms = 0;  // Unix epoch ms; 0 = unset
  int64_t period_end_ms = 0;    // Unix epoch ms; 0 = unset
  std::map<std::string, uint64_t, std::less<>> counters;
  std::map<std::string, Histogram, std::less<>> histograms;  // values in us

  // Adds n to counter `name` (created at 0 if absent).
  void add(std::string_view name, uint64_t n = 1);
  // Value of counter `name`; 0 if absent.
  uint64_t counter(std::string_view name) const;
  // Histogram `name`, created empty if absent.
  Histogram& histogram(std::string_view name);
  // Histogram `name`, or nullptr if absent.
  const Histogram* find_histogram(std::string_view name) const;

  // Counters add, histograms merge, period becomes [min start, max end] where a zero
  // bound on either side is treated as unset.
  void merge(const Snapshot& other);

  // True when there are no counters and every histogram is empty (the period may be set).
  bool empty() const;

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

}  // namespace barrage::metrics
