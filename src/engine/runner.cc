#include "engine/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "engine/hook_host.h"
#include "engine/periods.h"
#include "engine/request_headers.h"
#include "engine/run_context.h"
#include "engine/shard.h"
#include "engine/ws_codec.h"
#include "http/request_writer.h"
#include "http/url.h"
#include "metrics/spool.h"
#include "util/cpus.h"
#include "util/rng.h"

namespace barrage::engine {

namespace {

// Collects per-shard snapshots; a period is complete when every shard gave it.
class PeriodMerger final : public SnapshotSink {
 public:
  explicit PeriodMerger(size_t shards) : shards_(shards) {}

  void deliver(size_t /*shard*/, int64_t period_start_ms, metrics::Snapshot snapshot,
               bool final) override {
    std::lock_guard lock(mutex_);
    auto& p = periods_[period_start_ms];
    p.snapshot.merge(snapshot);
    if (p.snapshot.period_start_ms == 0) p.snapshot.period_start_ms = period_start_ms;
    ++p.deliveries;
    if (final) ++p.finals;
  }

  // Periods every shard has delivered (and that are not the last, partial
  // one), oldest first; removed from the merger's pending set.
  std::vector<metrics::Snapshot> take_complete() {
    std::lock_guard lock(mutex_);
    std::vector<metrics::Snapshot> out;
    while (!periods_.empty()) {
      auto it = periods_.begin();
      if (it->second.deliveries < shards_ || it->second.finals > 0) break;
      out.push_back(std::move(it->second.snapshot));
      periods_.erase(it);
    }
    return out;
  }

  // Metrics from outside the shards (the before/after flows), merged into the
  // period starting at `period_start_ms` without counting as a delivery.
  void add_extra(int64_t period_start_ms, metrics::Snapshot snapshot) {
    std::lock_guard lock(mutex_);
    snapshot.period_start_ms = 0;
    snapshot.period_end_ms = 0;
    periods_[period_start_ms].snapshot.merge(snapshot);
  }

  // Start of the latest period not yet taken, if any.
  std::optional<int64_t> last_pending() {
    std::lock_guard lock(mutex_);
    if (periods_.empty()) return std::nullopt;
    return periods_.rbegin()->first;
  }

  std::vector<metrics::Snapshot> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<metrics::Snapshot> out;
    out.reserve(periods_.size());
    for (auto& [start, p] : periods_) out.push_back(std::move(p.snapshot));
    periods_.clear();
    return out;
  }

