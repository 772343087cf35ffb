#include "lambda/platform.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "aws/errors.h"
#include "aws/lambda.h"
#include "aws/result.h"
#include "aws/s3.h"
#include "aws/sqs.h"
#include "lambda/resources.h"
#include "util/clock.h"

namespace barrage::lambda {

SegmentPlan plan_segments(int64_t total_ms, int64_t drain_ms, int64_t invocation_limit_ms,
                          int64_t first_wait_ms, int64_t lead_ms, int64_t margin_ms,
                          int64_t segment_ms) {
  SegmentPlan plan;
  plan.lead_ms = lead_ms;
  plan.drain_ms = drain_ms;
  int64_t first = invocation_limit_ms - margin_ms - first_wait_ms - drain_ms;
  int64_t later = invocation_limit_ms - margin_ms - lead_ms - drain_ms;
  if (segment_ms > 0) first = later = segment_ms;
  if (first < 1000 || later < 1000) {
    throw std::invalid_argument(fmt::format(
        "a Lambda invocation lasts at most {} s, which leaves no time to run: the VUs' drain "
        "(request timeout + longest think) is {} s; shorten http.timeout or the think times",
        invocation_limit_ms / 1000, drain_ms / 1000));
  }
  if (total_ms <= first) return plan;
  plan.windows.clear();
  int64_t from = 0;
  int64_t to = first;
  while (to < total_ms) {
    plan.windows.emplace_back(from, to);
    from = to;
    to = from + later;
  }
  plan.windows.emplace_back(from, 0);
  return plan;
}

struct LambdaPlatform::RegionState {
  explicit RegionState(const LambdaRegion& r) : spec(r) {}
  LambdaRegion spec;
  std::atomic<int64_t> invocations{0};
  std::atomic<int64_t> invoke_failures{0};
  std::atomic<int64_t> sqs_requests{0};
  std::atomic<int64_t> s3_puts{0};
};

LambdaPlatform::LambdaPlatform(LambdaPlatformOptions options) : options_(std::move(options)) {
  if (options_.regions.empty()) throw std::invalid_argument("no region to run in");
  for (const auto& r : options_.regions) regions_.push_back(std::make_unique<RegionState>(r));
  if (options_.segments.windows.empty()) options_.segments.windows = {{0, 0}};
}

LambdaPlatform::~LambdaPlatform() { shutdown(); }

LambdaPlatform::RegionState& LambdaPlatform::region_of(uint32_t worker) const {
  const size_t i = worker < options_.worker_region.size() ? options_.worker_region[worker]
                                                          : worker % regions_.size();
  if (i >= regions_.size()) {
    throw std::invalid_argument("worker " + std::to_string(worker) + " has region index " +
                                std::to_string(i) + ", but the run has " +
                                std::to_string(regions_.size()) + " region(s)");
  }
  return *regions_[i];
}

LambdaJob LambdaPlatform::prepared(const fleet::WorkerJob& job, size_t segment,
                                   int64_t start_wall_ms) const {
  const auto& windows = options_.segments.windows;
  const RegionState& r = region_of(job.worker);
  LambdaJob l;
  l.job = job;
  l.region = r.spec.region;
  l.queue_url = r.spec.queue_url;
  l.bucket = r.spec.bucket;
  l.shipped = options_.shipped;
  l.stop_key = stop_key(options_.run_id);
  l.job.segment = static_cast<uint32_t>(segment);
  l.job.segments = static_cast<uint32_t>(windows.size());
  l.job.window_from_ms = windows[segment].first;
  l.job.window_to_ms = windows[segment].second;
  if (segment == 0) {
    l.start_key = run_key(options_.run_id, "start");
    l.job.start_wall_ms = 0;
  } else {
    // Later segments know phase 0 already.
    l.job.start_wall_ms = start_wall_ms;
  }
  // Safety net: a segment that hands over ends after its drain even if
  // something keeps it busy (the next one has taken over by then).
  if (l.job.window_to_ms > 0 && start_wall_ms > 0) {
    l.segment_end_wall_ms = start_wall_ms + l.job.window_to_ms + options_.segments.drain_ms + 5'000;
  }
  return l;
}

void LambdaPlatform::invoke_all(const std::vector<LambdaJob>& jobs) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < jobs.size(); i = next.fetch_add(1)) {
      const auto& job = jobs[i].job;
      RegionState* r = nullptr;
      try {
        r = &region_of(job.worker);
        aws::LambdaClient lambda(r->spec.config);
        ++r->invocations;
        const auto res =
            aws::value_or_throw(lambda.invoke_event(r->spec.function, to_json(jobs[i])));
        if (res.status != 202) {
          throw std::runtime_error(fmt::format("Invoke answered {} instead of 202", res.status));
        }
      } catch (const std::exception& e) {
        if (r != nullptr) ++r->invoke_failures;
        std::lock_guard lock(mutex_);
        failures_.emplace_back(job.worker, e.what());
        exits_.push_back(Exit{
            job.worker,
            fmt::format("segment {} could not be invoked: {}", job.segment + 1, e.what()), false});
      }
    }
  };
  const size_t n =
      std::min<size_t>(static_cast<size_t>(std::max(1, options_.invoke_threads)), jobs.size());
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) threads.emplace_back(work);
  for (auto& t : threads) t.join();
}

