// The CLI's distributed paths: `run --count N` on worker processes (the local
// platform), and `barrage worker`, the process side of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/runner.h"
#include "fleet/distributed_run.h"
#include "fleet/job.h"
#include "fleet/platform.h"
#include "script/plan.h"

namespace barrage::cli {

struct Distribution {
  uint32_t count = 0;     // workers; 0 = in-process shards only
  bool multiply = false;  // Artillery's --count: every worker runs the whole script
  int64_t heartbeat_ms = 5'000;
  int64_t ready_timeout_ms = 60'000;
  std::vector<std::string> worker_command;  // testing/debugging: replaces `barrage worker`
  std::map<std::string, std::string> load;  // script load options, for WorkerJob::load
};

// Runs `plan` on `dist.count` worker processes and returns the merged result
// (workers and delivery figures filled in). Throws std::runtime_error when
// the workers cannot be started or never become ready.
engine::RunResult run_on_workers(const script::Plan& plan, const std::string& script_text,
                                 const engine::RunOptions& options, const Distribution& dist,
                                 const std::string& run_id, const engine::RunCallbacks& callbacks,
                                 const std::function<void(const std::string&)>& on_event,
                                 const std::atomic<bool>* stop);

// The parts every platform shares. A job with the run's fields filled in.
fleet::WorkerJob base_job(const script::Plan& plan, const std::string& script_text,
                          const engine::RunOptions& options, const Distribution& dist,
                          const std::string& run_id);
// How long VUs may run past the last arrival (request timeout + think + 2 s).
double drain_s(const script::Plan& plan);
fleet::DistributedOptions distributed_options(const script::Plan& plan, const Distribution& dist);
// `before` once here, the jobs through the platform, `after` once here; the
// merged result with the workers' figures. `raw` (optional) gets the
// coordinator's own result (per-worker usage, group aggregates).
engine::RunResult run_jobs(const script::Plan& plan, const engine::RunOptions& options,
                           std::vector<fleet::WorkerJob> jobs, fleet::Launcher& launcher,
                           fleet::Channel& channel, const fleet::DistributedOptions& o,
                           const engine::RunCallbacks& callbacks,
                           const std::function<void(const std::string&)>& on_event,
                           const std::atomic<bool>* stop, fleet::DistributedResult* raw);

// `barrage worker`: reads a WorkerJob line on stdin, then control lines
// ("start <wall_ms>", "stop"); writes protocol envelopes on stdout.
int worker_command();

}  // namespace barrage::cli
