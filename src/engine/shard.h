// A shard: one thread's share of the test. Owns its event loop, timers, RNG,
// resolver, TLS context, connections, virtual users and metrics recorder;
// shares nothing mutable with other shards (no lock or atomic per request).
// Metrics leave a shard only as a Snapshot per period, through a SnapshotSink.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/dns.h"
#include "engine/event_loop.h"
#include "engine/pacer.h"
#include "engine/periods.h"
#include "engine/run_context.h"
#include "engine/task.h"
#include "engine/tls.h"
#include "metrics/recorder.h"
#include "metrics/snapshot.h"
#include "util/rng.h"

namespace barrage::engine {

class ConnectionPool;
class HookHost;
struct VuState;

// Receives each shard's snapshot of each period. Called from shard threads.
class SnapshotSink {
 public:
  virtual void deliver(size_t shard, int64_t period_start_ms, metrics::Snapshot snapshot,
                       bool final) = 0;

 protected:
  ~SnapshotSink() = default;
};

// Live figures a shard publishes a few times a second for the progress line.
struct ShardProgress {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> responses{0};
  std::atomic<uint64_t> active_vus{0};
  std::atomic<int64_t> phase{-1};
};

class Shard {
 public:
  Shard(const RunContext& ctx, size_t index, SnapshotSink& sink, ShardProgress& progress);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Runs the whole test on the calling thread; returns when done or stopped.
  void run();
  // Any thread: stop generating load, end VUs, deliver the partial period.
  void request_stop() noexcept;

  // --- used by virtual users (shard thread only) ---
  [[nodiscard]] EventLoop& loop() noexcept { return loop_; }
  [[nodiscard]] const RunContext& ctx() const noexcept { return ctx_; }
  [[nodiscard]] metrics::Recorder& recorder() noexcept { return recorder_; }
  [[nodiscard]] Rng& rng() noexcept { return rng_; }
  [[nodiscard]] Resolver& resolver() noexcept { return resolver_; }
  TlsContext& tls();
  // The shard's shared pool for an origin (config.http.pool > 0).
  ConnectionPool& pool(const std::string& origin);
  [[nodiscard]] const script::Vars& globals() const noexcept { return globals_; }
  // The processor's host (config.processor), or null: set before run().
  [[nodiscard]] HookHost* hooks() noexcept { return hooks_.get(); }
  void set_hooks(std::unique_ptr<HookHost> host);
  void vu_finished(size_t slot) noexcept { finished_.push_back(slot); }
  // A scenario by weight, from the shard's RNG.
  const script::Scenario& pick_scenario();
  // A run-wide index for each VU session this shard starts: the k-th is
  // k * slice_count + slice, which for open-model arrivals is the arrival's
  // global index (Pacer slicing), so indexes never collide across shards or
  // workers. Payload `order: sequence` reads row index % rows.
  uint64_t next_session_index() noexcept {
    return sessions_++ * ctx_.slice_count + ctx_.slice_base + index_;
  }

 private:
  static void on_arrival_timer(void* self) noexcept;
  static void on_period_timer(void* self) noexcept;
  static void on_phase_timer(void* self) noexcept;
  void schedule_next_arrival();
  // The pacer's next arrival within this segment's window (RunContext).
  std::optional<Arrival> next_in_window();
  // The end of the schedule here: the last phase's end or the window's.
  [[nodiscard]] Nanos window_end() const;
  // Every phase that starts within the window has started.
  [[nodiscard]] bool phases_over() const;
  void spawn(size_t phase, Nanos intended, bool closed);
  void start_closed_phase(size_t phase);
  void reap();
  // The drain bound passed: counts each VU still running, by its step.
  void count_cut_off();
  void flush_period(bool final);

  const RunContext& ctx_;
  size_t index_;
  SnapshotSink& sink_;
  ShardProgress& progress_;
  EventLoop loop_;
  Rng rng_;
  metrics::Recorder recorder_;
  Resolver resolver_;
  std::unique_ptr<TlsContext> tls_;
  std::vector<std::pair<std::string, std::unique_ptr<ConnectionPool>>> pools_;
  std::unique_ptr<HookHost> hooks_;
  script::Vars globals_;
  Pacer pacer_;
  std::optional<Arrival> next_arrival_;
  Timer arrival_timer_;
  Timer period_timer_;
  Timer phase_timer_;
  size_t next_phase_ = 0;               // next phase whose start the phase timer marks
  std::optional<PeriodCursor> period_;  // the current period (set by run())
  double total_weight_ = 0;

  struct Slot {
    std::unique_ptr<VuState> state;
    Task<void> task;
  };
  std::vector<Slot> slots_;
  std::vector<size_t> free_slots_;
  std::vector<size_t> finished_;
  std::vector<int64_t> active_per_phase_;
  std::vector<int64_t> cap_per_phase_;
  size_t active_ = 0;
  uint64_t sessions_ = 0;
  bool arrivals_done_ = false;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace barrage::engine
