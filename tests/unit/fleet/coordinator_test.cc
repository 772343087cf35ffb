// The coordinator under at-least-once, out-of-order, lossy delivery: final
// counts stay exact, late batches are merged (not dropped), silent workers are
// declared lost and what they delivered still counts.
#include "fleet/coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace barrage::fleet {
namespace {

constexpr Nanos kSec = engine::kNanosPerSecond;

struct Sent {
  std::vector<std::string> envelopes;  // every message of every worker
  metrics::Snapshot aggregate;         // direct merge of every batch
  std::map<int64_t, metrics::Snapshot> periods;
};

// `workers` workers, each sending ready, `periods` batches and done.
Sent simulate(uint32_t workers, int periods, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Sent out;
  for (uint32_t w = 0; w < workers; ++w) {
    uint64_t seq = 0;
    Message ready;
    ready.kind = Kind::kReady;
    ready.run_id = "r";
    ready.worker = w;
    ready.seq = ++seq;
    for (auto& e : encode(ready)) out.envelopes.push_back(e);
    for (int p = 0; p < periods; ++p) {
      Message b;
      b.kind = Kind::kBatch;
      b.run_id = "r";
      b.worker = w;
      b.seq = ++seq;
      b.period_start_ms = 1'000'000 + p * 10'000;
      b.snapshot.period_start_ms = b.period_start_ms;
      b.snapshot.period_end_ms = b.period_start_ms + 10'000;
      const uint64_t n = 1 + rng() % 100;
      b.snapshot.add("http.requests", n);
      b.snapshot.add("http.codes.200", n);
      for (uint64_t i = 0; i < n; ++i)
        b.snapshot.histogram("http.response_time").record(rng() % 100'000);
      out.aggregate.merge(b.snapshot);
      out.periods[b.period_start_ms].merge(b.snapshot);
      // Small parts, so the split path is exercised too.
      for (auto& e : encode(b, 600)) out.envelopes.push_back(e);
    }
    Message done;
    done.kind = Kind::kDone;
    done.run_id = "r";
    done.worker = w;
    done.seq = ++seq;
    done.batches = static_cast<uint64_t>(periods);
    for (auto& e : encode(done)) out.envelopes.push_back(e);
  }
  return out;
}

TEST(Coordinator, DuplicatedReorderedAndDelayedDeliveryGivesExactTotals) {
  const Sent sent = simulate(5, 6, 11);
  auto wire = sent.envelopes;
  wire.insert(wire.end(), sent.envelopes.begin(), sent.envelopes.end());  // everything twice
  std::mt19937 rng(3);
  std::shuffle(wire.begin(), wire.end(), rng);
  // Worker 0's first batch (seq 2; both copies, every part) arrives only
  // after its period was shown live.
  std::vector<std::string> late;
  std::erase_if(wire, [&](const std::string& e) {
    const bool hold = e.find(R"("k":"batch")") != std::string::npos &&
                      e.find(R"("s":2,)") != std::string::npos &&
                      e.find(R"("w":0,)") != std::string::npos;
    if (hold) late.push_back(e);
    return hold;
  });
  ASSERT_FALSE(late.empty());
  CoordinatorOptions o;
  o.grace = kSec;
  Coordinator c("r", 5, o);
  Nanos now = kSec;
  for (const auto& e : wire) c.receive(e, now);
  now += 2 * kSec;  // past the grace: incomplete periods are shown anyway
  const auto live = c.take_live_periods(now);
  EXPECT_EQ(live.size(), sent.periods.size());
  EXPECT_NE(live.front(), sent.periods.begin()->second);  // shown without the late batch
  for (const auto& e : late) c.receive(e, now);

  EXPECT_EQ(c.aggregate(), sent.aggregate);
  const auto periods = c.periods();
  ASSERT_EQ(periods.size(), sent.periods.size());
  size_t k = 0;
  for (const auto& [start, snap] : sent.periods) EXPECT_EQ(periods[k++], snap);
  EXPECT_GT(c.duplicates(), 0U);
  EXPECT_GT(c.late_batches(), 0U);
  EXPECT_EQ(c.rejected(), 0U);
  EXPECT_TRUE(c.finished(now));
  for (const auto& w : c.workers()) EXPECT_EQ(w.status, WorkerStatus::kDone);
}

TEST(Coordinator, APeriodIsShownWhenEveryWorkerReportedIt) {
  const Sent sent = simulate(2, 2, 5);
  Coordinator c("r", 2, {});
  // Worker 0's messages only: period 1 waits for worker 1.
  const auto half = sent.envelopes.begin() + static_cast<long>(sent.envelopes.size() / 2);
  for (auto it = sent.envelopes.begin(); it != half; ++it) c.receive(*it, kSec);
  EXPECT_TRUE(c.take_live_periods(kSec + 1).empty());
  for (auto it = half; it != sent.envelopes.end(); ++it) c.receive(*it, kSec);
  const auto live = c.take_live_periods(kSec + 2);
  ASSERT_EQ(live.size(), 2U);
  EXPECT_EQ(live[0], sent.periods.begin()->second);
  EXPECT_TRUE(c.take_live_periods(kSec + 3).empty());  // each once
}

TEST(Coordinator, ASilentWorkerIsLostAndWhatItSentStillCounts) {
  CoordinatorOptions o;
  o.lost_after = 3 * kSec;
  Coordinator c("r", 2, o);
  const Sent sent = simulate(2, 1, 9);
  // Worker 1 delivers ready and its batch, then goes silent (no done).
  for (const auto& e : sent.envelopes) {
    Decoder d;
    const auto added = d.add(e);
    const auto& m = added ? *added : std::nullopt;
    if (m && m->worker == 1 && m->kind == Kind::kDone) continue;
    c.receive(e, kSec);
  }
  EXPECT_TRUE(c.check_lost(3 * kSec).empty());  // 2 s silent: not yet
  EXPECT_FALSE(c.finished(3 * kSec));
  const auto lost = c.check_lost(kSec + 3 * kSec + 1);
  ASSERT_EQ(lost, std::vector<uint32_t>{1});
  EXPECT_EQ(c.workers()[1].status, WorkerStatus::kLost);
  EXPECT_NE(c.workers()[1].reason.find("silent"), std::string::npos);
  EXPECT_TRUE(c.finished(5 * kSec));
  EXPECT_EQ(c.aggregate(), sent.aggregate);
}

TEST(Coordinator, WaitsForBatchesADoneWorkerSaysAreOnTheirWay) {
  CoordinatorOptions o;
  o.drain = 2 * kSec;
  Coordinator c("r", 1, o);
  const Sent sent = simulate(1, 2, 4);
  // ready, batch 1, (batch 2 missing), done
  for (const auto& e : sent.envelopes) {
    Decoder d;
    const auto added = d.add(e);
    const auto& m = added ? *added : std::nullopt;
    if (m && m->kind == Kind::kBatch && m->seq == 3) continue;
    c.receive(e, kSec);
  }
  EXPECT_FALSE(c.finished(kSec + kSec));
  EXPECT_TRUE(c.finished(kSec + 2 * kSec + 1));  // gave up waiting after the drain time
}

TEST(Coordinator, RejectsMessagesOfOtherRunsAndWorkers) {
  Coordinator c("mine", 1, {});
  Message m;
  m.kind = Kind::kReady;
  m.run_id = "other";
  m.seq = 1;
  c.receive(encode(m).at(0), kSec);
  m.run_id = "mine";
  m.worker = 5;
  c.receive(encode(m).at(0), kSec);
  c.receive("garbage", kSec);
  EXPECT_EQ(c.rejected(), 3U);
  EXPECT_FALSE(c.all_ready());
  EXPECT_EQ(c.not_ready(), std::vector<uint32_t>{0});
}

TEST(Coordinator, AWorkerDeclaredLostThatFinishesIsDone) {
  CoordinatorOptions o;
  o.lost_after = kSec;
  Coordinator c("r", 1, o);
  const Sent sent = simulate(1, 1, 2);
  c.receive(sent.envelopes[0], 0);  // ready
  EXPECT_EQ(c.check_lost(2 * kSec).size(), 1U);
  for (size_t i = 1; i < sent.envelopes.size(); ++i) c.receive(sent.envelopes[i], 3 * kSec);
  EXPECT_EQ(c.workers()[0].status, WorkerStatus::kDone);
  EXPECT_EQ(c.aggregate(), sent.aggregate);
}

// A worker's share in two segments (Lambda past 15 minutes): the first
// segment's done says more follows, so the worker keeps running; the second
// numbers its messages from 1 << 32 (no collision with the first's), and its
// done completes the worker with both segments' batches accounted for.
TEST(Coordinator, SegmentsOfOneWorkerHandOverWithoutEndingIt) {
  Coordinator c("r", 1, {});
  auto msg = [](Kind k, uint64_t seq) {
    Message m;
    m.kind = k;
    m.run_id = "r";
    m.worker = 0;
    m.seq = seq;
    return m;
  };
  auto send = [&](const Message& m, Nanos now) {
    for (const auto& e : encode(m)) c.receive(e, now);
  };
  uint64_t total = 0;
  auto batch = [&](uint64_t seq, int64_t period, uint64_t n) {
    Message b = msg(Kind::kBatch, seq);
    b.period_start_ms = period;
    b.snapshot.period_start_ms = period;
    b.snapshot.add("http.requests", n);
    total += n;
    return b;
  };
  const uint64_t second = uint64_t{1} << 32;
  send(msg(Kind::kReady, 1), kSec);
  send(batch(2, 10'000, 5), 2 * kSec);
  send(batch(3, 20'000, 7), 3 * kSec);
  send(msg(Kind::kReady, second + 1), 3 * kSec);  // the next segment is ready
  send(batch(second + 2, 20'000, 4), 4 * kSec);   // overlapping period
  Message first_done = msg(Kind::kDone, 4);
  first_done.batches = 2;
  first_done.more = true;
  first_done.duration_ms = 900'000;
  send(first_done, 5 * kSec);
  EXPECT_FALSE(c.finished(6 * kSec)) << "a segment's end is not the worker's";
  EXPECT_EQ(c.workers()[0].status, WorkerStatus::kReady);
  send(batch(second + 3, 30'000, 6), 7 * kSec);
  send(batch(second + 3, 30'000, 6), 7 * kSec);  // a duplicate, dropped
  total -= 6;
  Message last_done = msg(Kind::kDone, second + 4);
  last_done.batches = 2;
  last_done.duration_ms = 120'000;
  send(last_done, 8 * kSec);
  EXPECT_TRUE(c.finished(8 * kSec));
  const auto& w = c.workers()[0];
  EXPECT_EQ(w.status, WorkerStatus::kDone);
  EXPECT_EQ(w.batches, 4U);
  EXPECT_EQ(w.batches_sent, 4U);
  EXPECT_EQ(w.segments_done, 1U);
  EXPECT_EQ(w.duration_ms, 1'020'000);
  EXPECT_EQ(c.aggregate().counter("http.requests"), total);
  EXPECT_EQ(c.duplicates(), 1U);
}

}  // namespace
}  // namespace barrage::fleet
