// Compact, versioned binary encoding of a Snapshot: what workers send the coordinator
// for each period (fleet/protocol.h carries it as base64 inside the envelope).
//
// Layout (every integer an unsigned LEB128 varint, minimal length; "zz" = zigzag):
//   magic "bSW" | version byte (kSnapshotWireVersion) | flags byte (bit 0: zlib)
//   if zlib: varint payload size, then a zlib stream of exactly that many bytes
//   payload:
//     zz(period_start_ms) | zz(period_end_ms - period_start_ms, wrapping)
//     names:      count, then per name (strictly increasing byte order):
//                 length shared with the previous name, suffix length, suffix bytes
//     counters:   count, then per counter (name order): name index delta, value
//     histograms: count, then per histogram (name order): name index delta, byte
//                 length, Histogram::serialize_packed() bytes (varints count, min,
//                 max, sum, clamped; then sparse buckets, each a byte of two nibbles,
//                 bucket-index delta and count, with varints when they pass 15)
//   A name index delta is the index minus the previous index of the same section
//   minus one (the first: the index itself), so indices strictly increase.
//
// Hand-written because no packaged format fits: protobuf/flatbuffers would need a
// schema compiler in the build and still leave the histogram's sparse buckets to us,
// and the coordinator decodes 1,000 of these per period (docs/benchmarks.md).
//
// Decoding is bounded and total: truncated, oversized, inconsistent or hostile input
// gives a barrage::Error (code "snapshot_wire"), a newer version one that names both
// versions (code "snapshot_wire_version"); it never throws on content or crashes.
// decode(encode(s)) == s exactly, counters and histograms bucket for bucket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/snapshot.h"
#include "util/error.h"

namespace barrage::metrics {

inline constexpr uint8_t kSnapshotWireVersion = 1;
// Decoded payloads larger than this are refused (a zlib bomb guard); a period of
// 1,000 endpoints is about 1 MiB.
inline constexpr size_t kSnapshotWireMaxBytes = 64 * 1024 * 1024;

enum class WireCompression : uint8_t {
  kNone,  // payload as is (the default: see docs/benchmarks.md, "Snapshot wire format")
  kZlib,  // zlib at level 1 over the payload
};

std::string encode_snapshot_wire(const Snapshot& snapshot,
                                 WireCompression compression = WireCompression::kNone);

Result<Snapshot> decode_snapshot_wire(std::string_view bytes);

}  // namespace barrage::metrics
