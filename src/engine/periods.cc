#include "engine/periods.h"

#include <algorithm>
#include <utility>

namespace barrage::engine {

std::vector<metrics::Snapshot> PeriodAssembler::add(const metrics::Snapshot& analysis, bool final) {
  std::vector<metrics::Snapshot> out;
  // A whole analysis period after a complete period: the run did not end
  // within its first analysis period, so the held period is final.
  if (held_ && !final) {
    out.push_back(std::move(*held_));
    held_.reset();
  }
  const int64_t start = analysis.period_start_ms;
  const int64_t key = start - start % period_ms_;
  auto& p = open_[key];
  p.merge(analysis);
  if (p.period_start_ms == 0) p.period_start_ms = start;
  // Complete when its last analysis period is in (aligned end reached).
  const int64_t aligned = start - start % analysis_ms_;
  if (!final && aligned + analysis_ms_ >= key + period_ms_) {
    if (held_) out.push_back(std::move(*held_));
    held_ = std::move(p);
    open_.erase(key);
  }
  return out;
}

std::vector<metrics::Snapshot> PeriodAssembler::finish() {
  std::vector<metrics::Snapshot> out;
  auto it = open_.begin();
  if (held_) {
    // The tail right after it, when it would end in the same printed second
    // (under 1 s, and under an analysis period, else the held period would
    // have been handed out); a longer one has a `to:` of its own.
    const int64_t limit = std::min<int64_t>(analysis_ms_, 1'000);
    if (it != open_.end() &&
        it->first == held_->period_end_ms - held_->period_end_ms % period_ms_ &&
        it->second.period_end_ms - it->second.period_start_ms < limit) {
      held_->merge(it->second);
      it = open_.erase(it);
    }
    out.push_back(std::move(*held_));
    held_.reset();
  }
  for (; it != open_.end(); ++it) out.push_back(std::move(it->second));
  open_.clear();
  return out;
}

}  // namespace barrage::engine
