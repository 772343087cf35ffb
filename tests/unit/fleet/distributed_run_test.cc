// run_distributed's timeouts on a simulated clock: a fake platform (Launcher
// and Channel in one) plays scripted workers whose messages are due at
// simulated instants; receive() jumps the clock to the next one. Minutes of
// simulated run take milliseconds, and every instant is exact.
#include "fleet/distributed_run.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/simulated_clock.h"

namespace barrage::fleet {
namespace {

constexpr Nanos kSec = engine::kNanosPerSecond;
constexpr Nanos kMs = engine::kNanosPerMilli;

// What one scripted worker does. Times are from the run's start (phase 0)
// unless said otherwise.
struct Behaviour {
  bool ready = true;                            // sends `ready`
  Nanos ready_after = 2 * kSec;                 // after launch
  Nanos silent_from = -1;                       // stops sending anything from then (-1: never)
  bool obeys_stop = true;                       // on stop: final batch and `done` 1 s later
  Nanos run_for = 30 * kSec;                    // then the final batch and `done`
  std::optional<Nanos> exit_at = std::nullopt;  // the platform sees the process end then
  bool exit_clean = false;                      // ... with status 0
  int protocol = kProtocolVersion;              // another: a worker of another barrage
};

class FakeFleet final : public Launcher, public Channel {
 public:
  FakeFleet(SimulatedClock& clock, std::vector<Behaviour> workers)
      : clock_(clock), workers_(std::move(workers)), seq_(workers_.size(), 0) {}

  void launch(const std::vector<WorkerJob>& jobs) override {
    launched = jobs.size();
    const Nanos now = clock_.now_ns();
    for (uint32_t w = 0; w < workers_.size(); ++w) {
      if (!workers_[w].ready) continue;
      Message m;
      m.kind = Kind::kReady;
      m.pid = 100 + w;
      m.cores = 1;
      send(w, now + workers_[w].ready_after, std::move(m));
    }
  }

  void start(int64_t start_wall_ms) override {
    ++starts;
    start_wall = start_wall_ms;
    start_ns = clock_.now_ns() + (start_wall_ms - clock_.wall_ms()) * kMs;
    for (uint32_t w = 0; w < workers_.size(); ++w) {
      const auto& b = workers_[w];
      if (!b.ready) continue;  // never started
      for (Nanos t = 5 * kSec; t < b.run_for; t += 5 * kSec) {
        Message m;
        m.kind = Kind::kHeartbeat;
        m.heartbeat.requests = static_cast<uint64_t>(t / kSec);
        send(w, start_ns + t, std::move(m));
      }
      for (Nanos t = 10 * kSec; t <= b.run_for; t += 10 * kSec) send(w, start_ns + t, batch(w, t));
      finish(w, start_ns + b.run_for, b.run_for / (10 * kSec), false);
      if (b.exit_at) exits_.push_back({start_ns + *b.exit_at, {w, "exited", b.exit_clean}});
    }
  }

  void stop() override {
    ++stops;
    stop_ns = clock_.now_ns();
    for (uint32_t w = 0; w < workers_.size(); ++w) {
      const auto& b = workers_[w];
      if (!b.ready || !b.obeys_stop) continue;
      // What it would have sent after the stop does not come.
      std::erase_if(due_, [&](const Due& d) { return d.worker == w && d.at > stop_ns; });
      finish(w, stop_ns + kSec, std::min(b.run_for, stop_ns - start_ns) / (10 * kSec), true);
    }
  }

  void abort() override { ++aborts; }

  std::vector<Exit> exited() override {
    std::vector<Exit> out;
    std::erase_if(exits_, [&](const auto& e) {
      if (e.first > clock_.now_ns()) return false;
      out.push_back(e.second);
      return true;
    });
    return out;
  }

  std::vector<std::string> receive(Nanos timeout) override {
    ++receives;
    const Nanos until = clock_.now_ns() + timeout;
    Nanos next = until;
    for (const auto& d : due_) next = std::min(next, d.at);
    clock_.sleep_until(next);  // instant: the simulated clock jumps
    std::vector<std::string> out;
    std::erase_if(due_, [&](const Due& d) {
      if (d.at > clock_.now_ns()) return false;
      out.insert(out.end(), d.envelopes.begin(), d.envelopes.end());
      return true;
    });
    return out;
  }

