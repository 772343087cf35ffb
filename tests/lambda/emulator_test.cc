// Lambda workers end to end through the local emulation (emulators.h): the
// zip from `barrage lambda package` is deployed with aws::LambdaClient to the
// control plane fixture, which runs invocations through @vercel/fun; workers
// stream to a fauxqs SQS queue and poll their stop flag in fauxqs S3. What a
// coordinator would see is read from the queue with fleet::Decoder.
#include <gtest/gtest.h>
#include <signal.h>
#include <zip.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "aws/errors.h"
#include "aws/iam.h"
#include "aws/lambda.h"
#include "aws/s3.h"
#include "aws/sqs.h"
#include "aws/sts.h"
#include "demo_target/target_server.h"
#include "emulators.h"
#include "engine/pacer.h"
#include "fleet/job.h"
#include "fleet/protocol.h"
#include "lambda/job.h"
#include "metrics/snapshot.h"
#include "missing_deps.h"
#include "script/loader.h"
#include "servers.h"

namespace barrage::lambda {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::LambdaEmulators;

const std::string kExe = BARRAGE_EXE;
const std::string kBucket = "barrage-123456789012-us-east-1";
const std::string kRoleName = "barrage-lambda-worker";
constexpr size_t kMaxInlineZip = 50U * 1024 * 1024;  // Lambda's API limit for Code.ZipFile
constexpr const char* kTrustPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]})";

#define ASSERT_STARTED(aws)                                        \
  do {                                                             \
    if ((aws).not_installed()) BARRAGE_MISSING_DEP((aws).error()); \
    ASSERT_TRUE((aws).error().empty()) << (aws).error();           \
  } while (0)

// The worker zip, packaged once per build of barrage (packaging takes
// seconds): reused while it is newer than the binary; written atomically so
// tests running in parallel share it.
std::string worker_zip() {
  const std::string zip = testing::worker_zip_path(kExe);
  return zip.empty() ? std::string() : testing::read_file(zip);
}

// A zip holding one executable file, written with libzip.
std::string small_zip(const std::string& name, const std::string& content) {
  const std::string path = testing::make_temp_dir() + "/small.zip";
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (z == nullptr) return {};
  zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
  const zip_int64_t index = zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(src);
    zip_discard(z);
    return {};
  }
  zip_file_set_external_attributes(z, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                                   static_cast<zip_uint32_t>(0100755) << 16);
  if (zip_close(z) != 0) {
    zip_discard(z);
    return {};
  }
  return testing::read_file(path);
}

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

uint64_t arrivals(const std::string& yaml, uint64_t slice, uint64_t slices) {
  const auto plan = script::load_plan_string(yaml, "script.yml", {}).value();
  engine::Pacer p(plan.phases, slice, slices);
  uint64_t n = 0;
  while (p.next_arrival()) ++n;
  return n;
}

std::vector<LambdaJob> jobs_for(const std::string& yaml, uint32_t workers,
                                const std::string& queue_url, const std::string& stop_key) {
  fleet::WorkerJob base;
  base.run_id = "emulated-run";
  base.script_path = "script.yml";
  base.script_text = yaml;
  base.period_ms = 1000;
  base.heartbeat_ms = 500;
  fleet::SplitOptions split;
  split.count = workers;
  split.seed = 11;
  std::vector<LambdaJob> jobs;
  for (auto& j : fleet::split_jobs(base, split)) {
    LambdaJob l;
    l.job = std::move(j);
    l.queue_url = queue_url;
    l.bucket = kBucket;
    l.stop_key = stop_key;
    l.region = LambdaEmulators::kRegion;
    jobs.push_back(std::move(l));
  }
  return jobs;
}

// What one worker put on the queue, as the coordinator would see it.
struct WorkerView {
  std::optional<Clock::time_point> ready_at;
  int64_t ready_pid = 0;
  int ready = 0;
  int batches = 0;
  int heartbeats = 0;
  uint64_t requests = 0;  // http.requests over its batches
  std::optional<fleet::Message> done;
  std::optional<Clock::time_point> done_at;
  std::vector<std::string> errors;
};

class QueueReader {
 public:
  QueueReader(aws::SqsClient& sqs, std::string queue_url)
      : sqs_(sqs), queue_url_(std::move(queue_url)) {}

