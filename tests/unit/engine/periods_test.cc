// Period boundaries (issue 15 point 2) on a simulated clock: the first period
// starts at the run's start, the last ends at its end, and no two periods end
// in the same printed second.
#include "engine/periods.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "util/simulated_clock.h"

namespace barrage::engine {
namespace {

constexpr int64_t kMs = 1'000'000;  // ns per ms

// One shard and the runner, as the engine drives them: the shard flushes an
// analysis period (1 s) at each aligned boundary and a final, partial one at
// the run's end; the runner assembles 10 s periods. One request per 100 ms.
std::vector<metrics::Snapshot> run_for(SimulatedClock& clock, int64_t duration_ms) {
  const int64_t start_ms = clock.wall_ms();
  const int64_t end_ms = start_ms + duration_ms;
  PeriodCursor cursor(start_ms, 1'000);
  PeriodAssembler assembler(10'000, 1'000);
  std::vector<metrics::Snapshot> out;
  auto flush = [&](int64_t to_ms, bool final) {
    metrics::Snapshot s;
    s.period_start_ms = cursor.start_ms();
    s.period_end_ms = to_ms;
    s.add("http.requests", static_cast<uint64_t>((to_ms - cursor.start_ms()) / 100));
    for (auto& p : assembler.add(s, final)) out.push_back(std::move(p));
    cursor.advance();
  };
  while (cursor.end_ms() <= end_ms) {
    clock.advance((cursor.end_ms() - clock.wall_ms()) * kMs);
    flush(cursor.end_ms(), false);
  }
  clock.advance((end_ms - clock.wall_ms()) * kMs);
  flush(clock.wall_ms(), true);
  for (auto& p : assembler.finish()) out.push_back(std::move(p));
  return out;
}

uint64_t requests(const std::vector<metrics::Snapshot>& periods) {
  uint64_t n = 0;
  for (const auto& p : periods) n += p.counter("http.requests");
  return n;
}

// The report: `width: 2.603s` in a run whose total time was 1.9 s (the first
// period started at the second before the run).
TEST(Periods, TheFirstPeriodStartsAtTheRunsStart) {
  SimulatedClock clock(1'000'000'000'000, 1'800'000'003'700);  // hh:mm:03.700
  const auto periods = run_for(clock, 1'900);
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].period_start_ms, 1'800'000'003'700);
  EXPECT_EQ(periods[0].period_end_ms, 1'800'000'005'600);
  EXPECT_EQ(periods[0].period_end_ms - periods[0].period_start_ms, 1'900);  // width 1.9 s
  EXPECT_EQ(requests(periods), 19u);
}

// The report: a 2-second run printed two periods with the same `to:` (a
// sliver after the 10 s boundary). The sliver joins the period before it.
TEST(Periods, ATailShorterThanASecondJoinsThePeriodBefore) {
  SimulatedClock clock(1'000'000'000'000, 1'800'000'008'050);  // :08.050, ends at :10.050
  const auto periods = run_for(clock, 2'000);
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].period_start_ms, 1'800'000'008'050);
  EXPECT_EQ(periods[0].period_end_ms, 1'800'000'010'050);
  EXPECT_EQ(requests(periods), 19u);  // 9 + 10 + 0 (per flush, whole 100 ms)
}

// Longer runs: aligned 10 s periods in between, the first from the start,
// the last to the end, every `to:` second distinct and increasing.
TEST(Periods, AlignedBetweenTheEndsAndNeverTheSameSecondTwice) {
  for (const int64_t start : {1'800'000'000'000, 1'800'000'003'250, 1'800'000'009'999}) {
    for (const int64_t duration : {999, 1'000, 9'000, 10'000, 10'400, 21'000, 25'001}) {
      SimulatedClock clock(1'000'000'000'000, start);
      const auto periods = run_for(clock, duration);
      ASSERT_FALSE(periods.empty());
      EXPECT_EQ(periods.front().period_start_ms, start) << start << " " << duration;
      EXPECT_EQ(periods.back().period_end_ms, start + duration) << start << " " << duration;
      for (size_t i = 1; i < periods.size(); ++i) {
        EXPECT_EQ(periods[i].period_start_ms, periods[i - 1].period_end_ms);
        EXPECT_EQ(periods[i].period_start_ms % 10'000, 0) << start << " " << duration;
        EXPECT_GT(periods[i].period_end_ms / 1000, periods[i - 1].period_end_ms / 1000)
            << start << " " << duration << " period " << i;
      }
    }
  }
}

// Without a finer analysis period (one per report period), only a tail under
// 1 s joins the period before it.
TEST(Periods, OnlyASubSecondTailJoinsWhenPeriodsAreNotSplit) {
  PeriodAssembler a(10'000, 10'000);
  auto period = [](int64_t from, int64_t to) {
    metrics::Snapshot s;
    s.period_start_ms = from;
    s.period_end_ms = to;
    s.add("http.requests", 1);
    return s;
  };
  EXPECT_TRUE(a.add(period(0, 10'000), false).empty());
  EXPECT_TRUE(a.add(period(10'000, 15'000), true).empty());
  const auto rest = a.finish();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[1].period_start_ms, 10'000);
  EXPECT_EQ(rest[1].period_end_ms, 15'000);
  PeriodAssembler b(10'000, 10'000);
  EXPECT_TRUE(b.add(period(0, 10'000), false).empty());
  EXPECT_TRUE(b.add(period(10'000, 10'600), true).empty());
  const auto one = b.finish();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].period_end_ms, 10'600);
}

}  // namespace
}  // namespace barrage::engine
