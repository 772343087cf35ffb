#include "report/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/analysis.h"

namespace barrage::report {

namespace {

struct Figures {
  double throughput = 0;
  Latency latency;
  double error_rate = 0;  // percent
};

Figures figures(const metrics::Snapshot& s, const std::string& histogram, const std::string& codes,
                const std::string& errors, double duration_s) {
  Figures f;
  const Outcomes o = count_outcomes(s, codes, errors);
  f.throughput = duration_s > 0 ? static_cast<double>(o.responses) / duration_s : 0;
  f.latency = latency_of(s.find_histogram(histogram));
  f.error_rate = 100 * o.failed_share();
  return f;
}

MetricDelta delta(std::string scope, std::string metric, std::string unit, double base,
                  double current) {
  MetricDelta d;
  d.scope = std::move(scope);
  d.metric = std::move(metric);
  d.unit = std::move(unit);
  d.base = base;
  d.current = current;
  d.change = current - base;
  d.change_pct = base != 0 ? 100 * (current - base) / base : 0;
  return d;
}

void judge_latency(MetricDelta& d, double pct, const Tolerances& t) {
  d.rule = fmt::format("+{:g}% and +{:g} ms", pct, t.min_latency_ms);
  d.regression = d.change > std::max(d.base * pct / 100, t.min_latency_ms);
}

void add_all(Comparison& c, const std::string& scope, const Figures& b, const Figures& n,
             const Tolerances& t, bool with_throughput) {
  if (with_throughput) {
    auto d = delta(scope, "throughput", "req/s", b.throughput, n.throughput);
    d.rule = fmt::format("-{:g}%", t.throughput_drop_pct);
    d.regression = n.throughput < b.throughput * (1 - t.throughput_drop_pct / 100);
    c.deltas.push_back(std::move(d));
  }
  const std::array<std::tuple<const char*, double, double, double>, 3> lat{{
      {"p50", b.latency.p50, n.latency.p50, t.p50_pct},
      {"p95", b.latency.p95, n.latency.p95, t.p95_pct},
      {"p99", b.latency.p99, n.latency.p99, t.p99_pct},
  }};
  for (const auto& [name, bv, nv, pct] : lat) {
    auto d = delta(scope, name, "ms", bv, nv);
    judge_latency(d, pct, t);
    c.deltas.push_back(std::move(d));
  }
  auto d = delta(scope, "error_rate", "%", b.error_rate, n.error_rate);
  d.rule = fmt::format("+{:g} points", t.error_rate_points);
  d.regression = d.change > t.error_rate_points;
  c.deltas.push_back(std::move(d));
}

bool has_endpoint(const Report& r, const std::string& name) {
  return std::any_of(r.endpoints.begin(), r.endpoints.end(),
                     [&](const EndpointFigures& e) { return e.name == name; });
}

Figures overall(const Report& r) {
  return figures(r.aggregate, "http.response_time", "http.codes.", "errors.", r.run.duration_s);
}

Figures of_endpoint(const Report& r, const std::string& name) {
  const std::string prefix = "plugins.metrics-by-endpoint." + name + ".";
  return figures(r.aggregate, "plugins.metrics-by-endpoint.response_time." + name,
                 prefix + "codes.", prefix + "errors.", r.run.duration_s);
}

std::string signed_number(double v, const char* unit) {
  return fmt::format("{}{:.2f}{}", v >= 0 ? "+" : "", v, unit);
}

}  // namespace

bool Comparison::regressed() const {
  for (const auto& d : deltas) {
    if (d.regression) return true;
  }
  return false;
}

Comparison compare_reports(const Report& base, const Report& cur, const Tolerances& tol) {
  Comparison c;
  add_all(c, "overall", overall(base), overall(cur), tol, true);
  for (const auto& e : base.endpoints) {
    if (!has_endpoint(cur, e.name)) {
      c.notes.push_back(fmt::format("endpoint {} is only in the base report", e.name));
      continue;
    }
    add_all(c, e.name, of_endpoint(base, e.name), of_endpoint(cur, e.name), tol, false);
  }
  for (const auto& e : cur.endpoints) {
    if (!has_endpoint(base, e.name)) {
      c.notes.push_back(fmt::format("endpoint {} is only in the new report", e.name));
    }
  }
  return c;
}

std::string format_comparison(const Comparison& c) {
  std::string out = fmt::format("{:<28} {:<11} {:>12} {:>12} {:>12} {:>9}  {}\n", "scope", "metric",
                                "base", "new", "change", "change%", "tolerance");
  for (const auto& d : c.deltas) {
    out += fmt::format("{:<28} {:<11} {:>12.2f} {:>12.2f} {:>12} {:>8.1f}%  {}{}\n",
                       d.scope.substr(0, 28), d.metric, d.base, d.current, signed_change(d),
                       d.change_pct, d.rule, d.regression ? "  REGRESSION" : "");
  }
  for (const auto& n : c.notes) out += "note: " + n + "\n";
  size_t n = 0;
  for (const auto& d : c.deltas) n += d.regression ? 1 : 0;
  out += n > 0 ? fmt::format("{} regression(s)\n", n) : "No regressions.\n";
  return out;
}

std::string signed_change(const MetricDelta& d) {
  return signed_number(d.change, d.unit == "%" ? " pt" : "");
}

}  // namespace barrage::report
