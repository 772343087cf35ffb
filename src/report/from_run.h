// Builds the report model from a finished run: the engine's result, and what
// the run API adds beside it (run id, the fleet's workers, delivery and
// regions, the Lambda cost). The one place a run becomes a report.
#pragma once

#include <string>
#include <vector>

#include "engine/runner.h"
#include "fleet/summary.h"
#include "lambda/cost.h"
#include "report/ensure.h"
#include "report/model.h"
#include "script/plan.h"

namespace barrage::report {

struct ReportInfo {
  std::string script;
  std::string target;
  std::string version;
  std::vector<CheckOutcome> ensure;  // the ensure plugin's verdicts (the "ensure" array)
};

// What a run adds beside the engine's measurements (all optional): its id, a
// distributed run's workers, delivery and regions, a Lambda run's cost. Plain
// data (fleet/summary.h, lambda/cost.h, header-only); report links neither.
struct RunExtras {
  std::string run_id;
  const fleet::FleetSummary* fleet = nullptr;
  const lambda::CostReport* cost = nullptr;
};

Report build_report(const engine::RunResult& result, const script::Plan& plan,
                    const ReportInfo& info, const RunExtras& extras = {});

}  // namespace barrage::report