 private:
  struct Pending {
    metrics::Snapshot snapshot;
    size_t deliveries = 0;
    size_t finals = 0;
  };
  size_t shards_;
  std::mutex mutex_;
  std::map<int64_t, Pending> periods_;
};

// Longest think time a flow can take (jitter at its maximum); loops with a
// templated count or a variable `over` count once.
double think_budget_s(const script::Plan& plan, const std::vector<script::Step>& steps) {
  double total = 0;
  for (const auto& s : steps) {
    if (const auto* t = std::get_if<script::Think>(&s.action)) {
      const auto& j = t->jitter ? t->jitter : plan.default_jitter;
      double extra = 0;
      if (j) extra = j->percent ? t->seconds * j->value / 100 : j->value / 1000;
      total += t->seconds + extra;
    }
    if (const auto* l = std::get_if<script::Loop>(&s.action)) {
      int64_t n = std::max<int64_t>(l->count - l->from, 0);
      if (l->count_template || !l->over_variable.empty()) n = 1;
      if (!l->over_values.empty()) n = static_cast<int64_t>(l->over_values.size());
      total += static_cast<double>(n) * think_budget_s(plan, l->steps);
    }
    if (const auto* p = std::get_if<script::Parallel>(&s.action)) {
      total += think_budget_s(plan, p->steps);
    }
  }
  return total;
}

// Requests a flow sends at most (loops multiplied out), for the hook's time bound.
double request_budget(const std::vector<script::Step>& steps) {
  double total = 0;
  for (const auto& s : steps) {
    if (std::holds_alternative<script::Request>(s.action)) total += 1;
    if (const auto* l = std::get_if<script::Loop>(&s.action)) {
      total += static_cast<double>(std::max<int64_t>(l->count, 0)) * request_budget(l->steps);
    }
  }
  return total;
}

void prepare(const script::Plan& plan, const std::vector<script::Step>& steps, RunContext& ctx);

// Collects every snapshot of a single-shard run into one.
class CollectSink final : public SnapshotSink {
 public:
  void deliver(size_t /*shard*/, int64_t /*period_start_ms*/, metrics::Snapshot snapshot,
               bool /*final*/) override {
    all.merge(snapshot);  // one shard: called from its thread only
  }
  metrics::Snapshot all;
};

// One processor host per shard when the plan has a processor (none else:
// plain scripts start no Node.js).
std::vector<std::unique_ptr<HookHost>> start_hook_hosts(const script::Plan& plan, size_t n) {
  if (!plan.processor) return {};
  const HookHostFactory& factory = hook_host_factory();
  if (!factory) {
    throw std::runtime_error(
        "the script has a processor (config.processor), which this program cannot run");
  }
  auto hosts = factory(plan, n);
  if (hosts.size() != n) throw std::runtime_error("the processor's hosts did not start");
  return hosts;
}

// Runs a `before`/`after` flow once: one VU on one shard (on its own thread,
// so a stop request still reaches it). Returns its metrics; the VU's
// variables are appended to `vars_out`. `vars_in` are visible to it.
metrics::Snapshot run_hook(const script::Plan& plan, const script::Scenario& hook,
                           const RunContext& main,
                           const std::vector<std::pair<std::string, std::string>>& vars_in,
                           std::vector<std::pair<std::string, std::string>>& vars_out,
                           const std::atomic<bool>* stop) {
  script::Plan hp = plan;
  script::Phase once;
  once.arrival_count = 1;
  once.duration_s = 0.001;
  hp.phases.assign(1, once);
  hp.scenarios.assign(1, hook);
  hp.before.reset();
  hp.after.reset();

  RunContext ctx;
  ctx.plan = &hp;
  ctx.target = main.target;
  ctx.verify_tls = main.verify_tls;
  ctx.request_timeout = main.request_timeout;
  ctx.seed = main.seed ^ 0x5DEECE66DULL;
  ctx.period_ms = main.period_ms;
  ctx.shared_vars = vars_in;
  ctx.export_vars = &vars_out;
  // Bounded: every request may take the whole timeout.
  const double budget_s =
      think_budget_s(hp, hook.flow) +
      (request_budget(hook.flow) + 1) * (static_cast<double>(ctx.request_timeout) / 1e9) + 2;
  ctx.drain = static_cast<Nanos>(std::min(budget_s, 365.0 * 86400) * 1e9);
  prepare(hp, hook.flow, ctx);
  ctx.start = monotonic_now() + kNanosPerMilli;
  ctx.start_wall_ms = wall_now_ms() + 1;

  CollectSink sink;
  ShardProgress progress;
  Shard shard(ctx, 0, sink, progress);
  if (auto hosts = start_hook_hosts(hp, 1); !hosts.empty()) shard.set_hooks(std::move(hosts[0]));
  std::atomic<bool> done{false};
  std::thread t([&] {
    shard.run();
    done.store(true, std::memory_order_release);
  });
  bool stopped = false;
  while (!done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!stopped && stop != nullptr && stop->load(std::memory_order_relaxed)) {
      stopped = true;
      shard.request_stop();
    }
  }
  t.join();
  return std::move(sink.all);
}

void prepare(const script::Plan& plan, const std::vector<script::Step>& steps, RunContext& ctx) {
  for (const auto& s : steps) {
    if (const auto* l = std::get_if<script::Loop>(&s.action)) {
      prepare(plan, l->steps, ctx);
      continue;
    }
    if (const auto* par = std::get_if<script::Parallel>(&s.action)) {
      prepare(plan, par->steps, ctx);
      continue;
    }
    const auto* req = std::get_if<script::Request>(&s.action);
    if (req == nullptr || !req->url.is_static()) continue;
    PreparedRequest p;
    p.url = ctx.target ? http::join_target(*ctx.target, req->url.source())
                       : http::parse_url(req->url.source());
    if (!p.url) continue;  // counted per request at run time (Invalid URL)
    p.origin = p.url->origin();
    bool all_static = (!req->body || req->body->is_static()) && !req->has_dynamic_parts();
    for (const auto& h : plan.default_headers) all_static = all_static && h.value.is_static();
    for (const auto& h : req->headers) all_static = all_static && h.value.is_static();
    if (all_static) {
      HeaderVector headers;
      for (const auto& h : plan.default_headers) put_header(headers, h.name, h.value.source());
      for (const auto& h : req->headers) put_header(headers, h.name, h.value.source());
      std::string bytes;
      http::write_request(bytes, script::method_name(req->method), p.url->path_and_query,
                          p.url->host_header(), headers,
                          req->body ? std::string_view(req->body->source()) : std::string_view(),
                          req->content_type);
      p.bytes = std::move(bytes);
    }
    ctx.prepared.emplace(req, std::move(p));
  }
}

}  // namespace

