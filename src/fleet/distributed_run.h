// Runs a test on workers through a platform's Launcher and Channel: launch,
// start barrier, live merge, lost-worker detection, stop, final merge. The
// same loop serves local processes and Lambda; it knows neither. Every
// timeout is measured on `clock`; the loop waits only in Channel::receive.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "engine/runner.h"
#include "fleet/coordinator.h"
#include "fleet/job.h"
#include "fleet/platform.h"
#include "util/clock.h"

namespace barrage::fleet {

struct DistributedOptions {
  engine::Nanos ready_timeout = 60 * engine::kNanosPerSecond;
  engine::Nanos start_delay = engine::kNanosPerSecond;  // from "all ready" to phase 0
  engine::Nanos stop_timeout = 5 * engine::kNanosPerSecond;
  // From the start: workers still running after this are declared lost
  // (test duration + drain + a margin).
  engine::Nanos deadline = 0;
  // When some workers never become ready (or fail first) but others are:
  // false = the run does not start (local processes: something is wrong
  // here); true = the rest start at the ready timeout and the missing ones
  // are reported lost (Lambda: an invocation throttled or never run).
  bool start_without_unready = false;
  CoordinatorOptions coordinator;
  // Optional: worker -> group (region) for per-group aggregates.
  std::vector<uint32_t> worker_group;
  uint32_t groups = 0;
};

struct DistributedCallbacks {
  std::function<void(const metrics::Snapshot&)> on_period;
  std::function<void(const engine::Progress&)> on_progress;
  // Things a person must see as they happen ("worker 2 lost: ...").
  std::function<void(const std::string&)> on_event;
  // Worker health after each live period.
  std::function<void(const std::vector<WorkerState>&)> on_health;
};

struct DistributedResult {
  engine::RunResult run;  // aggregate and periods: the merge of every batch received
  std::vector<WorkerState> workers;
  std::string error;  // set when the run could not start (workers never ready)
  uint64_t duplicates = 0;
  uint64_t late_batches = 0;
  uint64_t rejected = 0;
  std::vector<metrics::Snapshot> group_aggregates;  // per DistributedOptions group
  [[nodiscard]] size_t lost_or_failed() const;
};

DistributedResult run_distributed(Launcher& launcher, Channel& channel,
                                  const std::vector<WorkerJob>& jobs,
                                  const DistributedOptions& options,
                                  const DistributedCallbacks& callbacks,
                                  const std::atomic<bool>* stop, Clock& clock = system_clock());

}  // namespace barrage::fleet
