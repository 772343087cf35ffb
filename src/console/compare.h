// Two runs compared, and a metric's trend over a test's runs, from the runs'
// stored JSON reports read with the report library (report::read_report).
// The judged deltas (throughput, p50/p95/p99, error rate; overall and per
// endpoint, each against `barrage compare`'s tolerances) are
// report::compare_reports', the same as the CLI's; beside them the request
// and error counts overall and the per-phase figures the report's analysis
// keeps (report::analyze_phases: exact, keyed by the phase each VU arrived
// in), and a diff of the runs' configuration. Included only by the
// console's .cc files (nlohmann-json stays out of widely included headers).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "console/store.h"
#include "util/error.h"

namespace barrage::console {

// The comparison of `run` against `base` (both with reports): deltas,
// notes, regressed, config. An Error naming the report that does not read.
Result<nlohmann::json> compare_runs(const RunRow& base, const std::string& base_report,
                                    const RunRow& run, const std::string& run_report);

// The metrics a trend can follow, with their units.
struct TrendMetric {
  const char* name;  // requests, errors, rps, p50, p95, p99, error_rate
  const char* unit;
};
const std::vector<TrendMetric>& trend_metrics();
// A metric's overall value in a report (`metric` is one of trend_metrics()).
Result<double> trend_value(const std::string& report_json, const std::string& metric);

}  // namespace barrage::console
