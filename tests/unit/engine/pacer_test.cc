#include "engine/pacer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace barrage::engine {
namespace {

script::Phase rate(double duration, double r) {
  script::Phase p;
  p.duration_s = duration;
  p.arrival_rate = r;
  return p;
}

std::vector<Arrival> all(const std::vector<script::Phase>& phases, uint64_t index = 0,
                         uint64_t count = 1) {
  Pacer pacer(phases, index, count);
  std::vector<Arrival> out;
  while (auto a = pacer.next_arrival()) out.push_back(*a);
  return out;
}

TEST(Pacer, ConstantRateIsEvenlySpaced) {
  const auto a = all({rate(10, 10)});
  ASSERT_EQ(a.size(), 100u);
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].offset, static_cast<Nanos>(k) * 100 * kNanosPerMilli) << k;
  }
}

TEST(Pacer, FractionalRateKeepsFractions) {
  // 0.5/s for 3 s: arrivals at 0 s and 2 s.
  const auto a = all({rate(3, 0.5)});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].offset, 2 * kNanosPerSecond);
  // 2.5/s for 4 s = exactly 10.
  EXPECT_EQ(all({rate(4, 2.5)}).size(), 10u);
}

TEST(Pacer, RampStepsOncePerSecond) {
  script::Phase p = rate(10, 1);
  p.ramp_to = 10;
  const auto a = all({p});
  ASSERT_EQ(a.size(), 55u);  // 1 + 2 + ... + 10
  // Second j holds j+1 arrivals, evenly spaced within it.
  std::vector<int> per_second(10, 0);
  for (const auto& x : a) ++per_second[static_cast<size_t>(x.offset / kNanosPerSecond)];
  for (int j = 0; j < 10; ++j) EXPECT_EQ(per_second[static_cast<size_t>(j)], j + 1) << j;
  EXPECT_TRUE(std::is_sorted(
      a.begin(), a.end(), [](const Arrival& l, const Arrival& r) { return l.offset < r.offset; }));
}

TEST(Pacer, RampDownAndFromZero) {
  script::Phase down = rate(5, 10);
  down.ramp_to = 0;
  EXPECT_EQ(all({down}).size(), 26u);  // 10 + 8 (7.5) + 5 + 3 (2.5) + 0, as Artillery
  script::Phase up = rate(4, 0);
  up.ramp_to = 3;
  EXPECT_EQ(all({up}).size(), 6u);  // 0 + 1 + 2 + 3
}

script::Phase ramp(double duration, double from, double to) {
  script::Phase p = rate(duration, from);
  p.ramp_to = to;
  return p;
}

