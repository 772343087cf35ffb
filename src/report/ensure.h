// The ensure and apdex plugins' verdicts on a run's final aggregate, and how
// the console prints them (after the summary, as Artillery does).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/snapshot.h"
#include "script/plan.h"

namespace barrage::report {

struct CheckOutcome {
  std::string text;  // as Artillery prints it ("http.response_time.p95 < 250")
  bool passed = false;
  bool strict = true;  // a failed strict check fails the run (exit code 1)
  // What was compared: the measured value (unset when the metric was not
  // recorded) and the limit of a threshold or maxErrorRate check; a condition
  // check has its expression instead.
  std::optional<double> value;
  std::optional<double> limit;
  std::optional<std::string> expression;
  // A condition check: each metric its expression reads, with its value
  // (unset: not recorded), in the expression's order.
  std::vector<std::pair<std::string, std::optional<double>>> inputs;
};

// Evaluates every check on `aggregate` with the variables Artillery's ensure
// plugin gives its expressions: every counter, `http.request_rate` (requests
// per second over `duration_s`) and, per histogram NAME, NAME.min, .max,
// .count, .mean, .p50, .median, .p75, .p90, .p95, .p99, .p999 in
// milliseconds. vusers.created, vusers.completed and vusers.failed are 0 when
// not recorded (Artillery always reports them); any other metric that was not
// recorded is undefined, so a check on it fails.
std::vector<CheckOutcome> evaluate_ensure(const std::vector<script::EnsureCheck>& checks,
                                          const metrics::Snapshot& aggregate, double duration_s);

// True when a strict check failed.
bool ensure_failed(const std::vector<CheckOutcome>& outcomes);

// "Checks:\nok: ...\nfail: ... (optional)\n"; empty when there are no checks.
std::string format_checks(const std::vector<CheckOutcome>& outcomes);

// "Apdex score: 0.93 (good)" from the apdex.* counters; nullopt without data.
std::optional<std::string> format_apdex(const metrics::Snapshot& aggregate);

}  // namespace barrage::report
