// WorkerJob: everything a worker needs to run its share of a test, shipped
// with the worker's launch (stdin for local processes; for Lambda, inside the
// invocation payload beside Lambda's own fields, lambda/job.h). It is
// platform-neutral and serialized here only (to_json / job_from_json). The
// script travels as text so a worker needs no shared disk.
//
// Splitting (split_jobs): the whole test's arrivals have global indexes; the
// N workers x C cores slices partition them (slice s takes g % (N*C) == s),
// so the per-phase sum over workers equals the single-process schedule
// exactly, arrivalCount included, and integer limits (maxVusers, vusers,
// http.pool) are split by Pacer::share. With `multiply` (Artillery's --count
// semantics) every worker runs the whole script instead.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "script/load_options.h"
#include "util/error.h"

namespace barrage::fleet {

struct WorkerJob {
  int version = 1;
  std::string run_id;
  uint32_t worker = 0;  // 0-based
  uint32_t workers = 1;
  std::string script_path;  // display name and base for relative paths
  std::string script_text;
  std::optional<std::string> target;  // --target
  bool insecure = false;
  uint64_t seed = 0;  // this worker's seed (distinct per worker)
  int cores = 1;      // shards in the worker
  uint64_t slice_base = 0;
  uint64_t slice_total = 1;
  int64_t period_ms = 10'000;
  int64_t heartbeat_ms = 5'000;
  // engine::RunOptions::drain_timeout_ms: < 0 = VUs finish however long.
  int64_t drain_timeout_ms = -1;
  // Variables captured by the coordinator's `before` section.
  std::map<std::string, std::string> variables;
  // The script load options the coordinator used (-e, --config, --overrides,
  // --variables, --dotenv, --scenario-name), so a worker loads the same plan.
  // File paths are local to the coordinator's machine (the local platform
  // shares its disk; Lambda workers get them rewritten to fetched copies).
  script::ScriptOptions load;
  // Wall-clock start (ms since the epoch); 0 = as soon as the worker is ready.
  int64_t start_wall_ms = 0;
  // Segments (a worker's share cut in time, e.g. on Lambda, where one
  // invocation may not last the whole test): this job is segment `segment`
  // of `segments` of its worker's share, and starts the arrivals whose
  // offset from phase 0 is in [window_from_ms, window_to_ms) (0 = no end);
  // start_wall_ms is then the test's phase-0 instant. Each segment numbers
  // its messages from segment << 32, so they never collide, and its `done`
  // says whether a later segment carries on (`more`). Platform-neutral: the
  // engine runs windows and the coordinator merges handovers; how and where
  // a segment is launched is the platform's business (lambda::LambdaJob
  // carries Lambda's own fields beside this job).
  uint32_t segment = 0;
  uint32_t segments = 1;
  int64_t window_from_ms = 0;
  int64_t window_to_ms = 0;
};

std::string to_json(const WorkerJob& job);
// An Error (message only: the job has no file) on malformed input.
Result<WorkerJob> job_from_json(const std::string& text);

struct SplitOptions {
  uint32_t count = 1;
  int cores_per_worker = 1;
  bool multiply = false;  // every worker runs the whole script (Artillery's --count)
  uint64_t seed = 0;      // base seed; 0 = random
};

// The jobs for a run; fields other than the split ones are copied from `base`.
std::vector<WorkerJob> split_jobs(const WorkerJob& base, const SplitOptions& options);

}  // namespace barrage::fleet
