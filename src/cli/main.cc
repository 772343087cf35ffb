// barrage: a native, Artillery-compatible load-testing tool. This file only
// parses the command line; the work is in the capability libraries.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/lambda_commands.h"
#include "console/client.h"
#include "fleet/worker_process.h"
#include "processor/processor.h"
#include "util/exit_codes.h"
#include "util/version.h"

namespace {

using namespace barrage::cli;
using namespace barrage;

void on_signal(int /*sig*/) {
  if (g_stop.exchange(true)) {
    // Second Ctrl-C: abort at once. Sockets close with the process.
    static const char msg[] = "\nbarrage: aborted\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(barrage::kExitInterrupted);
  }
}

void add_load_options(CLI::App* cmd, script::ScriptOptions& load) {
  cmd->add_option("-e,--environment", load.environment,
                  "Use config.environments.NAME (merged over config)");
  cmd->add_option("-c,--config", load.config_file,
                  "Merge this YAML/JSON file over the script (as artillery run -c)");
  cmd->add_option("--overrides", load.overrides_json,
                  "JSON object deep-merged into the script (lists replace)");
  cmd->add_option("-v,--variables", load.variables_json, "JSON object of config.variables to set");
  cmd->add_option("--dotenv,--env-file", load.dotenv_file,
                  "KEY=VALUE file added to the environment that $env reads");
  cmd->add_option("--scenario-name", load.scenario_name, "Run only the scenario with this name");
  cmd->add_flag("--strict", load.strict,
                "Fail on script warnings (unknown or ignored keys, plugins not built in)");
}

// --count, --platform and the options of runs on workers.
void add_worker_options(CLI::App* run_cmd, run::RunRequest& run) {
  run_cmd
      ->add_option("--count", run.count,
                   "Split the script's load across N workers: local processes, or Lambda "
                   "invocations with --platform aws:lambda, where `auto` picks N from the peak "
                   "rate (the script states the total; see docs/distributed.md)")
      ->check([](const std::string& v) -> std::string {
        if (v == "auto") return {};
        try {
          const long n = std::stol(v);
          if (n >= 1 && n <= 10'000 && std::to_string(n) == v) return {};
        } catch (const std::exception&) {
        }
        return "--count takes a number of workers from 1 to 10000, or auto";
      });
  run_cmd
      ->add_option("--platform", run.platform,
                   "Where workers run: local (processes on this machine, default) or aws:lambda "
                   "(see docs/aws-lambda.md)")
      ->check(CLI::IsMember({"local", "aws:lambda"}));
  run_cmd->add_option("--platform-opt", run.platform_opts,
                      "Artillery's key=value platform option (repeatable): region, memory-size, "
                      "architecture, lambda-role-arn, security-group-ids, subnet-ids, count");
  add_aws_options(run_cmd, run.lambda, true);
  add_deploy_options(run_cmd, run.lambda, "--function-tags");
  run_cmd->add_option("--segment-ms", run.segment_ms, "")->group("");
  run_cmd->add_option("--segment-lead-ms", run.segment_lead_ms, "")->group("");
  run_cmd->add_flag("--multiply", run.multiply,
                    "With --count: every worker runs the whole script (Artillery's --count, "
                    "N times the load)");
  run_cmd
      ->add_option("--ready-timeout", run.ready_timeout_ms,
                   "With --count: ms to wait for every worker to be ready (default 60000)")
      ->check(CLI::Range(int64_t{100}, int64_t{3'600'000}));
  run_cmd->add_option("--heartbeat-ms", run.heartbeat_ms, "")
      ->group("")
      ->check(CLI::Range(int64_t{50}, int64_t{60'000}));
  run_cmd->add_option("--worker-exec", run.worker_exec, "")->group("");
  run_cmd->add_option("--period-ms", run.period_ms, "")
      ->group("")
      ->check(CLI::Range(int64_t{100}, int64_t{3'600'000}));
}

// Artillery's run flags that are neither load nor worker options.
void add_artillery_flags(CLI::App* run_cmd, RunArgs& run) {
  run::RunRequest& r = run.request;
  run_cmd->add_option("-p,--payload", run.load.payload_file,
                      "CSV file of a config.payload that names no path (as artillery run -p)");
  run_cmd->add_flag("-s,--solo", run.load.solo,
                    "Run one virtual user once: the phases become one arrival");
  run_cmd->add_option("--name", r.name, "Name of the run, recorded in the report");
  run_cmd->add_option("--tags", r.tags,
                      "Tags of the run, recorded in the report: name:value,name2:value2");
  run_cmd->add_option("--note", r.note, "A note on the run, recorded in the report");
  run_cmd->add_flag("--record", r.record, "Artillery Cloud: not used by barrage (a warning)");
  run_cmd->add_option("--key", r.key, "Artillery Cloud: not used by barrage (a warning)");
  run_cmd->add_option("-i,--input", r.inputs, "")->group("");
  // The web console's child runs (src/console): its run id, and the periods as NDJSON.
  run_cmd->add_option("--run-id", r.run_id, "")->group("");
  run_cmd->add_option("--period-stream", run.period_stream, "")->group("");
}

CLI::App* add_run(CLI::App& app, RunArgs& run) {
  auto* run_cmd = app.add_subcommand("run", "Run a test script (Artillery YAML format)");
  run::RunRequest& r = run.request;
  run_cmd->add_option("script", run.script, "Path to the test script")->required();
  run_cmd->add_option("-t,--target", r.target, "Target URL (overrides config.target)");
  run_cmd->add_option("-o,--output", run.output, "Write the JSON report to FILE");
  run_cmd->add_flag("-q,--quiet", run.quiet, "Print only the final summary");
  run_cmd->add_flag("-k,--insecure", r.insecure, "Do not verify TLS certificates");
  run_cmd->add_option("--cores", r.cores, "Shards (threads); default: all cores")
      ->check(CLI::Range(1, 1024));
  run_cmd->add_option("--seed", r.seed, "Random seed (default: random)");
  run_cmd
      ->add_option("--drain-timeout", r.drain_timeout_s,
                   "After the last phase, end VUs still running after SECONDS (default: wait "
                   "until every VU has finished, as Artillery does)")
      ->check(CLI::Range(0.0, 31'536'000.0));
  run_cmd
      ->add_option("--report", run.reports,
                   "Also write an html, junit or csv report (repeatable); named after -o, "
                   "default report.<ext>")
      ->check(CLI::IsMember({"html", "junit", "csv"}));
  add_worker_options(run_cmd, r);
  add_load_options(run_cmd, run.load);
  add_artillery_flags(run_cmd, run);
  return run_cmd;
}

CLI::App* add_validate(CLI::App& app, ValidateArgs& validate) {
  auto* validate_cmd = app.add_subcommand(
      "validate", "Check a script (and the run options) without sending traffic");
  validate_cmd->add_option("script", validate.script, "Path to the test script")->required();
  validate_cmd->add_option("-t,--target", validate.target, "Target URL (overrides config.target)");
  add_load_options(validate_cmd, validate.load);
  return validate_cmd;
}

CLI::App* add_quick(CLI::App& app, QuickArgs& quick) {
  auto* quick_cmd = app.add_subcommand(
      "quick", "Load-test one URL without a script (GET; like ab or artillery quick)");
  quick_cmd->add_option("url", quick.url, "The URL to GET")->required();
  quick_cmd->add_option("-c,--count", quick.count, "Virtual users (default 10)")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  quick_cmd->add_option("-n,--num", quick.num, "Requests per virtual user (default 10)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  quick_cmd->add_option("-r,--rate", quick.rate,
                        "Arrivals per second (open model; with --duration, default 10s)");
  quick_cmd->add_option("-d,--duration", quick.duration,
                        "Duration (\"30s\", \"5m\"): with --rate, how long arrivals last; "
                        "alone, --count VUs loop their requests for this long");
  quick_cmd->add_option("-o,--output", quick.output, "Write the JSON report to FILE");
  quick_cmd->add_flag("-k,--insecure", quick.insecure, "Do not verify TLS certificates");
  quick_cmd->add_flag("-q,--quiet", quick.quiet, "Print only the final summary");
  quick_cmd->add_option("--cores", quick.cores, "Shards (threads); default: all cores");
  quick_cmd
      ->add_option("--report", quick.reports,
                   "Also write an html, junit or csv report (repeatable)")
      ->check(CLI::IsMember({"html", "junit", "csv"}));
  return quick_cmd;
}

CLI::App* add_report(CLI::App& app, ReportArgs& report) {
  auto* report_cmd =
      app.add_subcommand("report", "Render a JSON report as HTML (default), JUnit XML or CSV");
  report_cmd->add_option("result", report.input, "JSON report (from run -o)")->required();
  report_cmd->add_option("-o,--output", report.output,
                         "Output file (default: RESULT with .html/.junit.xml/.csv)");
  report_cmd->add_option("-f,--format", report.format, "html, junit or csv (default: from -o)")
      ->check(CLI::IsMember({"html", "junit", "csv"}));
  return report_cmd;
}

CLI::App* add_compare(CLI::App& app, CompareArgs& compare) {
  auto* compare_cmd = app.add_subcommand(
      "compare", "Compare two JSON reports; exit code 1 when NEW regressed past the tolerances");
  compare_cmd->add_option("base", compare.base, "Baseline JSON report")->required();
  compare_cmd->add_option("new", compare.current, "JSON report to judge")->required();
  compare_cmd->add_option("--html", compare.html, "Also write the comparison as HTML to FILE");
  report::Tolerances& tol = compare.tolerances;
  compare_cmd->add_option("--throughput-drop", tol.throughput_drop_pct,
                          "Tolerated throughput drop, percent (default 10)");
  compare_cmd->add_option("--p50-increase", tol.p50_pct,
                          "Tolerated p50 rise, percent (default 10)");
  compare_cmd->add_option("--p95-increase", tol.p95_pct,
                          "Tolerated p95 rise, percent (default 10)");
  compare_cmd->add_option("--p99-increase", tol.p99_pct,
                          "Tolerated p99 rise, percent (default 20)");
  compare_cmd->add_option("--min-latency-ms", tol.min_latency_ms,
                          "Latency rises below this many ms never count (default 1)");
  compare_cmd->add_option("--error-rate-increase", tol.error_rate_points,
                          "Tolerated error-rate rise, percentage points (default 1)");
  return compare_cmd;
}

CLI::App* add_target(CLI::App& app, TargetArgs& target) {
  auto* target_cmd = app.add_subcommand(
      "target", "Run the built-in demo API (behaves like a Lambda-backed service)");
  demo_target::TargetOptions& o = target.server;
  target_cmd->add_option(
      "--host", o.host,
      "Address to listen on: localhost (the default: 127.0.0.1 and ::1) or an IP address");
  target_cmd->add_option("-p,--port", o.port, "Port (0 = pick a free one and print it)");
  target_cmd->add_option("--threads", o.threads, "Event-loop threads (default 1)");
  target_cmd->add_option("--latency-ms", o.latency_ms, "Base latency of every response");
  target_cmd->add_option("--jitter-ms", o.jitter_ms, "Uniform +- jitter on the latency");
  target_cmd->add_option("--cold-start-ms", o.cold_start_ms,
                         "Delay paid by the first request on each new instance");
  target_cmd->add_option("--instance-idle-ms", o.instance_idle_ms,
                         "Idle time after which an instance expires (default 60000)");
  target_cmd->add_option("--concurrency-limit", o.concurrency_limit,
                         "In-flight requests above this are answered 429 (0 = no limit)");
  target_cmd
      ->add_option("--error-rate", o.error_rate, "Fraction of requests answered with a 5xx (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  target_cmd->add_option("--duration", target.duration, "Stop after this long (e.g. \"60s\")");
  target_cmd->add_option("--port-file", target.port_file,
                         "Write the listening port to FILE once ready");
  return target_cmd;
}

CLI::App* add_console(CLI::App& app, console::ConsoleOptions& o) {
  auto* cmd = app.add_subcommand(
      "console", "Serve the web console: REST API and web UI (see docs/console.md)");
  cmd->add_option("--listen", o.listen, "HOST:PORT to serve on (default 127.0.0.1:8089)");
  cmd->add_flag("--allow-remote", o.allow_remote,
                "Allow --listen on an address other than loopback (prints a warning)");
  cmd->add_option("--data", o.data_dir,
                  "Data directory (default $XDG_DATA_HOME/barrage/console or "
                  "~/.local/share/barrage/console)");
  cmd->add_option("--max-runs", o.max_runs, "Runs at once (default 4)")->check(CLI::Range(1, 64));
  cmd->add_option("--max-body", o.max_body_bytes, "Largest request body, bytes (default 1 MiB)")
      ->check(CLI::Range(size_t{1024}, size_t{64} << 20));
  cmd->require_subcommand(0, 1);
  return cmd;
}

// `barrage console tests|runs|start|stop|baseline|compare`: the CLI talking to a running console.
struct ConsoleClientArgs {
  console::ClientOptions client;
  std::optional<int64_t> test_id;
  std::string run_id;
  bool wait = false;
  CLI::App* tests = nullptr;
  CLI::App* runs = nullptr;
  CLI::App* start = nullptr;
  CLI::App* stop = nullptr;
  CLI::App* baseline = nullptr;
  CLI::App* compare = nullptr;
  std::string base_id;

  void add(CLI::App* console_cmd) {
    const auto common = [this](CLI::App* c) {
      c->add_option("--url", client.url,
                    "The console (default $BARRAGE_CONSOLE_URL, else http://127.0.0.1:8089)");
      c->add_option("--token", client.token,
                    "A token of the console (default $BARRAGE_CONSOLE_TOKEN, which keeps it out "
                    "of the process list)");
    };
    tests = console_cmd->add_subcommand("tests", "List the console's tests");
    runs = console_cmd->add_subcommand("runs", "List the console's runs, newest first");
    runs->add_option("--test", test_id, "Only the runs of this test id");
    start = console_cmd->add_subcommand("start", "Start a run of a test (by id) on the console");
    start->add_option("test", test_id, "The test's id")->required();
    start->add_flag("--wait", wait,
                    "Print each second until the run ends; exit with the run's exit code");
    stop = console_cmd->add_subcommand("stop", "Stop a run on the console");
    stop->add_option("run_id", run_id, "The run's id")->required();
    baseline = console_cmd->add_subcommand("baseline", "Mark a run its test's baseline");
    baseline->add_option("run_id", run_id, "The run's id")->required();
    compare = console_cmd->add_subcommand(
        "compare", "Compare a run with its test's baseline (or --base); exit 1 on a regression");
    compare->add_option("run_id", run_id, "The run's id")->required();
    compare->add_option("--base", base_id, "The run to compare with (default: the baseline)");
    for (auto* c : {tests, runs, start, stop, baseline, compare}) common(c);
  }

  // The chosen client command's exit code; -1 when none was chosen.
  int dispatch() const {
    if (*tests) return console::client_tests(client);
    if (*runs) return console::client_runs(client, test_id);
    if (*start) return console::client_start(client, test_id.value_or(0), wait);
    if (*stop) return console::client_stop(client, run_id);
    if (*baseline) return console::client_baseline(client, run_id);
    if (*compare) return console::client_compare(client, run_id, base_id);
    return -1;
  }
};

// Every subcommand's arguments, filled by the parse.
struct Commands {
  RunArgs run;
  ValidateArgs validate;
  QuickArgs quick;
  ReportArgs report;
  CompareArgs compare;
  TargetArgs target;
  std::string stop_id;
  console::ConsoleOptions console;
  ConsoleClientArgs console_client;
  CLI::App* run_cmd = nullptr;
  CLI::App* console_cmd = nullptr;
  CLI::App* validate_cmd = nullptr;
  CLI::App* quick_cmd = nullptr;
  CLI::App* report_cmd = nullptr;
  CLI::App* compare_cmd = nullptr;
  CLI::App* target_cmd = nullptr;
  CLI::App* worker_cmd = nullptr;
  CLI::App* stop_cmd = nullptr;

  explicit Commands(CLI::App& app) {
    run_cmd = add_run(app, run);
    validate_cmd = add_validate(app, validate);
    quick_cmd = add_quick(app, quick);
    report_cmd = add_report(app, report);
    compare_cmd = add_compare(app, compare);
    target_cmd = add_target(app, target);
    console_cmd = add_console(app, console);
    console_client.add(console_cmd);
    worker_cmd = app.add_subcommand(
        "worker", "Internal: one worker of a distributed run (reads its job on stdin)");
    stop_cmd =
        app.add_subcommand("stop", "Stop a running test (from another terminal), by its run id");
    stop_cmd->add_option("run_id", stop_id, "The id printed when the run started")->required();
  }

  // The chosen command's exit code; -1 when none of these was chosen.
  int dispatch() {
    if (*run_cmd) return run_command(run);
    if (*validate_cmd) return validate_command(validate);
    if (*quick_cmd) return quick_command(quick);
    if (*target_cmd) return target_command(target);
    if (*worker_cmd) return barrage::fleet::run_worker_process(std::cin, stdout, g_stop);
    if (*stop_cmd) return stop_command(stop_id, 10);
    if (*console_cmd) {
      if (const int rc = console_client.dispatch(); rc >= 0) return rc;
      return console_command(console);
    }
    if (*report_cmd) return report_command(report);
    if (*compare_cmd) return compare_command(compare);
    return -1;
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Plans with a JavaScript processor run their hooks in Node.js (src/processor).
  barrage::processor::install();
  using namespace barrage::cli;
  using barrage::kExitOk;
  using barrage::kExitUsage;
  CLI::App app{"barrage: load testing with Artillery scripts at native speed"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "barrage " + std::string(barrage::kVersion));
  app.footer(
      "Exit codes: 0 success, 1 ensure checks failed (compare: a regression), 2 usage or\n"
      "script error, 3 a distributed run lost a worker, 4 the platform failed (AWS\n"
      "credentials, permissions, resources), 21 expectation checks failed, 130 interrupted.\n"
      "Run 'barrage COMMAND --help' for a command's options.");
  Commands commands(app);
  LambdaCommands lambda(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  if (const int rc = commands.dispatch(); rc >= 0) return rc;
  if (const int rc = lambda.run(); rc >= 0) return rc;
  return kExitUsage;
}
