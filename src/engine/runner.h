// Runs a Plan on this machine: one shard per core, each on its own thread,
// merging their per-period snapshots into one live stream and a final result.
// This is the in-process slice of a test; distributed runs (later) run one of
// these per worker, with slice_base/slice_count placing it in the whole.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/snapshot.h"
#include "script/plan.h"

namespace barrage::engine {

struct RunOptions {
  int cores = 0;                      // shards; 0 = the CPUs this process may use (usable_cpus)
  bool insecure = false;              // skip TLS verification (overrides the script)
  std::optional<std::string> target;  // overrides config.target
  uint64_t seed = 0;                  // 0 = random
  int64_t period_ms = 10'000;         // metrics period (console blocks, RunResult::periods)
  // Shards flush every analysis period; the runner merges those into periods and keeps
  // them as RunResult::timeline (report charts, error onset). Must divide period_ms;
  // otherwise (or <= 0) the timeline is the periods.
  int64_t analysis_period_ms = 1'000;
  uint64_t slice_base = 0;    // for distributed runs: this process's slices
  uint64_t slice_total = 0;   // 0 = just this process's shards
  int64_t start_wall_ms = 0;  // distributed start barrier; 0 = 50 ms from now
  // One segment of a long distributed test (Lambda runs past 15 minutes):
  // only arrivals whose intended offset from phase 0 is in
  // [window_from_ms, window_to_ms) start here, and closed-model VUs loop
  // within it; VUs that started before window_to_ms finish (the drain). The
  // next segment takes over at window_to_ms exactly, so the segments' sum is
  // the whole schedule. With window_from_ms > 0, start_wall_ms is the test's
  // phase-0 instant, which is then in the past. 0 / 0 = the whole test.
  int64_t window_from_ms = 0;
  int64_t window_to_ms = 0;
  // Distributed workers: `before`/`after` ran once in the coordinator, which
  // hands the variables `before` captured to every worker.
  bool run_hooks = true;
  std::vector<std::pair<std::string, std::string>> shared_vars;
  // End of the test (Artillery's): after the last phase (or window), VUs
  // still running finish. < 0 = wait until every one has, however long
  // (Artillery); >= 0 = wait at most this long, then end the rest, counted
  // as barrage.drain.cut_off and barrage.drain.cut_off.<step> (the step each
  // was in: its request's endpoint name, or `think`). A stop ends every VU
  // at once either way.
  int64_t drain_timeout_ms = -1;
};

// Live progress, a few times a second (runner thread).
struct Progress {
  double elapsed_s = 0;
  double total_s = 0;     // sum of phase durations
  int phase = -1;         // index of the current phase
  uint64_t requests = 0;  // cumulative
  uint64_t responses = 0;
  uint64_t active_vus = 0;
  // Every phase is over and the run waits for active_vus VUs still running
  // to finish (RunOptions::drain_timeout_ms).
  bool draining = false;
};

// What the engine measured (one process, or the merge of every worker's
// batches). Workers, regions and cost are beside it: fleet::FleetSummary,
// lambda::CostReport, run::Result.
struct RunResult {
  metrics::Snapshot aggregate;              // everything, merged
  std::vector<metrics::Snapshot> periods;   // per period, in time order
  std::vector<metrics::Snapshot> timeline;  // per analysis period (1 s), in time order
  bool interrupted = false;                 // stopped before the phases ended
  int cores = 0;
  double duration_s = 0;  // wall time of the run
  int64_t start_wall_ms = 0;
};

struct RunCallbacks {
  std::function<void(const metrics::Snapshot&)> on_period;  // a complete period
  std::function<void(const Progress&)> on_progress;
};

// The longest think time one iteration of any scenario can take (jitter at
// its maximum): how long VUs may still run after the last phase.
double longest_think_s(const script::Plan& plan);

// Runs a plan's `before` or `after` flow once, by one VU (what run_plan does
// itself for a single process; the distributed coordinator calls this).
// `vars_in` are visible to the flow; returns its metrics and the variables it
// captured. Throws std::runtime_error for an invalid target URL.
struct HookResult {
  metrics::Snapshot metrics;
  std::vector<std::pair<std::string, std::string>> vars;
};
// The test's counters leave `before`/`after` out, as Artillery's report does:
// a hook's counters are kept apart as barrage.<hook>.<counter> (say
// barrage.before.http.requests, barrage.after.errors.ETIMEDOUT), histograms
// dropped. `hook` is "before" or "after".
metrics::Snapshot hook_counters(const metrics::Snapshot& metrics, std::string_view hook);

HookResult run_hook_once(const script::Plan& plan, const script::Scenario& hook,
                         const RunOptions& options,
                         const std::vector<std::pair<std::string, std::string>>& vars_in,
                         const std::atomic<bool>* stop);

// Runs the plan to completion (or until *stop becomes true). Throws
// std::runtime_error for setup problems (invalid target URL).
RunResult run_plan(const script::Plan& plan, const RunOptions& options,
                   const RunCallbacks& callbacks, const std::atomic<bool>* stop);

}  // namespace barrage::engine