// Arrivals per second of rampTo phases as Artillery counts them
// (lib/core/phases.ts createRamp + adjustArrivalsByWorker for one worker):
// `periods = duration || 1`; one period is round((from + to) / 2), else
// period i (i = 0, 1, ... while i < duration) is
// round((to - from) / (duration - 1) * i + from), no fraction carried over.
TEST(Pacer, RampCountsMatchArtillery) {
  struct Case {
    double duration, from, to;
    std::vector<uint64_t> per_second;
  };
  const std::vector<Case> cases{
      {1, 0, 10, {5}},  // one second: the mean (was 10: the rampTo rate)
      {1, 5, 5, {5}},
      {1, 1, 10, {6}},  // 5.5
      {1, 0, 5, {3}},   // 2.5
      {0, 0, 10, {5}},  // duration 0 counts as 1
      {0.5, 5, 10, {5}},
      {2, 1, 2, {1, 2}},
      {4, 0, 3, {0, 1, 2, 3}},
      {5, 10, 0, {10, 8, 5, 3, 0}},
      {10, 1, 10, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
      {15, 1, 20, {1, 2, 4, 5, 6, 8, 9, 11, 12, 13, 15, 16, 17, 19, 20}},
      {15, 20, 1, {20, 19, 17, 16, 15, 13, 12, 11, 9, 8, 6, 5, 4, 2, 1}},
      {7, 3.3, 17.9, {3, 6, 8, 11, 13, 15, 18}},
      {2.5, 0, 10, {0, 7, 13}},  // three periods; the last in the phase's last 0.5 s
  };
  for (const auto& c : cases) {
    const std::string name = fmt::format("{}s {} -> {}", c.duration, c.from, c.to);
    EXPECT_EQ(Pacer::ramp_counts(c.from, c.to, c.duration), c.per_second) << name;
    const auto a = all({ramp(c.duration, c.from, c.to)});
    std::vector<uint64_t> seen(c.per_second.size(), 0);
    for (const auto& x : a) {
      const auto second = static_cast<size_t>(x.offset / kNanosPerSecond);
      ASSERT_LT(second, seen.size()) << name;
      ++seen[second];
      EXPECT_LT(x.offset, std::max<Nanos>(1, static_cast<Nanos>(c.duration * 1e9))) << name;
    }
    EXPECT_EQ(seen, c.per_second) << name;
  }
  // The report's case: two 1-second ramps, 0 -> 10 and 5 -> 5: 5 + 5, not 10 + 5.
  Pacer two({ramp(1, 0, 10), ramp(1, 5, 5)}, 0, 1);
  EXPECT_EQ(two.phase_total(0) + two.phase_total(1), 10u);
  EXPECT_EQ(all({ramp(1, 0, 10), ramp(1, 5, 5)}).size(), 10u);
  // 60 s from 50/s to 100/s: 4,500 whole per-second counts.
  EXPECT_EQ(all({ramp(60, 50, 100)}).size(), 4500u);
}

TEST(Pacer, ArrivalCountSpreadsExactly) {
  script::Phase p;
  p.duration_s = 10;
  p.arrival_count = 7;
  const auto a = all({p});
  ASSERT_EQ(a.size(), 7u);
  for (size_t k = 0; k < 7; ++k) {
    EXPECT_NEAR(static_cast<double>(a[k].offset), static_cast<double>(k) * 10e9 / 7, 1.0);
  }
}

TEST(Pacer, PauseShiftsLaterPhases) {
  script::Phase pause;
  pause.pause = true;
  pause.duration_s = 5;
  const auto a = all({rate(1, 2), pause, rate(1, 2)});
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[2].offset, 6 * kNanosPerSecond);
  EXPECT_EQ(a[2].phase, 2u);
  Pacer p({rate(1, 2), pause, rate(1, 2)}, 0, 1);
  EXPECT_EQ(p.total_duration(), 7 * kNanosPerSecond);
  EXPECT_EQ(p.phase_start(2), 6 * kNanosPerSecond);
}

TEST(Pacer, ClosedPhaseHasNoArrivals) {
  script::Phase closed;
  closed.duration_s = 3;
  closed.vusers = 5;
  EXPECT_TRUE(all({closed}).empty());
}

TEST(Pacer, SlicesPartitionTheSingleSliceSchedule) {
  script::Phase ramp = rate(7, 3.3);
  ramp.ramp_to = 17.9;
  script::Phase count;
  count.duration_s = 3;
  count.arrival_count = 101;
  script::Phase pause;
  pause.pause = true;
  pause.duration_s = 1.5;
  const std::vector<script::Phase> phases{rate(2.5, 7.3), ramp, pause, count, rate(1, 0.7)};
  const auto single = all(phases);
  for (uint64_t n = 1; n <= 7; ++n) {
    std::vector<Arrival> merged;
    std::vector<size_t> per_phase(phases.size(), 0);
    for (uint64_t i = 0; i < n; ++i) {
      for (const auto& a : all(phases, i, n)) {
        merged.push_back(a);
        ++per_phase[a.phase];
      }
    }
    ASSERT_EQ(merged.size(), single.size()) << n << " slices";
    std::sort(merged.begin(), merged.end(), [](const Arrival& l, const Arrival& r) {
      return l.offset < r.offset || (l.offset == r.offset && l.phase < r.phase);
    });
    for (size_t k = 0; k < single.size(); ++k) {
      EXPECT_EQ(merged[k].offset, single[k].offset) << n << " slices, arrival " << k;
    }
    Pacer totals(phases, 0, 1);
    for (size_t ph = 0; ph < phases.size(); ++ph) {
      EXPECT_EQ(per_phase[ph], totals.phase_total(ph)) << n << " slices, phase " << ph;
    }
  }
}

TEST(Pacer, ShareSplitsIntegersExactly) {
  for (int64_t total : {0, 1, 5, 99, 100}) {
    for (uint64_t n = 1; n <= 8; ++n) {
      int64_t sum = 0;
      for (uint64_t i = 0; i < n; ++i) sum += Pacer::share(total, i, n);
      EXPECT_EQ(sum, total);
    }
  }
}

}  // namespace
}  // namespace barrage::engine