  // Reads (and deletes) messages until pred() holds or the timeout passes.
  bool read_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!pred()) {
      if (Clock::now() >= deadline) return false;
      const auto got = sqs_.receive_message(queue_url_, 10, 1).value();
      const auto at = Clock::now();
      std::vector<aws::BatchEntry> handles;
      for (const auto& m : got) {
        handles.push_back({std::to_string(handles.size()), m.receipt_handle});
        auto added = decoder_.add(m.body);
        if (!added) problems += added.error().message + "\n";
        auto msg = added ? std::move(*added) : std::nullopt;
        if (msg) take(std::move(*msg), at);
      }
      if (!handles.empty()) sqs_.delete_message_batch(queue_url_, handles).value();
    }
    return true;
  }
  // Reads until nothing arrives for `quiet`.
  void read_rest(std::chrono::milliseconds quiet = 2500ms) {
    size_t seen = messages;
    auto last_change = Clock::now();
    read_until(
        [&] {
          if (messages != seen) {
            seen = messages;
            last_change = Clock::now();
          }
          return Clock::now() - last_change >= quiet;
        },
        30s);
  }

  std::map<uint32_t, WorkerView> workers;
  metrics::Snapshot merged;  // every batch merged, as the coordinator's report
  size_t messages = 0;
  std::string problems;

 private:
  void take(fleet::Message m, Clock::time_point at) {
    ++messages;
    WorkerView& w = workers[m.worker];
    switch (m.kind) {
      case fleet::Kind::kReady:
        ++w.ready;
        w.ready_at = at;
        w.ready_pid = m.pid;
        break;
      case fleet::Kind::kBatch:
        ++w.batches;
        w.requests += m.snapshot.counter("http.requests");
        merged.merge(m.snapshot);
        break;
      case fleet::Kind::kHeartbeat:
        ++w.heartbeats;
        break;
      case fleet::Kind::kDone:
        w.done = std::move(m);
        w.done_at = at;
        break;
      case fleet::Kind::kError:
        w.errors.push_back(m.reason);
        break;
    }
  }

  aws::SqsClient& sqs_;
  std::string queue_url_;
  fleet::Decoder decoder_;
};

// A deployed worker function and the run's queue and bucket.
struct Deployment {
  std::string problem;  // empty when deployed
  std::string function = "barrage-worker-emulated-x86_64-1024";
  size_t zip_bytes = 0;
  std::unique_ptr<aws::LambdaClient> lambda;
  std::unique_ptr<aws::SqsClient> sqs;
  std::unique_ptr<aws::S3Client> s3;
  std::string queue_url;

  explicit Deployment(const LambdaEmulators& aws, const std::string& queue_name) {
    const std::string zip = worker_zip();
    if (zip.empty()) {
      problem = "`barrage lambda package` failed";
      return;
    }
    zip_bytes = zip.size();
    const aws::ClientConfig config = aws.client_config();
    aws::IamClient iam(config);
    const aws::Role role = iam.create_role(kRoleName, kTrustPolicy).value();
    lambda = std::make_unique<aws::LambdaClient>(config);
    aws::FunctionSpec spec;
    spec.name = function;
    spec.role_arn = role.arn;
    spec.timeout_seconds = 120;
    s3 = std::make_unique<aws::S3Client>(config);
    s3->create_bucket(kBucket).value();
    if (zip.size() <= kMaxInlineZip) {
      spec.code.zip_file = zip;
    } else {  // as Lambda wants it (a sanitized build's zip is larger)
      s3->put_object(kBucket, "packages/worker.zip", zip).value();
      spec.code.s3_bucket = kBucket;
      spec.code.s3_key = "packages/worker.zip";
    }
    lambda->create_function(spec).value();
    aws::WaitOptions wait;
    wait.timeout = 60s;
    wait.interval = 100ms;
    lambda->wait_until_active(function, wait).value();
    lambda->put_function_event_invoke_config(function, 0).value();
    sqs = std::make_unique<aws::SqsClient>(config);
    queue_url = sqs->create_queue(queue_name).value();
  }

  // Invokes every job (Event); returns when each invocation was accepted.
  std::vector<Clock::time_point> invoke_all(const std::vector<LambdaJob>& jobs) {
    std::vector<Clock::time_point> at;
    for (const auto& job : jobs) {
      at.push_back(Clock::now());
      const auto r = lambda->invoke_event(function, to_json(job)).value();
      EXPECT_EQ(r.status, 202) << r.payload;
      EXPECT_FALSE(r.request_id.empty());
    }
    return at;
  }
};

