// The run API on this machine: a handle runs its test on its own thread,
// streams periods and progress, stops on request, and ends with a Result and
// its verdict; several handles run at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "demo_target/target_server.h"
#include "run/run.h"
#include "script/quick.h"

namespace barrage::run {
namespace {

std::shared_ptr<LoadedTest> quick_test(const std::string& url, int64_t vusers, int64_t requests,
                                       std::optional<double> duration_s = std::nullopt) {
  script::QuickOptions q;
  q.url = url;
  q.count = vusers;
  q.num = requests;
  q.duration_s = duration_s;
  auto test = std::make_shared<LoadedTest>();
  test->plan = script::quick_plan(q).value();
  return test;
}

class RunHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto started_ok = server_.start(); !started_ok) FAIL() << started_ok.error().describe();
    url_ = "http://127.0.0.1:" + std::to_string(server_.port()) + "/health";
  }
  demo_target::TargetServer server_{demo_target::TargetOptions{}};
  std::string url_;
};

TEST_F(RunHandleTest, RunsToTheEndWithPeriodsAndAnOkVerdict) {
  RunSpec spec;
  spec.engine.cores = 1;
  spec.engine.period_ms = 1000;
  std::atomic<int> periods{0};
  Events events;
  events.on_period = [&](const metrics::Snapshot&) { ++periods; };
  auto handle = RunHandle::start(quick_test(url_, 3, 4), spec, events);
  EXPECT_FALSE(handle->run_id().empty());
  const Result& r = handle->wait();
  ASSERT_TRUE(r.completed()) << r.error;
  EXPECT_EQ(r.run_id, handle->run_id());
  EXPECT_EQ(r.run.aggregate.counter("http.codes.200"), 12U);
  EXPECT_GE(periods.load(), 1);
  EXPECT_FALSE(r.fleet.has_value());
  EXPECT_FALSE(r.cost.has_value());
  EXPECT_EQ(r.verdict, Verdict::kOk);
  EXPECT_EQ(r.exit_code(), 0);
}

TEST_F(RunHandleTest, StopEndsARunningTestAsInterrupted) {
  RunSpec spec;
  spec.engine.cores = 1;
  auto handle = RunHandle::start(quick_test(url_, 2, 1, 30.0), spec, {});
  EXPECT_FALSE(handle->wait_for(std::chrono::milliseconds(500)));
  handle->stop();
  ASSERT_TRUE(handle->wait_for(std::chrono::seconds(20)));
  const Result& r = handle->wait();
  ASSERT_TRUE(r.completed()) << r.error;
  EXPECT_TRUE(r.run.interrupted);
  EXPECT_EQ(r.verdict, Verdict::kInterrupted);
  EXPECT_EQ(r.exit_code(), 130);
}

TEST_F(RunHandleTest, SeveralHandlesRunAtOnce) {
  RunSpec spec;
  spec.engine.cores = 1;
  auto a = RunHandle::start(quick_test(url_, 2, 5), spec, {});
  auto b = RunHandle::start(quick_test(url_, 4, 5), spec, {});
  EXPECT_NE(a->run_id(), b->run_id());
  EXPECT_EQ(b->wait().run.aggregate.counter("http.codes.200"), 20U);
  EXPECT_EQ(a->wait().run.aggregate.counter("http.codes.200"), 10U);
}

TEST_F(RunHandleTest, AnUnusableTargetIsAnInvalidRun) {
  auto test = quick_test(url_, 1, 1);
  RunSpec spec;
  spec.engine.target = "not a url";
  auto handle = RunHandle::start(test, spec, {});
  const Result& r = handle->wait();
  EXPECT_FALSE(r.completed());
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_EQ(r.exit_code(), 2);
}

}  // namespace
}  // namespace barrage::run
