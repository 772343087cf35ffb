#include "engine/pacer.h"

#include <algorithm>
#include <cmath>

namespace barrage::engine {

namespace {
Nanos seconds_to_ns(double s) { return static_cast<Nanos>(std::llround(s * 1e9)); }

// Number of arrivals k >= 0 with k < c (c may be fractional): ceil(c), robust
// to floating error just above an integer.
uint64_t arrivals_below(double c) {
  if (c <= 0) return 0;
  const double r = std::round(c);
  if (std::fabs(c - r) < 1e-9) return static_cast<uint64_t>(r);
  return static_cast<uint64_t>(std::ceil(c));
}
}  // namespace

std::vector<uint64_t> Pacer::ramp_counts(double from, double to, double duration_s) {
  // Artillery (lib/core/phases.ts, createRamp): `periods = duration || 1`; one
  // period is the mean rate, else period i of `for (i = 0; i < periods; i++)`
  // has (to - from) / (duration - 1) * i + from arrivals, rounded as
  // adjustArrivalsByWorker does for the one worker of a split (floor, plus one
  // when the fraction is at least .5: Math.round). No fraction carries over.
  const double d = duration_s > 0 ? duration_s : 1;
  const auto rounded = [](double raw) -> uint64_t {
    if (!(raw > 0)) return 0;
    const double whole = std::floor(raw);
    return static_cast<uint64_t>(whole) + (std::fmod(raw, 1.0) >= 0.5 ? 1 : 0);
  };
  if (d == 1) return {rounded((to + from) / 2)};
  std::vector<uint64_t> counts;
  const auto seconds = static_cast<int64_t>(std::ceil(d));
  counts.reserve(static_cast<size_t>(seconds));
  for (int64_t i = 0; i < seconds; ++i) {
    counts.push_back(rounded((to - from) / (d - 1) * static_cast<double>(i) + from));
  }
  return counts;
}

int64_t Pacer::share(int64_t total, uint64_t slice_index, uint64_t slice_count) {
  const auto n = static_cast<int64_t>(slice_count);
  const auto i = static_cast<int64_t>(slice_index);
  return total / n + (i < total % n ? 1 : 0);
}

Pacer::Pacer(const std::vector<script::Phase>& phases, uint64_t slice_index, uint64_t slice_count)
    : slice_index_(slice_index), slice_count_(std::max<uint64_t>(slice_count, 1)) {
  Nanos start = 0;
  uint64_t base = 0;
  for (const auto& ph : phases) {
    PhaseSched p;
    p.start = start;
    p.duration_s = ph.duration_s;
    p.end = start + seconds_to_ns(ph.duration_s);
    p.global_base = base;
    if (ph.pause || ph.closed()) {
      p.kind = PhaseSched::Kind::kNone;
    } else if (ph.arrival_count) {
      p.kind = PhaseSched::Kind::kCount;
      p.total = static_cast<uint64_t>(std::max<int64_t>(*ph.arrival_count, 0));
      p.count_spacing_s = p.total > 0 ? ph.duration_s / static_cast<double>(p.total) : 0;
    } else if (ph.ramp_to) {
      p.kind = PhaseSched::Kind::kRamp;
      const auto counts = ramp_counts(ph.arrival_rate, *ph.ramp_to, ph.duration_s);
      p.cumulative.assign(counts.size() + 1, 0.0);
      for (size_t j = 0; j < counts.size(); ++j) {
        p.cumulative[j + 1] = p.cumulative[j] + static_cast<double>(counts[j]);
      }
      p.total = static_cast<uint64_t>(p.cumulative.back());
    } else {
      p.kind = PhaseSched::Kind::kRate;
      p.rate = ph.arrival_rate;
      p.total = arrivals_below(ph.arrival_rate * ph.duration_s);
    }
    base += p.total;
    start = p.end;
    phases_.push_back(std::move(p));
  }
  total_ = start;
  next_global_ = slice_index_;
}

double Pacer::local_time_s(const PhaseSched& p, uint64_t k) {
  switch (p.kind) {
    case PhaseSched::Kind::kRate:
      return static_cast<double>(k) / p.rate;
    case PhaseSched::Kind::kCount:
      return static_cast<double>(k) * p.count_spacing_s;
    case PhaseSched::Kind::kRamp: {
      // Second j holds c[j+1] - c[j] arrivals, evenly spaced over the part of
      // it inside the phase (the last second may be partial).
      const auto kd = static_cast<double>(k);
      const auto& c = p.cumulative;
      while (ramp_cursor_ + 1 < c.size() - 1 && c[ramp_cursor_ + 1] <= kd) ++ramp_cursor_;
      const double in_second = c[ramp_cursor_ + 1] - c[ramp_cursor_];
      const auto j = static_cast<double>(ramp_cursor_);
      const double width = std::clamp(p.duration_s - j, 0.0, 1.0);
      const double frac = in_second > 0 ? (kd - c[ramp_cursor_]) / in_second : 0;
      return j + std::clamp(frac, 0.0, 1.0) * width;
    }
    case PhaseSched::Kind::kNone:
      break;
  }
  return 0;
}

std::optional<Arrival> Pacer::next_arrival() {
  while (current_phase_ < phases_.size()) {
    const PhaseSched& p = phases_[current_phase_];
    const uint64_t end_global = p.global_base + p.total;
    if (next_global_ < end_global) {
      const uint64_t k = next_global_ - p.global_base;
      next_global_ += slice_count_;
      const Nanos offset = p.start + seconds_to_ns(local_time_s(p, k));
      return Arrival{std::min(offset, std::max(p.end - 1, p.start)), current_phase_};
    }
    ++current_phase_;
    ramp_cursor_ = 0;
  }
  return std::nullopt;
}

}  // namespace barrage::engine
