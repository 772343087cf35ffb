// Versioned JSON wire format of a Snapshot, used between workers, the coordinator and
// stored results:
//   {"v":1,"start":<ms>,"end":<ms>,"counters":{"name":<uint>,...},
//    "histograms":{"name":"<base64 of Histogram::serialize()>",...}}
// nlohmann::json is used only inside snapshot_json.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "metrics/snapshot.h"
#include "metrics/summary.h"

namespace barrage::metrics {

inline constexpr int kSnapshotJsonVersion = 1;

// Never throws on content: names that are not valid UTF-8 have the bad bytes replaced
// by U+FFFD (so such names do not round-trip exactly).
std::string to_json(const Snapshot& snapshot);

// Parses the format above. nullopt on malformed JSON, a version other than 1, missing
// or mistyped fields ("start"/"end" signed 64-bit integers, counters unsigned 64-bit
// integers, histograms valid base64 histograms). Unknown top-level fields are ignored
// (forward compatibility). Never throws on content.
std::optional<Snapshot> snapshot_from_json(std::string_view text);

}  // namespace barrage::metrics
