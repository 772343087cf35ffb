// Builds the report model from a finished run. This is the one place that reads a
// run's result for the report, the distributed figures (workers, delivery,
// regions, cost, run id, platform) included.
#pragma once

#include <string>
#include <vector>

#include "engine/runner.h"
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

Report build_report(const engine::RunResult& result, const script::Plan& plan,
                    const ReportInfo& info);

}  // namespace barrage::report
