// `barrage run --platform aws:lambda` end to end, as a user runs it, against
// the local emulation (emulators.h: fauxqs for S3 and SQS, the control-plane
// fixture running invocations through @vercel/fun) and the demo target, all
// on loopback. The coordinator deploys the packaged worker, creates the run's
// queue, invokes the workers, merges what they send, and cleans up.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aws/s3.h"
#include "aws/sqs.h"
#include "demo_target/target_server.h"
#include "emulators.h"
#include "lambda/resources.h"
#include "missing_deps.h"
#include "servers.h"
#include "util/clock.h"

extern char** environ;

namespace barrage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::LambdaEmulators;
using json = nlohmann::json;

const std::string kExe = BARRAGE_EXE;

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

// `barrage` as a child with the emulators' environment, its output in a file
// read while it runs.
class Barrage {
 public:
  Barrage(const std::vector<std::string>& args, const LambdaEmulators& aws) {
    out_path_ = testing::make_temp_dir() + "/out.txt";
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    for (const auto& kv : aws.child_env()) env.push_back(kv);
    std::vector<std::string> argv{kExe};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    for (auto& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn(&pid_, kExe.c_str(), &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Barrage() {
    if (pid_ > 0 && exit_code_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string output() const { return testing::read_file(out_path_); }
  // Waits until the output contains `text`; false after `timeout`.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  std::string run_id() const {
    const std::string out = output();
    const size_t at = out.find("barrage stop ");
    if (at == std::string::npos) return {};
    const size_t end = out.find('\n', at);
    return out.substr(at + 13, end - at - 13);
  }
  // The exit code; -1 (and the child killed) after `timeout`.
  int wait(std::chrono::seconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string out_path_;
};

std::string write_script(const std::string& target, int duration_s, int rate) {
  const std::string dir = testing::make_temp_dir();
  const std::string path = dir + "/lambda.yml";
  testing::write_file(path, "config:\n  target: " + target +
                                "\n  phases:\n    - { duration: " + std::to_string(duration_s) +
                                ", arrivalRate: " + std::to_string(rate) +
                                " }\nscenarios:\n  - flow:\n      - get: { url: /health }\n");
  return path;
}

json read_json(const std::string& path) {
  return json::parse(testing::read_file(path), nullptr, false);
}

std::vector<std::string> barrage_queues(const LambdaEmulators& aws, const std::string& run_id) {
  aws::SqsClient sqs(aws.client_config());
  return sqs.list_queues("barrage-" + run_id).value();
}

uint64_t total_requests(const json& report) {
  return report["aggregate"]["counters"].value("http.requests", uint64_t{0});
}

// Each test gets the demo target and its own emulators (fresh invocation
// records and fault settings); where the emulators are not installed they
// fail (skip with BARRAGE_ALLOW_MISSING_DEPS=1).
class LambdaRun : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(target.started) << target.error;
    if (aws.not_installed()) BARRAGE_MISSING_DEP(aws.error());
    ASSERT_TRUE(aws.error().empty()) << aws.error();
  }
  // The worker package, built once for all these tests (only
  // ThreeWorkersRun... packages in the run, as a user's first run does).
  static std::string zip() {
    const std::string path = testing::worker_zip_path(kExe);
    EXPECT_FALSE(path.empty());
    return path;
  }
  // `barrage run SCRIPT --package ZIP --platform aws:lambda ARGS...`
  Barrage run_packaged(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> all{"run", script, "--package", zip(), "--platform", "aws:lambda"};
    all.insert(all.end(), args.begin(), args.end());
    return Barrage(all, aws);
  }

  Target target;
  LambdaEmulators aws;
};

TEST_F(LambdaRun, ThreeWorkersRunTheTestAndTheQueueIsDeleted) {
  // The script's target is a dead port: only --target reaches the workers.
  // `before` and `after` run once, in the coordinator, with one request each.
  const std::string dir = testing::make_temp_dir();
  const std::string script = dir + "/lambda.yml";
  testing::write_file(script,
                      "config:\n  target: http://127.0.0.1:9\n  phases:\n"
                      "    - { duration: 6, arrivalRate: 10 }\n"
                      "before:\n  flow:\n      - get: { url: /health }\n"
                      "after:\n  flow:\n      - get: { url: /health }\n"
                      "scenarios:\n  - flow:\n      - get: { url: /health }\n");
  const std::string report = dir + "/r.json";
  Barrage b({"run", script, "--platform", "aws:lambda", "--count", "3", "--target", target.url(),
             "-o", report},
            aws);
  ASSERT_EQ(b.wait(150s), 0) << b.output() << aws.lambda().log();
  const std::string out = b.output();
  EXPECT_NE(out.find("package "), std::string::npos) << out;
  EXPECT_NE(out.find("function barrage-worker-"), std::string::npos) << out;
  EXPECT_NE(out.find("$"), std::string::npos) << "the cost estimate: " << out;
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << out;
  // The merged report is the whole schedule and the sum of what workers
  // sent; `before` and `after` (once each) are kept apart, as Artillery does.
  EXPECT_EQ(total_requests(r), 60U);
  EXPECT_EQ(r["aggregate"]["counters"].value("http.codes.200", uint64_t{0}), 60U);
  EXPECT_EQ(r["aggregate"]["counters"].value("barrage.before.http.requests", uint64_t{0}), 1U);
  EXPECT_EQ(r["aggregate"]["counters"].value("barrage.after.http.requests", uint64_t{0}), 1U);
  EXPECT_EQ(r["aggregate"]["counters"].value("errors.ECONNREFUSED", uint64_t{0}), 0U);
  uint64_t sum = 0;
  ASSERT_EQ(r["workers"].size(), 3U);
  for (const auto& w : r["workers"]) {
    EXPECT_EQ(w["status"], "done") << w.dump();
    EXPECT_GT(w["requests"].get<uint64_t>(), 0U);
    sum += w["requests"].get<uint64_t>();
  }
  EXPECT_EQ(sum, 60U);
  EXPECT_EQ(r["run"]["platform"], "aws:lambda");
  ASSERT_TRUE(r.contains("cost")) << r.dump();
  EXPECT_GT(r["cost"]["estimated"]["dollars"].get<double>(), 0.0);
  EXPECT_EQ(r["cost"]["measured"]["invocations"], 3);
  // Three invocations ran their shares; the package went to S3; the queue is gone.
  int succeeded = 0;
  for (const auto& inv : aws.lambda().invocations()) succeeded += inv.state == "succeeded";
  EXPECT_EQ(succeeded, 3) << aws.lambda().log();
  aws::S3Client s3(aws.client_config());
  EXPECT_TRUE(s3.head_object(lambda::bucket_name("123456789012", "us-east-1"),
                             lambda::code_key(lambda::function_name("x86_64", 1769)))
                  .value());
  const std::string run_id = r["run"]["run_id"];
  // The run's queue existed (its URL is in the run's metadata) and is gone.
  const auto meta = lambda::run_metadata_from_json(
      s3.get_object(lambda::bucket_name("123456789012", "us-east-1"), lambda::meta_key(run_id))
          .value());
  ASSERT_TRUE(meta.has_value());
  EXPECT_NE(meta->queue_urls.at("us-east-1").find("barrage-" + run_id), std::string::npos);
  EXPECT_TRUE(barrage_queues(aws, run_id).empty());
}

TEST_F(LambdaRun, StopEndsEveryWorkerWithinFiveSeconds) {
  const std::string script = write_script(target.url(), 60, 5);
  const std::string report = testing::make_temp_dir() + "/r.json";
  Barrage b = run_packaged(script, {"--count", "3", "-o", report});
  ASSERT_TRUE(b.wait_for("Phase started", 90s)) << b.output() << aws.lambda().log();
  std::this_thread::sleep_for(2s);
  const std::string run_id = b.run_id();
  ASSERT_FALSE(run_id.empty()) << b.output();
  const int64_t stop_wall = wall_now_ms();
  const auto stopped = testing::run_command(kExe + " stop " + run_id, 30);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out;
  EXPECT_EQ(b.wait(30s), 130) << b.output();
  EXPECT_NE(b.output().find("Stop acknowledged by 3 of 3 workers"), std::string::npos)
      << b.output();
  // Every invocation ended within 5 s of the stop (the fixture's clock).
  const auto invocations = aws.lambda().invocations();
  ASSERT_EQ(invocations.size(), 3U);
  for (const auto& inv : invocations) {
    EXPECT_EQ(inv.state, "succeeded") << inv.error;
    EXPECT_GT(inv.end_ms, 0);
    EXPECT_LE(inv.end_ms - stop_wall, 5000) << "worker " << inv.worker;
    EXPECT_NE(inv.response.find(R"("stopped_by":"stop-flag")"), std::string::npos) << inv.response;
  }
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << b.output();
  EXPECT_TRUE(r["run"]["interrupted"].get<bool>());
  EXPECT_GT(total_requests(r), 0U);
  EXPECT_LT(total_requests(r), 300U);
  EXPECT_TRUE(barrage_queues(aws, run_id).empty());
}

TEST_F(LambdaRun, AKilledWorkerIsReportedAndTheRunEndsOnTime) {
  const std::string script = write_script(target.url(), 20, 6);
  const std::string report = testing::make_temp_dir() + "/r.json";
  // Heartbeats every second: lost after 3 s of silence.
  Barrage b = run_packaged(script, {"--count", "3", "--heartbeat-ms", "1000", "-o", report});
  ASSERT_TRUE(b.wait_for("Phase started", 90s)) << b.output() << aws.lambda().log();
  std::this_thread::sleep_for(3s);
  ASSERT_EQ(aws.lambda().kill_worker(1), 200);
  const auto killed_at = Clock::now();
  EXPECT_EQ(b.wait(60s), 3) << b.output();
  // The run still ends on time: the phase's remaining ~17 s plus the drain.
  EXPECT_LT(Clock::now() - killed_at, 40s);
  const std::string out = b.output();
  EXPECT_NE(out.find("worker 1 lost"), std::string::npos) << out;
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << out;
  EXPECT_EQ(r["workers"][1]["status"], "lost");
  EXPECT_EQ(r["workers"][0]["status"], "done");
  EXPECT_EQ(r["workers"][2]["status"], "done");
  // What arrived counts: the two healthy shares in full, and the killed one's batches.
  EXPECT_GE(total_requests(r), 80U);
  EXPECT_TRUE(barrage_queues(aws, r["run"]["run_id"]).empty());
}

TEST_F(LambdaRun, AWorkerThatNeverStartsIsReportedAndTheOthersRun) {
  ASSERT_EQ(aws.lambda().drop_next(2), 200);  // accepted, never run
  const std::string script = write_script(target.url(), 4, 9);
  const std::string report = testing::make_temp_dir() + "/r.json";
  Barrage b = run_packaged(script, {"--count", "3", "--ready-timeout", "12000", "-o", report});
  EXPECT_EQ(b.wait(120s), 3) << b.output();
  const std::string out = b.output();
  EXPECT_NE(out.find("worker 2 lost: never started"), std::string::npos) << out;
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << out;
  EXPECT_EQ(r["workers"][2]["status"], "lost");
  EXPECT_EQ(r["workers"][0]["status"], "done");
  // Workers 0 and 1 ran their shares in full (slices 0 and 1 of 3).
  EXPECT_EQ(total_requests(r), 24U);
}

TEST_F(LambdaRun, SegmentsHandOverWithNoGapAndNoDoubleCounting) {
  const std::string script = write_script(target.url(), 8, 10);
  const std::string report = testing::make_temp_dir() + "/r.json";
  // Segments of 3 s of schedule, each invoked 1.5 s before its window:
  // windows [0,3) [3,6) [6,8) per worker.
  Barrage b = run_packaged(
      script, {"--count", "2", "--segment-ms", "3000", "--segment-lead-ms", "1500", "-o", report});
  ASSERT_EQ(b.wait(150s), 0) << b.output() << aws.lambda().log();
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << b.output();
  EXPECT_EQ(total_requests(r), 80U);
  EXPECT_EQ(r["aggregate"]["counters"].value("vusers.created", uint64_t{0}), 80U);
  for (const auto& w : r["workers"]) EXPECT_EQ(w["status"], "done") << w.dump();
  int succeeded = 0;
  for (const auto& inv : aws.lambda().invocations()) succeeded += inv.state == "succeeded";
  EXPECT_EQ(succeeded, 6) << "2 workers x 3 segments";
  EXPECT_EQ(r["cost"]["measured"]["invocations"], 6);
}

// Workers have no access to this disk: the payload CSV (here one directory up
// from the script) and the --dotenv file travel through S3.
TEST_F(LambdaRun, PayloadAndDotenvFilesReachTheWorkersOfACountAutoRun) {
  const std::string dir = testing::make_temp_dir();
  std::filesystem::create_directories(dir + "/tests");
  std::string csv;
  for (int i = 0; i < 30; ++i) csv += "user" + std::to_string(i) + "\n";
  testing::write_file(dir + "/users.csv", csv);
  testing::write_file(dir + "/tests/.env", "GREETING=hello-from-dotenv\n");
  const std::string script = dir + "/tests/payload.yml";
  testing::write_file(script, "config:\n  target: " + target.url() +
                                  "\n  phases:\n    - { duration: 3, arrivalRate: 10 }\n"
                                  "  payload:\n    path: ../users.csv\n    fields: [user]\n"
                                  "    order: sequence\n"
                                  "scenarios:\n  - flow:\n      - get:\n          url: "
                                  "\"/echo?u={{ user }}&g={{ $env.GREETING }}\"\n"
                                  "          capture: { json: \"$.query\", as: q }\n"
                                  "          expect:\n            - equals: [\"{{ q }}\", "
                                  "\"u={{ user }}&g=hello-from-dotenv\"]\n");
  const std::string report = dir + "/r.json";
  // --count auto: a peak of 10 requests/s needs one worker.
  Barrage b =
      run_packaged(script, {"--count", "auto", "--dotenv", dir + "/tests/.env", "-o", report});
  // Once the coordinator has shipped them (before it invokes), the originals
  // go away: the workers must read their own copies.
  ASSERT_TRUE(b.wait_for("Lambda: 1 worker", 120s)) << b.output();
  EXPECT_NE(b.output().find("--count auto: 1 worker for a peak of 10 requests/s"),
            std::string::npos)
      << b.output();
  std::filesystem::rename(dir + "/tests", dir + "/moved");
  std::filesystem::rename(dir + "/users.csv", dir + "/moved/users.csv");
  ASSERT_EQ(b.wait(150s), 0) << b.output() << aws.lambda().log();
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << b.output();
  aws::S3Client s3(aws.client_config());
  const auto listed =
      s3.list_objects_v2(lambda::bucket_name("123456789012", "us-east-1"),
                         lambda::run_key(r["run"]["run_id"].get<std::string>(), "files/"))
          .value();
  EXPECT_EQ(listed.objects.size(), 2U) << "the CSV and the .env";
  EXPECT_EQ(total_requests(r), 30U);
  EXPECT_EQ(r["aggregate"]["counters"].value("http.codes.200", uint64_t{0}), 30U);
  EXPECT_EQ(r["aggregate"]["counters"].value("plugins.expect.ok", uint64_t{0}), 30U)
      << r["aggregate"]["counters"].dump();
  for (const auto& w : r["workers"]) EXPECT_EQ(w["status"], "done") << w.dump();
}

TEST_F(LambdaRun, TwoRegionsSplitTheWorkersAndReportEach) {
  const std::string script = write_script(target.url(), 4, 9);
  const std::string report = testing::make_temp_dir() + "/r.json";
  Barrage b =
      run_packaged(script, {"--count", "3", "--region", "us-east-1,eu-west-1", "-o", report});
  ASSERT_EQ(b.wait(150s), 0) << b.output() << aws.lambda().log();
  const json r = read_json(report);
  ASSERT_TRUE(r.is_object()) << b.output();
  ASSERT_TRUE(r["regions"].contains("us-east-1")) << r["regions"].dump();
  ASSERT_TRUE(r["regions"].contains("eu-west-1")) << r["regions"].dump();
  EXPECT_EQ(r["regions"]["us-east-1"]["workers"], 2);
  EXPECT_EQ(r["regions"]["eu-west-1"]["workers"], 1);
  const uint64_t east = r["regions"]["us-east-1"]["requests"];
  const uint64_t west = r["regions"]["eu-west-1"]["requests"];
  EXPECT_EQ(east + west, total_requests(r));
  EXPECT_EQ(total_requests(r), 36U);
  aws::S3Client s3(aws.client_config());
  EXPECT_TRUE(s3.head_object(lambda::bucket_name("123456789012", "eu-west-1"),
                             lambda::code_key(lambda::function_name("x86_64", 1769)))
                  .value());
}

}  // namespace
}  // namespace barrage
