#include "cli/commands.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "engine/runner.h"
#include "report/console.h"
#include "report/ensure.h"
#include "report/json_report.h"
#include "script/duration.h"
#include "script/loader.h"
#include "target/target_server.h"

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

  void summary(const engine::RunResult& r) {
    clear_status();
    std::printf("\n%s", report::format_summary(r, options_).c_str());
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

int execute(const script::Plan& plan, const engine::RunOptions& options,
            const std::optional<std::string>& output, bool quiet, const std::string& target) {
  raise_fd_limit();
  ConsolePrinter printer(plan, quiet);
  engine::RunCallbacks callbacks;
  callbacks.on_period = [&](const metrics::Snapshot& s) { printer.period(s); };
  callbacks.on_progress = [&](const engine::Progress& p) { printer.progress(p); };
  if (!quiet) {
    std::printf(
        "Test run starting: %s (%d core%s)\n", plan.source_path.c_str(),
        options.cores > 0 ? options.cores : static_cast<int>(std::thread::hardware_concurrency()),
        options.cores == 1 ? "" : "s");
  }
  engine::RunResult result;
  try {
    result = engine::run_plan(plan, options, callbacks, &g_stop);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return kExitUsage;
  }
  printer.summary(result);
  const auto checks =
      report::evaluate_ensure(plan.plugins.ensure, result.aggregate, result.duration_s);
  std::fputs(report::format_checks(checks).c_str(), stdout);
  if (plan.plugins.apdex_threshold_ms) {
    if (auto line = report::format_apdex(result.aggregate)) std::printf("\n%s\n", line->c_str());
  }
  std::fflush(stdout);
  if (output) {
    report::ReportInfo info{plan.source_path, target, kVersion};
    std::ofstream out(*output, std::ios::binary | std::ios::trunc);
    out << report::to_json_report(result, plan, info);
    out.close();
    if (!out) {
      std::fprintf(stderr, "barrage: cannot write report to %s\n", output->c_str());
      return kExitUsage;
    }
    std::printf("Report written to %s\n", output->c_str());
  }
  if (result.interrupted) return kExitInterrupted;
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
  return execute(plan, options, args.output, args.quiet, args.target.value_or(plan.target));
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
  return execute(plan, options, args.output, args.quiet, args.url);
}

int target_command(const TargetArgs& args) {
  target::TargetOptions o;
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
  target::TargetServer server(o);
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
