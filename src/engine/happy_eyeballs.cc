#include "engine/happy_eyeballs.h"

#include <algorithm>
#include <deque>

namespace barrage::engine {

HappyEyeballs::HappyEyeballs(std::span<const int> families, uint32_t preferred, Nanos attempt_delay)
    : attempt_delay_(attempt_delay) {
  const auto n = static_cast<uint32_t>(families.size());
  if (n == 0) return;
  if (preferred >= n) preferred = 0;
  // Per family, in order of first appearance after the rotation.
  std::vector<int> family_order;
  std::vector<std::deque<uint32_t>> queues;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t i = (preferred + k) % n;
    const auto it = std::find(family_order.begin(), family_order.end(), families[i]);
    if (it == family_order.end()) {
      family_order.push_back(families[i]);
      queues.emplace_back().push_back(i);
    } else {
      queues[static_cast<size_t>(it - family_order.begin())].push_back(i);
    }
  }
  order_.reserve(n);
  while (order_.size() < n) {
    for (auto& q : queues) {
      if (q.empty()) continue;
      order_.push_back(q.front());
      q.pop_front();
    }
  }
}

std::optional<uint32_t> HappyEyeballs::next(Nanos now) {
  if (started_ == order_.size()) return std::nullopt;
  if (in_flight_ > 0 && !failed_since_start_ && now - last_start_ < attempt_delay_) {
    return std::nullopt;
  }
  failed_since_start_ = false;
  last_start_ = now;
  ++in_flight_;
  return order_[started_++];
}

HappyEyeballs::Nanos HappyEyeballs::wake_at() const noexcept {
  if (started_ == order_.size() || in_flight_ == 0) return kNever;
  return failed_since_start_ ? last_start_ : last_start_ + attempt_delay_;
}

void HappyEyeballs::failed(uint32_t /*index*/) {
  if (in_flight_ > 0) --in_flight_;
  failed_since_start_ = true;
}

}  // namespace barrage::engine
