#include "report/from_run.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "report/console.h"

namespace barrage::report {

namespace {

Number count(uint64_t n) { return Number{n}; }
Number real(double v) { return Number{v}; }

std::vector<PhaseInfo> phases_of(const script::Plan& plan) {
  const auto spans = phase_spans(plan);
  std::vector<PhaseInfo> out;
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    const auto& p = plan.phases[i];
    PhaseInfo ph;
    ph.name = p.name;
    ph.start_s = spans[i].start_s;
    ph.duration_s = p.duration_s;
    ph.pause = p.pause;
    if (p.closed()) ph.vusers = p.vusers;
    ph.arrival_count = p.arrival_count;
    if (!p.pause && !p.closed() && !p.arrival_count) ph.arrival_rate = p.arrival_rate;
    ph.ramp_to = p.ramp_to;
    if (p.max_vusers > 0) ph.max_vusers = p.max_vusers;
    out.push_back(std::move(ph));
  }
  return out;
}

// metrics-by-endpoint figures from the aggregate, in name order.
std::vector<EndpointFigures> endpoints_of(const metrics::Snapshot& agg,
                                          const std::vector<std::string>& names) {
  std::map<std::string, EndpointFigures> by_name;
  for (const auto& name : names) {
    EndpointFigures e;
    e.name = name;
    const std::string prefix = "plugins.metrics-by-endpoint." + name + ".";
    for (const auto& [k, v] : agg.counters) {
      if (!k.starts_with(prefix)) continue;
      const std::string rest = k.substr(prefix.size());
      if (rest.starts_with("codes.")) e.codes[rest.substr(6)] = v;
      if (rest.starts_with("errors.")) e.errors[rest.substr(7)] = v;
    }
    if (const auto* h = agg.find_histogram("plugins.metrics-by-endpoint.response_time." + name)) {
      e.response_time = summary_ms(*h);
    }
    by_name[name] = std::move(e);
  }
  std::vector<EndpointFigures> out;
  out.reserve(by_name.size());
  for (auto& [name, e] : by_name) out.push_back(std::move(e));
  return out;
}

LatencyFigures latency_figures(const SummaryMs& s) {
  return {count(s.count), real(s.min), real(s.max), real(s.mean), real(s.p50), real(s.median),
          real(s.p75),    real(s.p90), real(s.p95), real(s.p99),  real(s.p999)};
}

WorkerFigures worker_of(const fleet::WorkerReport& w) {
  WorkerFigures f;
  f.id = count(w.id);
  f.status = w.status;
  if (!w.reason.empty()) f.reason = w.reason;
  if (w.ended_wall_ms > 0) f.ended_ms = Number{w.ended_wall_ms};
  f.batches = count(w.batches);
  f.requests = count(w.requests);
  f.cpu_max = real(w.cpu_max);
  f.lag_p99_max_ms = real(w.lag_p99_max_ms);
  return f;
}

RegionFigures region_of(const fleet::RegionReport& r) {
  const auto& a = r.aggregate;
  uint64_t errors = 0;
  for (const auto& [k, v] : a.counters) {
    if (k.starts_with("errors.")) errors += v;
  }
  RegionFigures f;
  f.key = r.region;
  f.region = r.region;
  f.workers = count(r.workers);
  f.requests = count(a.counter("http.requests"));
  f.responses = count(a.counter("http.responses"));
  f.errors = count(errors);
  if (const auto* h = a.find_histogram("http.response_time")) {
    f.response_time = latency_figures(summary_ms(*h));
  }
  return f;
}

CostFigures cost_figures(const lambda::CostFigure& f) {
  return {real(f.dollars),        real(f.gb_seconds),    Number{f.invocations},
          Number{f.sqs_requests}, Number{f.s3_requests}, f.text};
}

// The distributed section: the run id, the fleet's figures, the cost.
void add_distributed(Report& r, const RunExtras& extras) {
  r.run.run_id = extras.run_id;
  if (const fleet::FleetSummary* fleet = extras.fleet) {
    r.run.platform = fleet->platform;
    if (!fleet->workers.empty()) {
      r.workers.emplace();
      for (const auto& w : fleet->workers) r.workers->push_back(worker_of(w));
      r.delivery = DeliveryFigures{fleet->duplicates_dropped, fleet->late_batches};
    }
    if (!fleet->regions.empty()) {
      // One entry per region name (a later one replaces an earlier one), in name order.
      std::map<std::string, RegionFigures> by_key;
      for (const auto& g : fleet->regions) by_key[g.region] = region_of(g);
      r.regions.emplace();
      for (auto& [k, f] : by_key) r.regions->push_back(std::move(f));
    }
  }
  if (const lambda::CostReport* cost = extras.cost) {
    CostSection c;
    c.estimated = cost_figures(cost->estimated);
    if (cost->measured) c.measured = cost_figures(*cost->measured);
    c.prices_date = cost->prices_date;
    c.notes = cost->notes;
    r.cost = std::move(c);
  }
}

}  // namespace

Report build_report(const engine::RunResult& result, const script::Plan& plan,
                    const ReportInfo& info, const RunExtras& extras) {
  Report r;
  r.barrage_version = info.version;
  r.run.script = info.script;
  r.run.target = info.target;
  r.run.cores = result.cores;
  r.run.start_ms = result.start_wall_ms;
  r.run.duration_s = result.duration_s;
  r.run.interrupted = result.interrupted;
  r.run.phases = phases_of(plan);
  r.run.cold_start_header = plan.serverless.cold_start_header;
  r.aggregate = result.aggregate;
  r.aggregate.period_start_ms = result.start_wall_ms;
  r.aggregate.period_end_ms = result.start_wall_ms + static_cast<int64_t>(result.duration_s * 1000);
  r.intermediate = result.periods;
  r.timeline = result.timeline;
  r.analysis = analyze(r.aggregate, r.fine_periods(), r.run.start_ms, phase_spans(plan));
  r.endpoints = endpoints_of(r.aggregate, plan.endpoints);
  r.warnings = warnings_for(r.aggregate);
  if (!info.ensure.empty()) {
    r.ensure.emplace();
    const auto number = [](std::optional<double> v) -> OptNumber {
      if (!v) return std::nullopt;
      const double whole = std::trunc(*v);
      if (whole == *v && std::fabs(*v) < 9e15) return Number{static_cast<int64_t>(whole)};
      return Number{*v};
    };
    for (const auto& c : info.ensure) {
      EnsureResult e{c.text,          c.passed,     c.strict, number(c.value),
                     number(c.limit), c.expression, {}};
      for (const auto& [name, v] : c.inputs) e.inputs.emplace_back(name, number(v));
      // By name, as the JSON object holds them, so a report read back renders the same.
      std::sort(e.inputs.begin(), e.inputs.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      r.ensure->push_back(std::move(e));
    }
  }
  add_distributed(r, extras);
  return r;
}

}  // namespace barrage::report
