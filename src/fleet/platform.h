// The two seams between the coordinator and where workers run. A platform
// (local processes, AWS Lambda) implements both; nothing else in the
// coordinator knows which platform it runs on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/event_loop.h"
#include "fleet/job.h"

namespace barrage::fleet {

// Starts, releases and stops workers.
class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts one worker per job; they load their job and send `ready`. Throws
  // std::runtime_error when a worker cannot be started at all.
  virtual void launch(const std::vector<WorkerJob>& jobs) = 0;
  // The start barrier: every worker starts phase 0 at this wall-clock instant.
  virtual void start(int64_t start_wall_ms) = 0;
  // Asks every worker to stop now (they send their partial period and `done`).
  virtual void stop() = 0;
  // Ends what is left at once and releases every resource. Idempotent.
  virtual void abort() = 0;

  struct Exit {
    uint32_t worker = 0;
    std::string reason;  // "exited with status 1", "killed by signal 9"
    bool clean = false;  // exited with status 0 (it sent its `done` before)
  };
  // Workers whose end the platform observed since the last call (local
  // processes); platforms that cannot tell return nothing and rely on heartbeats.
  virtual std::vector<Exit> exited() { return {}; }
  // A worker's last log lines, for error messages; empty when unknown.
  virtual std::vector<std::string> last_log(uint32_t /*worker*/) { return {}; }
};

// Worker -> coordinator messages (protocol envelopes), at least once, any order.
class Channel {
 public:
  virtual ~Channel() = default;
  // Envelopes that arrived, waiting up to `timeout` for the first one.
  virtual std::vector<std::string> receive(engine::Nanos timeout) = 0;
};

}  // namespace barrage::fleet
