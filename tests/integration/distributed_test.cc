// Distributed runs with local worker processes (`run --count N`), as a user
// runs them: the same totals as one process, exact merges under a faulty
// channel, a killed worker reported and counted, Ctrl-C and `barrage stop`
// ending every worker, and a worker that never becomes ready.
#include <dirent.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>

#include "demo_target/target_server.h"
#include "engine/pacer.h"
#include "fleet/distributed_run.h"
#include "fleet/local_platform.h"
#include "metrics/summary.h"
#include "script/loader.h"
#include "servers.h"

namespace barrage {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kExe = BARRAGE_EXE;

struct Target {
  Target() : server(demo_target::TargetOptions{}) {
    const auto started_ok = server.start();
    started = started_ok.has_value();
    EXPECT_TRUE(started) << started_ok.error().describe();
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server.port());
  }
  demo_target::TargetServer server;
  bool started = false;
};

// A coordinator started in the background, its output going to a file.
struct Background {
  pid_t pid = -1;
  std::string out_path;
  Clock::time_point started;

  explicit Background(const std::string& command) {
    out_path = testing::make_temp_dir() + "/out.txt";
    started = Clock::now();
    pid = ::fork();
    if (pid == 0) {
      const std::string full = "exec " + command + " > " + out_path + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // Exit code, or -1 when it did not end within timeout_s (then killed).
  int wait(double timeout_s) {
    const auto until = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (Clock::now() < until) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  [[nodiscard]] double elapsed_s() const {
    return std::chrono::duration<double>(Clock::now() - started).count();
  }
  [[nodiscard]] std::string output() const { return testing::read_file(out_path); }
  // Its child processes (the workers).
  [[nodiscard]] std::vector<pid_t> children() const {
    std::vector<pid_t> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return out;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream in(dir + "/" + e->d_name + "/children");
      pid_t c;
      while (in >> c) out.push_back(c);
    }
    ::closedir(d);
    return out;
  }
  // Waits until the coordinator has `n` children (the workers are up).
  std::vector<pid_t> wait_children(size_t n, double timeout_s) const {
    const auto until = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (Clock::now() < until) {
      auto c = children();
      if (c.size() >= n) return c;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return children();
  }
};

bool alive(pid_t pid) {
  // A reaped process is gone; a zombie is not running either.
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto rp = line.rfind(')');
  return rp != std::string::npos && rp + 2 < line.size() && line[rp + 2] != 'Z';
}

nlohmann::json read_report(const std::string& path) {
  return nlohmann::json::parse(testing::read_file(path), nullptr, false);
}

uint64_t counter(const nlohmann::json& report, const std::string& name) {
  return report["aggregate"]["counters"].value(name, uint64_t{0});
}

// Arrivals the whole test has (the pacer on one slice).
uint64_t expected_arrivals(const std::string& script_path) {
  const auto plan = script::load_plan_file(script_path, {}).value();
  engine::Pacer p(plan.phases, 0, 1);
  uint64_t n = 0;
  while (p.next_arrival()) ++n;
  return n;
}

std::string write_script(const std::string& dir, const std::string& target,
                         const std::string& phases, const std::string& url = "/") {
  const std::string path = dir + "/script.yml";
  testing::write_file(path, "config:\n  target: " + target + "\n  phases:\n" + phases +
                                "scenarios:\n  - flow:\n      - get: { url: " + url + " }\n");
  return path;
}

// The percentiles of the same two runs are compared in bench/latency.sh
// (workers-1-vs-4), not asserted here.
TEST(Distributed, OneAndFourWorkerProcessesGiveTheSameCounts) {
  Target t;
  ASSERT_TRUE(t.started);
  const auto dir = testing::make_temp_dir();
  const auto script = write_script(dir, t.url(),
                                   "    - { duration: 2, arrivalRate: 15 }\n"
                                   "    - { duration: 2, arrivalRate: 3, rampTo: 11 }\n"
                                   "    - { duration: 1, arrivalCount: 13 }\n");
  const uint64_t arrivals = expected_arrivals(script);
  nlohmann::json reports[2];
  int i = 0;
  for (int count : {1, 4}) {
    const std::string out = dir + "/r" + std::to_string(count) + ".json";
    const auto r = testing::run_command(kExe + " run " + script + " --count " +
                                        std::to_string(count) + " --cores 1 -q -o " + out);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    reports[i] = read_report(out);
    ASSERT_FALSE(reports[i].is_discarded());
    EXPECT_EQ(reports[i]["workers"].size(), static_cast<size_t>(count));
    for (const auto& w : reports[i]["workers"]) EXPECT_EQ(w["status"], "done");
    ++i;
  }
  for (const auto& r : reports) {
    EXPECT_EQ(counter(r, "vusers.created"), arrivals);
    EXPECT_EQ(counter(r, "http.requests"), arrivals);
    EXPECT_EQ(counter(r, "http.codes.200"), arrivals);
    EXPECT_EQ(r["aggregate"]["summaries"]["http.response_time"]["count"].get<uint64_t>(), arrivals);
  }
  // Every worker did its share: the per-worker requests add up.
  uint64_t sum = 0;
  for (const auto& w : reports[1]["workers"]) {
    EXPECT_GT(w["requests"].get<uint64_t>(), 0U);
    sum += w["requests"].get<uint64_t>();
  }
  EXPECT_EQ(sum, arrivals);
}

// Workers run the engine, so they wait for their VUs after the last phase
// too (issue 16): 4 VUs each looping 50 requests of 100 ms (5 s) after a
// 1-second phase with http.timeout 1 (the old bound cut them at 4 s), on 2
// worker processes.
TEST(Distributed, WorkersWaitForEveryStartedVu) {
  Target t;
  ASSERT_TRUE(t.started);
  const auto dir = testing::make_temp_dir();
  const std::string script = dir + "/drain.yml";
  testing::write_file(script, "config:\n  target: " + t.url() +
                                  "\n  http: { timeout: 1 }\n  phases:\n"
                                  "    - { duration: 1, arrivalRate: 4 }\n"
                                  "scenarios:\n  - flow:\n      - loop:\n"
                                  "          - get: { url: /delay/100 }\n        count: 50\n");
  const std::string out = dir + "/r.json";
  const auto r =
      testing::run_command(kExe + " run " + script + " --count 2 --cores 1 -q -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto report = read_report(out);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(counter(report, "vusers.completed"), 4u);
  EXPECT_EQ(counter(report, "http.requests"), 4u * 50u);
  EXPECT_EQ(counter(report, "http.codes.200"), 4u * 50u);
  for (const auto& w : report["workers"]) EXPECT_EQ(w["status"], "done");
}

// Delivers every envelope twice, in shuffled order, and holds some back for
// two seconds (past their period and the coordinator's grace).
class FaultyChannel final : public fleet::Channel {
 public:
  explicit FaultyChannel(fleet::Channel& inner) : inner_(inner) {}
  std::vector<std::string> receive(engine::Nanos timeout) override {
    std::vector<std::string> out;
    for (auto& e : inner_.receive(timeout)) {
      // Every third batch is held back (both copies), whatever the timing:
      // some period is shown without it, so it arrives late. Other kinds are
      // held at random.
      const bool batch = e.find(R"("k":"batch")") != std::string::npos;
      const bool hold = batch ? batches_++ % 3 == 1 : rng_() % 5 == 0;
      auto& to = hold ? late_ : out;  // both copies late, or both now
      to.push_back(e);
      to.push_back(std::move(e));  // the duplicate
    }
    for (auto& e : late_) held_.emplace_back(Clock::now() + std::chrono::seconds(2), std::move(e));
    late_.clear();
    const auto now = Clock::now();
    std::erase_if(held_, [&](auto& h) {
      if (h.first > now) return false;
      out.push_back(std::move(h.second));
      return true;
    });
    std::shuffle(out.begin(), out.end(), rng_);
    delivered_ += out.size();
    return out;
  }
  size_t delivered_ = 0;

 private:
  fleet::Channel& inner_;
  std::mt19937 rng_{17};
  uint64_t batches_ = 0;
  std::vector<std::string> late_;
  std::vector<std::pair<Clock::time_point, std::string>> held_;
};

TEST(Distributed, DuplicatedReorderedAndLateMessagesStillGiveExactCounts) {
  Target t;
  ASSERT_TRUE(t.started);
  const auto dir = testing::make_temp_dir();
  const auto script = write_script(dir, t.url(), "    - { duration: 4, arrivalRate: 25 }\n");
  const uint64_t arrivals = expected_arrivals(script);
  fleet::WorkerJob base;
  base.run_id = "r-faulty";
  base.script_path = script;
  base.script_text = testing::read_file(script);
  base.period_ms = 1000;
  base.heartbeat_ms = 200;
  fleet::SplitOptions split;
  split.count = 3;
  split.seed = 5;
  const auto jobs = fleet::split_jobs(base, split);
  fleet::LocalPlatform platform({kExe, "worker"});
  FaultyChannel channel(platform);
  fleet::DistributedOptions o;
  o.coordinator.grace = 300 * engine::kNanosPerMilli;
  o.coordinator.lost_after = 10 * engine::kNanosPerSecond;
  std::vector<metrics::Snapshot> live;
  fleet::DistributedCallbacks cb;
  cb.on_period = [&](const metrics::Snapshot& s) { live.push_back(s); };
  const auto r = fleet::run_distributed(platform, channel, jobs, o, cb, nullptr);
  ASSERT_TRUE(r.error.empty()) << r.error;
  std::string states;  // for a failure message
  for (const auto& w : r.workers) {
    states += fmt::format("worker {} {} batches {}/{} {}; ", w.id, fleet::status_name(w.status),
                          w.batches, w.batches_sent, w.reason);
  }
  states += fmt::format("errors: {}", fmt::join(r.run.aggregate.counters, ", "));
  EXPECT_EQ(r.run.aggregate.counter("http.requests"), arrivals) << states;
  EXPECT_EQ(r.run.aggregate.counter("http.codes.200"), arrivals);
  EXPECT_EQ(r.run.aggregate.counter("vusers.created"), arrivals);
  EXPECT_GT(r.duplicates, 0U);
  EXPECT_GT(r.late_batches, 0U);  // merged into the final report, not dropped
  uint64_t periods_total = 0;
  for (const auto& p : r.run.periods) periods_total += p.counter("http.requests");
  EXPECT_EQ(periods_total, arrivals);
  for (const auto& w : r.workers) EXPECT_EQ(w.status, fleet::WorkerStatus::kDone);
}

// Waits (up to 15 s) until the run's --period-stream file holds `count`
// merged periods. The coordinator emits a period when every live worker has
// sent it (or 5 s after the first did), so by then the workers have sent
// requests, however slowly a loaded machine under a sanitizer started them.
// (A worker's first period can end before its first arrival: wait for two
// where a worker's own requests must have arrived.)
bool wait_for_merged_period(const std::string& periods, int count = 1) {
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(periods);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += line.empty() ? 0 : 1;
    if (n >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(Distributed, AKilledWorkerIsReportedLostAndWhatItDeliveredCounts) {
  Target t;
  ASSERT_TRUE(t.started);
  const auto dir = testing::make_temp_dir();
  const auto script = write_script(dir, t.url(), "    - { duration: 5, arrivalRate: 30 }\n");
  const std::string report = dir + "/r.json";
  const std::string periods = dir + "/periods.ndjson";
  Background run(kExe + " run " + script + " --count 3 --cores 1 --heartbeat-ms 300 " +
                 "--period-ms 1000 --period-stream " + periods + " -o " + report);
  const auto workers = run.wait_children(3, 10);
  ASSERT_EQ(workers.size(), 3U);
  // Kill once the first merged period is out (fixed sleeps of 2 s and 4.3 s
  // were each too short once on a loaded machine under ASan).
  ASSERT_TRUE(wait_for_merged_period(periods, 2)) << run.output();
  ASSERT_EQ(::kill(workers[1], SIGKILL), 0);
  const int rc = run.wait(20);
  const std::string out = run.output();
  EXPECT_EQ(rc, 3) << out;  // kExitWorkerLost
  // Ends on time: 1 s start barrier + 5 s of phases + drain, well before 5 + 10 + 2.
  EXPECT_LT(run.elapsed_s(), 5 + 10 + 2 + 1) << out;
  EXPECT_NE(out.find("lost"), std::string::npos) << out;
  const auto j = read_report(report);
  ASSERT_FALSE(j.is_discarded()) << out;
  int lost = 0;
  uint64_t sum = 0;
  for (const auto& w : j["workers"]) {
    sum += w["requests"].get<uint64_t>();
    if (w["status"] == "lost") {
      ++lost;
      EXPECT_NE(w["reason"].get<std::string>().find("signal 9"), std::string::npos);
      EXPECT_GT(w["requests"].get<uint64_t>(), 0U);  // its first periods arrived
    }
  }
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(counter(j, "http.requests"), sum);
  EXPECT_LT(sum, 150U);  // the lost worker's last seconds are missing
  EXPECT_GT(sum, 100U);
}

TEST(Distributed, CtrlCStopsEveryWorkerWithinFiveSecondsAndWritesTheReport) {
  Target t;
  ASSERT_TRUE(t.started);
  const auto dir = testing::make_temp_dir();
  const auto script = write_script(dir, t.url(), "    - { duration: 60, arrivalRate: 10 }\n");
  const std::string report = dir + "/r.json";
  const std::string periods = dir + "/periods.ndjson";
  Background run(kExe + " run " + script +
                 " --count 2 --cores 1 --period-ms 1000 --period-stream " + periods + " -o " +
                 report);
  const auto workers = run.wait_children(2, 10);
  ASSERT_EQ(workers.size(), 2U);
  // Requests are under way once a merged period is out (a fixed 2 s sleep
  // saw none once, under ASan on a machine with a load average of 15).
  ASSERT_TRUE(wait_for_merged_period(periods)) << run.output();
  const auto sent = Clock::now();
  ASSERT_EQ(::kill(run.pid, SIGINT), 0);
  const int rc = run.wait(10);
  const double took = std::chrono::duration<double>(Clock::now() - sent).count();
  EXPECT_EQ(rc, 130) << run.output();
  EXPECT_LT(took, 5.0);
  for (pid_t w : workers) EXPECT_FALSE(alive(w)) << w;
  const auto j = read_report(report);
  ASSERT_FALSE(j.is_discarded()) << run.output();
  EXPECT_TRUE(j["run"]["interrupted"].get<bool>());
  EXPECT_GT(counter(j, "http.requests"), 0U);
}

TEST(Distributed, BarrageStopEndsARunFromAnotherProcess) {
  Target t;
  ASSERT_TRUE(t.started);
  const auto dir = testing::make_temp_dir();
  const auto script = write_script(dir, t.url(), "    - { duration: 60, arrivalRate: 5 }\n");
  Background run(kExe + " run " + script + " --count 2 --cores 1 -o " + dir + "/r.json");
  std::string id;
  const auto until = Clock::now() + std::chrono::seconds(10);
  const std::regex re("barrage stop (r-[0-9a-f-]+)");
  while (id.empty() && Clock::now() < until) {
    std::smatch m;
    const std::string out = run.output();
    if (std::regex_search(out, m, re)) id = m[1];
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(id.empty()) << run.output();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto stop = testing::run_command(kExe + " stop " + id, 20);
  EXPECT_EQ(stop.exit_code, 0) << stop.out;
  EXPECT_NE(stop.out.find("stopped"), std::string::npos) << stop.out;
  EXPECT_EQ(run.wait(10), 130) << run.output();
  EXPECT_EQ(testing::run_command(kExe + " stop " + id).exit_code, 2);  // no longer running
}

TEST(Distributed, WorkersThatNeverBecomeReadyAreNamedAndNothingHangs) {
  const auto dir = testing::make_temp_dir();
  const auto script =
      write_script(dir, "http://127.0.0.1:9", "    - { duration: 30, arrivalRate: 1 }\n");
  const std::string hang = dir + "/hang.sh";
  testing::write_file(hang, "#!/bin/sh\necho 'stuck loading' >&2\nexec sleep 60\n");
  ::chmod(hang.c_str(), 0755);
  Background run(kExe + " run " + script + " --count 2 --ready-timeout 1500 --worker-exec " + hang);
  const auto workers = run.wait_children(2, 5);
  const int rc = run.wait(10);
  const std::string out = run.output();
  EXPECT_EQ(rc, 3) << out;
  EXPECT_LT(run.elapsed_s(), 6);
  EXPECT_NE(out.find("worker(s) 0, 1 never became ready within 1 s"), std::string::npos) << out;
  EXPECT_NE(out.find("stuck loading"), std::string::npos) << out;
  for (pid_t w : workers) EXPECT_FALSE(alive(w)) << w;

  // A worker that fails while loading says why.
  const std::string fail = dir + "/fail.sh";
  testing::write_file(fail, "#!/bin/sh\necho 'cannot load: no such thing' >&2\nexit 4\n");
  ::chmod(fail.c_str(), 0755);
  const auto r = testing::run_command(kExe + " run " + script + " --count 2 --worker-exec " + fail);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("failed before becoming ready"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exited with status 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot load: no such thing"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace barrage