namespace {

// What every run context shares: target, TLS, timeout, seed, test id.
void fill_base_context(const script::Plan& plan, const RunOptions& options, RunContext& ctx) {
  ctx.plan = &plan;
  const std::string target = options.target.value_or(plan.target);
  if (!target.empty()) {
    ctx.target = http::parse_url(ws_as_http_url(target));  // ws:// and wss:// too (engine: ws)
    ctx.target_text = target;
    if (!ctx.target) throw std::runtime_error("invalid target URL '" + target + "'");
  }
  ctx.verify_tls = plan.http.reject_unauthorized && !options.insecure;
  ctx.request_timeout = static_cast<Nanos>(plan.http.timeout_s * 1e9);
  ctx.seed = options.seed != 0 ? options.seed : std::random_device{}();
  ctx.test_id = fmt::format("t{:016x}", Rng(ctx.seed ^ std::random_device{}()).next());
  ctx.period_ms = options.period_ms;
}

}  // namespace

metrics::Snapshot hook_counters(const metrics::Snapshot& metrics, std::string_view hook) {
  metrics::Snapshot out;
  for (const auto& [name, n] : metrics.counters)
    out.add(fmt::format("barrage.{}.{}", hook, name), n);
  return out;
}

double longest_think_s(const script::Plan& plan) {
  double budget = 0;
  for (const auto& s : plan.scenarios) budget = std::max(budget, think_budget_s(plan, s.flow));
  return budget;
}

HookResult run_hook_once(const script::Plan& plan, const script::Scenario& hook,
                         const RunOptions& options,
                         const std::vector<std::pair<std::string, std::string>>& vars_in,
                         const std::atomic<bool>* stop) {
  std::signal(SIGPIPE, SIG_IGN);
  RunContext ctx;
  fill_base_context(plan, options, ctx);
  HookResult r;
  r.metrics = run_hook(plan, hook, ctx, vars_in, r.vars, stop);
  return r;
}

