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
      const auto seconds = static_cast<size_t>(std::ceil(ph.duration_s - 1e-9));
      p.cumulative.assign(seconds + 1, 0.0);
      const double from = ph.arrival_rate;
      const double to = *ph.ramp_to;
      for (size_t j = 0; j < seconds; ++j) {
        const double rate = seconds > 1 ? from + (to - from) * static_cast<double>(j) /
                                                     static_cast<double>(seconds - 1)
                                        : to;
        // The last second may be partial.
        const double width = std::min(1.0, ph.duration_s - static_cast<double>(j));
        p.cumulative[j + 1] = p.cumulative[j] + rate * width;
      }
      p.total = arrivals_below(p.cumulative.back());
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
      const auto kd = static_cast<double>(k);
      const auto& c = p.cumulative;
      while (ramp_cursor_ + 1 < c.size() - 1 && c[ramp_cursor_ + 1] <= kd) ++ramp_cursor_;
      const double in_second = c[ramp_cursor_ + 1] - c[ramp_cursor_];
      const double frac = in_second > 0 ? (kd - c[ramp_cursor_]) / in_second : 0;
      return static_cast<double>(ramp_cursor_) + std::clamp(frac, 0.0, 1.0);
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
