// A worker: runs its WorkerJob's share of the test with the in-process engine
// and reports through the protocol: ready, a batch per period, a heartbeat
// every job.heartbeat_ms, done (or error). Platform-neutral: the caller gives
// the output (stdout pipe, SQS) and decides when to start and stop.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "fleet/job.h"
#include "fleet/protocol.h"
#include "script/plan.h"

namespace barrage::fleet {

// Receives envelopes; called from several threads (serialized by Worker).
using Output = std::function<void(const std::string& envelope)>;

class Worker {
 public:
  // Loads the job's script. Throws std::runtime_error (with the script's
  // file:line:col message) when it does not load.
  Worker(WorkerJob job, Output output);

  void send_ready();
  // Runs the share starting at start_wall_ms until done or *stop; sends the
  // batches, heartbeats and done. Returns false when the engine failed (an
  // error message was sent).
  bool run(int64_t start_wall_ms, const std::atomic<bool>* stop);
  void send_error(const std::string& reason, const std::vector<std::string>& log);

  // What `done` says beyond the counts, asked when it is sent: whether a
  // later segment carries on (default: one follows and the run was not
  // interrupted) and the platform's usage figures.
  struct DoneExtras {
    bool more = false;
    int64_t duration_ms = 0;
    uint64_t sqs_requests = 0;
    uint64_t s3_requests = 0;
  };
  void set_done_extras(std::function<DoneExtras(bool interrupted)> fn) {
    done_extras_ = std::move(fn);
  }

 private:
  void send(Message m);

  WorkerJob job_;
  Output output_;
  script::Plan plan_;
  std::mutex mutex_;
  uint64_t seq_ = 0;  // from segment << 32
  std::function<DoneExtras(bool interrupted)> done_extras_;
  uint64_t batches_ = 0;
};

// Open sockets and all descriptors of this process (/proc/self/fd).
void count_fds(int64_t* sockets, int64_t* total);

}  // namespace barrage::fleet
