// A run's verdict: which outcome wins, and the exit code of each.
#include "run/verdict.h"

#include <gtest/gtest.h>

namespace barrage::run {
namespace {

TEST(Verdict, ExitCodes) {
  EXPECT_EQ(exit_code(Verdict::kOk), 0);
  EXPECT_EQ(exit_code(Verdict::kEnsureFailed), 1);
  EXPECT_EQ(exit_code(Verdict::kInvalid), 2);
  EXPECT_EQ(exit_code(Verdict::kWorkerLost), 3);
  EXPECT_EQ(exit_code(Verdict::kPlatformFailed), 4);
  EXPECT_EQ(exit_code(Verdict::kExpectationsFailed), 21);
  EXPECT_EQ(exit_code(Verdict::kInterrupted), 130);
}

TEST(Verdict, FirstMatchWinsInterruptedLostEnsureExpect) {
  engine::RunResult run;
  fleet::FleetSummary fleet;
  std::vector<report::CheckOutcome> checks;
  EXPECT_EQ(verdict_of(run, nullptr, checks), Verdict::kOk);
  EXPECT_EQ(verdict_of(run, &fleet, checks), Verdict::kOk);

  run.aggregate.counters["plugins.expect.failed"] = 2;
  EXPECT_EQ(verdict_of(run, nullptr, checks), Verdict::kExpectationsFailed);
  report::CheckOutcome check;
  check.text = "http.response_time.p95 < 1";
  check.strict = true;
  checks.push_back(check);
  EXPECT_EQ(verdict_of(run, nullptr, checks), Verdict::kEnsureFailed);
  fleet::WorkerReport done;
  done.id = 1;
  done.status = "done";
  fleet.workers.push_back(done);
  EXPECT_EQ(verdict_of(run, &fleet, checks), Verdict::kEnsureFailed);
  fleet::WorkerReport lost = done;
  lost.id = 2;
  lost.status = "lost";
  fleet.workers.push_back(lost);
  EXPECT_EQ(verdict_of(run, &fleet, checks), Verdict::kWorkerLost);
  run.interrupted = true;
  EXPECT_EQ(verdict_of(run, &fleet, checks), Verdict::kInterrupted);
}

TEST(Verdict, OptionalEnsureChecksDoNotFail) {
  engine::RunResult run;
  report::CheckOutcome optional;
  optional.text = "vusers.failed == 0";
  optional.strict = false;
  const std::vector<report::CheckOutcome> checks{optional};
  EXPECT_EQ(verdict_of(run, nullptr, checks), Verdict::kOk);
}

}  // namespace
}  // namespace barrage::run