  size_t launched = 0;
  int starts = 0;
  int stops = 0;
  int aborts = 0;
  uint64_t receives = 0;
  int64_t start_wall = 0;
  Nanos start_ns = 0;
  Nanos stop_ns = 0;

 private:
  struct Due {
    Nanos at;
    uint32_t worker;
    std::vector<std::string> envelopes;
  };

  Message batch(uint32_t /*w*/, Nanos t) const {
    Message m;
    m.kind = Kind::kBatch;
    m.period_start_ms = start_wall + (t / kMs) - 10'000;
    m.snapshot.period_start_ms = m.period_start_ms;
    m.snapshot.period_end_ms = m.period_start_ms + 10'000;
    m.snapshot.add("http.requests", 10);
    return m;
  }

  void finish(uint32_t w, Nanos at, Nanos batches, bool interrupted) {
    Message m;
    m.kind = Kind::kDone;
    m.interrupted = interrupted;
    m.batches = static_cast<uint64_t>(batches);
    send(w, at, std::move(m));
  }

  void send(uint32_t w, Nanos at, Message m) {
    const auto& b = workers_[w];
    if (b.silent_from >= 0 && start_ns > 0 && at >= start_ns + b.silent_from) return;
    m.run_id = "run";
    m.worker = w;
    m.seq = ++seq_[w];
    auto envelopes = encode(m);
    if (b.protocol != kProtocolVersion) {
      const std::string v = "\"v\":" + std::to_string(kProtocolVersion) + ",";
      for (auto& e : envelopes)
        e.replace(e.find(v), v.size(), "\"v\":" + std::to_string(b.protocol) + ",");
    }
    due_.push_back({at, w, std::move(envelopes)});
  }

  SimulatedClock& clock_;
  std::vector<Behaviour> workers_;
  std::vector<uint64_t> seq_;
  std::vector<Due> due_;
  std::vector<std::pair<Nanos, Exit>> exits_;
};

std::vector<WorkerJob> jobs(uint32_t n) {
  std::vector<WorkerJob> out(n);
  for (uint32_t i = 0; i < n; ++i) {
    out[i].run_id = "run";
    out[i].worker = i;
    out[i].workers = n;
  }
  return out;
}

struct Run {
  DistributedResult result;
  std::vector<std::pair<Nanos, std::string>> events;  // simulated ns since the clock's start
};

Run run(SimulatedClock& clock, FakeFleet& fleet, uint32_t n, const DistributedOptions& o,
        const std::atomic<bool>* stop = nullptr,
        std::function<void(const engine::Progress&)> on_progress = {}) {
  Run r;
  DistributedCallbacks cb;
  cb.on_event = [&](const std::string& e) { r.events.emplace_back(clock.elapsed_ns(), e); };
  cb.on_progress = std::move(on_progress);
  r.result = run_distributed(fleet, fleet, jobs(n), o, cb, stop, clock);
  return r;
}

TEST(DistributedRun, EveryWorkerDoneGivesTheSumAndStartsAfterTheStartDelay) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{}, Behaviour{.ready_after = 3 * kSec}});
  const auto r = run(clock, fleet, 2, {});
  EXPECT_EQ(r.result.error, "");
  EXPECT_EQ(r.result.lost_or_failed(), 0u);
  EXPECT_EQ(r.result.run.aggregate.counter("http.requests"), 60u);
  EXPECT_EQ(fleet.starts, 1);
  EXPECT_EQ(fleet.aborts, 1);
  // All ready after 3 s (polled every 100 ms), phase 0 one second later.
  EXPECT_EQ(fleet.start_wall, 1'800'000'000'000 + 4'000);
  EXPECT_FALSE(r.result.run.interrupted);
  EXPECT_NEAR(r.result.run.duration_s, 30.0, 0.2);
}

