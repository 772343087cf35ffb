// The coordinator's state: merges what workers send, tolerating at-least-once,
// out-of-order and lossy delivery, and decides when a period is shown and when
// a worker is lost. Pure state: time is passed in (monotonic ns; the Clock
// only stamps when a worker ended, in wall time), no I/O, so every delivery
// pattern is testable without processes or real clocks.
//
// Guarantees:
//  - A message is applied once: duplicates (same worker and seq) are dropped.
//  - Every batch received is merged into the final aggregate and its period,
//    whenever it arrives; a batch for a period already shown live is still
//    merged (counted in late_batches), never dropped.
//  - A live period is released when every worker still expected to report
//    has sent it, or `grace` after its first batch arrived, in period order.
//  - A worker that sent nothing for `lost_after` is declared lost; what it
//    delivered before stays counted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/event_loop.h"
#include "fleet/protocol.h"
#include "metrics/snapshot.h"
#include "util/clock.h"

namespace barrage::fleet {

using engine::Nanos;

enum class WorkerStatus : uint8_t { kLaunched, kReady, kDone, kFailed, kLost };
const char* status_name(WorkerStatus s);

struct WorkerState {
  uint32_t id = 0;
  WorkerStatus status = WorkerStatus::kLaunched;
  Nanos last_seen = 0;
  int64_t pid = 0;
  int cores = 0;
  Heartbeat heartbeat;  // the latest
  double cpu_max = 0;
  double lag_p99_max_ms = 0;
  uint64_t batches = 0;          // distinct batches received
  uint64_t requests = 0;         // http.requests in those batches
  uint64_t batches_sent = 0;     // from done (all segments); 0 until then
  uint64_t segments_done = 0;    // segments that ended with more to come
  uint64_t earlier_batches = 0;  // batches those segments sent
  // Usage the worker reported in its done messages (Lambda: cost figures).
  int64_t duration_ms = 0;
  uint64_t sqs_requests = 0;
  uint64_t s3_requests = 0;
  bool interrupted = false;      // its done said it was stopped
  std::string reason;            // failed / lost: why
  std::vector<std::string> log;  // failed: its last lines
  int64_t ended_wall_ms = 0;     // when it was declared lost / failed / done
};

struct CoordinatorOptions {
  Nanos lost_after = 15 * engine::kNanosPerSecond;  // 3 heartbeats of 5 s
  Nanos grace = 5 * engine::kNanosPerSecond;        // wait for stragglers per period
  // After a worker's `done`, how long to wait for batches it says it sent
  // that have not arrived (a lossy or slow channel).
  Nanos drain = 15 * engine::kNanosPerSecond;
};

class Coordinator {
 public:
  Coordinator(std::string run_id, uint32_t workers, CoordinatorOptions options,
              const Clock& clock = system_clock());

  // One envelope from the channel, received at monotonic time `now`.
  void receive(std::string_view envelope, Nanos now);
  // Groups of workers (regions) whose batches are also merged per group:
  // group_of[worker] < groups. Call before the first receive.
  void set_groups(std::vector<uint32_t> group_of, uint32_t groups);
  [[nodiscard]] const std::vector<metrics::Snapshot>& group_aggregates() const {
    return group_aggregates_;
  }

  // A platform that can tell (a process exited without `done`) reports it.
  void mark_lost(uint32_t worker, const std::string& reason, Nanos now);
  // Declares silent workers lost; returns the ids newly lost.
  std::vector<uint32_t> check_lost(Nanos now);
  // Before the start: a silent worker is not lost yet (startup takes time).
  void touch_all(Nanos now);

  // Periods ready to show live, oldest first (each once).
  std::vector<metrics::Snapshot> take_live_periods(Nanos now);

  [[nodiscard]] bool all_ready() const;
  [[nodiscard]] std::vector<uint32_t> not_ready() const;
  // Every worker is done, failed or lost, and done workers' batches are in
  // (or `drain` passed since their done).
  [[nodiscard]] bool finished(Nanos now) const;

  [[nodiscard]] const metrics::Snapshot& aggregate() const { return aggregate_; }
  // Every period, merged over every batch received (late ones included).
  [[nodiscard]] std::vector<metrics::Snapshot> periods() const;
  [[nodiscard]] const std::vector<WorkerState>& workers() const { return workers_; }
  // Sum of the latest heartbeats (progress line).
  [[nodiscard]] Heartbeat totals() const;

  [[nodiscard]] uint64_t duplicates() const { return duplicates_; }
  [[nodiscard]] uint64_t late_batches() const { return late_batches_; }
  [[nodiscard]] uint64_t rejected() const { return rejected_; }
  [[nodiscard]] const std::string& last_rejection() const { return last_rejection_; }

 private:
  struct Period {
    metrics::Snapshot snapshot;
    std::set<uint32_t> reported;
    Nanos first_seen = 0;
    bool shown = false;
  };
  void apply(Message m, Nanos now);
  [[nodiscard]] bool expected_to_report(const WorkerState& w) const;

  std::string run_id_;
  CoordinatorOptions options_;
  const Clock* clock_;
  Decoder decoder_;
  std::vector<WorkerState> workers_;
  std::vector<std::set<uint64_t>> seen_;  // per worker: seqs applied
  std::vector<Nanos> done_at_;
  std::map<int64_t, Period> periods_;
  metrics::Snapshot aggregate_;
  std::vector<uint32_t> group_of_;
  std::vector<metrics::Snapshot> group_aggregates_;
  uint64_t duplicates_ = 0;
  uint64_t late_batches_ = 0;
  uint64_t rejected_ = 0;
  std::string last_rejection_;
};

}  // namespace barrage::fleet