RunResult run_plan(const script::Plan& plan, const RunOptions& options,
                   const RunCallbacks& callbacks, const std::atomic<bool>* stop) {
  // A peer that closed makes send()/SSL_write raise SIGPIPE; errors are
  // counted from EPIPE instead (process-wide, as every network client does).
  std::signal(SIGPIPE, SIG_IGN);
  const int cores = options.cores > 0 ? options.cores : usable_cpus();
  RunContext ctx;
  fill_base_context(plan, options, ctx);
  ctx.shared_vars = options.shared_vars;
  ctx.slice_base = options.slice_base;
  ctx.slice_count = options.slice_total > 0 ? options.slice_total : static_cast<uint64_t>(cores);
  const bool fine = options.analysis_period_ms > 0 && options.period_ms > 0 &&
                    options.period_ms % options.analysis_period_ms == 0;
  ctx.period_ms = fine ? options.analysis_period_ms : options.period_ms;
  ctx.drain = options.drain_timeout_ms >= 0 ? options.drain_timeout_ms * kNanosPerMilli : -1;
  for (const auto& s : plan.scenarios) prepare(plan, s.flow, ctx);

  // `before`: once, by one VU, before the first phase; what it captures is
  // visible to every VU. Its counters go in the run's first period as
  // barrage.before.<counter>, out of the test's (hook_counters).
  std::optional<metrics::Snapshot> before_metrics;
  if (plan.before && options.run_hooks) {
    before_metrics = run_hook(plan, *plan.before, ctx, {}, ctx.shared_vars, stop);
  }

  // Processor hosts start (and load the processor) before the start is set.
  auto hook_hosts = start_hook_hosts(plan, static_cast<size_t>(cores));

  // A common start a little ahead, so every shard is ready at phase 0.
  // With a start barrier (distributed runs) every worker starts at the same
  // wall-clock instant; a start already past begins at once.
  constexpr Nanos kStartDelay = 50 * kNanosPerMilli;
  Nanos delay = kStartDelay;
  if (options.start_wall_ms > 0) {
    delay = (options.start_wall_ms - wall_now_ms()) * kNanosPerMilli;
    // A later segment's phase 0 is in the past; otherwise a start already
    // past begins now.
    if (options.window_from_ms <= 0) delay = std::max<Nanos>(0, delay);
  }
  ctx.window_from = std::max<int64_t>(0, options.window_from_ms) * kNanosPerMilli;
  ctx.window_to = std::max<int64_t>(0, options.window_to_ms) * kNanosPerMilli;
  ctx.start = monotonic_now() + delay;
  ctx.start_wall_ms = wall_now_ms() + delay / kNanosPerMilli;

  PeriodMerger merger(static_cast<size_t>(cores));
  if (before_metrics) {
    merger.add_extra(ctx.start_wall_ms / ctx.period_ms * ctx.period_ms,
                     hook_counters(*before_metrics, "before"));
  }
  std::vector<std::unique_ptr<ShardProgress>> progress;
  std::vector<std::unique_ptr<Shard>> shards;
  for (int i = 0; i < cores; ++i) {
    progress.push_back(std::make_unique<ShardProgress>());
    shards.push_back(
        std::make_unique<Shard>(ctx, static_cast<size_t>(i), merger, *progress.back()));
    if (!hook_hosts.empty())
      shards.back()->set_hooks(std::move(hook_hosts[static_cast<size_t>(i)]));
  }
  std::atomic<int> running{cores};
  std::vector<std::thread> threads;
  threads.reserve(shards.size());
  for (auto& s : shards) {
    threads.emplace_back([&s, &running] {
      s->run();
      running.fetch_sub(1, std::memory_order_release);
    });
  }

  RunResult result;
  result.cores = cores;
  result.start_wall_ms = ctx.start_wall_ms;
  Pacer totals(plan.phases, 0, 1);
  // The end of the schedule here (the last phase's, or the window's).
  const Nanos phases_end = ctx.window_to > 0 ? std::min(totals.total_duration(), ctx.window_to)
                                             : totals.total_duration();
  bool stopped = false;
  // Shards deliver analysis periods (ctx.period_ms); the assembler makes
  // the report periods of them (periods.h: aligned, but starting at the
  // run's start and ending at its end).
  PeriodAssembler assembler(options.period_ms, ctx.period_ms);
  // Finished periods and timeline slices wait on disk for the final report,
  // so memory stays flat however long the run (bench/soak.sh).
  metrics::SnapshotSpool period_spool;
  metrics::SnapshotSpool timeline_spool;
  auto emit_period = [&](const metrics::Snapshot& p) {
    if (callbacks.on_period) callbacks.on_period(p);
    result.aggregate.merge(p);
    period_spool.push(p);
  };
  auto emit = [&](const std::vector<metrics::Snapshot>& done, bool last) {
    for (size_t i = 0; i < done.size(); ++i) {
      timeline_spool.push(done[i]);
      for (const auto& p : assembler.add(done[i], last && i + 1 == done.size())) emit_period(p);
    }
    if (last) {
      for (const auto& p : assembler.finish()) emit_period(p);
    }
  };
  while (running.load(std::memory_order_acquire) > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!stopped && stop != nullptr && stop->load(std::memory_order_relaxed)) {
      stopped = true;
      for (auto& s : shards) s->request_stop();
    }
    emit(merger.take_complete(), false);
    if (callbacks.on_progress) {
      Progress pr;
      pr.elapsed_s = static_cast<double>(monotonic_now() - ctx.start) / 1e9;
      pr.total_s = static_cast<double>(totals.total_duration()) / 1e9;
      for (auto& p : progress) {
        pr.requests += p->requests.load(std::memory_order_relaxed);
        pr.responses += p->responses.load(std::memory_order_relaxed);
        pr.active_vus += p->active_vus.load(std::memory_order_relaxed);
        pr.phase = std::max(pr.phase, static_cast<int>(p->phase.load(std::memory_order_relaxed)));
      }
      pr.draining = monotonic_now() >= ctx.start + phases_end && pr.active_vus > 0;
      callbacks.on_progress(pr);
    }
  }
  for (auto& t : threads) t.join();
  emit(merger.take_complete(), false);
  // `after`: once, after the last phase (not after a stop), seeing the
  // `before` variables; its counters go in the run's last period as
  // barrage.after.<counter>.
  std::optional<metrics::Snapshot> late_after;  // `after` when every period was emitted
  if (plan.after && options.run_hooks && !stopped && (stop == nullptr || !stop->load())) {
    std::vector<std::pair<std::string, std::string>> unused;
    metrics::Snapshot after =
        hook_counters(run_hook(plan, *plan.after, ctx, ctx.shared_vars, unused, stop), "after");
    if (const auto last = merger.last_pending()) {
      merger.add_extra(*last, std::move(after));
    } else {
      after.period_start_ms = 0;
      after.period_end_ms = 0;
      result.aggregate.merge(after);
      late_after = std::move(after);
    }
  }
  emit(merger.take_all(), true);
  result.periods = period_spool.take_all();
  result.timeline = timeline_spool.take_all();
  if (late_after && !result.periods.empty()) result.periods.back().merge(*late_after);
  result.interrupted = stopped;
  result.duration_s = static_cast<double>(monotonic_now() - ctx.start) / 1e9;
  return result;
}

}  // namespace barrage::engine
