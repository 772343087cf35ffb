// Period boundaries of a run, and the assembly of the shards' analysis
// periods (1 s) into report periods (10 s).
//
// Periods are aligned to the wall clock (a 10 s period covers [k x 10 s,
// (k + 1) x 10 s)), except at the ends of the run: the first period starts at
// the run's start, not at the aligned instant before it, and the last ends at
// the run's end. A run whose end falls less than one analysis period after a
// boundary would otherwise end with a sliver period whose `to:` (printed to
// the second) repeats the previous one's; that tail joins the previous
// period instead, which is why a complete period is handed out only once the
// next analysis period has arrived (or the run has ended).
//
// Pure: no clock, no threads; the runner calls it from its thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "metrics/snapshot.h"

namespace barrage::engine {

// One shard's current period: the aligned key every shard (and worker) uses
// for it, and the span its snapshot covers.
class PeriodCursor {
 public:
  // run_start_ms: the instant the run (or segment window) starts, wall clock.
  PeriodCursor(int64_t run_start_ms, int64_t period_ms)
      : run_start_ms_(run_start_ms),
        period_ms_(period_ms),
        key_(run_start_ms - run_start_ms % period_ms) {}

  // The aligned start: the merge key of this period across shards and workers.
  [[nodiscard]] int64_t key() const { return key_; }
  // Where the period's snapshot starts: the run's start for the first one.
  [[nodiscard]] int64_t start_ms() const { return key_ > run_start_ms_ ? key_ : run_start_ms_; }
  // The aligned end (where the next period starts).
  [[nodiscard]] int64_t end_ms() const { return key_ + period_ms_; }
  void advance() { key_ += period_ms_; }

 private:
  int64_t run_start_ms_;
  int64_t period_ms_;
  int64_t key_;
};

class PeriodAssembler {
 public:
  // period_ms: the report period; analysis_ms: the shards' period, dividing it.
  PeriodAssembler(int64_t period_ms, int64_t analysis_ms)
      : period_ms_(period_ms), analysis_ms_(analysis_ms) {}

  // An analysis period every shard has delivered, in time order. `final`:
  // delivered at the end of the run (a partial one). Returns the report
  // periods now complete, oldest first.
  std::vector<metrics::Snapshot> add(const metrics::Snapshot& analysis, bool final);
  // The end of the run: every period still open, the tail after a complete
  // period merged into it when it is shorter than one analysis period and 1 s.
  std::vector<metrics::Snapshot> finish();

 private:
  int64_t period_ms_;
  int64_t analysis_ms_;
  std::map<int64_t, metrics::Snapshot> open_;  // by aligned start
  std::optional<metrics::Snapshot> held_;      // complete, waiting for one more analysis period
};

}  // namespace barrage::engine
