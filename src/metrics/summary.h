// Fixed set of statistics of one histogram, as reporters print them. All values in us.
#pragma once

#include <cstdint>

#include "metrics/histogram.h"

namespace barrage::metrics {

struct Summary {
  uint64_t count = 0;
  uint64_t min = 0;
  uint64_t max = 0;
  double mean = 0;
  uint64_t p50 = 0;
  uint64_t p75 = 0;
  uint64_t p90 = 0;
  uint64_t p95 = 0;
  uint64_t p99 = 0;
  uint64_t p999 = 0;

  friend bool operator==(const Summary&, const Summary&) = default;
};

// All fields zero for an empty histogram. Percentiles as Histogram::percentile.
Summary summarize(const Histogram& h);

}  // namespace barrage::metrics
