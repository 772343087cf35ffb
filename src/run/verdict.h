// A run's verdict and its exit code (the codes: util/exit_codes.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/runner.h"
#include "fleet/summary.h"
#include "report/ensure.h"
#include "util/exit_codes.h"

namespace barrage::run {

enum class Verdict {
  kOk,                  // 0
  kEnsureFailed,        // 1: ensure checks (thresholds) failed
  kInvalid,             // 2: bad options or script (the run did not start)
  kWorkerLost,          // 3: a worker was lost or failed
  kPlatformFailed,      // 4: AWS credentials, permissions, resources
  kExpectationsFailed,  // 21: expect plugin checks failed
  kInterrupted,         // 130: stopped (Ctrl-C, `barrage stop`, RunHandle::stop)
};

int exit_code(Verdict v);

// The verdict of a completed run, first match wins: interrupted, a worker
// lost or failed, ensure failed, expectations failed, ok.
Verdict verdict_of(const engine::RunResult& run, const fleet::FleetSummary* fleet,
                   const std::vector<report::CheckOutcome>& checks);

}  // namespace barrage::run
