#include "report/model.h"

#include <fmt/format.h>

#include "metrics/summary.h"

namespace barrage::report {

double Number::as_double() const {
  return std::visit([](auto v) { return static_cast<double>(v); }, value);
}

SummaryMs summary_ms(const metrics::Histogram& h) {
  const auto s = metrics::summarize(h);
  const auto ms = [](auto us) { return static_cast<double>(us) / 1000.0; };
  SummaryMs out;
  out.count = s.count;
  out.min = ms(s.min);
  out.max = ms(s.max);
  out.mean = s.mean / 1000.0;
  out.p50 = ms(s.p50);
  out.median = ms(s.p50);
  out.p75 = ms(s.p75);
  out.p90 = ms(s.p90);
  out.p95 = ms(s.p95);
  out.p99 = ms(s.p99);
  out.p999 = ms(s.p999);
  return out;
}

std::vector<PhaseSpan> phase_spans(const RunInfo& run) {
  std::vector<PhaseSpan> out;
  out.reserve(run.phases.size());
  for (size_t i = 0; i < run.phases.size(); ++i) {
    const auto& p = run.phases[i];
    PhaseSpan s;
    s.pause = p.pause;
    s.name = p.name;
    if (s.name.empty())
      s.name = s.pause ? fmt::format("pause #{}", i + 1) : fmt::format("#{}", i + 1);
    s.start_s = p.start_s;
    s.duration_s = p.duration_s;
    out.push_back(std::move(s));
  }
  return out;
}

Analysis analyze(const Report& r) {
  return analyze(r.aggregate, r.fine_periods(), r.run.start_ms, phase_spans(r.run));
}

}  // namespace barrage::report