// Waits until the fixture reports `worker`'s invocation in one of `states`.
std::optional<testing::FixtureInvocation> wait_state(const LambdaEmulators& aws, int worker,
                                                     std::initializer_list<std::string> states,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (const auto& i : aws.lambda().invocations()) {
      if (i.worker != worker) continue;
      for (const auto& s : states) {
        if (i.state == s) return i;
      }
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(100ms);
  }
}

// True while `pid` runs; a zombie (killed, its parent gone, not yet reaped
// by init) does not count. Waits up to 2 s for it to go.
bool process_exists(long pid) {
  if (pid <= 0) return false;
  const auto deadline = Clock::now() + 2s;
  for (;;) {
    if (kill(static_cast<pid_t>(pid), 0) != 0) return false;
    const std::string stat = testing::read_file("/proc/" + std::to_string(pid) + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z')
      return false;
    if (Clock::now() >= deadline) return true;
    std::this_thread::sleep_for(50ms);
  }
}

TEST(LambdaEmulator, ControlPlaneAnswersTheClientsInAwsShapes) {
  LambdaEmulators aws;
  ASSERT_STARTED(aws);
  const aws::ClientConfig config = aws.client_config();

  aws::StsClient sts(config);
  EXPECT_EQ(sts.get_caller_identity().value().account, "123456789012");

  aws::IamClient iam(config);
  EXPECT_FALSE(iam.get_role(kRoleName).value());
  const aws::Role created = iam.create_role(kRoleName, kTrustPolicy, "test role").value();
  EXPECT_EQ(created.arn, "arn:aws:iam::123456789012:role/" + kRoleName);
  const auto got = iam.get_role(kRoleName).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->assume_role_policy, kTrustPolicy);  // sent URL-encoded, decoded back
  iam.put_role_policy(kRoleName, "barrage-worker", R"({"Version":"2012-10-17","Statement":[]})")
      .value();
  iam.attach_role_policy(kRoleName,
                         "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
      .value();
  if (const auto failed = iam.create_role(kRoleName, kTrustPolicy); failed) {
    ADD_FAILURE() << "a second CreateRole succeeded";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "EntityAlreadyExists") << e.message;
  }

  // Code from S3 (fauxqs, path style), as for packages over the inline limit.
  const std::string zip = worker_zip();
  ASSERT_FALSE(zip.empty());
  aws::S3Client s3(config);
  s3.create_bucket(kBucket).value();
  s3.put_object(kBucket, "packages/worker.zip", zip).value();
  aws::LambdaClient lambda(config);
  const std::string name = "barrage-worker-api";
  EXPECT_FALSE(lambda.get_function_configuration(name).value());
  aws::FunctionSpec spec;
  spec.name = name;
  spec.role_arn = created.arn;
  spec.environment = {{"BARRAGE_TEST", "1"}};
  spec.code.s3_bucket = kBucket;
  spec.code.s3_key = "packages/worker.zip";
  const auto pending = lambda.create_function(spec).value();
  EXPECT_EQ(pending.state, "Pending");
  EXPECT_EQ(pending.arn, "arn:aws:lambda:us-east-1:123456789012:function:" + name);
  EXPECT_EQ(pending.runtime, "provided.al2023");
  EXPECT_EQ(pending.memory_mb, 1024);
  EXPECT_EQ(pending.timeout_seconds, 900);
  if (const auto failed = lambda.create_function(spec); failed) {
    ADD_FAILURE() << "a second CreateFunction succeeded";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "ResourceConflictException") << e.message;
    EXPECT_EQ(e.status, 409);
  }
  aws::WaitOptions wait;
  wait.timeout = 60s;
  wait.interval = 100ms;
  int polls = 0;
  wait.sleep = [&](std::chrono::milliseconds d) {
    ++polls;
    std::this_thread::sleep_for(d);
  };
  const auto active = lambda.wait_until_active(name, wait).value();
  EXPECT_EQ(active.state, "Active");
  EXPECT_GE(polls, 1) << "the function was never Pending";
  EXPECT_EQ(active.code_sha256, pending.code_sha256);

  // A missing S3 object is refused with Lambda's error.
  aws::FunctionSpec missing = spec;
  missing.name = "barrage-worker-missing-code";
  missing.code.s3_key = "packages/none.zip";
  if (const auto failed = lambda.create_function(missing); failed) {
    ADD_FAILURE() << "CreateFunction from a missing object succeeded";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "InvalidParameterValueException") << e.message;
  }

  // The function runs: an invalid job is the worker's own error.
  lambda.put_function_event_invoke_config(name, 0, 600).value();
  const auto invoked = lambda.invoke_event(name, R"({"version":1})").value();
  EXPECT_EQ(invoked.status, 202);
  EXPECT_FALSE(invoked.request_id.empty());
  const auto inv = wait_state(aws, -1, {"failed", "succeeded"}, 30s);
  ASSERT_TRUE(inv) << aws.lambda().log();
  EXPECT_EQ(inv->request_id, invoked.request_id);
  EXPECT_EQ(inv->state, "failed");
  EXPECT_NE(inv->error.find("Barrage.InvalidJob"), std::string::npos) << inv->error;

  // Inline code: over Lambda's 50 MiB API limit it is refused (S3 is the
  // way); a zip that does not unpack is refused at once; a good one is
  // InProgress, then Successful with its hash.
  aws::FunctionCode inline_code;
  inline_code.zip_file.assign(kMaxInlineZip + 1, 'x');
  if (const auto failed = lambda.update_function_code(name, inline_code); failed) {
    ADD_FAILURE() << "UpdateFunctionCode over 50 MiB succeeded";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "RequestEntityTooLargeException") << e.message;
    EXPECT_EQ(e.status, 413);
  }
  const std::string small = small_zip("bootstrap", "#!/bin/sh\nexit 1\n");
  ASSERT_FALSE(small.empty());
  inline_code.zip_file = small.substr(0, small.size() / 2);
  if (const auto failed = lambda.update_function_code(name, inline_code); failed) {
    ADD_FAILURE() << "UpdateFunctionCode with half a zip succeeded";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "InvalidParameterValueException") << e.message;
  }
  inline_code.zip_file = small;
  const auto updating = lambda.update_function_code(name, inline_code).value();
  EXPECT_EQ(updating.last_update_status, "InProgress");
  EXPECT_NE(updating.code_sha256, pending.code_sha256);
  const auto updated = lambda.wait_until_active(name, wait).value();
  EXPECT_EQ(updated.last_update_status, "Successful");
  EXPECT_EQ(updated.code_sha256, updating.code_sha256);

  lambda.delete_function(name).value();
  EXPECT_FALSE(lambda.get_function_configuration(name).value());
  if (const auto failed = lambda.invoke_event(name, "{}"); failed) {
    ADD_FAILURE() << "Invoke of a deleted function succeeded";
  } else {
    const barrage::Error& e = failed.error();
    EXPECT_EQ(e.code, "ResourceNotFoundException") << e.message;
    EXPECT_EQ(e.status, 404);
  }
}

