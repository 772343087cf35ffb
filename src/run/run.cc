#include "run/run.h"

#include <stdexcept>
#include <utility>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "run/registry.h"

namespace barrage::run {

namespace {

void measure(Result& r, const LoadedTest& test, const RunSpec& spec, const FleetCallbacks& cb,
             const std::atomic<bool>* stop) {
  Distribution dist = spec.workers;
  dist.load = static_cast<const script::ScriptOptions&>(test.load);
  switch (spec.platform) {
    case Platform::kThisMachine:
      r.run = engine::run_plan(test.plan, spec.engine, cb.engine, stop);
      return;
    case Platform::kLocalWorkers: {
      auto f = run_on_workers(test.plan, test.script_text, spec.engine, dist, r.run_id, cb, stop);
      r.run = std::move(f.run);
      r.fleet = std::move(f.fleet);
      return;
    }
    case Platform::kLambda: {
      auto l = run_on_lambda(test.plan, test.script_text, spec.engine, dist, spec.lambda, r.run_id,
                             cb, stop);
      r.run = std::move(l.fleet.run);
      r.fleet = std::move(l.fleet.fleet);
      r.cost = std::move(l.cost);
      return;
    }
  }
}

}  // namespace

Result run_test(const LoadedTest& test, const RunSpec& spec, const Events& events,
                const std::atomic<bool>* stop) {
  Result r;
  r.run_id = spec.run_id.empty() ? new_run_id() : spec.run_id;
  r.labels = spec.labels;
  FleetCallbacks cb;
  cb.engine.on_period = events.on_period;
  cb.engine.on_progress = events.on_progress;
  cb.on_event = events.on_event;
  cb.on_health = events.on_health;
  auto failed = [&](Verdict v, const std::exception& e) {
    r.verdict = v;
    r.error = e.what();
    return std::move(r);
  };
  try {
    measure(r, test, spec, cb, stop);
  } catch (const std::invalid_argument& e) {
    return failed(Verdict::kInvalid, e);
  } catch (const aws::AwsError& e) {
    return failed(Verdict::kPlatformFailed, e);
  } catch (const aws::CredentialsError& e) {
    return failed(Verdict::kPlatformFailed, e);
  } catch (const std::exception& e) {
    // Workers that never became ready or failed to start; in one process,
    // a setup problem (invalid target URL).
    return failed(
        spec.platform == Platform::kThisMachine ? Verdict::kInvalid : Verdict::kWorkerLost, e);
  }
  r.checks = report::evaluate_ensure(test.plan.plugins.ensure, r.run.aggregate, r.run.duration_s);
  r.verdict = verdict_of(r.run, r.fleet ? &*r.fleet : nullptr, r.checks);
  return r;
}

RunHandle::RunHandle(std::shared_ptr<const LoadedTest> test, RunSpec spec, Events events)
    : test_(std::move(test)), spec_(std::move(spec)), events_(std::move(events)) {
  if (spec_.run_id.empty()) spec_.run_id = new_run_id();
}

std::unique_ptr<RunHandle> RunHandle::start(std::shared_ptr<const LoadedTest> test, RunSpec spec,
                                            Events events) {
  std::unique_ptr<RunHandle> h(new RunHandle(std::move(test), std::move(spec), std::move(events)));
  h->thread_ = std::thread([p = h.get()] { p->execute(); });
  return h;
}

RunHandle::~RunHandle() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void RunHandle::execute() {
  Result r = run_test(*test_, spec_, events_, &stop_);
  std::lock_guard lock(mutex_);
  result_ = std::move(r);
  done_ = true;
  cv_.notify_all();
}

bool RunHandle::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return done_; });
}

const Result& RunHandle::wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return done_; });
  return result_;
}

}  // namespace barrage::run
