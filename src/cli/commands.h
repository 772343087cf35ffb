// The subcommands behind the thin `barrage` executable: they parse into these
// structs, call the run API (run/run.h) or a library, and print. Exit codes:
// util/exit_codes.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/lambda_commands.h"
#include "util/exit_codes.h"

namespace barrage::cli {

// Set by SIGINT/SIGTERM; the only global mutable state.
extern std::atomic<bool> g_stop;

// What `run` and `validate` pass to the script loader (as strings; the
// loader does the merging).
struct LoadArgs {
  std::optional<std::string> environment;
  std::optional<std::string> config;
  std::optional<std::string> overrides;
  std::optional<std::string> variables;
  std::optional<std::string> dotenv;
  std::optional<std::string> scenario_name;
  bool strict = false;  // --strict: script warnings are errors
};

struct RunArgs {
  std::string script;
  std::optional<std::string> target;
  LoadArgs load;
  std::optional<std::string> output;
  bool quiet = false;
  bool insecure = false;
  int cores = 0;
  uint64_t seed = 0;
  // Distributed (--count N): worker processes through the coordinator, or
  // Lambda workers (--platform aws:lambda).
  uint32_t count = 0;
  bool count_auto = false;         // --count auto (Lambda)
  std::string platform = "local";  // local | aws:lambda
  LambdaAdminOptions lambda;       // --region, --memory-size, ...
  int64_t segment_ms = 0;          // hidden: Lambda segment length (tests)
  int64_t segment_lead_ms = 60'000;
  bool multiply = false;
  int64_t heartbeat_ms = 5'000;
  int64_t ready_timeout_ms = 60'000;
  int64_t period_ms = 10'000;        // hidden: metrics period (tests)
  std::string worker_exec;           // hidden: replaces `barrage worker` (tests, debugging)
  std::vector<std::string> reports;  // --report html|junit|csv
};
int run_command(const RunArgs& args);

struct ValidateArgs {
  std::string script;
  std::optional<std::string> target;
  LoadArgs load;
};
// Loads the script as `run` would; prints "ok: N phases, M scenarios" (exit 0)
// or the error (exit 2).
int validate_command(const ValidateArgs& args);

struct QuickArgs {
  std::string url;
  int64_t count = 10;          // virtual users
  int64_t num = 10;            // requests per VU
  std::optional<double> rate;  // arrivals per second (open model)
  std::optional<std::string> duration;
  std::optional<std::string> output;
  bool insecure = false;
  bool quiet = false;
  int cores = 0;
  std::vector<std::string> reports;  // --report html|junit|csv
};
int quick_command(const QuickArgs& args);

// `barrage report RESULT.json -o OUT`: HTML (default), JUnit XML or CSV from a JSON report.
struct ReportArgs {
  std::string input;
  std::optional<std::string> output;
  std::optional<std::string> format;  // html | junit | csv; default from -o's extension
};
int report_command(const ReportArgs& args);

// `barrage compare BASE.json NEW.json`: exit 1 on a regression past the tolerances.
struct CompareArgs {
  std::string base;
  std::string current;
  std::optional<std::string> html;
  double throughput_drop_pct = 10;
  double p50_pct = 10;
  double p95_pct = 10;
  double p99_pct = 20;
  double min_latency_ms = 1;
  double error_rate_points = 1;
};
int compare_command(const CompareArgs& args);

struct TargetArgs {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 1;
  double latency_ms = 0;
  double jitter_ms = 0;
  double cold_start_ms = 0;
  int64_t instance_idle_ms = 60'000;
  int64_t concurrency_limit = 0;
  double error_rate = 0;
  std::optional<std::string> duration;
  std::optional<std::string> port_file;
};
int target_command(const TargetArgs& args);

// `barrage stop RUN_ID`: asks the run to stop (SIGINT, as Ctrl-C) and waits
// up to `wait_s` for it to end. Returns the exit code for the command.
int stop_command(const std::string& run_id, int wait_s);

}  // namespace barrage::cli
