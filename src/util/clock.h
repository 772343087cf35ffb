// Time, injected where decisions on time are made outside the per-request
// path (the distributed run loop and the coordinator's timeouts, the Lambda
// stop monitor and deadline safety net, segment scheduling): those take a
// Clock&, defaulting to system_clock(), so tests substitute a SimulatedClock
// (util/simulated_clock.h) and never sleep. The engine's event loop keeps its
// own time (engine::monotonic_now, the same CLOCK_MONOTONIC) and is not
// called through this interface: no virtual call per request.
//
// wall_now_ms(): the wall clock, for what crosses processes and machines
// (start barriers, deadlines, stop times): CLOCK_REALTIME in milliseconds
// since the Unix epoch.
#pragma once

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace barrage {

inline int64_t wall_now_ms() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic time in ns (on the system clock: CLOCK_MONOTONIC, the scale of
  // engine::monotonic_now). Only differences mean anything.
  [[nodiscard]] virtual int64_t now_ns() const = 0;
  // Wall time in ms since the Unix epoch.
  [[nodiscard]] virtual int64_t wall_ms() const = 0;

  // Blocks until now_ns() >= deadline_ns (a simulated clock jumps there).
  virtual void sleep_until(int64_t deadline_ns) = 0;
  void sleep_for(int64_t ns) { sleep_until(now_ns() + ns); }

  // Waits on `cv` (whose mutex `lock` holds) until it is notified or
  // now_ns() >= deadline_ns; may return early. Callers re-check their
  // condition, as after std::condition_variable::wait_until. A simulated
  // clock does not block: it jumps to the deadline and returns.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          int64_t deadline_ns) = 0;
  // Waits until pred() or the deadline; returns pred().
  template <class Pred>
  bool wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  int64_t deadline_ns, Pred pred) {
    while (!pred()) {
      if (now_ns() >= deadline_ns) return pred();
      wait_until(lock, cv, deadline_ns);
    }
    return true;
  }
  template <class Pred>
  bool wait_for(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t ns,
                Pred pred) {
    return wait_until(lock, cv, now_ns() + ns, pred);
  }
};

// The real thing: CLOCK_MONOTONIC, CLOCK_REALTIME, real waits.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t now_ns() const override {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
  [[nodiscard]] int64_t wall_ms() const override { return wall_now_ms(); }
  void sleep_until(int64_t deadline_ns) override {
    for (int64_t left; (left = deadline_ns - now_ns()) > 0;) {
      const timespec ts{static_cast<time_t>(left / 1'000'000'000), left % 1'000'000'000};
      nanosleep(&ts, nullptr);
    }
  }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  int64_t deadline_ns) override {
    // condition_variable waits on the steady clock, which is CLOCK_MONOTONIC
    // in libstdc++; waiting a duration keeps this independent of its epoch.
    const int64_t left = deadline_ns - now_ns();
    if (left > 0) cv.wait_for(lock, std::chrono::nanoseconds(left));
  }
};

// The process's system clock, the default wherever a Clock& is taken.
inline Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace barrage
