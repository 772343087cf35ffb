// Pacer: when virtual users arrive (open model), for one slice of the test.
//
// Semantics follow Artillery's phases:
//  - arrivalRate r for d seconds: arrivals evenly spaced, arrival k at k/r.
//  - rampTo: Artillery's counts exactly (ramp_counts): second i of a d-second
//    ramp has round((rampTo - arrivalRate) / (d - 1) * i + arrivalRate)
//    arrivals (no fraction carried over); a 1-second ramp has
//    round((arrivalRate + rampTo) / 2). Within a second arrivals are evenly
//    spaced (a partial last second: over its part inside the phase).
//  - arrivalCount n over d: arrival k at k*d/n, exactly n arrivals.
//  - pause: no arrivals for its duration.
//  - closed-model phases (vusers) produce no arrivals: the shard runs them.
//
// Slicing: every arrival of the whole test has a global index g (counting
// across phases). Slice i of n takes exactly the arrivals with g % n == i, so
// the union over slices is the single-slice schedule: totals per phase are the
// same on 1 core, N cores, or (later) N workers x M cores. No fractional
// arrival is lost to rounding a rate per slice.
//
// Pure computation: no clock. Times are offsets from the test start in ns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/event_loop.h"
#include "script/plan.h"

namespace barrage::engine {

struct Arrival {
  Nanos offset = 0;  // intended arrival time, from test start
  size_t phase = 0;  // index into the plan's phases
};

class Pacer {
 public:
  Pacer(const std::vector<script::Phase>& phases, uint64_t slice_index, uint64_t slice_count);

  // The next arrival for this slice, in time order; nullopt when the test has
  // no more arrivals for it.
  std::optional<Arrival> next_arrival();

  // Start offset of phase i from the test start, and the end of the last phase.
  [[nodiscard]] Nanos phase_start(size_t i) const { return phases_[i].start; }
  [[nodiscard]] Nanos phase_end(size_t i) const { return phases_[i].end; }
  [[nodiscard]] Nanos total_duration() const { return total_; }

  // Arrivals the whole test (all slices) has in phase i.
  [[nodiscard]] uint64_t phase_total(size_t i) const { return phases_[i].total; }

  // Arrivals per second of a rampTo phase, as Artillery's createRamp counts
  // them for one worker (the whole test's; slices split them by global index).
  static std::vector<uint64_t> ramp_counts(double from, double to, double duration_s);

  // Splits an integer across slices: the share of `slice_index` out of `slice_count`.
  static int64_t share(int64_t total, uint64_t slice_index, uint64_t slice_count);

 private:
  struct PhaseSched {
    Nanos start = 0;
    Nanos end = 0;
    uint64_t total = 0;        // arrivals in this phase (all slices)
    uint64_t global_base = 0;  // global index of its first arrival
    double duration_s = 0;
    double rate = 0;                 // constant-rate phases
    double count_spacing_s = 0;      // arrivalCount phases
    std::vector<double> cumulative;  // ramp: arrivals before second j (whole numbers)
    enum class Kind { kNone, kRate, kRamp, kCount } kind = Kind::kNone;
  };

  // Offset within the phase, in seconds, of local arrival k.
  double local_time_s(const PhaseSched& p, uint64_t k);

  std::vector<PhaseSched> phases_;
  uint64_t slice_index_;
  uint64_t slice_count_;
  Nanos total_ = 0;
  size_t current_phase_ = 0;
  uint64_t next_global_ = 0;  // next global index this slice will take
  size_t ramp_cursor_ = 0;    // monotonic search position within a ramp
};

}  // namespace barrage::engine
