// `barrage run --platform aws:lambda`: deploys (or reuses) the worker
// function in each region, creates the run's queues, prints the cost
// estimate, runs the test on Lambda workers through the coordinator, and
// deletes the queues whatever happens (end, Ctrl-C, error).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "cli/distributed.h"
#include "cli/lambda_commands.h"
#include "engine/runner.h"
#include "script/plan.h"

namespace barrage::cli {

struct LambdaRunSettings {
  LambdaAdminOptions aws;   // regions, profile, endpoint, memory, architecture, role, VPC, tags
  bool count_auto = false;  // --count auto
  int64_t segment_ms = 0;   // hidden: schedule length per invocation (tests); 0 = from 900 s
  int64_t segment_lead_ms = 60'000;  // hidden: later segments are invoked this early
};

engine::RunResult run_on_lambda(const script::Plan& plan, const std::string& script_text,
                                const engine::RunOptions& options, Distribution dist,
                                const LambdaRunSettings& settings, const std::string& run_id,
                                const engine::RunCallbacks& callbacks,
                                const std::function<void(const std::string&)>& on_event,
                                const std::atomic<bool>* stop);

}  // namespace barrage::cli
