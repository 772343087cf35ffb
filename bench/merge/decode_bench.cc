// Issue 19, point 2: one coordinator period from the wire. 1,000 workers x 100
// endpoints send their period's batch; the benchmark starts from the envelopes as
// received (the text of the SQS bodies / pipe lines) and ends with the merged period.
//   - V1Json:   protocol 1 (envelope JSON, base64, zlib, JSON body holding the snapshot
//               as JSON with base64 histograms). Its code is kept below, verbatim in
//               behaviour, so before and after run in one binary and one session.
//   - V2Binary: protocol 2 (fleet/protocol.h: header JSON, base64 of the binary
//               snapshot of metrics/snapshot_wire.h).
//   - SnapshotWire{None,Zlib}: the binary snapshot alone, with and without zlib (what
//               decided kNone as the default), from bytes to the merged period.
// Run:
//   cmake --build build/release --target decode_bench && build/release/bench/decode_bench
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <nlohmann/json.hpp>
#include <random>

#include "fleet/protocol.h"
#include "metrics/snapshot_json.h"
#include "metrics/snapshot_wire.h"
#include "util/base64.h"

namespace barrage::fleet {
namespace {

constexpr int kEndpoints = 100;
constexpr uint32_t kWorkers = 1000;
constexpr int kDistinct = 20;  // distinct worker snapshots (building 1,000 is setup)

// As merge_bench.cc: a busy worker's 10 s period, per endpoint codes, requests and a
// response-time histogram of a few hundred samples, plus the global metrics.
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

const std::vector<metrics::Snapshot>& snapshots() {
  static const std::vector<metrics::Snapshot> all = [] {
    std::vector<metrics::Snapshot> v;
    for (int i = 0; i < kDistinct; ++i) v.push_back(worker_snapshot(static_cast<uint64_t>(i)));
    return v;
  }();
  return all;
}

Message batch_of(uint32_t worker) {
  Message m;
  m.kind = Kind::kBatch;
  m.run_id = "r-bench";
  m.worker = worker;
  m.seq = 1;
  m.period_start_ms = 1'700'000'000'000;
  m.snapshot = snapshots()[worker % kDistinct];
  return m;
}

// ---- protocol 1, as src/fleet/protocol.cc had it (batch messages only) ----
namespace v1 {
using nlohmann::json;

std::string deflate(const std::string& in) {
  uLongf size = compressBound(static_cast<uLong>(in.size()));
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(in.data()),
            static_cast<uLong>(in.size()), Z_BEST_SPEED);
  out.resize(size);
  return out;
}

std::optional<std::string> inflate_bounded(std::string_view in, size_t limit) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > limit) {
      rc = Z_DATA_ERROR;
      break;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;
      break;
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

std::string encode(const Message& m) {
  const json body{
      {"period", m.period_start_ms}, {"last", m.last}, {"snapshot", metrics::to_json(m.snapshot)}};
  const std::string data = base64_encode(deflate(body.dump()), Base64::kStandard);
  const json e{{"v", 1},     {"k", "batch"}, {"r", m.run_id}, {"w", m.worker},
               {"s", m.seq}, {"p", 0},       {"n", 1},        {"z", data}};
  return e.dump();
}

std::optional<Message> decode(std::string_view text) {
  const json e = json::parse(text, nullptr, false);
  if (e.is_discarded() || !e.is_object() || e.value("v", 0) != 1) return std::nullopt;
  Message m;
  m.kind = Kind::kBatch;
  m.run_id = e.at("r").get<std::string>();
  m.worker = e.at("w").get<uint32_t>();
  m.seq = e.at("s").get<uint64_t>();
  const auto raw = base64_decode(e.at("z").get_ref<const std::string&>(), Base64::kStandard);
  if (!raw) return std::nullopt;
  const auto body = inflate_bounded(*raw, 64 * 1024 * 1024);
  if (!body) return std::nullopt;
  const json b = json::parse(*body, nullptr, false);
  if (b.is_discarded()) return std::nullopt;
  m.period_start_ms = b.at("period").get<int64_t>();
  m.last = b.at("last").get<bool>();
  auto s = metrics::snapshot_from_json(b.at("snapshot").get_ref<const std::string&>());
  if (!s) return std::nullopt;
  m.snapshot = std::move(*s);
  return m;
}
}  // namespace v1

double kib(const std::vector<std::string>& wire) {
  size_t bytes = 0;
  for (const auto& e : wire) bytes += e.size();
  return static_cast<double>(bytes) / 1024.0 / kWorkers;
}

uint64_t expected_requests() {
  uint64_t n = 0;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    n += snapshots()[w % kDistinct].counter("http.requests");
  }
  return n;
}

