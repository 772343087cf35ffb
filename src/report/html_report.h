// The HTML report: one self-contained file (inline CSS, SVG charts drawn by
// barrage, a few lines of inline JS for tooltips; no network request) rendered from
// a JSON report. The chart data is embedded as <script type="application/json"
// id="data"> so tools and tests can check the charts against it. Layout and
// resolution: docs/reports.md.
#pragma once

#include <optional>
#include <string>

namespace barrage::report {

// nullopt (with *error set) when `json_text` is not a barrage report.
std::optional<std::string> to_html_report(const std::string& json_text, std::string* error);

}  // namespace barrage::report
