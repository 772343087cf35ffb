// Histogram hot paths: record() into a warm histogram (the per-response cost on a
// shard), the first period's records into fresh histograms (allocation included),
// merge() of a typical latency histogram, and the heap bytes a typical histogram keeps
// (what every stored period and timeline entry costs). Run:
//   cmake --build build/release --target histogram_bench && build/release/bench/histogram_bench
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "metrics/histogram.h"

// Live heap bytes, for the memory counters (this binary only).
namespace {
size_t g_live_bytes = 0;
}  // namespace

void* operator new(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  g_live_bytes += malloc_usable_size(p);
  return p;
}
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  g_live_bytes -= malloc_usable_size(p);
  std::free(p);
}
void operator delete(void* p, size_t /*size*/) noexcept { operator delete(p); }

namespace barrage::metrics {
namespace {

// A typical response-time spread: lognormal around 20 ms (p1 ~5 ms, p99 ~80 ms).
std::vector<uint64_t> latencies(size_t n, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(20'000.0), 0.6);
  std::vector<uint64_t> out(n);
  for (auto& v : out) v = static_cast<uint64_t>(latency(rng));
  return out;
}

// Log-uniform over 1 us .. 1 h: every bucket range, the worst case for the layout.
std::vector<uint64_t> full_spread(size_t n) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, std::log(static_cast<double>(Histogram::kMaxValue)));
  std::vector<uint64_t> out(n);
  for (auto& v : out) v = static_cast<uint64_t>(std::exp(u(rng)));
  return out;
}

void record_all(benchmark::State& state, const std::vector<uint64_t>& values) {
  Histogram h;
  for (uint64_t v : values) h.record(v);  // warm: the range already covers the values
  size_t i = 0;
  for (auto _ : state) {
    h.record(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}

void BM_RecordLatency(benchmark::State& state) { record_all(state, latencies(1 << 16)); }
BENCHMARK(BM_RecordLatency);

void BM_RecordFullSpread(benchmark::State& state) { record_all(state, full_spread(1 << 16)); }
BENCHMARK(BM_RecordFullSpread);

// 1,000 latency samples into a fresh histogram: one endpoint's period, growth included.
void BM_RecordFreshPeriod(benchmark::State& state) {
  const auto values = latencies(1000, 3);
  for (auto _ : state) {
    Histogram h;
    for (uint64_t v : values) h.record(v);
    benchmark::DoNotOptimize(h.count());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_RecordFreshPeriod);

void BM_MergeLatency(benchmark::State& state) {
  Histogram source;
  for (uint64_t v : latencies(2000, 4)) source.record(v);
  Histogram total;
  for (uint64_t v : latencies(100'000, 5)) total.record(v);
  for (auto _ : state) {
    total.merge(source);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_MergeLatency);

// Heap bytes held by one histogram of `n` typical latencies, as recorded and as stored
// (a copy, which is what a kept snapshot holds).
void BM_BytesPerHistogram(benchmark::State& state) {
  const auto values = latencies(static_cast<size_t>(state.range(0)), 6);
  size_t recorded = 0;
  size_t stored = 0;
  for (auto _ : state) {
    const size_t before = g_live_bytes;
    auto* h = new Histogram;
    for (uint64_t v : values) h->record(v);
    recorded = g_live_bytes - before;
    const size_t before_copy = g_live_bytes;
    auto* copy = new Histogram(*h);
    stored = g_live_bytes - before_copy;
    benchmark::DoNotOptimize(copy->count());
    delete copy;
    delete h;
  }
  state.counters["bytes_recorded"] = static_cast<double>(recorded);
  state.counters["bytes_stored"] = static_cast<double>(stored);
}
BENCHMARK(BM_BytesPerHistogram)->Arg(1)->Arg(1000)->Arg(100'000);

}  // namespace
}  // namespace barrage::metrics
BENCHMARK_MAIN();
