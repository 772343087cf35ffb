// Fuzzes decode_snapshot_wire (the binary snapshot of the worker protocol, 2). Any
// accepted input must survive an encode / decode round trip unchanged, with and
// without zlib, and merge without trouble.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "metrics/snapshot_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::metrics::WireCompression;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto s = barrage::metrics::decode_snapshot_wire(input);
  if (!s) {
    if (s.error().message.empty()) std::abort();
    return 0;
  }
  for (const auto c : {WireCompression::kNone, WireCompression::kZlib}) {
    auto again =
        barrage::metrics::decode_snapshot_wire(barrage::metrics::encode_snapshot_wire(*s, c));
    if (!again || !(*again == *s)) std::abort();
  }
  barrage::metrics::Snapshot merged = *s;
  merged.merge(*s);
  return 0;
}
