#include "cli/commands.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "demo_target/target_server.h"
#include "report/analysis.h"
#include "report/compare.h"
#include "report/console.h"
#include "report/ensure.h"
#include "report/json_report.h"
#include "run/registry.h"
#include "run/reports.h"
#include "run/run.h"
#include "script/duration.h"
#include "script/loader.h"
#include "script/quick.h"
#include "util/cpus.h"
#include "util/version.h"

namespace barrage::cli {

std::atomic<bool> g_stop{false};

namespace {

// More VUs than descriptors is common: take every descriptor we may have.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

class ConsolePrinter {
 public:
  ConsolePrinter(const script::Plan& plan, bool quiet)
      : quiet_(quiet), tty_(isatty(STDOUT_FILENO) == 1) {
    options_.extended_metrics = plan.http.extended_metrics;
    for (size_t i = 0; i < plan.phases.size(); ++i) {
      const auto& p = plan.phases[i];
      phase_names_.push_back(p.name.empty() ? fmt::format("#{}", i + 1) : p.name);
    }
    phases_ = &plan.phases;
  }

  void period(const metrics::Snapshot& s) {
    if (quiet_) return;
    clear_status();
    std::fputs(report::format_period(s, options_).c_str(), stdout);
    std::fflush(stdout);
  }

  void progress(const engine::Progress& p) {
    if (quiet_) return;
    while (announced_phase_ < p.phase) {
      ++announced_phase_;
      clear_status();
      const auto& ph = (*phases_)[static_cast<size_t>(announced_phase_)];
      std::printf("Phase started: %s (index: %d, duration: %gs)\n",
                  phase_names_[static_cast<size_t>(announced_phase_)].c_str(), announced_phase_,
                  ph.duration_s);
    }
    const double dt = p.elapsed_s - last_elapsed_;
    if (dt >= 1.0) {
      rate_ = static_cast<double>(p.requests - last_requests_) / dt;
      last_requests_ = p.requests;
      last_elapsed_ = p.elapsed_s;
    }
    if (tty_) {
      std::printf("\r\033[K%s", report::format_progress(p, phase_names_, rate_).c_str());
      status_shown_ = true;
      std::fflush(stdout);
    }
  }

