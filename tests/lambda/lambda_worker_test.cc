// `barrage lambda-worker` as Lambda runs it: a loopback Runtime API fixture
// hands out one invocation whose event is a WorkerJob; SQS and S3 are the
// fauxqs emulator (tests/aws, reached through AWS_ENDPOINT_URL). What a
// coordinator would see is checked on the queue: ready, batches, done.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "aws/s3.h"
#include "aws/sqs.h"
#include "demo_target/target_server.h"
#include "engine/pacer.h"
#include "fauxqs.h"
#include "fixture_server.h"
#include "fleet/job.h"
#include "fleet/protocol.h"
#include "lambda/job.h"
#include "lambda/runtime.h"
#include "missing_deps.h"
#include "script/loader.h"
#include "servers.h"
#include "util/clock.h"

namespace barrage::lambda {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using aws::testing_support::CannedResponse;
using aws::testing_support::FixtureServer;
using aws::testing_support::RecordedRequest;
using Clock = std::chrono::steady_clock;

const std::string kExe = BARRAGE_EXE;

using testing::Fauxqs;

aws::ClientConfig config_for(const Fauxqs& emulator) {
  aws::ClientConfig c;
  c.region = "us-east-1";
  c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  c.env = aws::map_env({{"AWS_ENDPOINT_URL", emulator.url()}});
  c.retry.max_attempts = 2;
  return c;
}

// The Runtime API as Lambda serves it, for one invocation: the first /next
// gets `event`; a later /next waits until release() and then fails, which
// ends the worker (as a runtime does when the API goes away).
class RuntimeApiFixture {
 public:
  explicit RuntimeApiFixture(std::string event, int64_t deadline_in_ms = 120'000)
      : event_(std::move(event)),
        deadline_in_ms_(deadline_in_ms),
        server_([this](const RecordedRequest& r) { return handle(r); }) {}
  ~RuntimeApiFixture() { release(); }

  std::string api() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  // Waits for the invocation's /response or /error; returns its path and body.
  std::optional<RecordedRequest> wait_result(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return result_.has_value(); });
    return result_;
  }
  Clock::time_point result_time() {
    std::lock_guard lock(mutex_);
    return result_time_;
  }

 private:
  CannedResponse handle(const RecordedRequest& r) {
    const std::string base = "/2018-06-01/runtime";
    if (r.method == "GET" && r.path() == base + "/invocation/next") {
      std::unique_lock lock(mutex_);
      if (!handed_out_) {
        handed_out_ = true;
        return {200,
                {{"Lambda-Runtime-Aws-Request-Id", "req-1"},
                 {"Lambda-Runtime-Deadline-Ms", std::to_string(wall_now_ms() + deadline_in_ms_)},
                 {"Lambda-Runtime-Invoked-Function-Arn",
                  "arn:aws:lambda:us-east-1:123456789012:function:barrage-worker"},
                 {"Content-Type", "application/json"}},
                event_};
      }
      cv_.wait_for(lock, 60s, [&] { return released_; });
      return {500, {}, R"({"errorMessage":"fixture done","errorType":"Fixture.Done"})"};
    }
    if (r.method == "POST" && (r.path() == base + "/invocation/req-1/response" ||
                               r.path() == base + "/invocation/req-1/error")) {
      std::lock_guard lock(mutex_);
      result_ = r;
      result_time_ = Clock::now();
      cv_.notify_all();
      return {202, {}, R"({"status":"OK"})"};
    }
    return {404, {}, "{}"};
  }

  std::string event_;
  int64_t deadline_in_ms_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool handed_out_ = false;
  bool released_ = false;
  std::optional<RecordedRequest> result_;
  Clock::time_point result_time_;
  FixtureServer server_;  // last: its thread calls handle()
};

