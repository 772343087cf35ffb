// The local platform's worker process (`barrage worker`): reads a WorkerJob
// line, then control lines ("start <wall_ms>", "stop"); writes protocol
// envelopes, one per line.
#pragma once

#include <atomic>
#include <cstdio>
#include <istream>

namespace barrage::fleet {

// Runs one job from `in`, writing envelopes to `out`. `stop` ends the run (a
// "stop" line or EOF on `in` sets it too). Returns the process exit code: 0
// when the run completed, 2 for a bad job or a failed run, 130 when stopped
// before the start. `in` and `stop` must live as long as the process: a
// detached thread keeps reading control lines.
int run_worker_process(std::istream& in, std::FILE* out, std::atomic<bool>& stop);

}  // namespace barrage::fleet