void check(benchmark::State& state, const metrics::Snapshot& period) {
  if (period.counter("http.requests") != expected_requests()) {
    state.SkipWithError("merged period is wrong");
  }
}

void BM_PeriodFromWire_V1Json(benchmark::State& state) {
  std::vector<std::string> wire;
  for (uint32_t w = 0; w < kWorkers; ++w) wire.push_back(v1::encode(batch_of(w)));
  metrics::Snapshot period;
  for (auto _ : state) {
    period = {};
    for (const auto& e : wire) {
      auto m = v1::decode(e);
      if (!m) state.SkipWithError("v1 decode failed");
      period.merge(m->snapshot);
    }
  }
  check(state, period);
  state.counters["wire_KiB_per_worker"] = kib(wire);
}
BENCHMARK(BM_PeriodFromWire_V1Json)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_PeriodFromWire_V2Binary(benchmark::State& state) {
  std::vector<std::string> wire;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    for (auto& e : encode(batch_of(w))) wire.push_back(std::move(e));
  }
  metrics::Snapshot period;
  for (auto _ : state) {
    period = {};
    Decoder decoder;
    for (const auto& e : wire) {
      auto m = decoder.add(e);
      if (!m || !*m) {
        state.SkipWithError("v2 decode failed");
        break;
      }
      period.merge((*m)->snapshot);
    }
  }
  check(state, period);
  state.counters["wire_KiB_per_worker"] = kib(wire);
}
BENCHMARK(BM_PeriodFromWire_V2Binary)->Unit(benchmark::kMillisecond)->Iterations(10);

// Decode only (no merge), protocol 2: where the time goes.
void BM_DecodeOnly_V2Binary(benchmark::State& state) {
  std::vector<std::string> wire;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    for (auto& e : encode(batch_of(w))) wire.push_back(std::move(e));
  }
  for (auto _ : state) {
    Decoder decoder;
    size_t names = 0;
    for (const auto& e : wire) {
      auto m = decoder.add(e);
      if (!m || !*m) {
        state.SkipWithError("v2 decode failed");
        break;
      }
      names += (*m)->snapshot.counters.size();
    }
    benchmark::DoNotOptimize(names);
  }
}
BENCHMARK(BM_DecodeOnly_V2Binary)->Unit(benchmark::kMillisecond)->Iterations(10);

void snapshot_wire(benchmark::State& state, metrics::WireCompression c) {
  std::vector<std::string> bytes;
  for (int i = 0; i < kDistinct; ++i) bytes.push_back(encode_snapshot_wire(snapshots()[i], c));
  metrics::Snapshot period;
  for (auto _ : state) {
    period = {};
    for (uint32_t w = 0; w < kWorkers; ++w) {
      auto s = metrics::decode_snapshot_wire(bytes[w % kDistinct]);
      if (!s) state.SkipWithError("decode failed");
      period.merge(*s);
    }
  }
  check(state, period);
  size_t total = 0;
  for (const auto& b : bytes) total += b.size();
  state.counters["bytes_KiB_per_worker"] = static_cast<double>(total) / 1024.0 / kDistinct;
}
void BM_SnapshotWireNone(benchmark::State& state) {
  snapshot_wire(state, metrics::WireCompression::kNone);
}
void BM_SnapshotWireZlib(benchmark::State& state) {
  snapshot_wire(state, metrics::WireCompression::kZlib);
}
BENCHMARK(BM_SnapshotWireNone)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_SnapshotWireZlib)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
}  // namespace barrage::fleet

BENCHMARK_MAIN();
