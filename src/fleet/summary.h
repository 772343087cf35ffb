// What a distributed run adds to the engine's measurements: each worker's
// fate and load, delivery figures, and per-region merges (Lambda runs). The
// report shows it beside the engine's RunResult.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/snapshot.h"

namespace barrage::fleet {

// One worker of a distributed run, as the report shows it.
struct WorkerReport {
  uint32_t id = 0;
  std::string status;  // done | failed | lost
  std::string reason;  // failed / lost: why
  int64_t ended_wall_ms = 0;
  uint64_t batches = 0;
  double cpu_max = 0;  // 0..1 of its cores
  double lag_p99_max_ms = 0;
  uint64_t requests = 0;
};

// Distributed runs across regions: one region's workers and their merge.
struct RegionReport {
  std::string region;
  uint32_t workers = 0;
  metrics::Snapshot aggregate;
};

struct FleetSummary {
  std::string platform;  // "local" or "aws:lambda"
  std::vector<WorkerReport> workers;
  uint64_t duplicates_dropped = 0;
  uint64_t late_batches = 0;
  std::vector<RegionReport> regions;  // Lambda runs

  // Workers whose status is lost or failed.
  [[nodiscard]] size_t lost_or_failed() const {
    size_t n = 0;
    for (const auto& w : workers) n += w.status == "lost" || w.status == "failed" ? 1 : 0;
    return n;
  }
};

}  // namespace barrage::fleet
