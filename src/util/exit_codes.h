// The process exit codes of `barrage`, defined once: the CLI returns them and
// the run API (run/verdict.h) maps a run's verdict onto them.
#pragma once

namespace barrage {

inline constexpr int kExitOk = 0;
// Failed ensure checks (thresholds); `barrage compare`: a regression.
inline constexpr int kExitThresholds = 1;
inline constexpr int kExitRegression = 1;
inline constexpr int kExitUsage = 2;  // usage or script error
// A distributed run lost a worker (or one failed); the report covers what
// every worker delivered.
inline constexpr int kExitWorkerLost = 3;
// The platform failed before the test ran: AWS credentials, permissions,
// resources (run --platform aws:lambda).
inline constexpr int kExitPlatform = 4;
inline constexpr int kExitExpectations = 21;  // Artillery's expect plugin code
inline constexpr int kExitInterrupted = 130;  // Ctrl-C, `barrage stop`

}  // namespace barrage
