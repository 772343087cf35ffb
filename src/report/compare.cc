#include "report/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "report/analysis.h"
#include "report/json_report.h"
#include "report/svg_chart.h"

namespace barrage::report {

namespace {

using nlohmann::json;

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

std::vector<std::string> endpoint_names(const std::string& text) {
  std::vector<std::string> out;
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return out;
  const json endpoints = doc.value("endpoints", json::object());
  for (const auto& [name, e] : endpoints.items()) out.push_back(name);
  return out;
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

std::optional<Comparison> compare_reports(const std::string& base_json, const std::string& new_json,
                                          const Tolerances& tol, std::string* error) {
  std::string why;
  const auto base = read_json_report(base_json, &why);
  if (!base) {
    if (error != nullptr) *error = "base report: " + why;
    return std::nullopt;
  }
  const auto cur = read_json_report(new_json, &why);
  if (!cur) {
    if (error != nullptr) *error = "new report: " + why;
    return std::nullopt;
  }
  Comparison c;
  add_all(
      c, "overall",
      figures(base->aggregate, "http.response_time", "http.codes.", "errors.", base->duration_s),
      figures(cur->aggregate, "http.response_time", "http.codes.", "errors.", cur->duration_s), tol,
      true);
  const auto base_eps = endpoint_names(base_json);
  const auto new_eps = endpoint_names(new_json);
  for (const auto& name : base_eps) {
    if (std::find(new_eps.begin(), new_eps.end(), name) == new_eps.end()) {
      c.notes.push_back(fmt::format("endpoint {} is only in the base report", name));
      continue;
    }
    const std::string prefix = "plugins.metrics-by-endpoint." + name + ".";
    const std::string hist = "plugins.metrics-by-endpoint.response_time." + name;
    add_all(c, name,
            figures(base->aggregate, hist, prefix + "codes.", prefix + "errors.", base->duration_s),
            figures(cur->aggregate, hist, prefix + "codes.", prefix + "errors.", cur->duration_s),
            tol, false);
  }
  for (const auto& name : new_eps) {
    if (std::find(base_eps.begin(), base_eps.end(), name) == base_eps.end()) {
      c.notes.push_back(fmt::format("endpoint {} is only in the new report", name));
    }
  }
  return c;
}

std::string format_comparison(const Comparison& c) {
  std::string out = fmt::format("{:<28} {:<11} {:>12} {:>12} {:>12} {:>9}  {}\n", "scope", "metric",
                                "base", "new", "change", "change%", "tolerance");
  for (const auto& d : c.deltas) {
    out += fmt::format("{:<28} {:<11} {:>12.2f} {:>12.2f} {:>12} {:>8.1f}%  {}{}\n",
                       d.scope.substr(0, 28), d.metric, d.base, d.current,
                       signed_number(d.change, d.unit == "%" ? " pt" : ""), d.change_pct, d.rule,
                       d.regression ? "  REGRESSION" : "");
  }
  for (const auto& n : c.notes) out += "note: " + n + "\n";
  size_t n = 0;
  for (const auto& d : c.deltas) n += d.regression ? 1 : 0;
  out += n > 0 ? fmt::format("{} regression(s)\n", n) : "No regressions.\n";
  return out;
}

std::string comparison_html(const Comparison& c, const std::string& base_name,
                            const std::string& new_name) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>barrage "
      "compare</title>\n<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}"
      "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:4px "
      "8px;text-align:right}td:first-child,td:nth-child(2),th{text-align:left}"
      "tr.regression td{background:#ffe3e3}.verdict{font-size:18px;font-weight:bold}"
      "</style></head><body>\n";
  out += fmt::format("<h1>barrage compare</h1><p>base: {}<br>new: {}</p>\n", xml_escape(base_name),
                     xml_escape(new_name));
  size_t n = 0;
  for (const auto& d : c.deltas) n += d.regression ? 1 : 0;
  out += fmt::format("<p class=\"verdict\" id=\"verdict\" data-regressions=\"{}\">{}</p>\n", n,
                     n > 0 ? fmt::format("{} regression(s)", n) : "No regressions");
  out +=
      "<table id=\"deltas\"><thead><tr><th>scope</th><th>metric</th><th>base</th><th>new</th>"
      "<th>change</th><th>change %</th><th>tolerance</th><th>verdict</th></tr></thead><tbody>\n";
  for (const auto& d : c.deltas) {
    out += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{:.2f} {}</td><td>{:.2f} {}</td><td>{}</td>"
        "<td>{:.1f}%</td><td>{}</td><td>{}</td></tr>\n",
        d.regression ? "regression" : "ok", xml_escape(d.scope), d.metric, d.base, d.unit,
        d.current, d.unit, signed_number(d.change, d.unit == "%" ? " pt" : ""), d.change_pct,
        xml_escape(d.rule), d.regression ? "REGRESSION" : "ok");
  }
  out += "</tbody></table>\n";
  for (const auto& note : c.notes) out += "<p>note: " + xml_escape(note) + "</p>\n";
  return out + "</body></html>\n";
}

}  // namespace barrage::report
