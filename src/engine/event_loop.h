// One epoll event loop per shard, with nanosecond timers.
//
// Thread affinity: an EventLoop and everything registered with it belong to the
// thread that calls run(); only stop_from_any_thread() may be called elsewhere.
// Time is CLOCK_MONOTONIC in nanoseconds. Waits use epoll_pwait2 so a timer
// fires within the kernel's timer slack (50 us by default) instead of the
// millisecond granularity of epoll_wait: pacing and latency truth depend on it.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/clock.h"

namespace barrage::engine {

using Nanos = int64_t;
constexpr Nanos kNanosPerSecond = 1'000'000'000;
constexpr Nanos kNanosPerMilli = 1'000'000;
constexpr Nanos kNanosPerMicro = 1'000;

// CLOCK_MONOTONIC now, in nanoseconds.
Nanos monotonic_now() noexcept;
// CLOCK_REALTIME now, in milliseconds since the Unix epoch (util/clock.h).
using barrage::wall_now_ms;

class EventLoop;

// Receives readiness events for one file descriptor.
class IoHandler {
 public:
  virtual void on_io(uint32_t events) noexcept = 0;

 protected:
  ~IoHandler() = default;
};

// A one-shot timer owned by its user; arming an armed timer moves it.
// The destructor disarms it. Not copyable or movable (the loop holds its address).
class Timer {
 public:
  using Fn = void (*)(void* ctx) noexcept;
  Timer(EventLoop& loop, Fn fn, void* ctx) noexcept : loop_(&loop), fn_(fn), ctx_(ctx) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(Nanos deadline) noexcept;
  void disarm() noexcept;
  [[nodiscard]] bool armed() const noexcept { return index_ != kNotArmed; }
  [[nodiscard]] Nanos deadline() const noexcept { return deadline_; }

 private:
  friend class EventLoop;
  static constexpr size_t kNotArmed = static_cast<size_t>(-1);
  EventLoop* loop_;
  Fn fn_;
  void* ctx_;
  Nanos deadline_ = 0;
  size_t index_ = kNotArmed;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for `events` (EPOLLIN, EPOLLOUT, EPOLLET, ...). Returns false on failure.
  bool watch(int fd, uint32_t events, IoHandler* handler) noexcept;
  bool rewatch(int fd, uint32_t events, IoHandler* handler) noexcept;
  void unwatch(int fd) noexcept;

  // Resumes `h` on the next loop iteration (after current events are handled).
  void post(std::coroutine_handle<> h) { ready_.push_back(h); }

  // Runs until stop() is called. Handles IO, due timers and posted coroutines.
  void run();
  // Runs one iteration, waiting at most `max_wait` ns for events.
  void run_once(Nanos max_wait);
  void stop() noexcept { stopping_.store(true, std::memory_order_relaxed); }
  // Safe from any thread: wakes the loop and makes run() return.
  void stop_from_any_thread() noexcept;
  // Relaxed: a plain load on x86, and a stop from another thread is seen at
  // the next check (the loop's own wait reads it with acquire).
  [[nodiscard]] bool stopping() const noexcept { return stopping_.load(std::memory_order_relaxed); }

  // Monotonic time cached at the last wake-up; refresh() re-reads the clock.
  [[nodiscard]] Nanos now() const noexcept { return now_; }
  Nanos refresh() noexcept { return now_ = monotonic_now(); }

  [[nodiscard]] size_t armed_timers() const noexcept { return heap_.size(); }

  // Precise wake-ups: sleep until `window` before the next timer, then poll
  // until it is due, spending at most `budget` ns of polling per second.
  // A sleeping thread wakes 50-150 us late on a virtual machine, and that
  // delay would show up as scheduling lag and response time; the budget caps
  // what precision may cost (at high rates the loop is never idle anyway).
  void set_spin(Nanos window, Nanos budget_per_second) noexcept {
    spin_window_ = window;
    spin_budget_ = budget_per_second;
  }

 private:
  friend class Timer;
  void heap_push(Timer* t);
  void heap_remove(Timer* t);
  void sift_up(size_t i);
  void sift_down(size_t i);
  void fire_due_timers();
  void run_posted();

  int epfd_ = -1;
  int wakefd_ = -1;
  std::atomic<bool> stopping_{false};  // written by stop_from_any_thread too
  Nanos now_ = 0;
  Nanos spin_window_ = 0;
  Nanos spin_budget_ = 0;
  Nanos spin_used_ = 0;   // polling time spent in the current second
  Nanos spin_epoch_ = 0;  // start of the current second
  std::vector<Timer*> heap_;
  std::vector<std::coroutine_handle<>> ready_;
  std::vector<std::coroutine_handle<>> running_;
};

}  // namespace barrage::engine
