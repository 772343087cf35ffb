// The worker's protocol output to the run's SQS queue. push() only buffers
// (it is called from the engine's threads through fleet::Output); one sender
// thread owns the SQS client and sends with SendMessageBatch: a full batch
// (10 entries or 256 KiB) at once, whatever is buffered at least every
// flush_interval, and everything on close(). Entries SQS rejects are sent
// again (the client already retries transport errors, throttling and 5xx).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "aws/client.h"
#include "fleet/worker.h"
#include "util/clock.h"

namespace barrage::aws {
class SqsClient;
}

namespace barrage::lambda {

struct SqsOutputOptions {
  std::chrono::milliseconds flush_interval{1000};
  // Attempts per envelope (SendMessageBatch calls that included it) before it
  // is given up and counted as dropped.
  int max_attempts = 5;
  // The flush timer and close()'s deadline run on this clock. Outlives the
  // output.
  Clock* clock = &system_clock();
};

struct SqsOutputStats {
  uint64_t sent = 0;     // envelopes SQS accepted
  uint64_t dropped = 0;  // envelopes given up after max_attempts, or left at close's deadline
  uint64_t batches = 0;  // SendMessageBatch calls that succeeded
};

class SqsOutput {
 public:
  static constexpr size_t kMaxBatchEntries = 10;
  static constexpr size_t kMaxBatchBytes = 256 * 1024;  // sum of the bodies

  SqsOutput(aws::ClientConfig config, std::string queue_url, SqsOutputOptions options = {});
  ~SqsOutput();
  SqsOutput(const SqsOutput&) = delete;
  SqsOutput& operator=(const SqsOutput&) = delete;

  // Thread-safe; never blocks on the network. An envelope is at most
  // fleet::kMaxWireBytes long (the protocol splits larger messages).
  void push(const std::string& envelope);
  // A fleet::Output that pushes here; valid while this object lives.
  fleet::Output output();

  // Sends what is buffered and stops the sender. Gives up on what is still
  // unsent at `deadline` (counted as dropped): the time left until it is
  // measured on options.clock. Idempotent.
  SqsOutputStats close(std::chrono::steady_clock::time_point deadline);
  SqsOutputStats stats() const;
  // Sends what is buffered now rather than at the next tick (`ready`: the
  // coordinator's start barrier waits for it).
  void flush_soon();

 private:
  struct Pending {
    std::string body;
    int attempts = 0;
  };
  void run(aws::ClientConfig config);
  // Sends one batch from the front of pending_ (lock held on entry and exit,
  // released while sending).
  void send_one_batch(aws::SqsClient& sqs, std::unique_lock<std::mutex>& lock);

  std::string queue_url_;
  SqsOutputOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  size_t pending_bytes_ = 0;
  bool closing_ = false;
  bool urgent_ = false;              // flush_soon()
  bool stopped_ = false;             // the sender ended; push() only counts drops
  int64_t deadline_ns_ = INT64_MAX;  // on options_.clock
  SqsOutputStats stats_;
  std::thread sender_;
};

}  // namespace barrage::lambda
