// The run API: how every front end (the CLI, the coming web console) runs a
// test. Given a loaded test, run options and a platform (this machine, local
// worker processes, AWS Lambda), `RunHandle::start` runs it on its own thread
// and returns a handle: live periods, progress, worker health and events
// through `Events`; `stop()`; `wait()`; and the final `Result` with its
// verdict (run/verdict.h). Hooks (`before`/`after` once per test), the
// Lambda cost estimate and the fleet summary are the run's; report files are
// written from a Result (run/reports.h).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/runner.h"
#include "fleet/summary.h"
#include "lambda/cost.h"
#include "report/ensure.h"
#include "report/model.h"
#include "run/fleet_run.h"
#include "run/lambda_run.h"
#include "run/verdict.h"
#include "script/loader.h"
#include "script/plan.h"

namespace barrage::run {

// Where the test runs.
enum class Platform {
  kThisMachine,   // engine::run_plan: one shard per core in this process
  kLocalWorkers,  // worker processes on this machine (`barrage worker`)
  kLambda,        // AWS Lambda workers
};

// A loaded test: the plan, the script's text and how it was loaded (workers
// load the same plan from these; kThisMachine needs only the plan).
struct LoadedTest {
  script::Plan plan;
  std::string script_text;
  script::LoadOptions load;
};

struct RunSpec {
  Platform platform = Platform::kThisMachine;
  // Cores (per worker for workers), --insecure, --target, seed, period length
  // (a console that streams per-second periods sets period_ms = 1000).
  engine::RunOptions engine;
  Distribution workers;      // kLocalWorkers, kLambda: count, multiply, heartbeat, ...
  LambdaSettings lambda;     // kLambda
  std::string run_id;        // "" = a new one (run/registry.h's new_run_id)
  report::RunLabels labels;  // --name, --tags, --note: carried to the Result and the report
};

// What a front end sees while the test runs; each is optional and called on
// the run's threads (never two at once for one callback).
struct Events {
  std::function<void(const metrics::Snapshot&)> on_period;  // a merged period
  std::function<void(const engine::Progress&)> on_progress;
  // Lines a person must see as they happen: deploy steps, cost, "worker 2 lost".
  std::function<void(const std::string&)> on_event;
  // Every worker's health after each live period (worker runs).
  std::function<void(const std::vector<fleet::WorkerState>&)> on_health;
};

struct Result {
  std::string run_id;
  report::RunLabels labels;                  // the spec's
  engine::RunResult run;                     // what the engine measured
  std::optional<fleet::FleetSummary> fleet;  // worker runs
  std::optional<lambda::CostReport> cost;    // Lambda runs
  std::vector<report::CheckOutcome> checks;  // the ensure plugin's verdicts
  Verdict verdict = Verdict::kOk;
  // Set when the run did not complete (bad options, platform failure, the
  // workers never ready): there is no measurement to report then.
  std::string error;
  [[nodiscard]] bool completed() const { return error.empty(); }
  [[nodiscard]] int exit_code() const { return run::exit_code(verdict); }
};

// A running test. Several may run at once (one thread each).
class RunHandle {
 public:
  // Starts the test on a new thread; events flow at once.
  static std::unique_ptr<RunHandle> start(std::shared_ptr<const LoadedTest> test, RunSpec spec,
                                          Events events);
  ~RunHandle();  // stops the run and waits for it
  RunHandle(const RunHandle&) = delete;
  RunHandle& operator=(const RunHandle&) = delete;

  [[nodiscard]] const std::string& run_id() const { return spec_.run_id; }
  [[nodiscard]] const LoadedTest& test() const { return *test_; }
  // Asks the run to stop (every VU ends; the partial period is delivered);
  // returns at once. The result is then interrupted (exit 130).
  void stop() { stop_.store(true); }
  // True once the result is ready.
  [[nodiscard]] bool wait_for(std::chrono::milliseconds timeout);
  const Result& wait();

  // Reserved for changing a running test's load (a later issue): e.g.
  // `void set_arrival_rate(double per_s)`, forwarded to the engine's pacers
  // (or to the workers through the protocol) from the calling thread; the
  // handle is where such live controls go, beside stop().

 private:
  RunHandle(std::shared_ptr<const LoadedTest> test, RunSpec spec, Events events);
  void execute();

  std::shared_ptr<const LoadedTest> test_;
  RunSpec spec_;
  Events events_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  Result result_;
  std::thread thread_;
};

// Runs the test on the calling thread (what a handle's thread does).
Result run_test(const LoadedTest& test, const RunSpec& spec, const Events& events,
                const std::atomic<bool>* stop);

}  // namespace barrage::run