TEST(LambdaEmulator, TwoWorkersRunTheirSharesAndReportDone) {
  Target target;
  ASSERT_TRUE(target.started) << target.error;
  std::vector<long> pids;
  {
    LambdaEmulators aws;
    ASSERT_STARTED(aws);
    Deployment d(aws, "barrage-run-emulated-two");
    ASSERT_TRUE(d.problem.empty()) << d.problem;
    const std::string yaml = script_for(target.url(), 3, 20);
    const auto jobs = jobs_for(yaml, 2, d.queue_url, "runs/emulated-run/stop");
    const auto invoked_at = d.invoke_all(jobs);

    QueueReader q(*d.sqs, d.queue_url);
    const bool all_done = q.read_until(
        [&] { return q.workers[0].done.has_value() && q.workers[1].done.has_value(); }, 60s);
    q.read_rest(1500ms);
    ASSERT_TRUE(all_done) << aws.lambda().log();
    EXPECT_TRUE(q.problems.empty()) << q.problems;

    uint64_t sum = 0;
    for (uint32_t w = 0; w < 2; ++w) {
      const WorkerView& v = q.workers[w];
      SCOPED_TRACE("worker " + std::to_string(w));
      EXPECT_EQ(v.ready, 1);
      EXPECT_GE(v.batches, 2);
      EXPECT_GE(v.heartbeats, 1);
      EXPECT_TRUE(v.errors.empty()) << v.errors.front();
      ASSERT_TRUE(v.done);
      EXPECT_FALSE(v.done->interrupted);
      EXPECT_EQ(v.done->batches, static_cast<uint64_t>(v.batches));
      EXPECT_EQ(v.requests, arrivals(yaml, jobs[w].job.slice_base, jobs[w].job.slice_total));
      EXPECT_GT(v.requests, 0U);
      sum += v.requests;
      ASSERT_TRUE(v.ready_at);
      std::printf("cold start worker %u (Invoke -> ready on the queue): %lld ms\n", w,
                  static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             *v.ready_at - invoked_at[w])
                                             .count()));
    }
    std::printf("worker zip: %zu bytes (%.1f MiB)\n", d.zip_bytes,
                static_cast<double>(d.zip_bytes) / (1024.0 * 1024.0));
    EXPECT_EQ(q.merged.counter("http.requests"), sum);
    EXPECT_EQ(sum, arrivals(yaml, 0, 1));  // the single-process schedule
    EXPECT_EQ(q.merged.counter("http.codes.200"), sum);

    // The fixture saw both invocations end, each in the process that sent ready.
    for (int w = 0; w < 2; ++w) {
      const auto inv = wait_state(aws, w, {"succeeded", "failed", "killed"}, 20s);
      ASSERT_TRUE(inv) << aws.lambda().log();
      std::printf("worker %d: Invoke accepted -> fun process serving it: %lld ms\n", w,
                  static_cast<long long>(inv->start_ms - inv->accepted_ms));
      EXPECT_EQ(inv->state, "succeeded") << inv->error;
      EXPECT_EQ(inv->pid, q.workers[static_cast<uint32_t>(w)].ready_pid);
      EXPECT_NE(inv->response.find(R"("stopped_by":"none")"), std::string::npos) << inv->response;
      pids.push_back(inv->pid);
    }
    d.sqs->delete_queue(d.queue_url).value();
  }
  for (long pid : pids) EXPECT_FALSE(process_exists(pid)) << "function process " << pid << " left";
}

