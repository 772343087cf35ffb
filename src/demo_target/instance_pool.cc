#include "demo_target/instance_pool.h"

namespace barrage::demo_target {

void InstancePool::expire(int64_t now_ns) {
  if (idle_timeout_ns_ <= 0) return;
  while (!idle_.empty() && now_ns - idle_.front().since_ns >= idle_timeout_ns_) idle_.pop_front();
}

std::optional<InstancePool::Lease> InstancePool::acquire(int64_t now_ns) {
  std::lock_guard lock(mu_);
  if (limit_ > 0 && busy_ >= static_cast<uint64_t>(limit_)) {
    ++throttled_;
    return std::nullopt;
  }
  expire(now_ns);
  ++busy_;
  if (!idle_.empty()) {
    const uint64_t id = idle_.back().instance;
    idle_.pop_back();
    return Lease{id, false};
  }
  ++cold_starts_;
  return Lease{next_instance_++, true};
}

void InstancePool::release(uint64_t instance, int64_t now_ns) {
  std::lock_guard lock(mu_);
  --busy_;
  // Server threads' clocks are cached per loop iteration, so a release may
  // carry a time slightly before the newest idle entry; keep the deque ordered.
  if (!idle_.empty() && idle_.back().since_ns > now_ns) now_ns = idle_.back().since_ns;
  idle_.push_back({instance, now_ns});
}

InstancePool::Counts InstancePool::counts(int64_t now_ns) {
  std::lock_guard lock(mu_);
  expire(now_ns);
  return {cold_starts_, throttled_, busy_, idle_.size()};
}

}  // namespace barrage::demo_target
