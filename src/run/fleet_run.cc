#include "run/fleet_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "fleet/local_platform.h"
#include "report/console.h"
#include "util/cpus.h"

namespace barrage::run {

std::string health_line(const std::vector<fleet::WorkerState>& workers) {
  size_t running = 0;
  const fleet::WorkerState* cpu = nullptr;
  const fleet::WorkerState* lag = nullptr;
  size_t lost = 0;
  for (const auto& w : workers) {
    if (w.status == fleet::WorkerStatus::kReady) ++running;
    if (w.status == fleet::WorkerStatus::kLost || w.status == fleet::WorkerStatus::kFailed) ++lost;
    if (cpu == nullptr || w.heartbeat.cpu > cpu->heartbeat.cpu) cpu = &w;
    if (lag == nullptr || w.heartbeat.lag_p99_ms > lag->heartbeat.lag_p99_ms) lag = &w;
  }
  std::string s = fmt::format("Workers: {} running", running);
  if (lost > 0) s += fmt::format(", {} lost or failed", lost);
  if (cpu != nullptr) {
    s +=
        fmt::format(" | CPU max {:.0f}% (worker {}) | scheduling lag p99 max {:.1f} ms (worker {})",
                    cpu->heartbeat.cpu * 100, cpu->id, lag->heartbeat.lag_p99_ms, lag->id);
  }
  s += "\n";
  if (lag != nullptr &&
      lag->heartbeat.lag_p99_ms * 1000 > static_cast<double>(report::kSaturationLagUs)) {
    s += fmt::format(
        "WARNING: worker {} is saturated (scheduling lag p99 {:.1f} ms): its latencies include "
        "its own delay; use more workers\n",
        lag->id, lag->heartbeat.lag_p99_ms);
  }
  return s;
}

fleet::WorkerJob base_job(const script::Plan& plan, const std::string& script_text,
                          const engine::RunOptions& options, const Distribution& dist,
                          const std::string& run_id) {
  fleet::WorkerJob base;
  base.run_id = run_id;
  base.script_path = plan.source_path;
  base.script_text = script_text;
  base.target = options.target;
  base.insecure = options.insecure;
  base.period_ms = options.period_ms;
  base.drain_timeout_ms = options.drain_timeout_ms;
  base.heartbeat_ms = dist.heartbeat_ms;
  base.load = dist.load;
  return base;
}

fleet::DistributedOptions distributed_options(const script::Plan& plan, const Distribution& dist,
                                              int64_t drain_timeout_ms) {
  fleet::DistributedOptions o;
  o.ready_timeout = dist.ready_timeout_ms * engine::kNanosPerMilli;
  o.coordinator.lost_after = 3 * dist.heartbeat_ms * engine::kNanosPerMilli;
  o.coordinator.grace =
      std::min<engine::Nanos>(5 * engine::kNanosPerSecond,
                              std::max<int64_t>(dist.heartbeat_ms, 1000) * engine::kNanosPerMilli);
  // Workers wait for their VUs after the last phase (Artillery's end of
  // test): with no drain bound there is no deadline; lost workers are still
  // found by their heartbeats.
  if (drain_timeout_ms >= 0) {
    o.deadline = static_cast<engine::Nanos>(
        (plan.total_duration_s() + static_cast<double>(drain_timeout_ms) / 1000 + 10) * 1e9);
  }
  return o;
}

double drain_s(const script::Plan& plan) {
  return plan.http.timeout_s + engine::longest_think_s(plan) + 2;
}

FleetRun run_jobs(const script::Plan& plan, const engine::RunOptions& options,
                  std::vector<fleet::WorkerJob> jobs, fleet::Launcher& launcher,
                  fleet::Channel& channel, const fleet::DistributedOptions& o,
                  const FleetCallbacks& callbacks, const std::atomic<bool>* stop,
                  fleet::DistributedResult* raw) {
  fleet::DistributedCallbacks cb;
  cb.on_period = callbacks.engine.on_period;
  // Workers report VUs, not the schedule: the end of the phases is known here.
  cb.on_progress = [&plan, &callbacks](engine::Progress p) {
    p.total_s = plan.total_duration_s();
    p.draining = p.elapsed_s >= p.total_s && p.active_vus > 0;
    if (callbacks.engine.on_progress) callbacks.engine.on_progress(p);
  };
  cb.on_event = callbacks.on_event;
  cb.on_health = callbacks.on_health;

  // `before` runs once, here; every worker gets what it captured.
  std::optional<engine::HookResult> before;
  if (plan.before) {
    before = engine::run_hook_once(plan, *plan.before, options, {}, stop);
    for (auto& j : jobs) j.variables.insert(before->vars.begin(), before->vars.end());
  }

  auto r = fleet::run_distributed(launcher, channel, jobs, o, cb, stop);
  if (!r.error.empty()) throw std::runtime_error(r.error);
  FleetRun result;
  engine::RunResult& out = result.run;
  out = std::move(r.run);
  // Hook metrics count in the first and last periods, as in one process.
  auto add_hook = [&](metrics::Snapshot m, bool first) {
    m.period_start_ms = 0;
    m.period_end_ms = 0;
    out.aggregate.merge(m);
    if (!out.periods.empty()) (first ? out.periods.front() : out.periods.back()).merge(m);
  };
  // Out of the test's counters, as Artillery's report leaves them.
  if (before) add_hook(engine::hook_counters(before->metrics, "before"), true);
  if (plan.after && !out.interrupted && (stop == nullptr || !stop->load())) {
    const std::vector<std::pair<std::string, std::string>> vars =
        before ? before->vars : std::vector<std::pair<std::string, std::string>>{};
    add_hook(engine::hook_counters(
                 engine::run_hook_once(plan, *plan.after, options, vars, stop).metrics, "after"),
             false);
  }
  result.fleet.duplicates_dropped = r.duplicates;
  result.fleet.late_batches = r.late_batches;
  for (const auto& w : r.workers) {
    fleet::WorkerReport wr;
    wr.id = w.id;
    wr.status = fleet::status_name(w.status);
    wr.reason = w.reason;
    wr.ended_wall_ms = w.ended_wall_ms;
    wr.batches = w.batches;
    wr.cpu_max = w.cpu_max;
    wr.lag_p99_max_ms = w.lag_p99_max_ms;
    wr.requests = w.requests;
    result.fleet.workers.push_back(std::move(wr));
  }
  if (raw != nullptr) *raw = std::move(r);
  return result;
}

FleetRun run_on_workers(const script::Plan& plan, const std::string& script_text,
                        const engine::RunOptions& options, const Distribution& dist,
                        const std::string& run_id, const FleetCallbacks& callbacks,
                        const std::atomic<bool>* stop) {
  fleet::SplitOptions split;
  split.count = dist.count;
  split.multiply = dist.multiply;
  split.seed = options.seed;
  const int hw = usable_cpus();  // the CPUs this process may use (affinity, cgroup quota)
  split.cores_per_worker =
      options.cores > 0 ? options.cores : std::max(1, hw / static_cast<int>(dist.count));
  auto jobs = fleet::split_jobs(base_job(plan, script_text, options, dist, run_id), split);
  fleet::LocalPlatform platform(dist.worker_command);
  auto out =
      run_jobs(plan, options, std::move(jobs), platform, platform,
               distributed_options(plan, dist, options.drain_timeout_ms), callbacks, stop, nullptr);
  out.fleet.platform = "local";
  return out;
}

}  // namespace barrage::run
