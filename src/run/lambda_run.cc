#include "run/lambda_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "aws/result.h"
#include "aws/s3.h"
#include "fleet/job.h"
#include "lambda/cost.h"
#include "lambda/job.h"
#include "lambda/platform.h"
#include "lambda/resources.h"
#include "util/clock.h"

namespace barrage::run {

namespace {

// The run's queues go whatever happens: end, Ctrl-C, error.
class QueueGuard {
 public:
  void add(lambda::Resources* r, std::string url) { queues_.emplace_back(r, std::move(url)); }
  ~QueueGuard() {
    for (auto& [r, url] : queues_) {
      try {
        r->delete_run_queue(url);
      } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "barrage: deleting queue %s: %s (`barrage lambda cleanup` removes it)\n",
                     url.c_str(), e.what());
      }
    }
  }

 private:
  std::vector<std::pair<lambda::Resources*, std::string>> queues_;
};

// Lambda workers have no access to this machine's disk: every file the script
// reads (payloads, fromFile), --config and --dotenv go to each region's bucket
// under runs/<id>/files/, named in `shipped` by their path relative to the
// script's directory (the job's load options name them so); so does the
// script when it is too large for the invocation payload (256 KiB for Event
// invocations). Returns the uploads per region.
size_t ship_files(const script::Plan& plan, std::vector<std::unique_ptr<lambda::Resources>>& res,
                  fleet::WorkerJob& base, lambda::ShippedFiles& shipped) {
  namespace fs = std::filesystem;
  const fs::path script_dir = fs::absolute(plan.source_path).parent_path();
  size_t uploads = 0;
  auto upload = [&](const std::string& key, const std::string& bytes) {
    for (auto& r : res) aws::value_or_throw(r->s3().put_object(r->bucket(), key, bytes));
    ++uploads;
  };
  auto ship = [&](const std::string& local) -> std::string {
    const fs::path abs = fs::absolute(local).lexically_normal();
    std::string rel = abs.lexically_relative(script_dir).string();
    if (rel.empty()) throw std::invalid_argument("cannot ship '" + local + "' to Lambda workers");
    if (shipped.files.contains(rel)) return rel;
    std::ifstream in(abs, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read '" + local + "' to ship it to the workers");
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    const std::string key =
        lambda::run_key(base.run_id, "files/" + std::to_string(shipped.files.size()));
    upload(key, bytes);
    shipped.files[rel] = key;
    return rel;
  };
  for (const auto& f : plan.files) ship(f);
  for (auto* path : {&base.load.config_file, &base.load.dotenv_file, &base.load.payload_file}) {
    if (*path) *path = ship(**path);
  }
  constexpr size_t kMaxInlineScript = 200 * 1024;
  if (base.script_text.size() > kMaxInlineScript) {
    shipped.script_key = lambda::run_key(base.run_id, "files/script");
    upload(shipped.script_key, base.script_text);
    base.script_text.clear();
  }
  return uploads;
}

lambda::Cost estimate_cost(const script::Plan& plan, size_t workers, const lambda::DeployOptions& a,
                           const std::vector<lambda::Deployed>& deployed,
                           const lambda::SegmentPlan& segments, size_t uploads,
                           const lambda::ShippedFiles& shipped, const fleet::WorkerJob& base) {
  const auto drain_ms = base.drain_timeout_ms;
  lambda::EstimateInput in;
  in.duration_s = plan.total_duration_s();
  in.drain_s = static_cast<double>(drain_ms) / 1000.0;
  in.workers = static_cast<int>(workers);
  in.memory_mb = a.memory_mb;
  in.architecture = a.architecture;
  for (const auto& d : deployed) in.regions.push_back(d.region);
  in.segments = static_cast<int>(segments.windows.size());
  in.segment_overlap_s = static_cast<double>(segments.lead_ms + drain_ms) / 1000.0;
  in.s3_uploads = static_cast<int>(uploads);
  in.s3_gets_per_invocation =
      static_cast<int>(shipped.files.size() + (shipped.script_key.empty() ? 0 : 1));
  return lambda::estimate(in);
}

// Fills the per-region reports and the cost report of `result`; returns the
// measured cost.
lambda::Cost measure_cost(LambdaRun& result, const fleet::DistributedResult& raw,
                          const std::vector<lambda::PlatformUsage>& platform_usage,
                          const std::vector<lambda::Deployed>& deployed,
                          const std::vector<uint32_t>& per_region, size_t uploads,
                          const lambda::DeployOptions& a, const lambda::Cost& estimate) {
  std::vector<lambda::MeasuredUsage> usage(deployed.size());
  for (size_t i = 0; i < deployed.size(); ++i) {
    usage[i].region = deployed[i].region;
    usage[i].sqs_requests = platform_usage[i].sqs_requests + 2;  // + create and delete queue
    // + metadata twice, + the files shipped
    usage[i].s3_put_requests = platform_usage[i].s3_puts + 2 + static_cast<int64_t>(uploads);
    fleet::RegionReport rr;
    rr.region = deployed[i].region;
    rr.workers = per_region[i];
    if (i < raw.group_aggregates.size()) rr.aggregate = raw.group_aggregates[i];
    result.fleet.fleet.regions.push_back(std::move(rr));
  }
  std::vector<std::string> notes;
  for (const auto& w : raw.workers) {
    const size_t r = w.id % deployed.size();
    int64_t ms = w.duration_ms;
    if (ms == 0) {
      // No `done` (lost or failed): count it as running the whole time.
      ms = static_cast<int64_t>(result.fleet.run.duration_s * 1000);
      notes.push_back(fmt::format("worker {} sent no usage; billed as {:.0f} s", w.id,
                                  static_cast<double>(ms) / 1000.0));
    }
    // One entry per invocation: the segments that handed over, and the last.
    const uint64_t invocations = w.segments_done + 1;
    for (uint64_t i = 0; i < invocations; ++i) {
      usage[r].invocation_ms.push_back(static_cast<double>(ms) / static_cast<double>(invocations));
    }
    usage[r].sqs_requests += static_cast<int64_t>(w.sqs_requests);
    usage[r].s3_get_requests += static_cast<int64_t>(w.s3_requests);
  }
  lambda::Cost measured = lambda::measured(usage, a.memory_mb, a.architecture);
  lambda::CostReport& cost = result.cost;
  cost.estimated = lambda::figure_of(estimate);
  cost.measured = lambda::figure_of(measured);
  cost.prices_date = std::string(lambda::prices_date());
  cost.notes = estimate.notes;
  cost.notes.insert(cost.notes.end(), notes.begin(), notes.end());
  return measured;
}

}  // namespace

