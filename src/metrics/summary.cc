#include "metrics/summary.h"

namespace barrage::metrics {

Summary summarize(const Histogram& h) {
  Summary s;
  if (h.empty()) return s;
  s.count = h.count();
  s.min = h.min();
  s.max = h.max();
  s.mean = h.mean();
  s.p50 = h.percentile(50);
  s.p75 = h.percentile(75);
  s.p90 = h.percentile(90);
  s.p95 = h.percentile(95);
  s.p99 = h.percentile(99);
  s.p999 = h.percentile(99.9);
  return s;
}

}  // namespace barrage::metrics
