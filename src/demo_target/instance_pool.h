// Lambda-like execution environments ("instances") of the demo target.
//
// A request needs a free instance and holds it until its response is sent:
// one request at a time per instance. acquire() takes the most recently used
// idle instance (warm); when none is idle it creates one, and that request
// pays the cold start. Instances idle for idle_timeout or longer expire (so
// the next burst is cold again). With a concurrency limit L > 0, acquire()
// refuses (throttles) while L requests hold instances, as Lambda answers 429
// past its reserved concurrency.
//
// Thread-safe: one pool models one function shared by every server thread, so
// a mutex guards it (uncontended cost, tens of ns per request; the demo
// target is not where barrage's own per-request cost is measured).
// Times are monotonic nanoseconds.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace barrage::demo_target {

class InstancePool {
 public:
  struct Lease {
    uint64_t instance = 0;  // 1, 2, ... in creation order
    bool cold = false;      // created for this request
  };
  struct Counts {
    uint64_t cold_starts = 0;
    uint64_t throttled = 0;
    uint64_t busy = 0;  // instances serving a request
    uint64_t idle = 0;  // live instances not serving (not yet expired)
  };

  // idle_timeout_ns <= 0: instances never expire. concurrency_limit <= 0: no limit.
  InstancePool(int64_t idle_timeout_ns, int64_t concurrency_limit) noexcept
      : idle_timeout_ns_(idle_timeout_ns), limit_(concurrency_limit) {}

  // A free instance for a request arriving at `now_ns`; nullopt (counted as
  // throttled) when the concurrency limit is reached.
  std::optional<Lease> acquire(int64_t now_ns);
  // Returns an instance whose request finished at `now_ns`.
  void release(uint64_t instance, int64_t now_ns);

  [[nodiscard]] Counts counts(int64_t now_ns);

 private:
  struct Idle {
    uint64_t instance;
    int64_t since_ns;
  };
  void expire(int64_t now_ns);  // requires mu_

  const int64_t idle_timeout_ns_;
  const int64_t limit_;
  std::mutex mu_;
  std::deque<Idle> idle_;  // oldest release first
  uint64_t busy_ = 0;
  uint64_t next_instance_ = 1;
  uint64_t cold_starts_ = 0;
  uint64_t throttled_ = 0;
};

}  // namespace barrage::demo_target
