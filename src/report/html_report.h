// The HTML report: one self-contained file (inline CSS, SVG charts drawn by
// barrage, a few lines of inline JS for tooltips; no network request) rendered
// from a report with the page template src/report/assets/report.html.mustache,
// compiled into the binary. The chart data is embedded as <script
// type="application/json" id="data"> so tools and tests can check the charts
// against it. Layout and resolution: docs/reports.md.
#pragma once

#include <string>
#include <vector>

#include "report/model.h"
#include "report/svg_chart.h"

namespace barrage::report {

std::string to_html_report(const Report& report);

// The report's charts as the page draws them (for tests): one point per timeline
// period at the middle of its span, lines broken where a period is missing or has
// no samples.
std::vector<Chart> report_charts(const Report& report);

}  // namespace barrage::report
