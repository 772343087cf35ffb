#include "cli/commands.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "demo_target/serve.h"
#include "processor/processor.h"
#include "report/compare.h"
#include "run/console_run.h"
#include "run/registry.h"
#include "run/reports.h"
#include "run/run.h"
#include "script/duration.h"
#include "script/loader.h"
#include "script/quick.h"

namespace barrage::cli {

std::atomic<bool> g_stop{false};

namespace {

// Loads the script with the command line's options; prints the loader's
// notices to stderr. Null (after printing the error) when it fails.
std::shared_ptr<run::LoadedTest> load_script(const std::string& path,
                                             const std::optional<std::string>& target,
                                             const script::ScriptOptions& load) {
  auto test = std::make_shared<run::LoadedTest>();
  static_cast<script::ScriptOptions&>(test->load) = load;
  test->load.target_override = target;
  auto plan = script::load_plan_file(path, test->load);
  if (!plan) {
    std::fprintf(stderr, "barrage: %s\n", plan.error().describe().c_str());
    return nullptr;
  }
  test->plan = std::move(*plan);
  // Loads the processor in Node.js: syntax, modules, functions.
  if (const auto checked = processor::check_plan(test->plan); !checked) {
    std::fprintf(stderr, "barrage: %s\n", checked.error().describe().c_str());
    return nullptr;
  }
  for (const auto& w : test->plan.warnings) {
    std::fprintf(stderr, "barrage: warning: %s\n", w.describe().c_str());
  }
  for (const auto& n : test->plan.notices) std::fprintf(stderr, "barrage: notice: %s\n", n.c_str());
  return test;
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
  std::vector<std::string> warnings;
  script::ScriptOptions load = args.load;
  if (const auto applied = run::apply_inputs(args.request, load); !applied) {
    std::fprintf(stderr, "barrage: %s\n", applied.error().describe().c_str());
    return kExitUsage;
  }
  auto test = load_script(args.script, args.request.target, load);
  if (!test) return kExitUsage;
  auto spec = run::spec_for(args.request, load, &warnings);
  barrage::Result<report::RunLabels> labels;
  if (spec) labels = run::labels_for(args.request, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "barrage: warning: %s\n", w.c_str());
  if (!spec || !labels) {
    const barrage::Error& error = !spec ? spec.error() : labels.error();
    std::fprintf(stderr, "barrage: %s\n", error.describe().c_str());
    return kExitUsage;
  }
  spec->labels = std::move(*labels);
  if (spec->platform != run::Platform::kThisMachine) {
    std::ifstream in(args.script, std::ios::binary);
    test->script_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string target = args.request.target.value_or(test->plan.target);
  return run::run_in_console(test, std::move(*spec),
                             {args.output, args.quiet, target, args.reports, args.period_stream},
                             g_stop);
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
  auto plan = script::quick_plan(q);
  if (!plan) {
    std::fprintf(stderr, "barrage: %s\n", plan.error().message.c_str());
    return kExitUsage;
  }
  test->plan = std::move(*plan);
  run::RunSpec spec;
  spec.engine.cores = args.cores;
  spec.engine.insecure = args.insecure;
  return run::run_in_console(test, std::move(spec),
                             {args.output, args.quiet, args.url, args.reports, std::nullopt},
                             g_stop);
}

int report_command(const ReportArgs& args) {
  const auto written = run::render_report_file(args.input, args.output, args.format);
  if (!written) {
    std::fprintf(stderr, "barrage: %s\n", written.error().describe().c_str());
    return kExitUsage;
  }
  std::printf("%s report written to %s\n", written->format.c_str(), written->path.c_str());
  return kExitOk;
}

int compare_command(const CompareArgs& args) {
  const auto c = run::compare_report_files(args.base, args.current, args.tolerances);
  if (!c) {
    std::fprintf(stderr, "barrage: %s\n", c.error().describe().c_str());
    return kExitUsage;
  }
  std::fputs(report::format_comparison(*c).c_str(), stdout);
  if (args.html) {
    if (!run::write_text_file(*args.html, report::comparison_html(*c, args.base, args.current))) {
      std::fprintf(stderr, "barrage: cannot write %s\n", args.html->c_str());
      return kExitUsage;
    }
    std::printf("HTML comparison written to %s\n", args.html->c_str());
  }
  return c->regressed() ? kExitRegression : kExitOk;
}

int target_command(const TargetArgs& args) {
  demo_target::ServeOptions serve;
  serve.port_file = args.port_file;
  if (args.duration) {
    serve.duration_s = script::parse_duration_s(*args.duration);
    if (!serve.duration_s) {
      std::fprintf(stderr, "barrage: invalid --duration '%s'\n", args.duration->c_str());
      return kExitUsage;
    }
  }
  return demo_target::serve(args.server, serve, g_stop);
}

int console_command(console::ConsoleOptions options) {
  std::error_code ec;
  options.barrage_exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) {
    std::fprintf(stderr, "barrage console: cannot find its own binary: %s\n", ec.message().c_str());
    return kExitUsage;
  }
  return console::console_main(options, g_stop);
}

int stop_command(const std::string& run_id, int wait_s) {
  const run::StopSignal sent = run::signal_stop(run_id);
  if (sent.status == run::StopSignal::kNotFound) {
    std::fprintf(stderr, "barrage stop: no running test with id '%s' on this machine\n",
                 run_id.c_str());
    return kExitUsage;
  }
  if (sent.status == run::StopSignal::kFailed) {
    std::fprintf(stderr, "barrage stop: %s\n", std::strerror(sent.error));
    return kExitUsage;
  }
  std::printf("Stopping run %s (pid %d)...\n", run_id.c_str(), sent.pid);
  std::fflush(stdout);
  if (run::wait_for_end(run_id, sent.pid, wait_s)) {
    std::printf("Run %s stopped.\n", run_id.c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "barrage stop: run %s still running after %d s\n", run_id.c_str(), wait_s);
  return kExitInterrupted;
}

}  // namespace barrage::cli