LambdaRun run_on_lambda(const script::Plan& plan, const std::string& script_text,
                        const engine::RunOptions& options, Distribution dist,
                        const LambdaSettings& settings, const std::string& run_id,
                        const FleetCallbacks& callbacks, const std::atomic<bool>* stop) {
  auto say = [&](const std::string& line) {
    if (callbacks.on_event) callbacks.on_event(line + "\n");
  };
  const lambda::DeployOptions& a = settings.aws;
  // 1,769 MB is one vCPU; Lambda gives up to 6.
  const int cores = std::clamp(a.memory_mb / lambda::kDefaultMemoryMb, 1, 6);
  if (settings.count_auto) {
    const double peak = lambda::peak_request_rate(plan);
    const double capacity = lambda::kWorkerCapacityRps * cores;
    const auto c = lambda::count_auto(peak, capacity);
    dist.count = static_cast<uint32_t>(c.workers);
    say(
        fmt::format("--count auto: {} worker{} for a peak of {:.0f} requests/s at {:.0f} per "
                    "worker ({} MB){}",
                    c.workers, c.workers == 1 ? "" : "s", peak, capacity, a.memory_mb,
                    c.capped ? " (capped: Lambda's default concurrency quota is 1,000)" : ""));
  }
  if (dist.count == 0) throw std::invalid_argument("--platform aws:lambda needs --count N or auto");

  const std::vector<lambda::Deployed> deployed = lambda::deploy(a, say);
  std::vector<std::unique_ptr<lambda::Resources>> resources;
  resources.reserve(deployed.size());
  for (const auto& d : deployed) resources.push_back(std::make_unique<lambda::Resources>(d.config));

  // The jobs, spread over the regions in turn.
  fleet::SplitOptions split;
  split.count = dist.count;
  split.multiply = dist.multiply;
  split.seed = options.seed;
  split.cores_per_worker = cores;
  fleet::WorkerJob base = base_job(plan, script_text, options, dist, run_id);
  // An invocation must end: Lambda workers always have a drain bound.
  if (base.drain_timeout_ms < 0) base.drain_timeout_ms = static_cast<int64_t>(drain_s(plan) * 1000);
  lambda::ShippedFiles shipped;
  const size_t uploads = ship_files(plan, resources, base, shipped);
  auto jobs = fleet::split_jobs(base, split);
  fleet::DistributedOptions o = distributed_options(plan, dist, base.drain_timeout_ms);
  o.start_delay = 3 * engine::kNanosPerSecond;  // workers poll the start object every 250 ms
  // An invocation that never runs (throttled, dropped) must not hold the others.
  o.start_without_unready = true;
  o.groups = static_cast<uint32_t>(deployed.size());
  std::vector<uint32_t> per_region(deployed.size(), 0);
  for (auto& j : jobs) {
    const size_t r = j.worker % deployed.size();
    o.worker_group.push_back(static_cast<uint32_t>(r));
    ++per_region[r];
  }

  // Segments: every invocation ends within Lambda's 15 minutes.
  const auto total_ms = static_cast<int64_t>(plan.total_duration_s() * 1000);
  const auto drain_ms = base.drain_timeout_ms;
  const lambda::SegmentPlan segments =
      lambda::plan_segments(total_ms, drain_ms, int64_t{lambda::kFunctionTimeoutS} * 1000,
                            dist.ready_timeout_ms + o.start_delay / engine::kNanosPerMilli,
                            settings.segment_lead_ms, 30'000, settings.segment_ms);

  // The cost estimate, before anything runs.
  const lambda::Cost estimate =
      estimate_cost(plan, jobs.size(), a, deployed, segments, uploads, shipped, base);
  say("Cost: " + estimate.text);
  for (const auto& n : estimate.notes) say("Cost: " + n);
  if (segments.windows.size() > 1) {
    say(fmt::format(
        "Segments: each worker's share runs in {} invocations (the next one takes "
        "over every {:.0f} s)",
        segments.windows.size(), static_cast<double>(segments.windows[1].first) / 1000.0));
  }

  // The run's queues and metadata.
  QueueGuard guard;
  std::vector<lambda::LambdaRegion> regions;
  lambda::RunMetadata meta;
  meta.run_id = run_id;
  meta.started_ms = wall_now_ms();
  meta.status = "running";
  meta.function = deployed.front().function;
  meta.workers = static_cast<int>(jobs.size());
  for (size_t i = 0; i < deployed.size(); ++i) {
    const std::string url = resources[i]->create_run_queue(run_id);
    guard.add(resources[i].get(), url);
    regions.push_back(lambda::LambdaRegion{deployed[i].region, deployed[i].config,
                                           deployed[i].function, deployed[i].bucket, url});
    meta.regions.push_back(deployed[i].region);
    meta.queue_urls[deployed[i].region] = url;
  }
  for (auto& r : resources) r->put_run_metadata(meta);
  say(fmt::format("Lambda: {} worker{} ({} MB, {}) in {}", jobs.size(), jobs.size() == 1 ? "" : "s",
                  a.memory_mb, a.architecture, fmt::join(meta.regions, ", ")));

  lambda::LambdaPlatformOptions po;
  po.run_id = run_id;
  po.regions = regions;
  po.segments = segments;
  po.worker_region = o.worker_group;
  po.shipped = shipped;
  lambda::LambdaPlatform platform(po);
  fleet::DistributedResult raw;
  LambdaRun result;
  try {
    result.fleet =
        run_jobs(plan, options, std::move(jobs), platform, platform, o, callbacks, stop, &raw);
  } catch (...) {
    meta.status = "failed";
    meta.ended_ms = wall_now_ms();
    for (auto& r : resources) {
      try {
        r->put_run_metadata(meta);
      } catch (const std::exception&) {
      }
    }
    throw;
  }
  engine::RunResult& out = result.fleet.run;
  result.fleet.fleet.platform = "aws:lambda";
  if (out.interrupted) {
    // Workers that saw the stop flag said so in S3 too (their `done` on the
    // queue is the other acknowledgement).
    size_t acks = 0;
    for (auto& r : resources) {
      try {
        acks += r->stop_acks(run_id).size();
      } catch (const std::exception& e) {
        say(std::string("reading the stop acknowledgements: ") + e.what());
      }
    }
    say(fmt::format("Stop acknowledged by {} of {} workers", acks, raw.workers.size()));
  }

  // Per-region figures and the measured cost.
  const lambda::Cost measured =
      measure_cost(result, raw, platform.usage(), deployed, per_region, uploads, a, estimate);
  say("Cost: " + measured.text);

  meta.status = out.interrupted ? "stopped" : "finished";
  meta.ended_ms = wall_now_ms();
  for (auto& r : resources) {
    try {
      r->put_run_metadata(meta);
    } catch (const std::exception& e) {
      say(std::string("run metadata: ") + e.what());
    }
  }
  return result;
}

}  // namespace barrage::run