void LambdaPlatform::launch(const std::vector<fleet::WorkerJob>& jobs) {
  std::vector<LambdaJob> first;
  first.reserve(jobs.size());
  for (const auto& j : jobs) first.push_back(prepared(j, 0, 0));  // every region is known
  jobs_ = jobs;
  {
    std::lock_guard lock(mutex_);
    launched_ = true;
  }
  // Pollers first: a fast worker's `ready` must not wait for the last Invoke.
  for (auto& r : regions_) pollers_.emplace_back([this, &r] { poll(*r); });
  invoke_all(first);
  std::lock_guard lock(mutex_);
  if (!first.empty() && failures_.size() == first.size()) {
    throw std::runtime_error("no worker could be invoked: " + failures_.front().second);
  }
}

void LambdaPlatform::put_everywhere(const std::string& key, const std::string& body) {
  std::string first_error;
  for (auto& r : regions_) {
    try {
      aws::S3Client s3(r->spec.config);
      ++r->s3_puts;
      aws::value_or_throw(s3.put_object(r->spec.bucket, key, body, "text/plain"));
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = r->spec.region + ": " + e.what();
    }
  }
  if (!first_error.empty()) throw std::runtime_error("S3: " + first_error);
}

void LambdaPlatform::start(int64_t start_wall_ms) {
  put_everywhere(run_key(options_.run_id, "start"), std::to_string(start_wall_ms));
  if (options_.segments.windows.size() > 1) {
    scheduler_ = std::thread([this, start_wall_ms] { schedule_segments(start_wall_ms); });
  }
}

void LambdaPlatform::schedule_segments(int64_t start_wall_ms) {
  const auto& windows = options_.segments.windows;
  for (size_t k = 1; k < windows.size(); ++k) {
    const int64_t at = start_wall_ms + windows[k].first - options_.segments.lead_ms;
    {
      std::unique_lock lock(mutex_);
      Clock& clock = *options_.clock;
      while (!stopping_ && !quit_ && clock.wall_ms() < at) {
        clock.wait_until(lock, cv_,
                         clock.now_ns() + std::clamp<int64_t>(at - clock.wall_ms(), 1, 1000) *
                                              engine::kNanosPerMilli);
      }
      if (stopping_ || quit_) return;
    }
    std::vector<LambdaJob> next;
    {
      std::lock_guard lock(mutex_);
      for (const auto& j : jobs_) {
        // A worker whose earlier segment could not be invoked stays lost.
        const bool failed = std::any_of(failures_.begin(), failures_.end(),
                                        [&](const auto& f) { return f.first == j.worker; });
        if (!failed) next.push_back(prepared(j, k, start_wall_ms));
      }
    }
    invoke_all(next);
    segment_invocations_ += static_cast<int64_t>(next.size());
  }
}

