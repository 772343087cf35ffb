// Coordinator merge cost (issue 4's measure): per period, 1,000 worker
// snapshots with 100 endpoints each are decoded from the wire and merged; and
// the serialized (compressed) size of one such snapshot. Run:
//   cmake --build build/release --target merge_bench && build/release/bench/merge/merge_bench
#include <benchmark/benchmark.h>

#include <random>

#include "fleet/coordinator.h"
#include "fleet/protocol.h"

namespace barrage::fleet {
namespace {

constexpr int kEndpoints = 100;
constexpr uint32_t kWorkers = 1000;

// What a busy worker reports for one 10 s period: per endpoint, codes and a
// response-time histogram of a few thousand samples, plus the global metrics.
metrics::Snapshot worker_snapshot(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(20'000.0), 0.6);
  metrics::Snapshot s;
  s.period_start_ms = 1'700'000'000'000;
  s.period_end_ms = s.period_start_ms + 10'000;
  uint64_t total = 0;
  for (int e = 0; e < kEndpoints; ++e) {
    const std::string name = "/api/v1/resource-" + std::to_string(e);
    const uint64_t n = 200 + rng() % 300;
    total += n;
    s.add("plugins.metrics-by-endpoint." + name + ".codes.200", n);
    s.add("plugins.metrics-by-endpoint." + name + ".requests", n);
    auto& h = s.histogram("plugins.metrics-by-endpoint.response_time." + name);
    for (uint64_t i = 0; i < n; ++i) {
      const auto v = static_cast<uint64_t>(latency(rng));
      h.record(v);
      s.histogram("http.response_time").record(v);
    }
  }
  s.add("http.requests", total);
  s.add("http.responses", total);
  s.add("http.codes.200", total);
  s.add("vusers.created", total / 4);
  s.add("vusers.completed", total / 4);
  return s;
}

std::vector<std::string> period_wire() {
  std::vector<std::string> wire;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    Message m;
    m.kind = Kind::kBatch;
    m.run_id = "r-bench";
    m.worker = w;
    m.seq = 1;
    m.period_start_ms = 1'700'000'000'000;
    // 20 distinct snapshots reused: building 1,000 is setup, not the measure.
    m.snapshot = worker_snapshot(w % 20);
    for (auto& e : encode(m)) wire.push_back(std::move(e));
  }
  return wire;
}

// Decode + merge of one period from 1,000 workers (what the coordinator does).
void BM_CoordinatorPeriod1000Workers(benchmark::State& state) {
  const auto wire = period_wire();
  for (auto _ : state) {
    Coordinator c("r-bench", kWorkers, {});
    for (const auto& e : wire) c.receive(e, 1);
    benchmark::DoNotOptimize(c.aggregate().counters.size());
  }
  state.counters["workers"] = kWorkers;
  state.counters["endpoints"] = kEndpoints;
}
BENCHMARK(BM_CoordinatorPeriod1000Workers)->Unit(benchmark::kMillisecond)->Iterations(5);

// Merge only (snapshots already decoded).
void BM_MergeOnly1000Snapshots(benchmark::State& state) {
  std::vector<metrics::Snapshot> snaps;
  for (uint32_t w = 0; w < 20; ++w) snaps.push_back(worker_snapshot(w));
  for (auto _ : state) {
    metrics::Snapshot total;
    for (uint32_t w = 0; w < kWorkers; ++w) total.merge(snaps[w % 20]);
    benchmark::DoNotOptimize(total.counters.size());
  }
}
BENCHMARK(BM_MergeOnly1000Snapshots)->Unit(benchmark::kMillisecond)->Iterations(5);

// Wire size of one worker's period with 100 endpoints (compressed, base64).
void BM_EncodedSnapshotSize(benchmark::State& state) {
  Message m;
  m.kind = Kind::kBatch;
  m.run_id = "r-bench";
  m.snapshot = worker_snapshot(1);
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& e : encode(m)) bytes += e.size();
  }
  state.counters["wire_KiB"] = static_cast<double>(bytes) / 1024.0;
}
BENCHMARK(BM_EncodedSnapshotSize)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace barrage::fleet

BENCHMARK_MAIN();
