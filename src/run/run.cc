#include "run/run.h"

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "run/registry.h"

namespace barrage::run {

namespace {

// Artillery's end of test: after the last phase the run waits for every VU
// still running. Says so when it starts and every 10 s after, so every front
// end shows what the run is waiting for.
std::function<void(const engine::Progress&)> announcing_drain(const Events& events,
                                                              int64_t drain_timeout_ms) {
  return [&events, drain_timeout_ms, next = -1.0](const engine::Progress& p) mutable {
    if (p.draining && events.on_event && p.elapsed_s >= next) {
      next = p.elapsed_s + 10;
      const std::string bound =
          drain_timeout_ms >= 0
              ? fmt::format(" (at most {:g} s after the last phase: --drain-timeout)",
                            static_cast<double>(drain_timeout_ms) / 1000)
              : "";
      events.on_event(fmt::format("All phases done: waiting for {} VU{} still running{}",
                                  p.active_vus, p.active_vus == 1 ? "" : "s", bound));
    }
    if (events.on_progress) events.on_progress(p);
  };
}

// The VUs a drain bound ended, and the steps they were in.
void announce_cut_off(const Events& events, const metrics::Snapshot& aggregate) {
  const uint64_t n = aggregate.counter("barrage.drain.cut_off");
  if (n == 0 || !events.on_event) return;
  constexpr std::string_view kPrefix = "barrage.drain.cut_off.";
  std::string steps;
  for (const auto& [name, count] : aggregate.counters) {
    if (!name.starts_with(kPrefix)) continue;
    steps += fmt::format("{}{}: {}", steps.empty() ? "" : ", ", name.substr(kPrefix.size()), count);
  }
  events.on_event(fmt::format("Drain timeout: {} VU{} still running were ended ({})", n,
                              n == 1 ? "" : "s", steps));
}

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
      if (test.plan.processor) {
        // Not yet: a Lambda worker has no Node.js and no processor files
        // (docs/processors.md). Refused rather than run without the hooks.
        throw std::invalid_argument(
            "a script with a processor (config.processor) cannot run on AWS Lambda yet; run it "
            "on this machine or with local workers (--count N)");
      }
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
  cb.engine.on_progress = announcing_drain(events, spec.engine.drain_timeout_ms);
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
  announce_cut_off(events, r.run.aggregate);
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
