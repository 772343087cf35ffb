#include "cli/commands.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "cli/distributed.h"
#include "cli/lambda_run.h"
#include "cli/run_registry.h"
#include "demo_target/target_server.h"
#include "engine/runner.h"
#include "report/analysis.h"
#include "report/ci_reports.h"
#include "report/compare.h"
#include "report/console.h"
#include "report/ensure.h"
#include "report/from_run.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "script/duration.h"
#include "script/loader.h"

namespace barrage::cli {

std::atomic<bool> g_stop{false};

namespace {

constexpr const char* kVersion = "0.1.0";

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

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

const char* extension_of(const std::string& format) {
  if (format == "junit") return ".junit.xml";
  if (format == "csv") return ".csv";
  return ".html";
}

// "out/run.json" -> "out/run"; other names are used as they are.
std::string stem_of(const std::string& path) {
  return path.ends_with(".json") ? path.substr(0, path.size() - 5) : path;
}

std::string render(const std::string& format, const report::Report& r) {
  if (format == "junit") return report::to_junit_report(r);
  if (format == "csv") return report::to_csv_report(r);
  return report::to_html_report(r);
}

int execute(const script::Plan& plan, const engine::RunOptions& options,
            const std::optional<std::string>& output, bool quiet, const std::string& target,
            const std::vector<std::string>& reports, const Distribution& dist = {},
            const std::string& script_text = {}, const LambdaRunSettings* lambda = nullptr) {
  raise_fd_limit();
  const std::string run_id = new_run_id();
  RunRegistration registration(run_id);
  ConsolePrinter printer(plan, quiet);
  engine::RunCallbacks callbacks;
  callbacks.on_period = [&](const metrics::Snapshot& s) { printer.period(s); };
  callbacks.on_progress = [&](const engine::Progress& p) { printer.progress(p); };
  if (!quiet) {
    const int cores =
        options.cores > 0 ? options.cores : static_cast<int>(std::thread::hardware_concurrency());
    if (lambda != nullptr) {
      std::printf("Test run starting: %s (run %s, on AWS Lambda)\n", plan.source_path.c_str(),
                  run_id.c_str());
    } else if (dist.count > 0) {
      std::printf("Test run starting: %s (run %s, %u worker process%s%s)\n",
                  plan.source_path.c_str(), run_id.c_str(), dist.count, dist.count == 1 ? "" : "es",
                  dist.multiply ? ", each running the whole script" : "");
    } else {
      std::printf("Test run starting: %s (run %s, %d core%s)\n", plan.source_path.c_str(),
                  run_id.c_str(), cores, cores == 1 ? "" : "s");
    }
    std::printf("Stop it from another terminal with: barrage stop %s\n", run_id.c_str());
    std::fflush(stdout);
  }
  engine::RunResult result;
  try {
    if (lambda != nullptr) {
      result = run_on_lambda(
          plan, script_text, options, dist, *lambda, run_id, callbacks,
          [&](const std::string& line) { printer.event(line); }, &g_stop);
    } else if (dist.count > 0) {
      result = run_on_workers(
          plan, script_text, options, dist, run_id, callbacks,
          [&](const std::string& line) { printer.event(line); }, &g_stop);
    } else {
      result = engine::run_plan(plan, options, callbacks, &g_stop);
      result.run_id = run_id;
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return kExitUsage;
  } catch (const aws::AwsError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return kExitPlatform;
  } catch (const aws::CredentialsError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return kExitPlatform;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return dist.count > 0 || lambda != nullptr ? kExitWorkerLost : kExitUsage;
  }
  const auto checks =
      report::evaluate_ensure(plan.plugins.ensure, result.aggregate, result.duration_s);
  const report::Report rep =
      report::build_report(result, plan, {plan.source_path, target, kVersion, checks});
  printer.summary(rep);
  printer.analysis(rep.analysis);
  std::fputs(report::format_checks(checks).c_str(), stdout);
  if (plan.plugins.apdex_threshold_ms) {
    if (auto line = report::format_apdex(result.aggregate)) std::printf("\n%s\n", line->c_str());
  }
  std::fflush(stdout);
  if (output || !reports.empty()) {
    const std::string json = report::write_report(rep);
    if (output) {
      if (!write_file(*output, json)) {
        std::fprintf(stderr, "barrage: cannot write report to %s\n", output->c_str());
        return kExitUsage;
      }
      std::printf("Report written to %s\n", output->c_str());
    }
    const std::string stem = output ? stem_of(*output) : "report";
    for (const auto& format : reports) {
      const std::string path = stem + extension_of(format);
      if (!write_file(path, render(format, rep))) {
        std::fprintf(stderr, "barrage: cannot write %s report to %s\n", format.c_str(),
                     path.c_str());
        return kExitUsage;
      }
      std::printf("%s report written to %s\n", format.c_str(), path.c_str());
    }
  }
  if (result.interrupted) return kExitInterrupted;
  size_t lost = 0;
  for (const auto& w : result.workers) {
    if (w.status == "lost" || w.status == "failed") {
      ++lost;
      std::printf("Worker %u %s: %s\n", w.id, w.status.c_str(), w.reason.c_str());
    }
  }
  if (lost > 0) {
    std::printf("%zu worker(s) lost or failed; the report covers what every worker delivered\n",
                lost);
    return kExitWorkerLost;
  }
  if (report::ensure_failed(checks)) return kExitThresholds;
  if (const uint64_t failed = result.aggregate.counter("plugins.expect.failed"); failed > 0) {
    std::printf("%llu expectation check(s) failed (plugins.expect.failed.*)\n",
                static_cast<unsigned long long>(failed));
    return kExitExpectations;
  }
  return kExitOk;
}

// Loads the script with the command line's options; prints the loader's
// notices to stderr. nullopt (after printing the error) when it fails.
std::optional<script::Plan> load_script(const std::string& path,
                                        const std::optional<std::string>& target,
                                        const LoadArgs& load) {
  script::LoadOptions lo;
  lo.target_override = target;
  lo.environment = load.environment;
  lo.config_file = load.config;
  lo.overrides_json = load.overrides;
  lo.variables_json = load.variables;
  lo.dotenv_file = load.dotenv;
  lo.scenario_name = load.scenario_name;
  try {
    script::Plan plan = script::load_plan_file(path, lo);
    for (const auto& n : plan.notices) std::fprintf(stderr, "barrage: notice: %s\n", n.c_str());
    return plan;
  } catch (const script::ScriptError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return std::nullopt;
  }
}

}  // namespace

int validate_command(const ValidateArgs& args) {
  const auto plan = load_script(args.script, args.target, args.load);
  if (!plan) return kExitUsage;
  std::printf("ok: %zu phase%s, %zu scenario%s\n", plan->phases.size(),
              plan->phases.size() == 1 ? "" : "s", plan->scenarios.size(),
              plan->scenarios.size() == 1 ? "" : "s");
  return kExitOk;
}

int run_command(const RunArgs& args) {
  auto loaded = load_script(args.script, args.target, args.load);
  if (!loaded) return kExitUsage;
  script::Plan plan = std::move(*loaded);
  engine::RunOptions options;
  options.cores = args.cores;
  options.insecure = args.insecure;
  options.target = args.target;
  options.seed = args.seed;
  options.period_ms = args.period_ms;
  Distribution dist;
  std::string script_text;
  if (args.platform == "aws:lambda" && args.count == 0 && !args.count_auto) {
    std::fprintf(stderr, "barrage: --platform aws:lambda needs --count N (or --count auto)\n");
    return kExitUsage;
  }
  if (args.count_auto && args.platform != "aws:lambda") {
    std::fprintf(stderr, "barrage: --count auto needs --platform aws:lambda\n");
    return kExitUsage;
  }
  if (args.count > 0 || args.count_auto) {
    dist.count = args.count;
    dist.multiply = args.multiply;
    dist.heartbeat_ms = args.heartbeat_ms;
    dist.ready_timeout_ms = args.ready_timeout_ms;
    if (!args.worker_exec.empty()) dist.worker_command = {args.worker_exec};
    auto put = [&](const char* key, const std::optional<std::string>& v) {
      if (v) dist.load[key] = *v;
    };
    put("environment", args.load.environment);
    put("config_file", args.load.config);
    put("overrides_json", args.load.overrides);
    put("variables_json", args.load.variables);
    put("dotenv_file", args.load.dotenv);
    put("scenario_name", args.load.scenario_name);
    std::ifstream in(args.script, std::ios::binary);
    script_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (args.platform == "aws:lambda") {
    LambdaRunSettings lambda;
    lambda.aws = args.lambda;
    lambda.count_auto = args.count_auto;
    lambda.segment_ms = args.segment_ms;
    lambda.segment_lead_ms = args.segment_lead_ms;
    return execute(plan, options, args.output, args.quiet, args.target.value_or(plan.target),
                   args.reports, dist, script_text, &lambda);
  }
  return execute(plan, options, args.output, args.quiet, args.target.value_or(plan.target),
                 args.reports, dist, script_text);
}

int quick_command(const QuickArgs& args) {
  // Built as a script so `quick` exercises exactly the engine that `run` does.
  std::string yaml = "config:\n  target: \"" + args.url + "\"\n  phases:\n";
  std::optional<double> duration_s;
  if (args.duration) {
    duration_s = script::parse_duration_s(*args.duration);
    if (!duration_s || *duration_s <= 0) {
      std::fprintf(stderr, "barrage: invalid --duration '%s' (e.g. 30s, 5m)\n",
                   args.duration->c_str());
      return kExitUsage;
    }
  }
  if (args.rate) {
    yaml += fmt::format("    - {{ duration: {}, arrivalRate: {} }}\n", duration_s.value_or(10),
                        *args.rate);
  } else if (duration_s) {
    yaml += fmt::format("    - {{ duration: {}, vusers: {} }}\n", *duration_s, args.count);
  } else {
    yaml += fmt::format("    - {{ duration: 1, arrivalCount: {} }}\n", args.count);
  }
  yaml += fmt::format(
      "scenarios:\n  - flow:\n      - loop:\n          - get: {{ url: \"{}\" }}\n        count: "
      "{}\n",
      args.url, args.num);
  script::Plan plan;
  try {
    plan = script::load_plan_string(yaml, "quick " + args.url, {});
  } catch (const script::ScriptError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.message().c_str());
    return kExitUsage;
  }
  engine::RunOptions options;
  options.cores = args.cores;
  options.insecure = args.insecure;
  return execute(plan, options, args.output, args.quiet, args.url, args.reports);
}

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

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
  const std::string path = args.output.value_or(stem_of(args.input) + extension_of(format));
  std::string error;
  const auto rep = report::read_report(*json, &error);
  if (!rep) {
    std::fprintf(stderr, "barrage: %s: %s\n", args.input.c_str(), error.c_str());
    return kExitUsage;
  }
  if (!write_file(path, render(format, *rep))) {
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
    if (!write_file(*args.html, report::comparison_html(c, args.base, args.current))) {
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

}  // namespace barrage::cli
