#include "report/ensure.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "metrics/summary.h"

namespace barrage::report {

namespace {

using Values = std::map<std::string, double, std::less<>>;

Values ensure_values(const metrics::Snapshot& s, double duration_s) {
  // Artillery always reports these VU counters, zero included.
  Values v{{"vusers.created", 0}, {"vusers.completed", 0}, {"vusers.failed", 0}};
  for (const auto& [name, n] : s.counters) v[name] = static_cast<double>(n);
  if (duration_s > 0) {
    v["http.request_rate"] =
        std::round(static_cast<double>(s.counter("http.requests")) / duration_s);
  }
  for (const auto& [name, h] : s.histograms) {
    if (h.empty()) continue;
    const auto sum = metrics::summarize(h);
    const auto ms = [](double us) { return us / 1000.0; };
    v[name + ".min"] = ms(static_cast<double>(sum.min));
    v[name + ".max"] = ms(static_cast<double>(sum.max));
    v[name + ".count"] = static_cast<double>(sum.count);
    v[name + ".mean"] = ms(sum.mean);
    v[name + ".p50"] = ms(static_cast<double>(sum.p50));
    v[name + ".median"] = ms(static_cast<double>(sum.p50));
    v[name + ".p75"] = ms(static_cast<double>(sum.p75));
    v[name + ".p90"] = ms(static_cast<double>(sum.p90));
    v[name + ".p95"] = ms(static_cast<double>(sum.p95));
    v[name + ".p99"] = ms(static_cast<double>(sum.p99));
    v[name + ".p999"] = ms(static_cast<double>(sum.p999));
  }
  return v;
}

}  // namespace

std::vector<CheckOutcome> evaluate_ensure(const std::vector<script::EnsureCheck>& checks,
                                          const metrics::Snapshot& aggregate, double duration_s) {
  const Values values = ensure_values(aggregate, duration_s);
  const auto value_of = [&](std::string_view name) -> std::optional<double> {
    if (auto it = values.find(name); it != values.end()) return it->second;
    return std::nullopt;
  };
  std::vector<CheckOutcome> out;
  for (const auto& c : checks) {
    CheckOutcome o;
    o.text = c.text;
    o.strict = c.strict;
    switch (c.kind) {
      case script::EnsureCheck::Kind::kThreshold: {
        const auto v = value_of(c.metric);
        o.passed = v && *v < c.value;
        o.value = v;
        o.limit = c.value;
        break;
      }
      case script::EnsureCheck::Kind::kMaxErrorRate: {
        // Artillery: (created - completed) / created * 100 <= max; no VUs is NaN: a failure.
        const double created = static_cast<double>(aggregate.counter("vusers.created"));
        const double completed = static_cast<double>(aggregate.counter("vusers.completed"));
        o.passed = created > 0 && (created - completed) / created * 100 <= c.value;
        if (created > 0) o.value = (created - completed) / created * 100;
        o.limit = c.value;
        break;
      }
      case script::EnsureCheck::Kind::kCondition: {
        auto lookup = [&](std::string_view name) -> std::optional<script::ExprValue> {
          if (auto v = value_of(name)) return script::ExprValue::number(*v);
          return std::nullopt;
        };
        o.passed = c.expression.test(lookup);
        o.expression = c.text;
        for (const auto& name : c.expression.variables())
          o.inputs.emplace_back(name, value_of(name));
        break;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

bool ensure_failed(const std::vector<CheckOutcome>& outcomes) {
  for (const auto& o : outcomes) {
    if (o.strict && !o.passed) return true;
  }
  return false;
}

std::string format_checks(const std::vector<CheckOutcome>& outcomes) {
  if (outcomes.empty()) return {};
  std::string out = "\nChecks:\n";
  for (const auto& o : outcomes) {
    if (o.passed) {
      out += fmt::format("ok: {}\n", o.text);
    } else {
      out += fmt::format("fail: {}{}\n", o.text, o.strict ? "" : " (optional)");
    }
  }
  return out;
}

std::optional<std::string> format_apdex(const metrics::Snapshot& aggregate) {
  const double s = static_cast<double>(aggregate.counter("apdex.satisfied"));
  const double t = static_cast<double>(aggregate.counter("apdex.tolerated"));
  const double f = static_cast<double>(aggregate.counter("apdex.frustrated"));
  const double total = s + t + f;
  if (total <= 0) return std::nullopt;
  const double score = (s + t / 2) / total;
  const char* ranking = "unacceptable";
  if (score >= 0.94) {
    ranking = "excellent";
  } else if (score >= 0.85) {
    ranking = "good";
  } else if (score >= 0.7) {
    ranking = "fair";
  } else if (score >= 0.49) {
    ranking = "poor";
  }
  return fmt::format("Apdex score: {:.3g} ({})", score, ranking);
}

}  // namespace barrage::report
