// The JSON report (`--output report.json`): aggregate, every period, per
// endpoint, and each histogram serialized, so a report can be merged or
// re-rendered later without the raw samples. Schema: docs/report-schema.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/runner.h"
#include "fleet/summary.h"
#include "lambda/cost.h"
#include "report/analysis.h"
#include "report/ensure.h"
#include "script/plan.h"

namespace barrage::report {

inline constexpr const char* kReportSchema = "barrage.report/1";

struct ReportInfo {
  std::string script;
  std::string target;
  std::string version;
  std::vector<CheckOutcome> ensure;  // the ensure plugin's verdicts (the "ensure" array)
};

// What the report shows beside the engine's measurements (all optional): the
// run id, a distributed run's workers and regions, a Lambda run's cost. The
// types are plain data (fleet/summary.h, lambda/cost.h); report links neither.
struct RunExtras {
  std::string run_id;
  const fleet::FleetSummary* fleet = nullptr;
  const lambda::CostReport* cost = nullptr;
};

std::string to_json_report(const engine::RunResult& result, const script::Plan& plan,
                           const ReportInfo& info, const RunExtras& extras = {});

// Reads a report back: aggregate and periods rebuilt from the serialized
// histograms and counters. nullopt (with *error set) when it is not one.
std::optional<engine::RunResult> read_json_report(const std::string& text, std::string* error);

// The "analysis" object of the report, as compact JSON.
std::string analysis_to_json(const Analysis& a);

// The phases of a report (run.phases) with their offsets; empty when unreadable.
std::vector<PhaseSpan> read_report_phases(const std::string& text);

}  // namespace barrage::report
