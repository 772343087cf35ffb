// Fuzzes Histogram::deserialize and Histogram::from_base64 (wire input from workers).
// Any accepted input must re-serialize to the same bytes, and queries on it must stay
// within its own min/max.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "metrics/histogram.h"
#include "metrics/summary.h"

namespace {

void check(const barrage::metrics::Histogram& h) {
  uint64_t prev = 0;
  for (double q : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    const uint64_t p = h.percentile(q);
    if (!h.empty() && (p < h.min() || p > h.max() || p < prev)) std::abort();
    prev = p;
  }
  (void)barrage::metrics::summarize(h);
  barrage::metrics::Histogram twice = h;
  twice.merge(h);
  if (twice.count() != 2 * h.count() || twice.min() != h.min() || twice.max() != h.max()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using barrage::metrics::Histogram;
  if (auto h = Histogram::deserialize(input)) {
    if (h->serialize() != input) std::abort();
    check(*h);
  }
  if (auto h = Histogram::from_base64(input)) {
    if (h->to_base64() != input) std::abort();
    check(*h);
  }
  return 0;
}