TEST(LambdaEmulator, StopFlagEndsALongRunningWorkerWithinFiveSeconds) {
  Target target;
  ASSERT_TRUE(target.started) << target.error;
  long pid = 0;
  {
    LambdaEmulators aws;
    ASSERT_STARTED(aws);
    Deployment d(aws, "barrage-run-emulated-stop");
    ASSERT_TRUE(d.problem.empty()) << d.problem;
    const std::string stop_key = "runs/emulated-run/stop";
    const auto jobs = jobs_for(script_for(target.url(), 60, 5), 1, d.queue_url, stop_key);
    d.invoke_all(jobs);
    QueueReader q(*d.sqs, d.queue_url);
    ASSERT_TRUE(q.read_until([&] { return q.workers[0].batches >= 1; }, 60s)) << aws.lambda().log();

    const auto stopped_at = Clock::now();
    d.s3->put_object(kBucket, stop_key, "stop").value();
    ASSERT_TRUE(q.read_until([&] { return q.workers[0].done.has_value(); }, 20s))
        << aws.lambda().log();
    const auto took = *q.workers[0].done_at - stopped_at;
    std::printf("stop flag -> done on the queue: %lld ms\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    EXPECT_LT(took, 5s);
    EXPECT_TRUE(q.workers[0].done->interrupted);
    EXPECT_LT(q.workers[0].requests, 150U);  // far from the 60 s script's 300
    const auto inv = wait_state(aws, 0, {"succeeded", "failed", "killed"}, 10s);
    ASSERT_TRUE(inv) << aws.lambda().log();
    EXPECT_EQ(inv->state, "succeeded") << inv->error;
    EXPECT_NE(inv->response.find(R"("stopped_by":"stop-flag")"), std::string::npos)
        << inv->response;
    pid = inv->pid;
  }
  EXPECT_FALSE(process_exists(pid)) << "function process " << pid << " left";
}

TEST(LambdaEmulator, KilledAndNeverStartedWorkersSendNoDone) {
  Target target;
  ASSERT_TRUE(target.started) << target.error;
  std::vector<long> pids;
  {
    LambdaEmulators aws;
    ASSERT_STARTED(aws);
    Deployment d(aws, "barrage-run-emulated-kill");
    ASSERT_TRUE(d.problem.empty()) << d.problem;
    const std::string stop_key = "runs/emulated-run/stop";
    const auto jobs = jobs_for(script_for(target.url(), 60, 6), 3, d.queue_url, stop_key);
    ASSERT_EQ(aws.lambda().drop_next(2), 200);
    d.invoke_all(jobs);

    QueueReader q(*d.sqs, d.queue_url);
    ASSERT_TRUE(
        q.read_until([&] { return q.workers[0].batches >= 1 && q.workers[1].batches >= 1; }, 60s))
        << aws.lambda().log();
    ASSERT_EQ(aws.lambda().kill_worker(1), 200);
    const auto killed = wait_state(aws, 1, {"killed", "failed", "succeeded"}, 10s);
    ASSERT_TRUE(killed) << aws.lambda().log();
    EXPECT_EQ(killed->state, "killed");
    EXPECT_FALSE(process_exists(killed->pid));
    pids.push_back(killed->pid);
    const int batches_when_killed = q.workers[1].batches;

    // The others keep running; the stop flag ends the run.
    std::this_thread::sleep_for(1500ms);
    d.s3->put_object(kBucket, stop_key, "stop").value();
    ASSERT_TRUE(q.read_until([&] { return q.workers[0].done.has_value(); }, 20s))
        << aws.lambda().log();
    q.read_rest(2000ms);

    EXPECT_TRUE(q.workers[0].done->interrupted);
    EXPECT_FALSE(q.workers[1].done) << "a killed worker sent done";
    EXPECT_TRUE(q.workers[1].errors.empty());
    EXPECT_LE(q.workers[1].batches, batches_when_killed + 1);  // one may have been in flight
    EXPECT_EQ(q.workers.count(2), 0U) << "the dropped invocation sent messages";

    const auto all = aws.lambda().invocations();
    ASSERT_EQ(all.size(), 3U);
    for (const auto& i : all) {
      if (i.worker == 2) {
        EXPECT_EQ(i.state, "dropped");
        EXPECT_EQ(i.pid, 0);
      }
    }
    const auto w0 = wait_state(aws, 0, {"succeeded", "failed"}, 10s);
    ASSERT_TRUE(w0);
    EXPECT_EQ(w0->state, "succeeded") << w0->error;
    pids.push_back(w0->pid);
  }
  for (long pid : pids) EXPECT_FALSE(process_exists(pid)) << "function process " << pid << " left";
}

// fun runs at most 10 processes per function; the fixture adds fun instances,
// so a run of 12 workers runs all 12 at once, as Lambda would.
TEST(LambdaEmulator, MoreThanTenWorkersRunAtOnce) {
  Target target;
  ASSERT_TRUE(target.started) << target.error;
  constexpr uint32_t kWorkers = 12;
  std::vector<long> pids;
  {
    LambdaEmulators aws;
    ASSERT_STARTED(aws);
    Deployment d(aws, "barrage-run-emulated-twelve");
    ASSERT_TRUE(d.problem.empty()) << d.problem;
    const std::string stop_key = "runs/emulated-run/stop";
    const auto jobs = jobs_for(script_for(target.url(), 60, 12), kWorkers, d.queue_url, stop_key);
    d.invoke_all(jobs);
    QueueReader q(*d.sqs, d.queue_url);
    const bool all_ready = q.read_until(
        [&] {
          for (uint32_t w = 0; w < kWorkers; ++w) {
            if (q.workers[w].batches < 1) return false;
          }
          return true;
        },
        60s);
    ASSERT_TRUE(all_ready) << aws.lambda().log();
    std::set<long> running;
    for (const auto& i : aws.lambda().invocations()) {
      if (i.state == "running") running.insert(i.pid);
    }
    EXPECT_EQ(running.size(), kWorkers);

    d.s3->put_object(kBucket, stop_key, "stop").value();
    const bool all_done = q.read_until(
        [&] {
          for (uint32_t w = 0; w < kWorkers; ++w) {
            if (!q.workers[w].done) return false;
          }
          return true;
        },
        30s);
    EXPECT_TRUE(all_done) << aws.lambda().log();
    for (uint32_t w = 0; w < kWorkers; ++w) {
      const auto inv = wait_state(aws, static_cast<int>(w), {"succeeded", "failed", "killed"}, 10s);
      ASSERT_TRUE(inv);
      EXPECT_EQ(inv->state, "succeeded") << "worker " << w << ": " << inv->error;
      pids.push_back(inv->pid);
    }
  }
  for (long pid : pids) EXPECT_FALSE(process_exists(pid)) << "function process " << pid << " left";
}

}  // namespace
}  // namespace barrage::lambda
