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
#include "console/console.h"
#include "demo_target/target_server.h"
#include "report/compare.h"
#include "run/request.h"
#include "script/load_options.h"
#include "util/exit_codes.h"

namespace barrage::cli {

// Set by SIGINT/SIGTERM; the only global mutable state.
extern std::atomic<bool> g_stop;

// `run`: the script, its load options (-e, -c, --overrides, -v, --dotenv,
// --scenario-name, -p, --solo), the run request (run/request.h: platform,
// engine options, Artillery's flags) and what the console and files show.
struct RunArgs {
  std::string script;
  script::ScriptOptions load;
  run::RunRequest request;
  std::optional<std::string> output;
  bool quiet = false;
  std::vector<std::string> reports;          // --report html|junit|csv
  std::optional<std::string> period_stream;  // hidden --period-stream FILE
};
int run_command(const RunArgs& args);

struct ValidateArgs {
  std::string script;
  std::optional<std::string> target;
  script::ScriptOptions load;
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
  report::Tolerances tolerances;
};
int compare_command(const CompareArgs& args);

// `barrage target`: the demo API's options (port 8080 unless given).
struct TargetArgs {
  TargetArgs() { server.port = 8080; }
  demo_target::TargetOptions server;
  std::optional<std::string> duration;
  std::optional<std::string> port_file;
};
int target_command(const TargetArgs& args);

// `barrage stop RUN_ID`: asks the run to stop (SIGINT, as Ctrl-C) and waits
// up to `wait_s` for it to end. Returns the exit code for the command.
// `barrage console`: the web console, running the runs with this binary.
int console_command(console::ConsoleOptions options);

int stop_command(const std::string& run_id, int wait_s);

}  // namespace barrage::cli
