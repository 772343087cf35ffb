#include "lambda/sqs_output.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "aws/sqs.h"

namespace barrage::lambda {

SqsOutput::SqsOutput(aws::ClientConfig config, std::string queue_url, SqsOutputOptions options)
    : queue_url_(std::move(queue_url)), options_(options) {
  sender_ = std::thread([this, c = std::move(config)]() mutable { run(std::move(c)); });
}

SqsOutput::~SqsOutput() { close(std::chrono::steady_clock::now() + std::chrono::seconds(10)); }

void SqsOutput::push(const std::string& envelope) {
  std::lock_guard lock(mutex_);
  if (stopped_) {
    ++stats_.dropped;  // after close: nobody sends any more
    return;
  }
  pending_.push_back({envelope, 0});
  pending_bytes_ += envelope.size();
  if (pending_.size() >= kMaxBatchEntries || pending_bytes_ >= kMaxBatchBytes) cv_.notify_one();
}

fleet::Output SqsOutput::output() {
  return [this](const std::string& envelope) { push(envelope); };
}

SqsOutputStats SqsOutput::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

SqsOutputStats SqsOutput::close(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      closing_ = true;
      if (deadline != std::chrono::steady_clock::time_point::max()) {
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
            deadline - std::chrono::steady_clock::now());
        deadline_ns_ = options_.clock->now_ns() + left.count();
      }
    }
  }
  cv_.notify_one();
  if (sender_.joinable()) sender_.join();
  return stats();
}

void SqsOutput::send_one_batch(aws::SqsClient& sqs, std::unique_lock<std::mutex>& lock) {
  // Take up to 10 entries and 256 KiB from the front.
  std::vector<Pending> batch;
  size_t bytes = 0;
  while (!pending_.empty() && batch.size() < kMaxBatchEntries &&
         (batch.empty() || bytes + pending_.front().body.size() <= kMaxBatchBytes)) {
    bytes += pending_.front().body.size();
    pending_bytes_ -= pending_.front().body.size();
    batch.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  lock.unlock();
  std::vector<aws::BatchEntry> entries;
  entries.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) entries.push_back({std::to_string(i), batch[i].body});
  std::vector<bool> failed(batch.size(), false);
  bool call_ok = true;
  std::string why;
  if (const auto r = sqs.send_message_batch(queue_url_, entries)) {
    for (const auto& f : r->failed) {
      const size_t i = std::strtoul(f.id.c_str(), nullptr, 10);
      if (i < failed.size()) failed[i] = true;
      why = f.code + ": " + f.message;
    }
  } else {
    call_ok = false;
    why = r.error().message;
  }
  lock.lock();
  if (call_ok) ++stats_.batches;
  // Failed entries go back to the front, in their order.
  for (size_t k = batch.size(); k-- > 0;) {
    if (call_ok && !failed[k]) {
      ++stats_.sent;
      continue;
    }
    Pending& p = batch[k];
    if (++p.attempts >= options_.max_attempts) {
      ++stats_.dropped;
      std::fprintf(stderr, "barrage lambda-worker: SQS message dropped after %d attempts: %s\n",
                   p.attempts, why.c_str());
      continue;
    }
    pending_bytes_ += p.body.size();
    pending_.push_front(std::move(p));
  }
  if (!why.empty() && !call_ok)
    std::fprintf(stderr, "barrage lambda-worker: SendMessageBatch failed: %s\n", why.c_str());
}

void SqsOutput::flush_soon() {
  {
    std::lock_guard lock(mutex_);
    urgent_ = true;
  }
  cv_.notify_all();
}

void SqsOutput::run(aws::ClientConfig config) {
  std::unique_ptr<aws::SqsClient> sqs;
  try {
    sqs = std::make_unique<aws::SqsClient>(std::move(config));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage lambda-worker: SQS client: %s\n", e.what());
  }
  Clock& clock = *options_.clock;
  const int64_t interval_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.flush_interval).count();
  std::unique_lock lock(mutex_);
  int64_t next_flush = clock.now_ns() + interval_ns;
  // After a round where everything failed, wait for the next tick (also
  // while closing) instead of spending the attempts at once.
  bool backing_off = false;
  while (true) {
    clock.wait_until(lock, cv_, std::min(next_flush, deadline_ns_), [&] {
      return !backing_off && (closing_ || urgent_ || pending_.size() >= kMaxBatchEntries ||
                              pending_bytes_ >= kMaxBatchBytes);
    });
    const int64_t now = clock.now_ns();
    const bool timer = now >= next_flush || std::exchange(urgent_, false);
    if (timer) {
      next_flush = now + interval_ns;
      backing_off = false;
    }
    if (closing_ && (pending_.empty() || now >= deadline_ns_ || !sqs)) break;
    if (!sqs || backing_off) continue;
    // Full batches at once; a partial one on the timer or at close.
    while (!pending_.empty() && (timer || closing_ || pending_.size() >= kMaxBatchEntries ||
                                 pending_bytes_ >= kMaxBatchBytes)) {
      const size_t before = pending_.size();
      send_one_batch(*sqs, lock);
      if (pending_.size() >= before) {
        backing_off = true;
        break;
      }
      if (closing_ && clock.now_ns() >= deadline_ns_) break;
    }
  }
  stats_.dropped += pending_.size();
  if (!pending_.empty()) {
    std::fprintf(stderr, "barrage lambda-worker: %zu SQS messages unsent at the deadline\n",
                 pending_.size());
  }
  pending_.clear();
  pending_bytes_ = 0;
  stopped_ = true;
}

}  // namespace barrage::lambda
