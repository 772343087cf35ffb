// When a Lambda worker must stop early: a thread that polls the run's stop
// flag (an S3 object: it exists = stop, HeadObject every poll_interval) and
// watches a wall-clock limit (the segment's end, or the invocation deadline
// minus the flush margin), both on the injected Clock. Either sets the atomic
// that fleet::Worker::run watches. A failing HeadObject is logged and polled
// again; it never stops the run by itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "aws/client.h"
#include "util/clock.h"

namespace barrage::lambda {

enum class StopReason : uint8_t { kNone, kFlag, kDeadline };
const char* stop_reason_name(StopReason r);

struct StopOptions {
  std::string bucket;  // "" = no flag to poll
  std::string key;
  std::chrono::milliseconds poll_interval{1000};  // <= 2 s, as the issue asks
  int64_t end_by_wall_ms = 0;                     // 0 = no limit
  // When the flag is seen, this object is put in `bucket` (the worker's
  // acknowledgement, beside its `done` on the queue); "" = none.
  std::string ack_key;
};

class StopMonitor {
 public:
  // Starts polling at once. `stop` and `clock` outlive this object.
  StopMonitor(aws::ClientConfig config, StopOptions options, std::atomic<bool>* stop,
              Clock& clock = system_clock());
  ~StopMonitor();
  StopMonitor(const StopMonitor&) = delete;
  StopMonitor& operator=(const StopMonitor&) = delete;

  // Why *stop was set by this watch (kNone if it was not).
  StopReason reason() const;
  // HeadObject requests made so far (the cost figures).
  uint64_t polls() const { return polls_.load(std::memory_order_relaxed); }

 private:
  void run(aws::ClientConfig config);

  StopOptions options_;
  std::atomic<bool>* stop_;
  Clock* clock_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool quit_ = false;
  StopReason reason_ = StopReason::kNone;
  std::atomic<uint64_t> polls_{0};
  std::thread thread_;
};

}  // namespace barrage::lambda