TEST(DistributedRun, AWorkerSilentForLostAfterIsLostAndWhatItSentCounts) {
  SimulatedClock clock;
  // Worker 1 sends its heartbeats and first batch, then nothing from 12 s:
  // its last message is the 10 s batch.
  FakeFleet fleet(clock, {Behaviour{}, Behaviour{.silent_from = 12 * kSec}});
  DistributedOptions o;
  o.coordinator.lost_after = 15 * kSec;
  const auto r = run(clock, fleet, 2, o);
  ASSERT_EQ(r.result.workers.size(), 2u);
  EXPECT_EQ(r.result.workers[0].status, WorkerStatus::kDone);
  EXPECT_EQ(r.result.workers[1].status, WorkerStatus::kLost);
  EXPECT_EQ(r.result.workers[1].reason.rfind("silent for 15", 0), 0u) << r.result.workers[1].reason;
  EXPECT_EQ(r.result.workers[1].batches, 1u);
  EXPECT_EQ(r.result.run.aggregate.counter("http.requests"), 30u + 10u);
  // Declared lost once the silence passed lost_after (within one 100 ms poll).
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].second.rfind("worker 1 lost: silent for", 0), 0u);
  const Nanos last_seen = fleet.start_ns + 10 * kSec - (clock.now_ns() - clock.elapsed_ns());
  EXPECT_GT(r.events[0].first - last_seen, 15 * kSec);
  EXPECT_LE(r.events[0].first - last_seen, 15 * kSec + 100 * kMs);
  EXPECT_EQ(r.result.workers[1].ended_wall_ms, 1'800'000'000'000 + r.events[0].first / kMs);
}

TEST(DistributedRun, HeartbeatsKeepAWorkerWithoutBatchesAlive) {
  SimulatedClock clock;
  // 60 s without a batch from the coordinator's view would be lost at 15 s,
  // but heartbeats every 5 s arrive.
  FakeFleet fleet(clock, {Behaviour{.run_for = 60 * kSec}});
  DistributedOptions o;
  o.coordinator.lost_after = 6 * kSec;
  const auto r = run(clock, fleet, 1, o);
  EXPECT_EQ(r.result.workers[0].status, WorkerStatus::kDone);
  EXPECT_TRUE(r.events.empty());
}

TEST(DistributedRun, WorkersNeverReadyFailTheRunAtTheReadyTimeout) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{}, Behaviour{.ready = false}, Behaviour{.ready = false}});
  DistributedOptions o;
  o.ready_timeout = 60 * kSec;
  const auto r = run(clock, fleet, 3, o);
  EXPECT_EQ(r.result.error, "worker(s) 1, 2 never became ready within 60 s");
  EXPECT_EQ(fleet.starts, 0);
  EXPECT_EQ(fleet.aborts, 1);
  EXPECT_GT(clock.elapsed_ns(), 60 * kSec);
  EXPECT_LE(clock.elapsed_ns(), 60 * kSec + 100 * kMs);
}

// A worker of an older barrage (protocol 1) never counts as ready, and the
// run's error says why.
TEST(DistributedRun, AWorkerOfAnotherProtocolVersionFailsTheRunNamingBoth) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{}, Behaviour{.protocol = 1}});
  DistributedOptions o;
  o.ready_timeout = 60 * kSec;
  const auto r = run(clock, fleet, 2, o);
  EXPECT_EQ(r.result.error,
            "worker(s) 1 never became ready within 60 s\n  1 message(s) refused, the last: "
            "message of protocol version 1, this barrage speaks version 2: run the same barrage "
            "version on the workers and the coordinator");
  EXPECT_EQ(r.result.rejected, 1U);
  EXPECT_EQ(fleet.starts, 0);
}

