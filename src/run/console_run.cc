#include "run/console_run.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "metrics/snapshot_json.h"
#include "report/analysis.h"
#include "report/ensure.h"
#include "report/live_console.h"
#include "run/fleet_run.h"
#include "run/registry.h"
#include "run/reports.h"
#include "util/cpus.h"
#include "util/exit_codes.h"
#include "util/fd_limit.h"
#include "util/version.h"

namespace barrage::run {

namespace {

void print_start(const script::Plan& plan, const RunSpec& spec) {
  const char* script = plan.source_path.c_str();
  const char* id = spec.run_id.c_str();
  const uint32_t n = spec.workers.count;
  if (spec.platform == Platform::kLambda) {
    std::printf("Test run starting: %s (run %s, on AWS Lambda)\n", script, id);
  } else if (spec.platform == Platform::kLocalWorkers) {
    std::printf("Test run starting: %s (run %s, %u worker process%s%s)\n", script, id, n,
                n == 1 ? "" : "es", spec.workers.multiply ? ", each running the whole script" : "");
  } else {
    const int cores = spec.engine.cores > 0 ? spec.engine.cores : usable_cpus();
    std::printf("Test run starting: %s (run %s, %d core%s)\n", script, id, cores,
                cores == 1 ? "" : "s");
  }
  std::printf("Stop it from another terminal with: barrage stop %s\n", id);
  std::fflush(stdout);
}

Events events_for(report::LiveConsole& console, std::FILE* stream) {
  Events ev;
  ev.on_period = [&console, stream](const metrics::Snapshot& s) {
    console.period(s);
    if (stream != nullptr) {
      const std::string line = metrics::to_json(s) + "\n";
      std::fwrite(line.data(), 1, line.size(), stream);
      std::fflush(stream);
    }
  };
  ev.on_progress = [&console](const engine::Progress& p) { console.progress(p); };
  ev.on_event = [&console](const std::string& line) { console.event(line); };
  ev.on_health = [&console](const std::vector<fleet::WorkerState>& w) {
    console.event(health_line(w));
  };
  return ev;
}

void print_results(report::LiveConsole& console, const script::Plan& plan, const Result& r,
                   const report::Report& model) {
  console.summary(model);
  console.analysis(model.analysis);
  std::fputs(report::format_checks(r.checks).c_str(), stdout);
  if (plan.plugins.apdex_threshold_ms) {
    if (auto line = report::format_apdex(r.run.aggregate)) std::printf("\n%s\n", line->c_str());
  }
  std::fflush(stdout);
}

// The lines that explain a failing verdict.
void print_verdict(const Result& r) {
  if (r.verdict == Verdict::kInterrupted) return;
  if (r.fleet && r.fleet->lost_or_failed() > 0) {
    for (const auto& w : r.fleet->workers) {
      if (w.status == "lost" || w.status == "failed")
        std::printf("Worker %u %s: %s\n", w.id, w.status.c_str(), w.reason.c_str());
    }
    std::printf("%zu worker(s) lost or failed; the report covers what every worker delivered\n",
                r.fleet->lost_or_failed());
  }
  if (r.verdict == Verdict::kExpectationsFailed) {
    std::printf("%llu expectation check(s) failed (plugins.expect.failed.*)\n",
                static_cast<unsigned long long>(r.run.aggregate.counter("plugins.expect.failed")));
  }
}

}  // namespace

int run_in_console(const std::shared_ptr<const LoadedTest>& test, RunSpec spec,
                   const ConsoleOutput& out, const std::atomic<bool>& stop) {
  raise_fd_limit();
  if (spec.run_id.empty()) spec.run_id = new_run_id();
  const RunRegistration registration(spec.run_id);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(nullptr, &std::fclose);
  if (out.period_stream) {
    stream.reset(std::fopen(out.period_stream->c_str(), "w"));
    if (!stream) {
      std::fprintf(stderr, "barrage: cannot open the period stream %s\n",
                   out.period_stream->c_str());
      return kExitUsage;
    }
  }
  const script::Plan& plan = test->plan;
  report::LiveConsole console(plan, out.quiet);
  if (!out.quiet) print_start(plan, spec);
  auto handle = RunHandle::start(test, spec, events_for(console, stream.get()));
  while (!handle->wait_for(std::chrono::milliseconds(20))) {
    if (stop.load()) handle->stop();
  }
  const Result& result = handle->wait();
  if (!result.completed()) {
    std::fprintf(stderr, "barrage: %s\n", result.error.c_str());
    return result.exit_code();
  }
  const report::Report model = report_of(result, plan, out.target, std::string(kVersion));
  print_results(console, plan, result, model);
  const ReportRequest request{out.output, out.reports};
  const auto written =
      write_reports(model, request, [](const std::string& l) { std::printf("%s\n", l.c_str()); });
  if (!written) {
    std::fprintf(stderr, "barrage: %s\n", written.error().describe().c_str());
    return kExitUsage;
  }
  print_verdict(result);
  return result.exit_code();
}

}  // namespace barrage::run
