// Runs on workers, for every platform: the jobs (WorkerJob and the split),
// `before`/`after` once here, the distributed run through a platform's
// Launcher/Channel, and the fleet summary. Local worker processes here;
// Lambda in run/lambda_run.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/runner.h"
#include "fleet/distributed_run.h"
#include "fleet/job.h"
#include "fleet/platform.h"
#include "fleet/summary.h"
#include "script/plan.h"

namespace barrage::run {

struct Distribution {
  uint32_t count = 0;     // workers; 0 = in-process shards only
  bool multiply = false;  // Artillery's --count: every worker runs the whole script
  int64_t heartbeat_ms = 5'000;
  int64_t ready_timeout_ms = 60'000;
  std::vector<std::string> worker_command;  // testing/debugging: replaces `barrage worker`
  script::ScriptOptions load;               // the script's load options, for WorkerJob::load
};

// What a run on workers measured, and what its workers did.
struct FleetRun {
  engine::RunResult run;
  fleet::FleetSummary fleet;
};

// The callbacks of a run on workers (run::Events without the verdict's parts).
struct FleetCallbacks {
  engine::RunCallbacks engine;
  std::function<void(const std::string&)> on_event;  // lines a person must see
  std::function<void(const std::vector<fleet::WorkerState>&)> on_health;
};

// Runs `plan` on `dist.count` worker processes. Throws std::runtime_error
// when the workers cannot be started or never become ready.
FleetRun run_on_workers(const script::Plan& plan, const std::string& script_text,
                        const engine::RunOptions& options, const Distribution& dist,
                        const std::string& run_id, const FleetCallbacks& callbacks,
                        const std::atomic<bool>* stop);

// The parts every platform shares. A job with the run's fields filled in.
fleet::WorkerJob base_job(const script::Plan& plan, const std::string& script_text,
                          const engine::RunOptions& options, const Distribution& dist,
                          const std::string& run_id);
// How long VUs may run past the last arrival on Lambda, whose invocations
// must end (request timeout + think + 2 s), unless --drain-timeout says.
double drain_s(const script::Plan& plan);
// drain_timeout_ms: the workers' drain bound (< 0: none, and so no deadline).
fleet::DistributedOptions distributed_options(const script::Plan& plan, const Distribution& dist,
                                              int64_t drain_timeout_ms);
// `before` once here, the jobs through the platform, `after` once here; the
// merged result with the workers' figures. `raw` (optional) gets the
// coordinator's own result (per-worker usage, group aggregates).
FleetRun run_jobs(const script::Plan& plan, const engine::RunOptions& options,
                  std::vector<fleet::WorkerJob> jobs, fleet::Launcher& launcher,
                  fleet::Channel& channel, const fleet::DistributedOptions& o,
                  const FleetCallbacks& callbacks, const std::atomic<bool>* stop,
                  fleet::DistributedResult* raw);

// "Workers: 3 running | CPU max 41% (worker 2) | ..." and a saturation warning.
std::string health_line(const std::vector<fleet::WorkerState>& workers);

}  // namespace barrage::run
