#include "console/compare.h"

#include <fmt/format.h>

#include <algorithm>

#include "console/auth.h"
#include "report/analysis.h"
#include "report/compare.h"
#include "report/json_report.h"

namespace barrage::console {

namespace {

using nlohmann::json;

// A report's overall figures, as `barrage compare` counts them
// (report/compare.cc): throughput is responses per second of run time, the
// error rate the failed share (429, 5xx, named errors) in percent.
struct Overall {
  double requests = 0;
  double errors = 0;
  double rps = 0;
  double p50 = 0, p95 = 0, p99 = 0;
  double error_rate = 0;
};

Overall overall_of(const report::Report& r) {
  Overall f;
  const auto& s = r.aggregate;
  const report::Outcomes o = report::count_outcomes(s, "http.codes.", "errors.");
  f.requests = static_cast<double>(s.counter("http.requests"));
  f.errors = static_cast<double>(o.failed());
  f.rps = r.run.duration_s > 0 ? static_cast<double>(o.responses) / r.run.duration_s : 0;
  const report::Latency l = report::latency_of(s.find_histogram("http.response_time"));
  f.p50 = l.p50;
  f.p95 = l.p95;
  f.p99 = l.p99;
  f.error_rate = 100 * o.failed_share();
  return f;
}

json delta_json(const std::string& kind, const std::string& scope, const std::string& metric,
                const std::string& unit, double base, double current, bool regression,
                const std::string& rule) {
  return {{"kind", kind},
          {"scope", scope},
          {"metric", metric},
          {"unit", unit},
          {"base", base},
          {"current", current},
          {"change", current - base},
          {"change_pct", base != 0 ? 100 * (current - base) / base : 0.0},
          {"regression", regression},
          {"rule", rule}};
}

std::string phase_text(const report::PhaseInfo& p) {
  std::string out = fmt::format("{:g} s", p.duration_s);
  if (p.pause) return out + " pause";
  if (p.arrival_rate) out += fmt::format(" at {:g}/s", *p.arrival_rate);
  if (p.ramp_to) out += fmt::format(" ramping to {:g}/s", *p.ramp_to);
  if (p.arrival_count) out += fmt::format(", {} arrivals", *p.arrival_count);
  if (p.vusers) out += fmt::format(", {} VUs", *p.vusers);
  if (p.max_vusers) out += fmt::format(", at most {} VUs", *p.max_vusers);
  return out;
}

std::string phase_name(const report::Report& r, size_t i) {
  if (i < r.analysis.phases.size() && !r.analysis.phases[i].span.name.empty()) {
    return r.analysis.phases[i].span.name;
  }
  return i < r.run.phases.size() && !r.run.phases[i].name.empty() ? r.run.phases[i].name
                                                                  : "#" + std::to_string(i + 1);
}

json config_row(const std::string& field, const std::string& base, const std::string& run) {
  return {{"field", field}, {"base", base}, {"run", run}, {"same", base == run}};
}

std::string regions_of(const report::Report& r) {
  if (!r.regions) return "";
  std::string out;
  for (const auto& g : *r.regions) out += (out.empty() ? "" : ", ") + g.key;
  return out;
}

}  // namespace

Result<json> compare_runs(const RunRow& base, const std::string& base_report, const RunRow& run,
                          const std::string& run_report) {
  const auto b = report::read_report(base_report);
  if (!b) return fail(b.error().with_context("the base run's report (" + base.id + ")"));
  const auto c = report::read_report(run_report);
  if (!c) return fail(c.error().with_context("the run's report (" + run.id + ")"));

  json deltas = json::array();
  const Overall ob = overall_of(*b), oc = overall_of(*c);
  deltas.push_back(
      delta_json("overall", "overall", "requests", "", ob.requests, oc.requests, false, ""));
  deltas.push_back(delta_json("overall", "overall", "errors", "", ob.errors, oc.errors, false, ""));
  // The judged deltas: `barrage compare`'s, with its default tolerances.
  const report::Comparison cmp = report::compare_reports(*b, *c, report::Tolerances{});
  for (const auto& d : cmp.deltas) {
    deltas.push_back(delta_json(d.scope == "overall" ? "overall" : "endpoint", d.scope,
                                d.metric == "throughput" ? "rps" : d.metric, d.unit, d.base,
                                d.current, d.regression, d.rule));
  }
  json notes = json::array();
  for (const auto& n : cmp.notes) notes.push_back(n);
  // Per phase, matched by position.
  const auto& pb = b->analysis.phases;
  const auto& pc = c->analysis.phases;
  for (size_t i = 0; i < std::min(pb.size(), pc.size()); ++i) {
    if (pb[i].span.pause && pc[i].span.pause) continue;
    const std::string scope = "phase " + phase_name(*c, i);
    const auto add = [&](const char* metric, const char* unit, double x, double y) {
      deltas.push_back(delta_json("phase", scope, metric, unit, x, y, false, ""));
    };
    add("requests", "", static_cast<double>(pb[i].requests), static_cast<double>(pc[i].requests));
    add("errors", "", static_cast<double>(pb[i].outcomes.failed()),
        static_cast<double>(pc[i].outcomes.failed()));
    add("rps", "req/s", pb[i].request_rate, pc[i].request_rate);
    add("p50", "ms", pb[i].latency.p50, pc[i].latency.p50);
    add("p95", "ms", pb[i].latency.p95, pc[i].latency.p95);
    add("p99", "ms", pb[i].latency.p99, pc[i].latency.p99);
  }
  if (pb.size() != pc.size()) {
    notes.push_back(
        fmt::format("the base run has {} phase(s), the run {}: phases are compared "
                    "by position up to the fewer",
                    pb.size(), pc.size()));
  }

  json config = json::array();
  config.push_back(config_row("script_sha256", hash_token(base.script), hash_token(run.script)));
  config.push_back(config_row("target", b->run.target, c->run.target));
  config.push_back(config_row("platform",
                              b->run.platform.empty() ? "this machine" : b->run.platform,
                              c->run.platform.empty() ? "this machine" : c->run.platform));
  config.push_back(config_row("regions", regions_of(*b), regions_of(*c)));
  config.push_back(config_row("phases", std::to_string(b->run.phases.size()),
                              std::to_string(c->run.phases.size())));
  for (size_t i = 0; i < std::max(b->run.phases.size(), c->run.phases.size()); ++i) {
    const std::string x = i < b->run.phases.size() ? phase_text(b->run.phases[i]) : "";
    const std::string y = i < c->run.phases.size() ? phase_text(c->run.phases[i]) : "";
    config.push_back(config_row("phase " + std::to_string(i + 1), x, y));
  }

  return json{{"deltas", deltas},
              {"notes", notes},
              {"regressed", cmp.regressed()},
              {"config", config},
              {"base_duration_s", b->run.duration_s},
              {"run_duration_s", c->run.duration_s}};
}

const std::vector<TrendMetric>& trend_metrics() {
  static const std::vector<TrendMetric> kMetrics = {
      {"requests", ""}, {"errors", ""}, {"rps", "req/s"},    {"p50", "ms"},
      {"p95", "ms"},    {"p99", "ms"},  {"error_rate", "%"},
  };
  return kMetrics;
}

Result<double> trend_value(const std::string& report_json, const std::string& metric) {
  const auto r = report::read_report(report_json);
  if (!r) return fail(r.error());
  const Overall o = overall_of(*r);
  if (metric == "requests") return o.requests;
  if (metric == "errors") return o.errors;
  if (metric == "rps") return o.rps;
  if (metric == "p50") return o.p50;
  if (metric == "p95") return o.p95;
  if (metric == "p99") return o.p99;
  if (metric == "error_rate") return o.error_rate;
  return fail("unknown metric " + metric);
}

}  // namespace barrage::console