struct Target {
  demo_target::TargetServer server{demo_target::TargetOptions{}};
  bool started = false;
  std::string error;
  Target() {
    const auto started_ok = server.start();
    started = started_ok.has_value();
    if (!started_ok) error = started_ok.error().describe();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
};

std::string script_for(const std::string& target, int duration_s, int rate) {
  return "config:\n  target: " + target +
         "\n  phases:\n    - { duration: " + std::to_string(duration_s) +
         ", arrivalRate: " + std::to_string(rate) +
         " }\nscenarios:\n  - flow:\n      - get: { url: / }\n";
}

uint64_t expected_arrivals(const std::string& yaml) {
  const auto plan = script::load_plan_string(yaml, "script.yml", {}).value();
  engine::Pacer p(plan.phases, 0, 1);
  uint64_t n = 0;
  while (p.next_arrival()) ++n;
  return n;
}

LambdaJob job_for(const std::string& yaml, const std::string& queue_url, const std::string& bucket,
                  const std::string& stop_key) {
  LambdaJob j;
  j.job.run_id = "lambda-test";
  j.job.script_path = "script.yml";
  j.job.script_text = yaml;
  j.job.seed = 7;
  j.job.period_ms = 1000;
  j.job.heartbeat_ms = 500;
  j.queue_url = queue_url;
  j.bucket = bucket;
  j.stop_key = stop_key;
  j.region = "us-east-1";
  return j;
}

// The environment Lambda gives the runtime (credentials are dummies: fauxqs
// ignores signatures).
std::vector<std::string> lambda_env(const RuntimeApiFixture& api, const Fauxqs& emulator) {
  return {"AWS_LAMBDA_RUNTIME_API=" + api.api(), "AWS_ENDPOINT_URL=" + emulator.url(),
          "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=dummysecret",
          "AWS_REGION=us-east-1"};
}

struct QueueContents {
  std::vector<fleet::Message> messages;
  int ready = 0;
  int batches = 0;
  int heartbeats = 0;
  int errors = 0;
  std::optional<fleet::Message> done;
  uint64_t requests = 0;  // http.requests over the batches
  std::string problems;
};

// Reads the queue until a done (or error) arrived and nothing more comes.
QueueContents drain(aws::SqsClient& sqs, const std::string& queue_url) {
  QueueContents q;
  fleet::Decoder decoder;
  const auto deadline = Clock::now() + 20s;
  int empty_polls = 0;
  while (Clock::now() < deadline) {
    const auto got = sqs.receive_message(queue_url, 10, 1).value();
    if (got.empty()) {
      if ((q.done || q.errors > 0) && ++empty_polls >= 2) break;
      continue;
    }
    empty_polls = 0;
    std::vector<aws::BatchEntry> handles;
    for (const auto& m : got) {
      handles.push_back({std::to_string(handles.size()), m.receipt_handle});
      auto added = decoder.add(m.body);
      if (!added) q.problems += added.error().message + "\n";
      auto msg = added ? std::move(*added) : std::nullopt;
      if (!msg) continue;
      switch (msg->kind) {
        case fleet::Kind::kReady:
          ++q.ready;
          break;
        case fleet::Kind::kBatch:
          ++q.batches;
          q.requests += msg->snapshot.counter("http.requests");
          break;
        case fleet::Kind::kHeartbeat:
          ++q.heartbeats;
          break;
        case fleet::Kind::kDone:
          q.done = *msg;
          break;
        case fleet::Kind::kError:
          ++q.errors;
          q.problems += "error message: " + msg->reason + "\n";
          break;
      }
      q.messages.push_back(std::move(*msg));
    }
    sqs.delete_message_batch(queue_url, handles).value();
  }
  return q;
}

// Runs argv (with the Lambda environment) in the background.
class Background {
 public:
  Background(std::vector<std::string> argv, std::vector<std::string> env)
      : thread_([this, a = std::move(argv), e = std::move(env)] {
          result_ = testing::run_measured(a, e, 90);
        }) {}
  ~Background() {
    if (thread_.joinable()) thread_.join();
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  const testing::MeasuredRun& wait() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  testing::MeasuredRun result_;
  std::thread thread_;
};

struct Fixture {
  Fauxqs emulator;
  Target target;
  std::unique_ptr<aws::SqsClient> sqs;
  std::unique_ptr<aws::S3Client> s3;
  std::string queue_url;
  const std::string bucket = "barrage-123456789012-us-east-1";

