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

// Peak requests per second the script asks for: the highest arrival rate of
// any phase times the requests one VU makes (weighted over scenarios; loops
// with a fixed count multiply; closed-model phases count their VUs as one
// arrival each per second). What `--count auto` divides by a worker's
// capacity.
double peak_request_rate(const script::Plan& plan);

engine::RunResult run_on_lambda(const script::Plan& plan, const std::string& script_text,
                                const engine::RunOptions& options, Distribution dist,
                                const LambdaRunSettings& settings, const std::string& run_id,
                                const engine::RunCallbacks& callbacks,
                                const std::function<void(const std::string&)>& on_event,
                                const std::atomic<bool>* stop);

}  // namespace barrage::cli
