#include "lambda/worker_main.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "aws/credentials.h"
#include "aws/result.h"
#include "aws/s3.h"
#include "fleet/worker.h"
#include "lambda/job.h"
#include "lambda/resources.h"
#include "lambda/runtime.h"
#include "lambda/sqs_output.h"
#include "lambda/stop_monitor.h"
#include "util/clock.h"
#include "util/exit_codes.h"

namespace barrage::lambda {

namespace {

using Clock = std::chrono::steady_clock;

// A worker flushes and ends this long before Lambda's deadline, so its last
// batch and done reach the queue before the sandbox is frozen.
constexpr int64_t kDeadlineMarginMs = 20'000;
// Of that margin, what the final flush may use; the rest is for the response.
constexpr int64_t kFlushBudgetMs = 15'000;

void log(const std::string& line) {
  std::fprintf(stderr, "barrage lambda-worker: %s\n", line.c_str());
  std::fflush(stderr);
}

struct JobOutcome {
  bool ok = false;
  std::string response;  // when ok
  std::string error_type;
  std::string error_message;
};

JobOutcome fail(std::string type, std::string message) {
  log(type + ": " + message);
  return JobOutcome{false, {}, std::move(type), std::move(message)};
}

// The start barrier: after `ready`, the coordinator writes the start instant
// (wall ms) to the job's start key once every worker is ready. Polled every
// 250 ms until it appears, the run is stopped, or `end_by` passes; nullopt
// then (the worker starts at once and ends at once).
std::optional<int64_t> wait_for_start(const aws::ClientConfig& config, const LambdaJob& job,
                                      int64_t end_by, const std::atomic<bool>& stop,
                                      uint64_t* requests) {
  aws::S3Client s3(config);
  std::string last_error;
  while (!stop.load() && (end_by <= 0 || wall_now_ms() < end_by)) {
    ++*requests;
    const auto head = s3.head_object(job.bucket, job.start_key);
    std::optional<Error> error;
    if (!head) {
      error = head.error();
    } else if (*head) {
      ++*requests;
      const auto body = s3.get_object(job.bucket, job.start_key);
      if (body) {
        int64_t ms = 0;
        const auto [end, ec] = std::from_chars(body->data(), body->data() + body->size(), ms);
        if (ec == std::errc() && ms > 0) return ms;
        log("start object '" + job.start_key + "' holds no start time: '" + body->substr(0, 40) +
            "'");
        return std::nullopt;
      }
      error = body.error();
    }
    if (error) {
      if (last_error != error->message) log("waiting for the start: " + error->message);
      last_error = error->message;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return std::nullopt;
}

// Puts the job's files where its script expects them: a fresh directory under
// the temp dir (Lambda's /tmp), the script's directory nested deep enough that
// "../data.csv" stays inside it. Rewrites the job's script path and its
// --config / --dotenv / -p paths to the fetched copies.
void fetch_files(const aws::ClientConfig& config, LambdaJob& lj, uint64_t* requests) {
  namespace fs = std::filesystem;
  fleet::WorkerJob& job = lj.job;
  const ShippedFiles& shipped = lj.shipped;
  size_t depth = 0;
  for (const auto& [rel, key] : shipped.files) {
    const fs::path p = fs::path(rel).lexically_normal();
    if (p.is_absolute() || rel.empty())
      throw std::runtime_error("job file '" + rel + "' is not relative");
    size_t up = 0;
    for (const auto& part : p) {
      if (part != "..") break;
      ++up;
    }
    depth = std::max(depth, up);
  }
  const fs::path root = fs::temp_directory_path() /
                        fmt::format("barrage-{}-{}-{}", job.run_id, job.worker, job.segment);
  fs::path dir = root / "s";
  for (size_t i = 0; i < depth; ++i) dir /= "d";
  fs::create_directories(dir);
  aws::S3Client s3(config);
  if (!shipped.script_key.empty()) {
    ++*requests;
    job.script_text = aws::value_or_throw(s3.get_object(lj.bucket, shipped.script_key));
  }
  for (const auto& [rel, key] : shipped.files) {
    const fs::path dest = (dir / rel).lexically_normal();
    fs::create_directories(dest.parent_path());
    ++*requests;
    const std::string bytes = aws::value_or_throw(s3.get_object(lj.bucket, key));
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + dest.string());
  }
  job.script_path = (dir / fs::path(job.script_path).filename()).string();
  for (auto* path : {&job.load.config_file, &job.load.dotenv_file, &job.load.payload_file}) {
    if (*path && shipped.files.contains(**path)) *path = (dir / **path).lexically_normal().string();
  }
}

// The job's region and the default credentials chain (the function's role).
aws::ClientConfig worker_config(const LambdaJob& job) {
  const aws::Env env = aws::process_env();
  aws::ClientConfig config;
  config.region =
      !job.region.empty() ? job.region : aws::resolve_region("", env).value_or("us-east-1");
  aws::CredentialsOptions co;
  co.region = config.region;
  config.credentials = aws::make_default_credentials_provider(co);
  return config;
}

// Tells the coordinator, through the protocol, why the worker cannot run.
void send_error(SqsOutput& output, const fleet::WorkerJob& job, const std::string& reason) {
  fleet::Message m;
  m.kind = fleet::Kind::kError;
  m.run_id = job.run_id;
  m.worker = job.worker;
  m.seq = 1;
  m.reason = reason;
  for (const auto& envelope : fleet::encode(m)) output.push(envelope);
  output.close(Clock::now() + std::chrono::milliseconds(kFlushBudgetMs));
}

// When to end at the latest: the segment's end, and the safety net before
// Lambda's deadline; whichever comes first (0 = none).
int64_t end_by_of(const LambdaJob& job, const Invocation& inv) {
  int64_t end_by = job.segment_end_wall_ms;
  if (inv.deadline_wall_ms) {
    const int64_t net = *inv.deadline_wall_ms - kDeadlineMarginMs;
    end_by = end_by > 0 ? std::min(end_by, net) : net;
  }
  return end_by;
}

StopOptions stop_options(const LambdaJob& job, int64_t end_by) {
  StopOptions so;
  so.bucket = job.stop_key.empty() ? std::string() : job.bucket;
  so.key = job.stop_key;
  so.end_by_wall_ms = end_by;
  if (!job.stop_key.empty()) so.ack_key = ack_key(job.job.run_id, static_cast<int>(job.job.worker));
  return so;
}

struct Segment {
  const aws::ClientConfig& config;
  const LambdaJob& job;
  fleet::Worker& worker;
  SqsOutput& output;
  int64_t end_by = 0;
  Clock::time_point invoked;
  uint64_t file_requests = 0;
};

struct Ran {
  bool ok = false;
  StopReason reason = StopReason::kNone;
};

// ready, the start barrier, the run, under the stop monitor (S3 flag, end).
Ran run_segment(const Segment& seg) {
  const fleet::WorkerJob& job = seg.job.job;
  std::atomic<bool> stop{false};
  StopMonitor monitor(seg.config, stop_options(seg.job, seg.end_by), &stop);
  uint64_t start_requests = 0;
  seg.worker.set_done_extras([&](bool /*interrupted*/) {
    fleet::Worker::DoneExtras x;
    // A stop flag ends the whole test; a segment's end hands over.
    x.more = job.segment + 1 < job.segments && monitor.reason() != StopReason::kFlag;
    x.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - seg.invoked).count();
    // The done itself and the final flush go in about one more batch.
    x.sqs_requests = seg.output.stats().batches + 1;
    x.s3_requests = monitor.polls() + start_requests + seg.file_requests;
    return x;
  });
  seg.worker.send_ready();
  seg.output.flush_soon();
  int64_t start = job.start_wall_ms;
  if (!seg.job.start_key.empty()) {
    const auto at = wait_for_start(seg.config, seg.job, seg.end_by, stop, &start_requests);
    // No start time (stopped before the start, or past the end): a start
    // in the past with the stop set ends the run at once.
    if (at) {
      // A later segment's start_wall_ms is the test's phase 0 already.
      if (job.segment == 0) start = *at;
    } else {
      stop.store(true);
    }
  }
  log(fmt::format("run {} worker {}/{} segment {}/{}: starting{}", job.run_id, job.worker,
                  job.workers, job.segment + 1, job.segments,
                  seg.end_by > 0
                      ? fmt::format(", ending by {} ms from now", seg.end_by - wall_now_ms())
                      : std::string()));
  Ran ran;
  ran.ok = seg.worker.run(start, &stop);
  ran.reason = monitor.reason();
  return ran;
}

// The final flush: its budget, and never past Lambda's deadline.
Clock::time_point flush_until(const Invocation& inv) {
  auto until = Clock::now() + std::chrono::milliseconds(kFlushBudgetMs);
  if (inv.deadline_wall_ms) {
    const int64_t left = *inv.deadline_wall_ms - wall_now_ms() - 2'000;
    until = std::min(until, Clock::now() + std::chrono::milliseconds(left));
  }
  return until;
}

JobOutcome handle(const Invocation& inv) {
  const auto invoked = Clock::now();
  if (!inv.deadline_problem.empty())
    log("deadline unknown (" + inv.deadline_problem + "); no deadline safety net");
  auto lj = lambda_job_from_json(inv.body);
  if (!lj) return fail("Barrage.InvalidJob", lj.error().describe());
  if (lj->queue_url.empty())
    return fail("Barrage.InvalidJob", "the job names no queue_url for the worker's messages");

  const aws::ClientConfig config = worker_config(*lj);
  SqsOutput output(config, lj->queue_url);
  std::unique_ptr<fleet::Worker> worker;
  uint64_t file_requests = 0;
  const fleet::WorkerJob* job = &lj->job;
  try {
    if (!lj->shipped.empty()) fetch_files(config, *lj, &file_requests);
    worker = std::make_unique<fleet::Worker>(*job, output.output());
  } catch (const std::exception& e) {
    send_error(output, *job, e.what());
    return fail("Barrage.ScriptError", e.what());
  }
  const Ran ran = run_segment(
      Segment{config, *lj, *worker, output, end_by_of(*lj, inv), invoked, file_requests});
  const SqsOutputStats stats = output.close(flush_until(inv));
  log(fmt::format(
      "run {} worker {}: {} (stopped by {}), {} messages sent in {} batches, {} dropped",
      job->run_id, job->worker, ran.ok ? "done" : "failed", stop_reason_name(ran.reason),
      stats.sent, stats.batches, stats.dropped));
  if (!ran.ok) return fail("Barrage.WorkerFailed", "the engine failed; the reason is on the queue");
  const nlohmann::json summary{{"run_id", job->run_id},
                               {"worker", job->worker},
                               {"stopped_by", stop_reason_name(ran.reason)},
                               {"messages_sent", stats.sent},
                               {"messages_dropped", stats.dropped},
                               {"sqs_batches", stats.batches}};
  return JobOutcome{true, summary.dump(), {}, {}};
}

}  // namespace

int run_worker_runtime() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr || *api == '\0') {
    std::fprintf(stderr,
                 "barrage lambda-worker: AWS_LAMBDA_RUNTIME_API is not set (this command is "
                 "the Lambda custom runtime; the package's bootstrap starts it)\n");
    return kExitUsage;
  }
  RuntimeClient runtime(api);
  while (true) {
    Invocation inv;
    try {
      inv = runtime.next();
    } catch (const RuntimeApiError& e) {
      log(e.what());
      return 1;
    }
    JobOutcome outcome;
    try {
      outcome = handle(inv);
    } catch (const std::exception& e) {
      outcome = fail("Barrage.Error", e.what());
    }
    try {
      if (outcome.ok) {
        runtime.post_response(inv.request_id, outcome.response);
      } else {
        runtime.post_error(inv.request_id, outcome.error_type, outcome.error_message);
      }
    } catch (const RuntimeApiError& e) {
      log(e.what());
      return 1;
    }
  }
}

}  // namespace barrage::lambda
