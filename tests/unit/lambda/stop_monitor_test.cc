// The Lambda worker's stop monitor on a simulated clock: the stop flag is an
// S3 object that "appears" at a simulated instant (a fake transport answers
// HeadObject from the clock), and the deadline safety net fires at its wall
// time. The monitor's waits jump the clock, so every poll instant is exact
// and nothing sleeps.
#include "lambda/stop_monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/env.h"
#include "aws/http.h"
#include "util/simulated_clock.h"

namespace barrage::lambda {
namespace {

constexpr int64_t kWall0 = 1'800'000'000'000;  // SimulatedClock's default wall start

// HEAD: 404 before flag_at_wall_ms, 200 from then (500 for the first
// `failures` requests). PUT: 200. Records when each request came.
class FlagTransport final : public aws::Transport {
 public:
  FlagTransport(const Clock& clock, int64_t flag_at_wall_ms, int failures = 0)
      : clock_(clock), flag_at_(flag_at_wall_ms), failures_(failures) {}

  aws::HttpResponse send(const aws::HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    aws::HttpResponse r;
    if (request.method == "HEAD") {
      heads.push_back(clock_.wall_ms() - kWall0);
      if (failures_ > 0) {
        --failures_;
        r.status = 500;
        r.body = "<Error><Code>InternalError</Code><Message>try again</Message></Error>";
      } else {
        r.status = flag_at_ > 0 && clock_.wall_ms() >= flag_at_ ? 200 : 404;
      }
    } else {
      puts.push_back(request.url);
      r.status = 200;
    }
    return r;
  }

  std::vector<int64_t> heads;  // ms since the clock's start
  std::vector<std::string> puts;

 private:
  std::mutex mutex_;
  const Clock& clock_;
  int64_t flag_at_;
  int failures_;
};

aws::ClientConfig config_with(std::shared_ptr<aws::Transport> transport) {
  aws::ClientConfig c;
  c.region = "eu-west-1";
  c.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{"AKIDEXAMPLE", "dummysecret", "", std::nullopt, "test"});
  c.endpoint_url = "http://127.0.0.1:9";
  c.env = aws::map_env({});
  c.transport = std::move(transport);
  c.retry.sleep = [](std::chrono::milliseconds) {};
  return c;
}

// The monitor sets `stop` from its thread, whose waits never block on the
// simulated clock: this returns as soon as it got there. Then the monitor is
// destroyed, which joins its thread (it ends after a stop, once it has
// acknowledged a flag), so what the transport saw can be read.
struct Stopped {
  StopReason reason = StopReason::kNone;
  uint64_t polls = 0;  // HeadObject polls (the acknowledgement may come after)
};
Stopped await(std::unique_ptr<StopMonitor> m, const std::atomic<bool>& stop) {
  while (!stop.load()) std::this_thread::yield();
  const Stopped s{m->reason(), m->polls()};  // both settled before the stop was set
  m.reset();
  return s;
}

TEST(StopMonitor, TheFlagIsSeenAtTheFirstPollAfterItAppearsAndAcknowledged) {
  SimulatedClock clock;
  auto transport = std::make_shared<FlagTransport>(clock, kWall0 + 3'500);
  std::atomic<bool> stop{false};
  StopOptions o;
  o.bucket = "b";
  o.key = "runs/r/stop";
  o.ack_key = "runs/r/stopped/0";
  auto m = std::make_unique<StopMonitor>(config_with(transport), o, &stop, clock);
  const Stopped s = await(std::move(m), stop);
  EXPECT_EQ(s.reason, StopReason::kFlag);
  EXPECT_EQ(transport->heads, (std::vector<int64_t>{0, 1'000, 2'000, 3'000, 4'000}));
  ASSERT_EQ(transport->puts.size(), 1u);
  EXPECT_NE(transport->puts[0].find("runs/r/stopped/0"), std::string::npos) << transport->puts[0];
}

TEST(StopMonitor, TheDeadlineStopsARunWithoutAFlagExactlyOnTime) {
  SimulatedClock clock;
  std::atomic<bool> stop{false};
  StopOptions o;
  o.end_by_wall_ms = kWall0 + 2'500;
  auto m = std::make_unique<StopMonitor>(config_with(nullptr), o, &stop, clock);
  const Stopped s = await(std::move(m), stop);
  EXPECT_EQ(s.reason, StopReason::kDeadline);
  EXPECT_EQ(clock.wall_ms(), kWall0 + 2'500);  // waits of 1 s, 1 s, then the 0.5 s left
  EXPECT_EQ(s.polls, 0u);
}

TEST(StopMonitor, TheDeadlineWinsOverAFlagThatNeverComes) {
  SimulatedClock clock;
  auto transport = std::make_shared<FlagTransport>(clock, 0);
  std::atomic<bool> stop{false};
  StopOptions o;
  o.bucket = "b";
  o.key = "k";
  o.poll_interval = std::chrono::milliseconds(2'000);
  o.end_by_wall_ms = kWall0 + 9'000;
  auto m = std::make_unique<StopMonitor>(config_with(transport), o, &stop, clock);
  const Stopped s = await(std::move(m), stop);
  EXPECT_EQ(s.reason, StopReason::kDeadline);
  EXPECT_EQ(transport->heads, (std::vector<int64_t>{0, 2'000, 4'000, 6'000, 8'000}));
  EXPECT_EQ(s.polls, 5u);
  EXPECT_TRUE(transport->puts.empty());
  EXPECT_EQ(clock.wall_ms(), kWall0 + 9'000);
}

TEST(StopMonitor, AFailingPollIsRetriedAtTheNextIntervalAndNeverStopsTheRun) {
  SimulatedClock clock;
  auto transport = std::make_shared<FlagTransport>(clock, kWall0, /*failures=*/3);
  std::atomic<bool> stop{false};
  StopOptions o;
  o.bucket = "b";
  o.key = "k";
  auto m = std::make_unique<StopMonitor>(config_with(transport), o, &stop, clock);
  const Stopped s = await(std::move(m), stop);
  EXPECT_EQ(s.reason, StopReason::kFlag);
  // One attempt per poll (no retries inside a poll): three failures, then the flag.
  EXPECT_EQ(transport->heads, (std::vector<int64_t>{0, 1'000, 2'000, 3'000}));
}

TEST(StopMonitor, DestroyingItEndsTheWatchWithoutAStop) {
  SimulatedClock clock;
  auto transport = std::make_shared<FlagTransport>(clock, 0);
  std::atomic<bool> stop{false};
  StopOptions o;
  o.bucket = "b";
  o.key = "k";
  {
    StopMonitor m(config_with(transport), o, &stop, clock);
    // Let it poll a few times (simulated seconds pass in microseconds).
    while (m.polls() < 3) std::this_thread::yield();
    EXPECT_EQ(m.reason(), StopReason::kNone);
  }
  EXPECT_FALSE(stop.load());
}

}  // namespace
}  // namespace barrage::lambda
