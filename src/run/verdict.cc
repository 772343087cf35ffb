#include "run/verdict.h"

namespace barrage::run {

int exit_code(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return kExitOk;
    case Verdict::kEnsureFailed:
      return kExitThresholds;
    case Verdict::kInvalid:
      return kExitUsage;
    case Verdict::kWorkerLost:
      return kExitWorkerLost;
    case Verdict::kPlatformFailed:
      return kExitPlatform;
    case Verdict::kExpectationsFailed:
      return kExitExpectations;
    case Verdict::kInterrupted:
      return kExitInterrupted;
  }
  return kExitUsage;
}

Verdict verdict_of(const engine::RunResult& run, const fleet::FleetSummary* fleet,
                   const std::vector<report::CheckOutcome>& checks) {
  if (run.interrupted) return Verdict::kInterrupted;
  if (fleet != nullptr && fleet->lost_or_failed() > 0) return Verdict::kWorkerLost;
  if (report::ensure_failed(checks)) return Verdict::kEnsureFailed;
  if (run.aggregate.counter("plugins.expect.failed") > 0) return Verdict::kExpectationsFailed;
  return Verdict::kOk;
}

}  // namespace barrage::run