  // A line a person must see between period blocks (worker events, health).
  void event(const std::string& line) {
    if (quiet_ && line.rfind("Workers:", 0) == 0) return;
    clear_status();
    std::fputs(line.c_str(), stdout);
    if (line.empty() || line.back() != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  void summary(const report::Report& r) {
    clear_status();
    std::printf("\n%s", report::format_summary(r, options_).c_str());
    std::fflush(stdout);
  }

  void analysis(const report::Analysis& a) {
    std::printf("\n%s", report::format_analysis(a).c_str());
    std::fflush(stdout);
  }

 private:
  void clear_status() {
    if (status_shown_) std::fputs("\r\033[K", stdout);
    status_shown_ = false;
  }

  bool quiet_;
  bool tty_;
  bool status_shown_ = false;
  report::ConsoleOptions options_;
  std::vector<std::string> phase_names_;
  const std::vector<script::Phase>* phases_ = nullptr;
  int announced_phase_ = -1;
  double rate_ = 0;
  double last_elapsed_ = 0;
  uint64_t last_requests_ = 0;
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Where the report files go and what the console shows.
struct OutputArgs {
  std::optional<std::string> output;
  bool quiet = false;
  std::string target;
  std::vector<std::string> reports;
};

void print_start(const script::Plan& plan, const run::RunSpec& spec) {
  const char* script = plan.source_path.c_str();
  const char* id = spec.run_id.c_str();
  const uint32_t n = spec.workers.count;
  if (spec.platform == run::Platform::kLambda) {
    std::printf("Test run starting: %s (run %s, on AWS Lambda)\n", script, id);
  } else if (spec.platform == run::Platform::kLocalWorkers) {
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

run::Events events_for(ConsolePrinter& printer) {
  run::Events ev;
  ev.on_period = [&printer](const metrics::Snapshot& s) { printer.period(s); };
  ev.on_progress = [&printer](const engine::Progress& p) { printer.progress(p); };
  ev.on_event = [&printer](const std::string& line) { printer.event(line); };
  ev.on_health = [&printer](const std::vector<fleet::WorkerState>& w) {
    printer.event(run::health_line(w));
  };
  return ev;
}

void print_results(ConsolePrinter& printer, const script::Plan& plan, const run::Result& r,
                   const report::Report& model) {
  printer.summary(model);
  printer.analysis(model.analysis);
  std::fputs(report::format_checks(r.checks).c_str(), stdout);
  if (plan.plugins.apdex_threshold_ms) {
    if (auto line = report::format_apdex(r.run.aggregate)) std::printf("\n%s\n", line->c_str());
  }
  std::fflush(stdout);
}

// The lines that explain a failing verdict.
void print_verdict(const run::Result& r) {
  if (r.verdict == run::Verdict::kInterrupted) return;
  if (r.fleet && r.fleet->lost_or_failed() > 0) {
    for (const auto& w : r.fleet->workers) {
      if (w.status == "lost" || w.status == "failed")
        std::printf("Worker %u %s: %s\n", w.id, w.status.c_str(), w.reason.c_str());
    }
    std::printf("%zu worker(s) lost or failed; the report covers what every worker delivered\n",
                r.fleet->lost_or_failed());
  }
  if (r.verdict == run::Verdict::kExpectationsFailed) {
    std::printf("%llu expectation check(s) failed (plugins.expect.failed.*)\n",
                static_cast<unsigned long long>(r.run.aggregate.counter("plugins.expect.failed")));
  }
}

int execute(const std::shared_ptr<const run::LoadedTest>& test, run::RunSpec spec,
            const OutputArgs& out) {
  raise_fd_limit();
  spec.run_id = run::new_run_id();
  const run::RunRegistration registration(spec.run_id);
  const script::Plan& plan = test->plan;
  ConsolePrinter printer(plan, out.quiet);
  if (!out.quiet) print_start(plan, spec);
  auto handle = run::RunHandle::start(test, spec, events_for(printer));
  while (!handle->wait_for(std::chrono::milliseconds(20))) {
    if (g_stop.load()) handle->stop();
  }
  const run::Result& result = handle->wait();
  if (!result.completed()) {
    std::fprintf(stderr, "barrage: %s\n", result.error.c_str());
    return result.exit_code();
  }
  const report::Report model =
      run::report_of(result, plan, out.target, std::string(barrage::kVersion));
  print_results(printer, plan, result, model);
  const run::ReportRequest request{out.output, out.reports};
  std::string error;
  if (!run::write_reports(
          model, request, [](const std::string& l) { std::printf("%s\n", l.c_str()); }, &error)) {
    std::fprintf(stderr, "barrage: %s\n", error.c_str());
    return kExitUsage;
  }
  print_verdict(result);
  return result.exit_code();
}

// Loads the script with the command line's options; prints the loader's
// notices to stderr. Null (after printing the error) when it fails.
std::shared_ptr<run::LoadedTest> load_script(const std::string& path,
                                             const std::optional<std::string>& target,
                                             const LoadArgs& load) {
  auto test = std::make_shared<run::LoadedTest>();
  script::LoadOptions& lo = test->load;
  lo.target_override = target;
  lo.environment = load.environment;
  lo.config_file = load.config;
  lo.overrides_json = load.overrides;
  lo.variables_json = load.variables;
  lo.dotenv_file = load.dotenv;
  lo.scenario_name = load.scenario_name;
  lo.strict = load.strict;
  try {
    test->plan = script::load_plan_file(path, lo);
    for (const auto& w : test->plan.warnings)
      std::fprintf(stderr, "barrage: warning: %s\n", w.describe().c_str());
    for (const auto& n : test->plan.notices)
      std::fprintf(stderr, "barrage: notice: %s\n", n.c_str());
    return test;
  } catch (const script::ScriptError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return nullptr;
  }
}

// --count / --platform: where the test runs. Nullopt (after printing why)
// for a combination that makes no sense.
std::optional<run::RunSpec> run_spec(const RunArgs& args) {
  run::RunSpec spec;
  spec.engine.cores = args.cores;
  spec.engine.insecure = args.insecure;
  spec.engine.target = args.target;
  spec.engine.seed = args.seed;
  spec.engine.period_ms = args.period_ms;
  const bool lambda = args.platform == "aws:lambda";
  if (lambda && args.count == 0 && !args.count_auto) {
    std::fprintf(stderr, "barrage: --platform aws:lambda needs --count N (or --count auto)\n");
    return std::nullopt;
  }
  if (args.count_auto && !lambda) {
    std::fprintf(stderr, "barrage: --count auto needs --platform aws:lambda\n");
    return std::nullopt;
  }
  if (args.count > 0 || args.count_auto) {
    spec.platform = lambda ? run::Platform::kLambda : run::Platform::kLocalWorkers;
    spec.workers.count = args.count;
    spec.workers.multiply = args.multiply;
    spec.workers.heartbeat_ms = args.heartbeat_ms;
    spec.workers.ready_timeout_ms = args.ready_timeout_ms;
    if (!args.worker_exec.empty()) spec.workers.worker_command = {args.worker_exec};
  }
  spec.lambda.aws = args.lambda;
  spec.lambda.count_auto = args.count_auto;
  spec.lambda.segment_ms = args.segment_ms;
  spec.lambda.segment_lead_ms = args.segment_lead_ms;
  return spec;
}

}  // namespace

int validate_command(const ValidateArgs& args) {
  const auto test = load_script(args.script, args.target, args.load);
  if (!test) return kExitUsage;
  const script::Plan& plan = test->plan;
  std::printf("ok: %zu phase%s, %zu scenario%s\n", plan.phases.size(),
              plan.phases.size() == 1 ? "" : "s", plan.scenarios.size(),
              plan.scenarios.size() == 1 ? "" : "s");
  return kExitOk;
}

int run_command(const RunArgs& args) {
  auto test = load_script(args.script, args.target, args.load);
  if (!test) return kExitUsage;
  auto spec = run_spec(args);
  if (!spec) return kExitUsage;
  if (spec->platform != run::Platform::kThisMachine) {
    std::ifstream in(args.script, std::ios::binary);
    test->script_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string target = args.target.value_or(test->plan.target);
  return execute(test, std::move(*spec), {args.output, args.quiet, target, args.reports});
}

int quick_command(const QuickArgs& args) {
  script::QuickOptions q;
  q.url = args.url;
  q.count = args.count;
  q.num = args.num;
  q.rate = args.rate;
  if (args.duration) {
    q.duration_s = script::parse_duration_s(*args.duration);
    if (!q.duration_s || *q.duration_s <= 0) {
      std::fprintf(stderr, "barrage: invalid --duration '%s' (e.g. 30s, 5m)\n",
                   args.duration->c_str());
      return kExitUsage;
    }
  }
  auto test = std::make_shared<run::LoadedTest>();
  try {
    test->plan = script::quick_plan(q);
  } catch (const script::ScriptError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.message().c_str());
    return kExitUsage;
  }
  run::RunSpec spec;
  spec.engine.cores = args.cores;
  spec.engine.insecure = args.insecure;
  return execute(test, std::move(spec), {args.output, args.quiet, args.url, args.reports});
}

int report_command(const ReportArgs& args) {
  const auto json = read_file(args.input);
  if (!json) {
    std::fprintf(stderr, "barrage: cannot read %s\n", args.input.c_str());
    return kExitUsage;
  }
  std::string format = args.format.value_or("html");
  if (!args.format && args.output) {
    if (args.output->ends_with(".xml")) format = "junit";
    if (args.output->ends_with(".csv")) format = "csv";
  }
  const std::string path =
      args.output.value_or(run::report_stem(args.input) + run::report_extension(format));
  std::string error;
  const auto rep = report::read_report(*json, &error);
  if (!rep) {
    std::fprintf(stderr, "barrage: %s: %s\n", args.input.c_str(), error.c_str());
    return kExitUsage;
  }
  if (!run::write_text_file(path, run::render_report(format, *rep))) {
    std::fprintf(stderr, "barrage: cannot write %s\n", path.c_str());
    return kExitUsage;
  }
  std::printf("%s report written to %s\n", format.c_str(), path.c_str());
  return kExitOk;
}

int compare_command(const CompareArgs& args) {
  const auto base = read_file(args.base);
  const auto current = read_file(args.current);
  if (!base || !current) {
    std::fprintf(stderr, "barrage: cannot read %s\n", (!base ? args.base : args.current).c_str());
    return kExitUsage;
  }
  report::Tolerances tol;
  tol.throughput_drop_pct = args.throughput_drop_pct;
  tol.p50_pct = args.p50_pct;
  tol.p95_pct = args.p95_pct;
  tol.p99_pct = args.p99_pct;
  tol.min_latency_ms = args.min_latency_ms;
  tol.error_rate_points = args.error_rate_points;
  std::string error;
  const auto base_report = report::read_report(*base, &error);
  if (!base_report) {
    std::fprintf(stderr, "barrage: base report: %s\n", error.c_str());
    return kExitUsage;
  }
  const auto new_report = report::read_report(*current, &error);
  if (!new_report) {
    std::fprintf(stderr, "barrage: new report: %s\n", error.c_str());
    return kExitUsage;
  }
  const auto c = report::compare_reports(*base_report, *new_report, tol);
  std::fputs(report::format_comparison(c).c_str(), stdout);
  if (args.html) {
    if (!run::write_text_file(*args.html, report::comparison_html(c, args.base, args.current))) {
      std::fprintf(stderr, "barrage: cannot write %s\n", args.html->c_str());
      return kExitUsage;
    }
    std::printf("HTML comparison written to %s\n", args.html->c_str());
  }
  return c.regressed() ? kExitRegression : kExitOk;
}

int target_command(const TargetArgs& args) {
  demo_target::TargetOptions o;
  o.host = args.host;
  o.port = args.port;
  o.threads = args.threads;
  o.latency_ms = args.latency_ms;
  o.jitter_ms = args.jitter_ms;
  o.cold_start_ms = args.cold_start_ms;
  o.instance_idle_ms = args.instance_idle_ms;
  o.concurrency_limit = args.concurrency_limit;
  o.error_rate = args.error_rate;
  std::optional<double> duration_s;
  if (args.duration) {
    duration_s = script::parse_duration_s(*args.duration);
    if (!duration_s) {
      std::fprintf(stderr, "barrage: invalid --duration '%s'\n", args.duration->c_str());
      return kExitUsage;
    }
  }
  raise_fd_limit();
  demo_target::TargetServer server(o);
  std::string error;
  if (!server.start(&error)) {
    std::fprintf(stderr, "barrage target: %s\n", error.c_str());
    return kExitUsage;
  }
  std::printf("barrage target listening on http://%s:%u\n", args.host.c_str(), server.port());
  std::fflush(stdout);
  if (args.port_file) {
    std::ofstream(*args.port_file) << server.port() << "\n";
  }
  const auto started = std::chrono::steady_clock::now();
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (duration_s &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >=
            *duration_s) {
      break;
    }
  }
  server.stop();
  const auto st = server.stats();
  std::printf("barrage target stopped: %llu requests, %llu cold starts, %llu throttled\n",
              static_cast<unsigned long long>(st.requests),
              static_cast<unsigned long long>(st.cold_starts),
              static_cast<unsigned long long>(st.throttled));
  return kExitOk;
}

int stop_command(const std::string& run_id, int wait_s) {
  const auto pid = run::find_run(run_id);
  if (!pid) {
    std::fprintf(stderr, "barrage stop: no running test with id '%s' on this machine\n",
                 run_id.c_str());
    return kExitUsage;
  }
  if (::kill(*pid, SIGINT) != 0) {
    std::perror("barrage stop");
    return kExitUsage;
  }
  std::printf("Stopping run %s (pid %d)...\n", run_id.c_str(), *pid);
  std::fflush(stdout);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (std::chrono::steady_clock::now() < until) {
    // The run removes its entry as it exits (a zombie still answers kill 0).
    if (!run::is_registered(run_id) || ::kill(*pid, 0) != 0) {
      std::printf("Run %s stopped.\n", run_id.c_str());
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "barrage stop: run %s still running after %d s\n", run_id.c_str(), wait_s);
  return kExitInterrupted;
}

}  // namespace barrage::cli