void LambdaPlatform::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  put_everywhere(stop_key(options_.run_id), std::to_string(options_.clock->wall_ms()));
}

void LambdaPlatform::abort() { shutdown(); }

void LambdaPlatform::shutdown() {
  bool flag = false;
  {
    std::lock_guard lock(mutex_);
    if (quit_) return;
    // Workers still waiting for the start, or running, must end too: Lambda
    // cannot kill them, the stop flag does.
    flag = launched_ && !stopping_;
    stopping_ = true;
    quit_ = true;
  }
  if (flag) {
    try {
      put_everywhere(stop_key(options_.run_id), std::to_string(options_.clock->wall_ms()));
    } catch (const std::exception&) {
      // Best effort: the workers end at their deadline anyway.
    }
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& t : pollers_) t.join();
  pollers_.clear();
}

std::vector<LambdaPlatform::Exit> LambdaPlatform::exited() {
  std::lock_guard lock(mutex_);
  return std::exchange(exits_, {});
}

std::vector<std::string> LambdaPlatform::last_log(uint32_t worker) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [w, error] : failures_) {
    if (w == worker) out.push_back(error);
  }
  out.insert(out.end(), queue_errors_.begin(), queue_errors_.end());
  if (out.empty()) {
    out.push_back(
        fmt::format("(the worker's own log is in CloudWatch Logs, group /aws/lambda/{}, run {})",
                    regions_.front()->spec.function, options_.run_id));
  }
  return out;
}

void LambdaPlatform::poll(RegionState& r) {
  aws::SqsClient sqs(r.spec.config);
  std::string last_error;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (quit_) return;
    }
    // A failed call is noted once (until a call succeeds) and retried after 500 ms.
    auto failed = [&](const Error& e) {
      if (last_error != e.message) {
        last_error = e.message;
        std::lock_guard lock(mutex_);
        queue_errors_.push_back(r.spec.region + " queue: " + e.message);
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return quit_; });
    };
    ++r.sqs_requests;
    auto messages = sqs.receive_message(r.spec.queue_url, 10, options_.receive_wait_s);
    if (!messages) {
      failed(messages.error());
      continue;
    }
    if (messages->empty()) continue;
    std::vector<aws::BatchEntry> handles;
    {
      std::lock_guard lock(mutex_);
      for (auto& m : *messages) {
        inbox_.push_back(std::move(m.body));
        handles.push_back({std::to_string(handles.size()), m.receipt_handle});
      }
    }
    cv_.notify_all();
    // A message not deleted comes back after the visibility timeout; the
    // coordinator drops it as a duplicate then, so a failure here is benign.
    ++r.sqs_requests;
    if (const auto deleted = sqs.delete_message_batch(r.spec.queue_url, handles); !deleted) {
      failed(deleted.error());
      continue;
    }
    last_error.clear();
  }
}

std::vector<std::string> LambdaPlatform::receive(engine::Nanos timeout) {
  std::unique_lock lock(mutex_);
  options_.clock->wait_for(lock, cv_, timeout, [&] { return !inbox_.empty() || quit_; });
  std::vector<std::string> out;
  while (!inbox_.empty()) {
    out.push_back(std::move(inbox_.front()));
    inbox_.pop_front();
  }
  return out;
}

std::vector<PlatformUsage> LambdaPlatform::usage() const {
  std::vector<PlatformUsage> out;
  for (const auto& r : regions_) {
    PlatformUsage u;
    u.region = r->spec.region;
    u.invocations = r->invocations.load();
    u.invoke_failures = r->invoke_failures.load();
    u.sqs_requests = r->sqs_requests.load();
    u.s3_puts = r->s3_puts.load();
    out.push_back(u);
  }
  return out;
}

}  // namespace barrage::lambda
