// Fuzzes snapshot_from_json (the JSON wire format of per-period metrics). Any accepted
// input must survive a to_json / snapshot_from_json round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "metrics/snapshot_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto s = barrage::metrics::snapshot_from_json(input);
  if (!s) return 0;
  auto again = barrage::metrics::snapshot_from_json(barrage::metrics::to_json(*s));
  if (!again || !(*again == *s)) std::abort();
  barrage::metrics::Snapshot merged = *s;
  merged.merge(*s);
  return 0;
}
