// A Clock for tests: time moves only when the test advances it or when code
// waits on it. A wait never blocks: it moves time to its deadline (the
// deadline is "reached instantly"), so code that waits with a timeout runs
// through simulated minutes in microseconds of real time, deterministically.
// Thread-safe: time only moves forward, whichever thread moves it.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "util/clock.h"

namespace barrage {

class SimulatedClock final : public Clock {
 public:
  // Monotonic time starts at start_ns; wall time at wall_start_ms and moves
  // with it.
  explicit SimulatedClock(int64_t start_ns = 1'000'000'000'000,
                          int64_t wall_start_ms = 1'800'000'000'000)
      : start_ns_(start_ns), wall_start_ms_(wall_start_ms), now_(start_ns) {}

  [[nodiscard]] int64_t now_ns() const override { return now_.load(std::memory_order_acquire); }
  [[nodiscard]] int64_t wall_ms() const override {
    return wall_start_ms_ + (now_ns() - start_ns_) / 1'000'000;
  }

  // Moves time forward by ns (>= 0).
  void advance(int64_t ns) { advance_to(now_ns() + ns); }
  // Moves time to t if t is later; never backwards.
  void advance_to(int64_t t) {
    int64_t cur = now_.load(std::memory_order_acquire);
    while (cur < t && !now_.compare_exchange_weak(cur, t, std::memory_order_acq_rel)) {
    }
  }
  // Simulated time since construction.
  [[nodiscard]] int64_t elapsed_ns() const { return now_ns() - start_ns_; }
  // Calls to sleep_until / wait_until so far.
  [[nodiscard]] uint64_t waits() const { return waits_.load(std::memory_order_relaxed); }

  void sleep_until(int64_t deadline_ns) override {
    waits_.fetch_add(1, std::memory_order_relaxed);
    advance_to(deadline_ns);
  }
  // Releases the lock for a moment, as a real wait does, so a thread that
  // waits in a loop cannot starve the threads that would notify it.
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& /*cv*/,
                  int64_t deadline_ns) override {
    waits_.fetch_add(1, std::memory_order_relaxed);
    advance_to(deadline_ns);
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }

 private:
  const int64_t start_ns_;
  const int64_t wall_start_ms_;
  std::atomic<int64_t> now_;
  std::atomic<uint64_t> waits_{0};
};

}  // namespace barrage
