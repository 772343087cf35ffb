// LambdaPlatform: the coordinator's fleet::Launcher and fleet::Channel over AWS
// Lambda, SQS and S3, for `barrage run --platform aws:lambda`.
//
//  - launch: one asynchronous (Event) invocation per worker of the function
//    in the worker's region; the payload is a LambdaJob (lambda/job.h): the
//    neutral WorkerJob beside the run's queue, bucket, stop flag, start
//    object and shipped files. A failed Invoke
//    makes that worker an early exit (reported lost at once), not a hang.
//  - start: puts runs/<run_id>/start (the start instant, wall ms) in every
//    region's bucket; workers poll it after `ready` (the start barrier).
//  - segments: when the test is longer than one invocation may last, each
//    worker's share is cut into windows of the schedule; segment k+1 is
//    invoked `lead` before its window opens and takes over at that exact
//    instant, while segment k drains its VUs and ends (engine windows).
//  - stop: puts runs/<run_id>/stop in every region's bucket (workers poll it
//    at least every 2 s and answer with `done`, their acknowledgement) and
//    cancels segments not yet invoked. Lambda cannot kill an invocation; the
//    stop flag is how a run really stops.
//  - receive: one thread per region long-polls the run's queue, deletes what
//    it received and hands the bodies (protocol envelopes) over.
//
// Threads: launch/start/stop/abort/receive are called by the coordinator's
// thread; the pollers, the invokers and the segment scheduler are internal.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aws/client.h"
#include "fleet/job.h"
#include "fleet/platform.h"
#include "lambda/job.h"
#include "util/clock.h"

namespace barrage::lambda {

struct LambdaRegion {
  std::string region;
  aws::ClientConfig config;  // clients for this region
  std::string function;      // the worker function's name
  std::string bucket;        // barrage-<account>-<region>
  std::string queue_url;     // the run's queue in this region
};

// How a long test is cut (see plan_segments).
struct SegmentPlan {
  // Schedule windows in ms from phase 0, [from, to); to = 0 for the last.
  // One window {0, 0} = no segments.
  std::vector<std::pair<int64_t, int64_t>> windows{{0, 0}};
  int64_t lead_ms = 60'000;  // a later segment is invoked this long before its window
  int64_t drain_ms = 0;      // how long a segment's VUs may run past its window
};

// Segments for a test of `total_ms` (phases) whose VUs may run `drain_ms`
// past the last arrival, so that every invocation ends within
// `invocation_limit_ms` (Lambda: 900 s): the first segment also waits up to
// `first_wait_ms` for the start barrier, later ones are invoked `lead_ms`
// early, and each needs `margin_ms` to flush. With `segment_ms` > 0 that
// length is used as is (tests shorten segments to seconds). Throws
// std::invalid_argument when not even a 1 s window fits.
SegmentPlan plan_segments(int64_t total_ms, int64_t drain_ms, int64_t invocation_limit_ms,
                          int64_t first_wait_ms, int64_t lead_ms, int64_t margin_ms,
                          int64_t segment_ms = 0);

struct LambdaPlatformOptions {
  std::string run_id;
  std::vector<LambdaRegion> regions;
  // Worker -> index in `regions`; a worker not listed runs in
  // regions[worker % regions.size()].
  std::vector<uint32_t> worker_region;
  // The files every worker fetches (run::ship_files uploaded them to each
  // region's bucket).
  ShippedFiles shipped;
  SegmentPlan segments;
  int invoke_threads = 8;
  int receive_wait_s = 1;  // ReceiveMessage long-poll time (0..20)
  // When later segments are invoked, stop times, receive()'s wait. Outlives
  // the platform.
  Clock* clock = &system_clock();
};

// What the coordinator's side did, per region (the cost figures).
struct PlatformUsage {
  std::string region;
  int64_t invocations = 0;
  int64_t invoke_failures = 0;
  int64_t sqs_requests = 0;  // ReceiveMessage + DeleteMessageBatch
  int64_t s3_puts = 0;       // start object, stop flag
};

class LambdaPlatform : public fleet::Launcher, public fleet::Channel {
 public:
  explicit LambdaPlatform(LambdaPlatformOptions options);
  ~LambdaPlatform() override;
  LambdaPlatform(const LambdaPlatform&) = delete;
  LambdaPlatform& operator=(const LambdaPlatform&) = delete;

  void launch(const std::vector<fleet::WorkerJob>& jobs) override;
  void start(int64_t start_wall_ms) override;
  void stop() override;
  void abort() override;
  std::vector<Exit> exited() override;
  std::vector<std::string> last_log(uint32_t worker) override;

  std::vector<std::string> receive(engine::Nanos timeout) override;

  [[nodiscard]] std::vector<PlatformUsage> usage() const;
  // Invocations of later segments made so far.
  [[nodiscard]] int64_t segment_invocations() const { return segment_invocations_.load(); }

 private:
  struct RegionState;
  RegionState& region_of(uint32_t worker) const;
  // The payload of `job`'s segment `segment`.
  LambdaJob prepared(const fleet::WorkerJob& job, size_t segment, int64_t start_wall_ms) const;
  // Invokes every job (in parallel); failures become exits.
  void invoke_all(const std::vector<LambdaJob>& jobs);
  void poll(RegionState& r);
  void schedule_segments(int64_t start_wall_ms);
  void put_everywhere(const std::string& key, const std::string& body);
  // abort(), also for the destructor (no virtual call there).
  void shutdown();

  LambdaPlatformOptions options_;
  std::vector<std::unique_ptr<RegionState>> regions_;
  std::vector<fleet::WorkerJob> jobs_;  // as launched

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> inbox_;
  std::vector<Exit> exits_;
  std::vector<std::pair<uint32_t, std::string>> failures_;  // worker, Invoke error
  std::vector<std::string> queue_errors_;                   // each distinct one, once
  bool launched_ = false;
  bool stopping_ = false;
  bool quit_ = false;
  std::atomic<int64_t> segment_invocations_{0};

  std::vector<std::thread> pollers_;
  std::thread scheduler_;
};

}  // namespace barrage::lambda