  std::string setup(const std::string& queue) {
    if (!emulator.error().empty()) return emulator.error();
    if (!target.started) return "target: " + target.error;
    sqs = std::make_unique<aws::SqsClient>(config_for(emulator));
    s3 = std::make_unique<aws::S3Client>(config_for(emulator));
    queue_url = sqs->create_queue(queue).value();
    s3->create_bucket(bucket).value();
    return {};
  }
};

// Runs one invocation of a 2-second script through `argv` and checks what
// the Runtime API and the queue saw.
void run_one_invocation(const std::vector<std::string>& argv) {
  Fixture f;
  if (f.emulator.not_installed()) BARRAGE_MISSING_DEP(f.emulator.error());
  const std::string problem = f.setup("barrage-run-lambda-test");
  ASSERT_TRUE(problem.empty()) << problem;
  const std::string yaml = script_for(f.target.url(), 2, 20);
  const uint64_t arrivals = expected_arrivals(yaml);
  ASSERT_GT(arrivals, 30U);
  RuntimeApiFixture api(to_json(job_for(yaml, f.queue_url, f.bucket, "runs/x/stop")));
  Background worker(argv, lambda_env(api, f.emulator));

  const auto result = api.wait_result(40s);
  const QueueContents q = drain(*f.sqs, f.queue_url);
  api.release();
  const auto& run = worker.wait();
  ASSERT_TRUE(result) << run.out;
  EXPECT_EQ(result->path(), "/2018-06-01/runtime/invocation/req-1/response") << result->body;
  const auto summary = nlohmann::json::parse(result->body, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << result->body;
  EXPECT_EQ(summary.value("run_id", ""), "lambda-test");
  EXPECT_EQ(summary.value("stopped_by", ""), "none");
  EXPECT_EQ(summary.value("messages_dropped", -1), 0);

  EXPECT_TRUE(q.problems.empty()) << q.problems;
  EXPECT_EQ(q.ready, 1);
  EXPECT_GE(q.batches, 2);
  ASSERT_TRUE(q.done) << run.out;
  EXPECT_FALSE(q.done->interrupted);
  EXPECT_EQ(q.done->batches, static_cast<uint64_t>(q.batches));
  EXPECT_EQ(q.requests, arrivals);
  EXPECT_EQ(summary.value("messages_sent", uint64_t{0}), q.messages.size());
  // The second /next failed: the runtime ends, as Lambda expects.
  EXPECT_EQ(run.exit_code, 1) << run.out;
}

TEST(LambdaWorker, RunsAnInvocationAndStreamsToSqs) { run_one_invocation({kExe, "lambda-worker"}); }

TEST(LambdaWorker, StopFlagEndsTheRunWithinTwoAndAHalfSeconds) {
  Fixture f;
  if (f.emulator.not_installed()) BARRAGE_MISSING_DEP(f.emulator.error());
  const std::string problem = f.setup("barrage-run-lambda-stop");
  ASSERT_TRUE(problem.empty()) << problem;
  const std::string yaml = script_for(f.target.url(), 30, 10);
  const std::string stop_key = "runs/lambda-test/stop";
  RuntimeApiFixture api(to_json(job_for(yaml, f.queue_url, f.bucket, stop_key)));
  Background worker({kExe, "lambda-worker"}, lambda_env(api, f.emulator));

  std::this_thread::sleep_for(2500ms);
  const auto stopped_at = Clock::now();
  f.s3->put_object(f.bucket, stop_key, "stop");
  const auto result = api.wait_result(20s);
  const auto elapsed = api.result_time() - stopped_at;
  const QueueContents q = drain(*f.sqs, f.queue_url);
  api.release();
  const auto& run = worker.wait();
  ASSERT_TRUE(result) << run.out;
  EXPECT_LT(elapsed, 2500ms) << run.out;
  EXPECT_EQ(result->path(), "/2018-06-01/runtime/invocation/req-1/response");
  EXPECT_NE(result->body.find(R"("stopped_by":"stop-flag")"), std::string::npos) << result->body;
  ASSERT_TRUE(q.done) << run.out;
  EXPECT_TRUE(q.done->interrupted);
  EXPECT_EQ(q.ready, 1);
  EXPECT_GT(q.requests, 0U);
  EXPECT_LT(q.requests, 300U);  // far from the 30 s script's total
}

TEST(LambdaWorker, DeadlineSafetyNetEndsTwentySecondsEarly) {
  Fixture f;
  if (f.emulator.not_installed()) BARRAGE_MISSING_DEP(f.emulator.error());
  const std::string problem = f.setup("barrage-run-lambda-deadline");
  ASSERT_TRUE(problem.empty()) << problem;
  const std::string yaml = script_for(f.target.url(), 30, 5);
  // Lambda's deadline 23 s ahead: the worker must end by 3 s.
  RuntimeApiFixture api(to_json(job_for(yaml, f.queue_url, f.bucket, "")), 23'000);
  const auto started = Clock::now();
  Background worker({kExe, "lambda-worker"}, lambda_env(api, f.emulator));
  const auto result = api.wait_result(30s);
  const auto elapsed = api.result_time() - started;
  const QueueContents q = drain(*f.sqs, f.queue_url);
  api.release();
  const auto& run = worker.wait();
  ASSERT_TRUE(result) << run.out;
  EXPECT_LT(elapsed, 8s) << run.out;
  EXPECT_NE(result->body.find(R"("stopped_by":"deadline")"), std::string::npos) << result->body;
  ASSERT_TRUE(q.done) << run.out;
  EXPECT_TRUE(q.done->interrupted);
}

TEST(LambdaWorker, InvalidJobIsReportedAsAnInvocationError) {
  Fauxqs emulator;
  if (emulator.not_installed()) BARRAGE_MISSING_DEP(emulator.error());
  ASSERT_TRUE(emulator.error().empty()) << emulator.error();
  // A Lambda job whose neutral part is incomplete: fleet::job_from_json's error.
  RuntimeApiFixture api(R"({"job":{"version":1},"lambda":{}})");
  Background worker({kExe, "lambda-worker"}, lambda_env(api, emulator));
  const auto result = api.wait_result(20s);
  api.release();
  const auto& run = worker.wait();
  ASSERT_TRUE(result) << run.out;
  EXPECT_EQ(result->path(), "/2018-06-01/runtime/invocation/req-1/error");
  EXPECT_EQ(result->header("Lambda-Runtime-Function-Error-Type"), "Barrage.InvalidJob");
  const auto body = nlohmann::json::parse(result->body, nullptr, false);
  EXPECT_EQ(body.value("errorType", ""), "Barrage.InvalidJob");
  EXPECT_NE(body.value("errorMessage", "").find("job field missing"), std::string::npos)
      << result->body;
}

TEST(LambdaWorker, PackagedBootstrapRunsThroughTheBundledLoader) {
  const std::string dir = testing::make_temp_dir();
  const auto pkg = testing::run_command(kExe + " lambda package -o " + dir + "/worker.zip");
  ASSERT_EQ(pkg.exit_code, 0) << pkg.out;
  EXPECT_NE(pkg.out.find("bytes"), std::string::npos) << pkg.out;
  std::printf("%s", pkg.out.c_str());  // the zip's size, for the log
  const auto size = fs::file_size(dir + "/worker.zip");
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Sanitized builds are several times larger; the size bound is for real builds.
  EXPECT_LT(size, 50U * 1024 * 1024);
#else
  EXPECT_GT(size, 0U);
#endif
  // python3's zipfile does not restore modes; unzip does.
  const auto unz =
      testing::run_command("cd " + dir + " && mkdir task && cd task && unzip -q ../worker.zip");
  ASSERT_EQ(unz.exit_code, 0) << unz.out;
  const fs::path task = fs::path(dir) / "task";
  for (const char* f : {"bootstrap", "barrage", "ld-linux-x86-64.so.2"}) {
    ASSERT_TRUE(fs::exists(task / f)) << f;
    EXPECT_NE(fs::status(task / f).permissions() & fs::perms::owner_exec, fs::perms::none) << f;
  }
  EXPECT_TRUE(fs::exists(task / "lib/libc.so.6"));
  EXPECT_TRUE(fs::exists(task / "lib/libstdc++.so.6"));
  run_one_invocation({(task / "bootstrap").string()});
}

TEST(LambdaPackage, Arm64IsRefusedWithAReason) {
  const auto r = testing::run_command(kExe + " lambda package --arch arm64 -o /dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("arm64 packages are not available"), std::string::npos) << r.out;
}

TEST(LambdaRuntime, DeadlineHeaderSanity) {
  const int64_t now = 1'700'000'000'000;
  EXPECT_EQ(parse_deadline(std::to_string(now + 60'000), now), now + 60'000);
  const auto past = parse_deadline(std::to_string(now - 1), now);
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().message.find("in the past"), std::string::npos) << past.error().message;
  const auto far = parse_deadline(std::to_string(now + 17 * 60'000), now);
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().message.find("15-minute"), std::string::npos) << far.error().message;
  EXPECT_FALSE(parse_deadline("soon", now));
  EXPECT_FALSE(parse_deadline("", now));
  EXPECT_TRUE(parse_deadline(std::to_string(now + 15 * 60'000), now));
}

TEST(LambdaJob, TheNeutralJobTravelsBesideTheLambdaFields) {
  LambdaJob j = job_for("config: {}\n", "http://q", "b", "runs/r/stop");
  j.job.start_wall_ms = 123;
  j.start_key = "runs/r/start";
  j.segment_end_wall_ms = 456;
  j.shipped.files["data.csv"] = "runs/r/files/0";
  j.shipped.script_key = "runs/r/files/script";
  const std::string text = to_json(j);
  auto back = lambda_job_from_json(text);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->queue_url, "http://q");
  EXPECT_EQ(back->bucket, "b");
  EXPECT_EQ(back->stop_key, "runs/r/stop");
  EXPECT_EQ(back->start_key, "runs/r/start");
  EXPECT_EQ(back->region, "us-east-1");
  EXPECT_EQ(back->segment_end_wall_ms, 456);
  EXPECT_EQ(back->shipped, j.shipped);
  EXPECT_EQ(back->job.start_wall_ms, 123);
  EXPECT_EQ(back->job.run_id, "lambda-test");
  // The "job" section is exactly what fleet/job.cc writes, the Lambda fields
  // are only in the "lambda" section.
  const auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed.at("job").dump(), nlohmann::json::parse(fleet::to_json(j.job)).dump());
  EXPECT_FALSE(parsed.at("job").contains("queue_url"));
  EXPECT_EQ(parsed.at("lambda").at("queue_url"), "http://q");
  // A bare neutral job is not a Lambda invocation.
  EXPECT_FALSE(lambda_job_from_json(fleet::to_json(j.job)));
  // Without a lambda section: the neutral job with no Lambda fields.
  auto bare = lambda_job_from_json(R"({"job":)" + fleet::to_json(j.job) + "}");
  ASSERT_TRUE(bare) << bare.error().describe();
  EXPECT_TRUE(bare->queue_url.empty());
  // The neutral part is checked by fleet::job_from_json.
  j.job.workers = 0;
  const auto bad_neutral = lambda_job_from_json(to_json(j));
  ASSERT_FALSE(bad_neutral);
  EXPECT_EQ(bad_neutral.error().message, "job fields out of range");
  j.job.workers = 1;
  // A stop key, start key or files need their bucket.
  j.bucket.clear();
  EXPECT_FALSE(lambda_job_from_json(to_json(j)));
  j.stop_key.clear();
  j.start_key.clear();
  EXPECT_FALSE(lambda_job_from_json(to_json(j)));
  j.shipped = {};
  const auto ok = lambda_job_from_json(to_json(j));
  EXPECT_TRUE(ok) << ok.error().describe();
}

}  // namespace
}  // namespace barrage::lambda
