// `barrage compare BASE.json NEW.json`: per-metric and per-endpoint deltas between
// two reports, each judged against a tolerance; any delta past its tolerance is
// a regression (exit code 1 in the CLI). Metrics: throughput (completed responses per
// second of run time), response time p50/p95/p99, error rate (429, 5xx and named errors
// as a share of responses plus errors, in percentage points). Endpoints present in
// only one report are listed as notes, not judged.
#pragma once

#include <string>
#include <vector>

#include "report/model.h"

namespace barrage::report {

struct Tolerances {
  double throughput_drop_pct = 10;  // throughput may fall by this many percent
  double p50_pct = 10;              // latency may rise by this many percent ...
  double p95_pct = 10;
  double p99_pct = 20;
  double min_latency_ms = 1;     // ... and rises smaller than this never count
  double error_rate_points = 1;  // error rate may rise by this many percentage points
};

struct MetricDelta {
  std::string scope;   // "overall" or an endpoint name
  std::string metric;  // "throughput", "p50", "p95", "p99", "error_rate"
  std::string unit;    // "req/s", "ms", "%"
  double base = 0;
  double current = 0;
  double change = 0;      // current - base
  double change_pct = 0;  // relative change in percent; 0 when base is 0
  bool regression = false;
  std::string rule;  // the tolerance it was judged against
};

struct Comparison {
  std::vector<MetricDelta> deltas;
  std::vector<std::string> notes;
  [[nodiscard]] bool regressed() const;
};

Comparison compare_reports(const Report& base, const Report& current, const Tolerances& tol);

// A terminal table: one line per delta, regressions marked, and a verdict line.
std::string format_comparison(const Comparison& c);

// "+1.25" / "-0.50 pt": a delta's change as the table and the page print it.
std::string signed_change(const MetricDelta& d);

// The same table as a self-contained HTML page (rendered in html_report.cc).
std::string comparison_html(const Comparison& c, const std::string& base_name,
                            const std::string& new_name);

}  // namespace barrage::report
