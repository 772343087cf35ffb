// A test run as a console front end shows it (the CLI's `run` and `quick`):
// the start line, periods, progress and events while it runs (through
// report::LiveConsole), then the summary, analyses, checks, the report files
// and the lines that explain a failing verdict. Output on stdout, errors on
// stderr.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/run.h"

namespace barrage::run {

// Where the report files go and what the console shows.
struct ConsoleOutput {
  std::optional<std::string> output;  // -o: the JSON report
  bool quiet = false;
  std::string target;                // the report's target
  std::vector<std::string> reports;  // html | junit | csv
  // A machine-readable stream of the live periods (hidden --period-stream
  // FILE, e.g. /dev/fd/3 from the web console): one line per period, the
  // metrics wire format of metrics/snapshot_json.h, flushed as each arrives.
  std::optional<std::string> period_stream;
};

// Runs `test` with spec.run_id (a new id when empty), registered for `barrage stop`, until it ends
// or `stop` becomes true (Ctrl-C: the run is then interrupted). Raises the
// descriptor limit first. Returns the exit code (util/exit_codes.h).
int run_in_console(const std::shared_ptr<const LoadedTest>& test, RunSpec spec,
                   const ConsoleOutput& out, const std::atomic<bool>& stop);

}  // namespace barrage::run
