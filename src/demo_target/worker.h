// One thread of the demo target: an event loop, its listening sockets (one
// per address, e.g. 127.0.0.1 and ::1; SO_REUSEPORT, shared port) and the
// connections it accepted.
//
// Thread affinity: after start_thread(), everything but stop_and_join() and
// the counters runs on the worker's thread. Connections are destroyed at the
// end of a loop iteration (retire()), never inside their own callbacks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "demo_target/instance_pool.h"
#include "demo_target/router.h"
#include "demo_target/target_server.h"
#include "engine/event_loop.h"
#include "util/clock.h"
#include "util/rng.h"

namespace barrage::demo_target {

class Connection;

// What all workers share: options, routes and the one instance pool.
struct SharedState {
  explicit SharedState(const TargetOptions& o);

  const TargetOptions options;
  const int64_t latency_ns;
  const int64_t jitter_ns;
  const int64_t cold_start_ns;
  const Router router;
  InstancePool pool;
  // The instance pool's time: `loop_now`, unless options.instance_clock is set.
  [[nodiscard]] int64_t pool_now(int64_t loop_now) const noexcept {
    return options.instance_clock != nullptr ? options.instance_clock->now_ns() : loop_now;
  }
};

class Worker final {
 public:
  // Takes ownership of listen_fds (non-blocking, listening). Throws
  // std::runtime_error when the event loop cannot be created.
  Worker(SharedState& shared, const std::vector<int>& listen_fds, uint64_t seed);
  ~Worker();  // the thread must not be running
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start_thread();
  // From any thread: stops the loop and joins the thread. Idempotent.
  void stop_and_join();

  engine::EventLoop& loop() noexcept { return loop_; }
  SharedState& shared() noexcept { return shared_; }
  Rng& rng() noexcept { return rng_; }
  void count_request() noexcept { requests_.fetch_add(1, std::memory_order_relaxed); }
  void count_error() noexcept { errors_.fetch_add(1, std::memory_order_relaxed); }
  // Schedules `c` for destruction after the current loop iteration.
  void retire(Connection* c) noexcept;

  // Safe from any thread.
  [[nodiscard]] uint64_t requests() const noexcept {
    return requests_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t errors() const noexcept { return errors_.load(std::memory_order_relaxed); }

 private:
  struct Listener final : engine::IoHandler {
    Worker* worker = nullptr;
    int fd = -1;
    void on_io(uint32_t /*events*/) noexcept override { worker->accept_ready(*this); }
  };
  static void on_reap(void* self) noexcept;
  static void on_accept_retry(void* self) noexcept;
  void accept_ready(Listener& l) noexcept;

  SharedState& shared_;
  engine::EventLoop loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  Rng rng_;
  engine::Timer reap_timer_;
  engine::Timer accept_retry_timer_;
  std::vector<std::unique_ptr<Connection>> connections_;  // index kept in Connection
  std::vector<std::unique_ptr<Connection>> retired_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> errors_{0};
  std::thread thread_;
};

}  // namespace barrage::demo_target