TEST(DistributedRun, StartWithoutUnreadyStartsTheOthersAtTheReadyTimeout) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{}, Behaviour{.ready = false}});
  DistributedOptions o;
  o.ready_timeout = 20 * kSec;
  o.start_without_unready = true;
  const auto r = run(clock, fleet, 2, o);
  EXPECT_EQ(r.result.error, "");
  EXPECT_EQ(fleet.starts, 1);
  EXPECT_GE(fleet.start_wall, 1'800'000'000'000 + 21'000);
  EXPECT_LE(fleet.start_wall, 1'800'000'000'000 + 21'100);
  EXPECT_EQ(r.result.workers[0].status, WorkerStatus::kDone);
  EXPECT_EQ(r.result.workers[1].status, WorkerStatus::kLost);
  EXPECT_EQ(r.result.workers[1].reason, "never started: no ready within 20 s");
  EXPECT_EQ(r.result.run.aggregate.counter("http.requests"), 30u);
}

TEST(DistributedRun, AWorkerThatIgnoresTheStopIsLostAtTheStopTimeout) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{.run_for = 300 * kSec},
                          Behaviour{.obeys_stop = false, .run_for = 300 * kSec}});
  std::atomic<bool> stop{false};
  DistributedOptions o;
  o.stop_timeout = 5 * kSec;
  const auto r = run(clock, fleet, 2, o, &stop, [&](const engine::Progress& p) {
    if (p.elapsed_s >= 20) stop = true;
  });
  EXPECT_EQ(fleet.stops, 1);
  EXPECT_TRUE(r.result.run.interrupted);
  EXPECT_EQ(r.result.workers[0].status, WorkerStatus::kDone);
  EXPECT_TRUE(r.result.workers[0].interrupted);
  EXPECT_EQ(r.result.workers[1].status, WorkerStatus::kLost);
  EXPECT_EQ(r.result.workers[1].reason, "did not stop within the stop timeout");
  // Lost once the stop timeout passed, long before the worker's own end.
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].second, "stopping every worker...");
  EXPECT_EQ(r.events[1].second, "worker 1 lost: did not stop within the stop timeout");
  EXPECT_GT(r.events[1].first - r.events[0].first, 5 * kSec);
  EXPECT_LE(r.events[1].first - r.events[0].first, 5 * kSec + 100 * kMs);
  EXPECT_LT(r.result.run.duration_s, 30.0);
}

TEST(DistributedRun, WorkersStillRunningAtTheDeadlineAreLost) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{}, Behaviour{.run_for = 600 * kSec}});
  DistributedOptions o;
  o.deadline = 45 * kSec;
  const auto r = run(clock, fleet, 2, o);
  EXPECT_EQ(r.result.workers[0].status, WorkerStatus::kDone);
  EXPECT_EQ(r.result.workers[1].status, WorkerStatus::kLost);
  EXPECT_EQ(r.result.workers[1].reason, "still running at the run's deadline");
  EXPECT_NEAR(r.result.run.duration_s, 45.0, 0.2);
}

TEST(DistributedRun, ACrashedWorkerIsLostAtOnceACleanExitAfterTheDrain) {
  SimulatedClock clock;
  FakeFleet fleet(
      clock,
      {Behaviour{.silent_from = 7 * kSec, .exit_at = 7 * kSec},
       Behaviour{.silent_from = 7 * kSec, .exit_at = 7 * kSec, .exit_clean = true}, Behaviour{}});
  DistributedOptions o;
  o.coordinator.lost_after = 60 * kSec;
  o.coordinator.drain = 4 * kSec;
  const auto r = run(clock, fleet, 3, o);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].second, "worker 0 lost: exited");
  EXPECT_EQ(r.events[1].second, "worker 1 lost: exited without its final message arriving");
  EXPECT_GT(r.events[1].first - r.events[0].first, 4 * kSec);
  EXPECT_LE(r.events[1].first - r.events[0].first, 4 * kSec + 100 * kMs);
  EXPECT_EQ(r.result.workers[2].status, WorkerStatus::kDone);
}

TEST(DistributedRun, ProgressIsReportedEveryQuarterSecondOfTheClock) {
  SimulatedClock clock;
  FakeFleet fleet(clock, {Behaviour{.run_for = 10 * kSec}});
  int calls = 0;
  double last = -1;
  bool monotonic = true;
  const auto r = run(clock, fleet, 1, {}, nullptr, [&](const engine::Progress& p) {
    ++calls;
    monotonic = monotonic && p.elapsed_s >= last;
    last = p.elapsed_s;
  });
  EXPECT_TRUE(monotonic);
  // Before the start (elapsed 0) and 10 s of run, one call per 250 ms at most.
  EXPECT_GE(calls, 30);
  EXPECT_LE(calls, 45);
  EXPECT_EQ(r.result.workers[0].status, WorkerStatus::kDone);
}

}  // namespace
}  // namespace barrage::fleet
