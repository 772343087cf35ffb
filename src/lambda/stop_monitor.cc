#include "lambda/stop_monitor.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>

#include "aws/s3.h"
#include "util/clock.h"

namespace barrage::lambda {

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kNone:
      return "none";
    case StopReason::kFlag:
      return "stop-flag";
    case StopReason::kDeadline:
      return "deadline";
  }
  return "none";
}

StopMonitor::StopMonitor(aws::ClientConfig config, StopOptions options, std::atomic<bool>* stop,
                         Clock& clock)
    : options_(std::move(options)), stop_(stop), clock_(&clock) {
  thread_ = std::thread([this, c = std::move(config)]() mutable { run(std::move(c)); });
}

StopMonitor::~StopMonitor() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

StopReason StopMonitor::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

void StopMonitor::run(aws::ClientConfig config) {
  std::unique_ptr<aws::S3Client> s3;
  if (!options_.bucket.empty()) {
    // A poll must not outlast the interval by much: one quick attempt, the
    // next poll is the retry.
    config.retry.max_attempts = 1;
    try {
      s3 = std::make_unique<aws::S3Client>(std::move(config));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "barrage lambda-worker: S3 client for the stop flag: %s\n", e.what());
    }
  }
  std::string last_error;
  std::unique_lock lock(mutex_);
  while (!quit_) {
    StopReason hit = StopReason::kNone;
    if (options_.end_by_wall_ms > 0 && clock_->wall_ms() >= options_.end_by_wall_ms) {
      hit = StopReason::kDeadline;
    } else if (s3) {
      lock.unlock();
      polls_.fetch_add(1, std::memory_order_relaxed);
      if (const auto flag = s3->head_object(options_.bucket, options_.key)) {
        if (*flag) hit = StopReason::kFlag;
        last_error.clear();
      } else if (last_error != flag.error().message) {
        last_error = flag.error().message;
        std::fprintf(stderr, "barrage lambda-worker: polling the stop flag: %s\n",
                     last_error.c_str());
      }
      lock.lock();
    }
    if (hit != StopReason::kNone) {
      reason_ = hit;
      stop_->store(true);
      if (hit == StopReason::kFlag && !options_.ack_key.empty()) {
        lock.unlock();
        polls_.fetch_add(1, std::memory_order_relaxed);
        if (const auto acked =
                s3->put_object(options_.bucket, options_.ack_key, "stopped\n", "text/plain");
            !acked) {
          std::fprintf(stderr, "barrage lambda-worker: acknowledging the stop: %s\n",
                       acked.error().message.c_str());
        }
      }
      return;
    }
    int64_t wait_ms = options_.poll_interval.count();
    if (options_.end_by_wall_ms > 0) {
      wait_ms =
          std::min(wait_ms, std::max<int64_t>(1, options_.end_by_wall_ms - clock_->wall_ms()));
    }
    clock_->wait_for(lock, cv_, wait_ms * 1'000'000, [&] { return quit_; });
  }
}

}  // namespace barrage::lambda
