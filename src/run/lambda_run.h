// A run on AWS Lambda workers: deploys (or reuses) the worker function in
// each region, ships the script's files, creates the run's queues, says the
// cost estimate, runs the jobs through lambda::LambdaPlatform, measures the
// cost, and deletes the queues whatever happens (end, stop, error).
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "lambda/cost.h"
#include "lambda/deploy.h"
#include "run/fleet_run.h"

namespace barrage::run {

struct LambdaSettings {
  lambda::DeployOptions aws;  // regions, profile, endpoint, memory, architecture, role, VPC, tags
  bool count_auto = false;    // --count auto
  int64_t segment_ms = 0;     // hidden: schedule length per invocation (tests); 0 = from 900 s
  int64_t segment_lead_ms = 60'000;  // hidden: later segments are invoked this early
};

struct LambdaRun {
  FleetRun fleet;
  lambda::CostReport cost;
};

LambdaRun run_on_lambda(const script::Plan& plan, const std::string& script_text,
                        const engine::RunOptions& options, Distribution dist,
                        const LambdaSettings& settings, const std::string& run_id,
                        const FleetCallbacks& callbacks, const std::atomic<bool>* stop);

}  // namespace barrage::run
