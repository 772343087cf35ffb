// What a front end asks for when it runs a script, as `artillery run` and
// barrage's own options say it, turned into a RunSpec in one place: where
// (--platform, --count, --platform-opt), how (engine options), the run's
// labels (--name, --tags, --note), and the flags barrage accepts for
// Artillery's sake but has no use for (--record, --key). Checks the
// combination; what is accepted but changes nothing comes back as warnings
// (one sentence each) for the front end to show.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lambda/deploy.h"
#include "report/model.h"
#include "run/run.h"
#include "script/load_options.h"
#include "util/error.h"

namespace barrage::run {

struct RunRequest {
  std::optional<std::string> target;  // --target
  bool insecure = false;
  int cores = 0;  // per worker for workers; 0 = every usable core
  uint64_t seed = 0;
  int64_t period_ms = 10'000;
  // --drain-timeout: after the last phase, end VUs still running after this
  // many seconds (< 0: wait until every VU has finished, as Artillery does).
  double drain_timeout_s = -1;
  // --count: "" (this machine), N (workers) or "auto" (Lambda: from the peak rate).
  std::string count;
  std::string platform = "local";  // local | aws:lambda
  lambda::DeployOptions lambda;    // --region, --memory-size, ...
  int64_t segment_ms = 0;          // Lambda segment length (tests)
  int64_t segment_lead_ms = 60'000;
  bool multiply = false;
  int64_t heartbeat_ms = 5'000;
  int64_t ready_timeout_ms = 60'000;
  std::string worker_exec;  // replaces `barrage worker` (tests, debugging)
  // --platform-opt key=value (Artillery's): region, memory-size,
  // architecture, lambda-role-arn, security-group-ids, subnet-ids (Lambda's
  // options of the same names) and count (--count); others are warned about.
  std::vector<std::string> platform_opts;
  // --name, --tags "k:v,k2:v2", --note: recorded in the report.
  std::optional<std::string> name;
  std::optional<std::string> tags;
  std::optional<std::string> note;
  // Artillery Cloud (--record, --key): not used by barrage, warned about.
  bool record = false;
  std::optional<std::string> key;
  // -i FILE (Artillery's hidden input files, merged over the script): one is
  // taken as --config FILE.
  std::vector<std::string> inputs;
  // The run's id (hidden --run-id): set by a front end that starts `barrage
  // run` as a child and names the run itself (the web console); "" = a new one.
  std::string run_id;
};

// The spec for `request`; `load` is the script's load options (--solo runs
// one VU: with workers, one worker). An Error (a sentence for a usage error,
// exit 2) when the combination makes no sense. Warnings (options barrage
// ignores) are appended to *warnings either way.
barrage::Result<RunSpec> spec_for(const RunRequest& request, const script::ScriptOptions& load,
                                  std::vector<std::string>* warnings);

// --tags as Artillery parses them: comma-separated name:value pairs, each
// trimmed; an item that is not exactly one name:value pair is left out with a
// warning; more than 10 tags is an error. --name sets the "name" tag's value
// and the label's name (a "name" tag alone also names the run).
barrage::Result<report::RunLabels> labels_for(const RunRequest& request,
                                              std::vector<std::string>* warnings);

// -i FILE: merged over the script as --config FILE is; an Error for more
// than one extra file (-i twice, or -i with --config).
Status apply_inputs(const RunRequest& request, script::ScriptOptions& load);

}  // namespace barrage::run
